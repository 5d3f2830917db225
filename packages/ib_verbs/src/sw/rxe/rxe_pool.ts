/**
 * rxe_pool - index allocation for QPs, MRs and SRQs (QPN and key space).
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_pool.c (xa_alloc_cyclic over [min_index, max_index])
 *
 * Operation: indices are handed out cyclically from `min` to `max`: the next allocation starts
 * after the last one handed out, wraps to `min` at the end, and skips indices still in use — so
 * a QPN is not reused soon after destroy (rdma-unit-test QpIdRollover) and never while live.
 */
import { KernelError } from '@rdmaemu/sim-core';

/** rxe_pool - a cyclic index allocator with lookup. Kernel: rxe_pool.c struct rxe_pool. */
export class rxe_pool<T> {
  readonly name: string;
  readonly min_index: number;
  readonly max_index: number;
  readonly max_elem: number;
  #next: number;
  readonly #map = new Map<number, T>();

  constructor(name: string, min_index: number, max_index: number, max_elem = max_index - min_index + 1) {
    this.name = name;
    this.min_index = min_index;
    this.max_index = max_index;
    this.max_elem = max_elem;
    this.#next = min_index;
  }

  get count(): number { return this.#map.size; }

  /**
   * alloc - take the next free index (cyclic) for elem.
   * Kernel: rxe_pool.c __rxe_add_to_pool() / xa_alloc_cyclic()
   * @throws KernelError ENOMEM when the pool is full (max_elem objects live)
   */
  alloc(elem: T): number {
    if (this.#map.size >= this.max_elem || this.#map.size >= this.max_index - this.min_index + 1) {
      throw new KernelError('ENOMEM', `rxe ${this.name} pool: full (${this.#map.size})`);
    }
    let i = this.#next;
    while (this.#map.has(i)) i = i >= this.max_index ? this.min_index : i + 1;
    this.#map.set(i, elem);
    this.#next = i >= this.max_index ? this.min_index : i + 1;
    return i;
  }

  /** Place elem at a fixed index (QP1). @throws KernelError EBUSY if taken. */
  insert(index: number, elem: T): void {
    if (this.#map.has(index)) throw new KernelError('EBUSY', `rxe ${this.name} pool: index ${index} in use`);
    this.#map.set(index, elem);
  }

  /** Kernel: rxe_pool.c rxe_pool_get_index(). */
  get(index: number): T | undefined { return this.#map.get(index); }

  /** Kernel: rxe_pool.c __rxe_cleanup() (xa_erase). */
  remove(index: number): void { this.#map.delete(index); }

  values(): IterableIterator<T> { return this.#map.values(); }
}
