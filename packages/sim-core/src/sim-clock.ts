/**
 * sim-clock - the one clock of a simulation: virtual nanosecond time, or real time.
 *
 * Kernel: include/linux/ktime.h, include/linux/timekeeping.h (ktime_get(), ktime_get_ns()),
 *         include/linux/jiffies.h (jiffies), include/vdso/time64.h (NSEC_PER_*)
 *
 * Operation: every package reads time from a `SimClock` and schedules work on it; library code
 * never calls setTimeout, setInterval, Date.now or performance.now. This file is the only place
 * that does, and only in real mode.
 *
 * Virtual mode (the default) is a discrete-event simulator. Scheduled events sit in a binary heap
 * ordered by (due time in ns, scheduling sequence number), so events due at the same nanosecond
 * run FIFO in the order they were scheduled; re-arming an event (`reschedule`, `mod_timer`) gives
 * it a new sequence number, i.e. it goes behind events already scheduled for that instant. Time
 * moves only when the test or the harness calls `tick(ms)`, `advanceNs(ns)`, `runUntilIdle()`
 * or `flush()`; each runs due events one at a time, setting the clock to each event's due time
 * before running it. Nothing runs on microtasks, so a run is a pure function of
 * (seed, schedule order).
 *
 * `clock.scheduler` is an RxJS `SchedulerLike` over the same queue: `timer(5, clock.scheduler)`,
 * `delay(1, clock.scheduler)` and `observeOn(clock.scheduler)` advance with the clock and
 * interleave FIFO with `schedule()`d work. Its `now()` is milliseconds, fractional below 1 ms; a
 * delay in ms becomes ns rounded to the nearest nanosecond. (RxJS's VirtualTimeScheduler counts
 * integer frames, too coarse for a 100 ns packet time, hence this scheduler.)
 *
 * Event budget: one run call (tick/advanceNs/runUntilIdle/flush) executes at most `maxEvents`
 * events. Past that the call throws `KernelBug` naming the event about to run and the most
 * frequent labels among the last 1024 events, which turns a livelock (a task that keeps
 * rescheduling itself, a periodic timer under runUntilIdle) into a test failure that names the
 * loop. Label events (`schedule(fn, ns, 'rxe_requester')`); the default label is the function's
 * name.
 *
 * Real mode (`mode: 'real'`, for multi-process runs) reads ns from `process.hrtime.bigint()`
 * relative to construction, plus `startNs`, and arms events with setTimeout (millisecond
 * granularity; no FIFO guarantee beyond Node's). tick/advanceNs/runUntilIdle/flush throw there:
 * the event loop drives time.
 *
 * Invariants: virtual time never goes backwards; `pending` counts armed events; a run call is
 * never re-entered from the work it runs (KernelBug). Divergence: ktime_t is a JS number, exact
 * to 2^53 ns (about 104 days of simulated time).
 */
import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';
import { KernelBug } from './kernel-error.js';
import { SeededRandom, seedFromEnv } from './seeded-random.js';
import { getTraceClock, setTraceClock, type TraceClock } from './tracepoint.js';
import { TICK_NSEC } from './timer.js';
import type { s64, u32, u64 } from './types.js';

/** Kernel: include/vdso/time64.h NSEC_PER_SEC */
export const NSEC_PER_SEC = 1_000_000_000;
/** Kernel: include/vdso/time64.h NSEC_PER_MSEC */
export const NSEC_PER_MSEC = 1_000_000;
/** Kernel: include/vdso/time64.h NSEC_PER_USEC */
export const NSEC_PER_USEC = 1_000;

/**
 * ktime_t - monotonic time in nanoseconds.
 *
 * Kernel: include/linux/ktime.h ktime_t
 *
 * Divergence: a JS number rather than s64; exact up to 2^53 ns.
 */
export type ktime_t = s64;

/** SimClockMode - `'virtual'`: discrete-event time; `'real'`: the host's monotonic clock. */
export type SimClockMode = 'virtual' | 'real';

/** SimClockInit - options for `new SimClock()`. */
export interface SimClockInit {
  /**
   * Seed of `clock.random`.
   * @default seedFromEnv() (RDMAEMU_SEED, else a fresh seed)
   */
  seed?: number;
  /** @default 'virtual' */
  mode?: SimClockMode;
  /**
   * Most events one tick/advanceNs/runUntilIdle/flush call may run before it throws.
   * @default 10_000_000
   */
  maxEvents?: number;
  /** Time at construction, in ns. @default 0 */
  startNs?: number;
  /**
   * Install this clock as the trace clock (`setTraceClock`) on construction.
   * @default true
   */
  traceClock?: boolean;
}

/**
 * ClockEvent - a handle to work scheduled on a `SimClock`, re-armable without reallocation.
 */
export interface ClockEvent {
  /** Name reported by the event budget (defaults to the function's name). */
  readonly label: string;
  /** True while armed and not yet run. */
  readonly pending: boolean;
  /** When the event is (or was last) due, in ns. */
  readonly dueNs: number;
  /** Disarm; returns true if the event was pending. */
  cancel(): boolean;
  /**
   * Arm to run `delayNs` from now, replacing any pending arming (the event goes to the back of
   * the FIFO for its new instant).
   * @throws KernelBug if delayNs is not finite, or the clock is closed
   */
  reschedule(delayNs: number): void;
}

/** Default event budget per run call. */
const DEFAULT_MAX_EVENTS = 10_000_000;
/** Labels remembered for the budget report (a power of two). */
const RECENT_WINDOW = 1024;

interface EventQueue {
  nowNs(): number;
  insert(e: Entry, dueNs: number): void;
  remove(e: Entry): boolean;
  clear(): void;
  readonly size: number;
}

class Entry implements ClockEvent {
  dueNs = 0;
  seq = 0;
  /** Heap index in virtual mode, 0 when armed in real mode; -1 when not queued. */
  index = -1;
  timeout: ReturnType<typeof setTimeout> | undefined = undefined;
  readonly fn: () => void;
  readonly label: string;
  readonly clock: SimClock;
  readonly queue: EventQueue;

  constructor(clock: SimClock, queue: EventQueue, fn: () => void, label: string) {
    this.clock = clock;
    this.queue = queue;
    this.fn = fn;
    this.label = label;
  }

  get pending(): boolean {
    return this.index >= 0;
  }

  cancel(): boolean {
    return this.queue.remove(this);
  }

  reschedule(delayNs: number): void {
    if (this.clock.closed) throw new KernelBug(`sim-clock: '${this.label}' scheduled after close()`);
    if (!Number.isFinite(delayNs)) throw new KernelBug(`sim-clock: '${this.label}': delay ${delayNs} ns is not finite`);
    const q = this.queue;
    if (this.index >= 0) q.remove(this);
    q.insert(this, q.nowNs() + (delayNs > 0 ? Math.round(delayNs) : 0));
  }
}

class VirtualQueue implements EventQueue {
  now: number;
  #heap: Entry[] = [];
  #seq = 0;

  constructor(startNs: number) {
    this.now = startNs;
  }

  get size(): number {
    return this.#heap.length;
  }

  nowNs(): number {
    return this.now;
  }

  peek(): Entry | undefined {
    return this.#heap[0];
  }

  insert(e: Entry, dueNs: number): void {
    e.dueNs = dueNs;
    e.seq = this.#seq++;
    e.index = this.#heap.length;
    this.#heap.push(e);
    this.#up(e.index);
  }

  remove(e: Entry): boolean {
    const i = e.index;
    if (i < 0) return false;
    const heap = this.#heap;
    const last = heap.pop()!;
    e.index = -1;
    if (last !== e) {
      heap[i] = last;
      last.index = i;
      this.#down(i);
      this.#up(last.index);
    }
    return true;
  }

  /** Remove and return the earliest entry (the run loop's pop: one sift-down, no sift-up). */
  pop(): Entry | undefined {
    const heap = this.#heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop()!;
    top.index = -1;
    if (last !== top) {
      heap[0] = last;
      last.index = 0;
      this.#down(0);
    }
    return top;
  }

  clear(): void {
    for (const e of this.#heap) e.index = -1;
    this.#heap.length = 0;
  }

  #less(a: Entry, b: Entry): boolean {
    return a.dueNs < b.dueNs || (a.dueNs === b.dueNs && a.seq < b.seq);
  }

  #up(i: number): void {
    const heap = this.#heap;
    const e = heap[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p]!;
      if (!this.#less(e, parent)) break;
      heap[i] = parent;
      parent.index = i;
      i = p;
    }
    heap[i] = e;
    e.index = i;
  }

  #down(i: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const e = heap[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.#less(heap[r]!, heap[l]!) ? r : l;
      const child = heap[c]!;
      if (!this.#less(child, e)) break;
      heap[i] = child;
      child.index = i;
      i = c;
    }
    heap[i] = e;
    e.index = i;
  }
}

class RealQueue implements EventQueue {
  readonly #origin = process.hrtime.bigint();
  readonly #startNs: number;
  #size = 0;
  #armed = new Set<Entry>();

  constructor(startNs: number) {
    this.#startNs = startNs;
  }

  get size(): number {
    return this.#size;
  }

  nowNs(): number {
    return this.#startNs + Number(process.hrtime.bigint() - this.#origin);
  }

  insert(e: Entry, dueNs: number): void {
    e.dueNs = dueNs;
    e.index = 0;
    this.#size++;
    this.#armed.add(e);
    e.timeout = setTimeout(() => {
      e.timeout = undefined;
      e.index = -1;
      this.#size--;
      this.#armed.delete(e);
      e.fn();
    }, Math.max(0, (dueNs - this.nowNs()) / NSEC_PER_MSEC));
  }

  remove(e: Entry): boolean {
    if (e.index < 0) return false;
    clearTimeout(e.timeout);
    e.timeout = undefined;
    e.index = -1;
    this.#size--;
    this.#armed.delete(e);
    return true;
  }

  clear(): void {
    for (const e of [...this.#armed]) this.remove(e);
  }
}

/** An RxJS action on the clock's queue: one ClockEvent, re-armed by `schedule()`. */
class SimAction<T> extends Subscription implements SchedulerAction<T> {
  readonly #event: ClockEvent;
  readonly #work: (this: SchedulerAction<T>, state?: T) => void;
  #state: T | undefined = undefined;

  constructor(clock: SimClock, work: (this: SchedulerAction<T>, state?: T) => void) {
    super();
    this.#work = work;
    this.#event = clock.createEvent(() => this.#execute(), work.name || 'rxjs action');
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    if (!Number.isFinite(delay)) throw new KernelBug(`sim-clock: rxjs delay ${delay} ms is not finite`);
    this.#state = state;
    this.#event.reschedule(delay * NSEC_PER_MSEC);
    return this;
  }

  #execute(): void {
    try {
      this.#work.call(this, this.#state);
    } catch (err) {
      this.unsubscribe();
      throw err;
    }
  }

  override unsubscribe(): void {
    if (this.closed) return;
    this.#event.cancel();
    super.unsubscribe();
  }
}

class SimScheduler implements SchedulerLike {
  readonly #clock: SimClock;

  constructor(clock: SimClock) {
    this.#clock = clock;
  }

  now(): number {
    return this.#clock.now();
  }

  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    return new SimAction<T>(this.#clock, work).schedule(state, delay);
  }
}

/**
 * SimClock - virtual (or real) time for one simulation, with its RxJS scheduler and seeded
 * random source.
 *
 * See the file header for the event order, the budget and the two modes.
 * @example Virtual time, an RxJS timer and a scheduled event
 * ```ts
 * import { SimClock } from '@rdmaemu/sim-core';
 * import { timer } from 'rxjs';
 * const clock = new SimClock({ seed: 42 });
 * const seen: string[] = [];
 * clock.schedule(() => seen.push('a'), 1_500, 'a');          // 1.5 us from now
 * timer(1, clock.scheduler).subscribe(() => seen.push('rx')); // 1 ms from now
 * clock.tick(1);                                              // runs both, in time order
 * console.assert(clock.ktime_get() === 1_000_000 && seen.join() === 'a,rx');
 * ```
 */
export class SimClock implements TraceClock {
  readonly mode: SimClockMode;
  /** The seed of `random` (print it to replay a run). */
  readonly seed: u32;
  /** The simulation's random source; fork it per component. */
  readonly random: SeededRandom;
  /** An RxJS scheduler on this clock: `now()` in ms, delays in ms. */
  readonly scheduler: SchedulerLike;
  readonly maxEvents: number;
  readonly #queue: VirtualQueue | RealQueue;
  #running = false;
  #closed = false;
  readonly #recent: string[] = new Array<string>(RECENT_WINDOW).fill('');

  /**
   * @throws KernelBug if maxEvents is not a positive integer or startNs is not a non-negative
   *         safe integer
   * @throws KernelError EINVAL if no seed is given and RDMAEMU_SEED is malformed
   */
  constructor(init: SimClockInit = {}) {
    this.mode = init.mode ?? 'virtual';
    this.maxEvents = init.maxEvents ?? DEFAULT_MAX_EVENTS;
    if (!Number.isSafeInteger(this.maxEvents) || this.maxEvents <= 0) {
      throw new KernelBug(`sim-clock: maxEvents ${this.maxEvents} is not a positive integer`);
    }
    const startNs = init.startNs ?? 0;
    if (!Number.isSafeInteger(startNs) || startNs < 0) {
      throw new KernelBug(`sim-clock: startNs ${startNs} is not a non-negative integer`);
    }
    this.seed = (init.seed ?? seedFromEnv()) >>> 0;
    this.random = new SeededRandom(this.seed);
    this.#queue = this.mode === 'real' ? new RealQueue(startNs) : new VirtualQueue(startNs);
    this.scheduler = new SimScheduler(this);
    if (init.traceClock ?? true) setTraceClock(this);
  }

  /**
   * ktime_get - the current monotonic time in ns.
   *
   * Kernel: kernel/time/timekeeping.c ktime_get()
   */
  ktime_get(): ktime_t {
    return this.#queue.nowNs();
  }

  /**
   * jiffies - the current time in jiffies (HZ = 1000, so one jiffy is 1 ms).
   *
   * Kernel: include/linux/jiffies.h jiffies
   *
   * Divergence: starts at startNs / TICK_NSEC, not at INITIAL_JIFFIES (no early wrap-around).
   */
  get jiffies(): number {
    return Math.floor(this.#queue.nowNs() / TICK_NSEC);
  }

  /** now - the current time in ms (fractional), the unit RxJS schedulers use. */
  now(): number {
    return this.#queue.nowNs() / NSEC_PER_MSEC;
  }

  /** Number of armed events (timers, queued work, RxJS actions). */
  get pending(): number {
    return this.#queue.size;
  }

  /** True after `close()`. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * createEvent - an unarmed, reusable event that runs `fn`; arm it with `reschedule(delayNs)`.
   *
   * Timers and work items keep one event for their lifetime, so re-arming allocates nothing.
   * @param label name for the event budget report
   * @default label fn.name, or 'anonymous'
   * @example A self-re-arming task
   * ```ts
   * import { SimClock } from '@rdmaemu/sim-core';
   * const clock = new SimClock({ seed: 1 });
   * let runs = 0;
   * const ev = clock.createEvent(() => { if (++runs < 3) ev.reschedule(1000); }, 'poll');
   * ev.reschedule(0);
   * clock.runUntilIdle();      // runs at 0, 1000 and 2000 ns
   * ```
   */
  createEvent(fn: () => void, label?: string): ClockEvent {
    return new Entry(this, this.#queue, fn, label ?? (fn.name || 'anonymous'));
  }

  /**
   * schedule - run `fn` `delayNs` from now; returns the handle to cancel it.
   *
   * Work due at the same ns runs in the order it was scheduled (FIFO). A negative delay counts as
   * 0; fractional ns round to the nearest ns.
   * @param label name for the event budget report
   * @default delayNs 0
   * @default label fn.name, or 'anonymous'
   * @throws KernelBug if delayNs is not finite or the clock is closed
   * @example Cancel before it runs
   * ```ts
   * import { SimClock } from '@rdmaemu/sim-core';
   * const clock = new SimClock({ seed: 1 });
   * const ev = clock.schedule(() => { throw new Error('never'); }, 5_000, 'rto');
   * ev.cancel();
   * clock.runUntilIdle();
   * ```
   */
  schedule(fn: () => void, delayNs = 0, label?: string): ClockEvent {
    const ev = this.createEvent(fn, label);
    ev.reschedule(delayNs);
    return ev;
  }

  /**
   * tick - advance virtual time by `ms` milliseconds, running every event due up to then.
   * @returns the number of events run
   * @throws KernelBug in real mode, for a negative or non-finite ms, when re-entered from
   *         scheduled work, or when the event budget is exceeded
   * @example Usage
   * ```ts
   * import { SimClock } from '@rdmaemu/sim-core';
   * const clock = new SimClock({ seed: 1 });
   * clock.tick(2.5);
   * console.assert(clock.ktime_get() === 2_500_000);
   * ```
   */
  tick(ms: number): number {
    return this.#advance(ms * NSEC_PER_MSEC, 'tick');
  }

  /**
   * advanceNs - advance virtual time by `ns` nanoseconds, running every event due up to then.
   *
   * Events run at their own due times; afterwards the clock reads exactly start + ns (rounded).
   * An exception from an event propagates: the clock stays at that event's time and later
   * events stay queued.
   * @returns the number of events run
   * @throws KernelBug in real mode, for a negative or non-finite ns, when re-entered from
   *         scheduled work, or when the event budget is exceeded
   * @example Usage
   * ```ts
   * import { SimClock } from '@rdmaemu/sim-core';
   * const clock = new SimClock({ seed: 1 });
   * clock.advanceNs(150);
   * console.assert(clock.ktime_get() === 150);
   * ```
   */
  advanceNs(ns: number): number {
    return this.#advance(ns, 'advanceNs');
  }

  #advance(ns: number, op: string): number {
    const q = this.#virtual(op);
    if (!Number.isFinite(ns) || ns < 0) throw new KernelBug(`sim-clock: ${op}(): ${ns} ns is not a non-negative finite time`);
    return this.#run(q, q.now + Math.round(ns), op);
  }

  /**
   * runUntilIdle - run events, advancing time to each, until none is pending.
   *
   * A periodic timer never lets the clock go idle; such a run ends with the event budget error.
   * @returns the number of events run
   * @throws KernelBug in real mode, when re-entered from scheduled work, or when the event
   *         budget is exceeded (the message names the looping work)
   * @example Usage
   * ```ts
   * import { SimClock } from '@rdmaemu/sim-core';
   * const clock = new SimClock({ seed: 1 });
   * clock.schedule(() => {}, 1e9);
   * clock.runUntilIdle();
   * console.assert(clock.ktime_get() === 1e9 && clock.pending === 0);
   * ```
   */
  runUntilIdle(): number {
    return this.#run(this.#virtual('runUntilIdle'), Infinity, 'runUntilIdle');
  }

  /**
   * flush - run every event due now (including work those events queue for now), without
   * advancing time.
   *
   * Divergence from RxJS's `VirtualTimeScheduler.flush()`, which runs everything: that is
   * `runUntilIdle()` here.
   * @returns the number of events run
   * @throws KernelBug in real mode, when re-entered from scheduled work, or when the event
   *         budget is exceeded
   * @example Usage
   * ```ts
   * import { SimClock } from '@rdmaemu/sim-core';
   * const clock = new SimClock({ seed: 1 });
   * clock.schedule(() => {}, 0);
   * clock.schedule(() => {}, 1);
   * console.assert(clock.flush() === 1 && clock.pending === 1);
   * ```
   */
  flush(): number {
    const q = this.#virtual('flush');
    return this.#run(q, q.now, 'flush');
  }

  /**
   * close - cancel every pending event and stop accepting new ones; uninstall this clock as the
   * trace clock if it is installed. Idempotent.
   * @example Usage
   * ```ts
   * import { SimClock } from '@rdmaemu/sim-core';
   * const clock = new SimClock({ seed: 1 });
   * try { clock.tick(1); } finally { clock.close(); }
   * ```
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.clear();
    if (getTraceClock() === this) setTraceClock(null);
  }

  #virtual(op: string): VirtualQueue {
    if (!(this.#queue instanceof VirtualQueue)) {
      throw new KernelBug(`sim-clock: ${op}() needs virtual time; in real mode the event loop drives the clock`);
    }
    return this.#queue;
  }

  #run(q: VirtualQueue, limitNs: number, op: string): number {
    if (this.#running) throw new KernelBug(`sim-clock: ${op}() called from scheduled work`);
    this.#running = true;
    const recent = this.#recent;
    const max = this.maxEvents;
    let count = 0;
    try {
      for (;;) {
        const e = q.peek();
        if (e === undefined || e.dueNs > limitNs) break;
        if (count >= max) throw this.#budgetError(e, op, count);
        q.pop();
        q.now = e.dueNs;
        recent[count & (RECENT_WINDOW - 1)] = e.label;
        count++;
        e.fn();
      }
      if (limitNs !== Infinity && limitNs > q.now) q.now = limitNs;
    } finally {
      this.#running = false;
    }
    return count;
  }

  #budgetError(next: Entry, op: string, count: number): KernelBug {
    const window = Math.min(count, RECENT_WINDOW);
    const tally = new Map<string, number>();
    for (let i = 0; i < window; i++) {
      const label = this.#recent[i]!;
      tally.set(label, (tally.get(label) ?? 0) + 1);
    }
    const top = [...tally].sort((a, b) => b[1] - a[1]).slice(0, 5);
    const [loopLabel, loopCount] = top[0] ?? [next.label, 0];
    return new KernelBug(
      `sim-clock: event budget exceeded: ${count} events in one ${op}() (maxEvents=${this.maxEvents}) at ` +
        `t=${this.ktime_get()} ns; looping work '${loopLabel}' (${loopCount} of the last ${window} events); ` +
        `most frequent: ${top.map(([l, n]) => `${l} x${n}`).join(', ')}; next event '${next.label}'`,
    );
  }
}

/**
 * ktime_get - the clock's monotonic time in ns.
 *
 * Kernel: kernel/time/timekeeping.c ktime_get()
 *
 * Divergence: takes the clock explicitly; the kernel has one global timekeeper.
 * @example Usage
 * ```ts
 * import { SimClock, ktime_get } from '@rdmaemu/sim-core';
 * const t0 = ktime_get(new SimClock({ seed: 1 }));
 * ```
 */
export function ktime_get(clock: SimClock): ktime_t {
  return clock.ktime_get();
}

/**
 * ktime_get_ns - the clock's monotonic time in ns, as u64.
 *
 * Kernel: include/linux/timekeeping.h ktime_get_ns()
 * @example Usage
 * ```ts
 * import { SimClock, ktime_get_ns } from '@rdmaemu/sim-core';
 * const ns = ktime_get_ns(new SimClock({ seed: 1 }));
 * ```
 */
export function ktime_get_ns(clock: SimClock): u64 {
  return clock.ktime_get();
}

/**
 * ktime_to_us - ns to whole microseconds (floor, as the kernel's division for positive values).
 *
 * Kernel: include/linux/ktime.h ktime_to_us()
 * @example Usage
 * ```ts
 * import { ktime_to_us } from '@rdmaemu/sim-core';
 * console.assert(ktime_to_us(1_999) === 1);
 * ```
 */
export function ktime_to_us(kt: ktime_t): s64 {
  return Math.floor(kt / NSEC_PER_USEC);
}

/**
 * ktime_to_ms - ns to whole milliseconds.
 *
 * Kernel: include/linux/ktime.h ktime_to_ms()
 * @example Usage
 * ```ts
 * import { ktime_to_ms } from '@rdmaemu/sim-core';
 * console.assert(ktime_to_ms(2_500_000) === 2);
 * ```
 */
export function ktime_to_ms(kt: ktime_t): s64 {
  return Math.floor(kt / NSEC_PER_MSEC);
}
