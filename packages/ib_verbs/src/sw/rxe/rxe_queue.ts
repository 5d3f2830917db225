/**
 * rxe_queue - fixed-size rings for the SQ, RQ, SRQ and CQ.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_queue.h, rxe_queue.c
 *
 * Operation: a ring of preallocated slots with a producer and a consumer index that only grow
 * (masked on access), like rxe's `struct rxe_queue_buf` (producer_index/consumer_index with
 * index_mask). rxe sizes a queue to roundup_pow_of_two(n+1) slots and lets it hold one less;
 * with `exact` the ring still has a power-of-two slot count but refuses more than `max_elem`
 * entries (the ConnectX-like profile). Slots are reused (`slot(i)` returns the object to fill),
 * so posting allocates nothing per WR once the ring is warm.
 *
 * Invariants: 0 ≤ prod − cons ≤ max_elem; prod and cons stay below 2^53 (a ring of 2^20 would
 * take centuries of virtual time at 1 M/s to wrap a double).
 */

/** rxe_queue - a bounded ring. Kernel: drivers/infiniband/sw/rxe/rxe_queue.h struct rxe_queue. */
export class rxe_queue<T> {
  /** Capacity enforced (and reported through the verbs). */
  max_elem: number;
  /** Slot count - 1 (power of two - 1). Kernel: buf->index_mask. */
  index_mask: number;
  slots: (T | undefined)[];
  prod = 0;
  cons = 0;

  constructor(max_elem: number) {
    this.max_elem = max_elem;
    let n = 1;
    while (n < max_elem + 1) n *= 2;
    this.index_mask = n - 1;
    this.slots = new Array<T | undefined>(n).fill(undefined);
  }

  /** Kernel: rxe_queue.h queue_count(). */
  count(): number { return this.prod - this.cons; }
  /** Kernel: rxe_queue.h queue_empty(). */
  empty(): boolean { return this.prod === this.cons; }
  /** Kernel: rxe_queue.h queue_full(). */
  full(): boolean { return this.prod - this.cons >= this.max_elem; }
  /** The slot at a (monotonic) index. Kernel: queue_addr_from_index(). */
  at(index: number): T | undefined { return this.slots[index & this.index_mask]; }
  setAt(index: number, v: T): void { this.slots[index & this.index_mask] = v; }
  /** Oldest entry, or undefined. Kernel: queue_head(). */
  head(): T | undefined { return this.prod === this.cons ? undefined : this.slots[this.cons & this.index_mask]; }
  /** Kernel: queue_advance_producer(). */
  advance_producer(): void { this.prod++; }
  /**
   * Kernel: queue_advance_consumer(). The slot object just consumed changes places with the one
   * in the producer's slot (both are free): the next post reuses the WQE the CPU touched last
   * (cache-hot) instead of one last used a whole ring ago. Callers hold slot objects, never
   * indexes of consumed entries, so which free slot an object sits in is unobservable.
   */
  advance_consumer(): void {
    const slots = this.slots;
    const c = this.cons & this.index_mask;
    const p = this.prod & this.index_mask;
    if (c !== p) {
      const t = slots[c];
      slots[c] = slots[p];
      slots[p] = t;
    }
    this.cons++;
  }
  /** Append (caller checked full()). */
  push(v: T): void { this.slots[this.prod & this.index_mask] = v; this.prod++; }
  /** Remove the oldest; undefined when empty. */
  shift(): T | undefined {
    if (this.prod === this.cons) return undefined;
    const i = this.cons & this.index_mask;
    const v = this.slots[i];
    this.cons++;
    return v;
  }
  /** Drop every entry. */
  reset(): void { this.prod = 0; this.cons = 0; }

  /**
   * resize - grow or shrink keeping the entries in order.
   * Kernel: drivers/infiniband/sw/rxe/rxe_queue.c rxe_queue_resize()
   * @returns false if the new capacity cannot hold the current entries
   */
  resize(max_elem: number): boolean {
    const n = this.count();
    if (max_elem < n) return false;
    const items: (T | undefined)[] = [];
    for (let i = this.cons; i < this.prod; i++) items.push(this.at(i));
    let slots = 1;
    while (slots < max_elem + 1) slots *= 2;
    this.max_elem = max_elem;
    this.index_mask = slots - 1;
    this.slots = new Array<T | undefined>(slots).fill(undefined);
    this.cons = 0;
    this.prod = 0;
    for (const it of items) this.push(it as T);
    return true;
  }
}

/**
 * rxe_queue_capacity - the capacity a queue of n requested entries gets.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_queue.c rxe_queue_init() (num_slots =
 * roundup_pow_of_two(n + 1), capacity num_slots − 1, written back to the caller's n).
 * @param round true for rxe's rounding, false for exactly n
 */
export function rxe_queue_capacity(n: number, round: boolean): number {
  if (!round) return n;
  let slots = 1;
  while (slots < n + 1) slots *= 2;
  return slots - 1;
}

/** pkt_queue - an unbounded FIFO of packets (the kernel's sk_buff_head). Emulator-only. */
export class pkt_queue<T> {
  #a: (T | undefined)[] = [];
  #head = 0;
  get length(): number { return this.#a.length - this.#head; }
  push(v: T): void { this.#a.push(v); }
  peek(): T | undefined { return this.#head < this.#a.length ? this.#a[this.#head] : undefined; }
  shift(): T | undefined {
    if (this.#head >= this.#a.length) return undefined;
    const v = this.#a[this.#head];
    this.#a[this.#head++] = undefined;
    if (this.#head > 1024 && this.#head * 2 > this.#a.length) {
      this.#a = this.#a.slice(this.#head);
      this.#head = 0;
    }
    return v;
  }
  clear(): void { this.#a = []; this.#head = 0; }
}
