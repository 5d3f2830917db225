/**
 * workqueue - deferred work (`work_struct`, `delayed_work`) run on a SimClock.
 *
 * Kernel: include/linux/workqueue.h, kernel/workqueue.c
 *
 * Operation: `queue_work(wq, work)` sets the work's PENDING state and schedules it on the clock
 * at the current instant, behind everything already scheduled for that instant (the clock's
 * FIFO), so queued work runs in queueing order. Before `work.func` runs, PENDING is cleared, so
 * the function may queue itself again. `queue_delayed_work(wq, dwork, delay)` first waits
 * `delay` jiffies on a timer, then queues the work the same way; the work is PENDING during
 * both phases, as in the kernel.
 *
 * States: idle -> queue_work -> queued -> (runs) -> idle;
 *         idle -> queue_delayed_work(delay > 0) -> timer -> queued -> (runs) -> idle;
 *         cancel_* from timer or queued -> idle.
 *
 * A `workqueue_struct` (alloc_workqueue) only names a queue and tracks its pending items; passing
 * a `SimClock` instead of a workqueue stands for the system workqueue (`system_wq`).
 *
 * Divergence: there is one simulated CPU, so every workqueue behaves as an ordered workqueue,
 * nothing runs concurrently, and the `_sync` variants equal the plain ones.
 * `destroy_workqueue()` does not wait: it returns at once and the already-queued items still run
 * in order, which is what the kernel's drain achieves; queueing on a destroyed workqueue, other
 * than from its own running work, is a WARN. `delayed_work` has no public `timer` field.
 */
import { WARN } from './kernel-error.js';
import type { ClockEvent, SimClock } from './sim-clock.js';
import { TICK_NSEC } from './timer.js';
import type { u32 } from './types.js';

/**
 * work_func_t - a work function; it receives the work item (container_of becomes a closure).
 *
 * Kernel: include/linux/workqueue_types.h work_func_t
 */
export type work_func_t = (work: work_struct) => void;

/**
 * workqueue_struct - a named workqueue on a clock; create with alloc_workqueue().
 *
 * Kernel: kernel/workqueue.c struct workqueue_struct
 */
export class workqueue_struct {
  readonly name: string;
  readonly clock: SimClock;
  /** WQ_* flags given to alloc_workqueue() (accepted, no effect here). */
  readonly flags: u32;
  /** Work items queued or waiting on their delay timer. */
  nr_pending = 0;
  /** Set by destroy_workqueue(). */
  destroyed = false;

  constructor(clock: SimClock, name: string, flags: u32 = 0) {
    this.clock = clock;
    this.name = name;
    this.flags = flags;
  }
}

const PHASE_IDLE = 0;
const PHASE_TIMER = 1;
const PHASE_QUEUED = 2;

interface WorkState {
  phase: number;
  clock: SimClock | null;
  wq: workqueue_struct | null;
  /** Runs the work function (armed at delay 0 when queued). */
  run: ClockEvent | null;
  /** The delay timer of a delayed_work. */
  timer: ClockEvent | null;
}

let stateOf!: (work: work_struct) => WorkState;
/** The workqueue whose work function is running now (chained work may still be queued on it). */
let runningWq: workqueue_struct | null = null;

/**
 * work_struct - a unit of deferred work.
 *
 * Kernel: include/linux/workqueue_types.h struct work_struct
 * @example Queue work on the system workqueue of a clock
 * ```ts
 * import { SimClock, work_struct, INIT_WORK, queue_work } from '@rdmaemu/sim-core';
 * const clock = new SimClock({ seed: 1 });
 * const w = new work_struct();
 * INIT_WORK(w, function rpcrdma_mr_refresh_worker() { console.log('ran'); });
 * queue_work(clock, w);
 * clock.flush();   // prints 'ran'
 * ```
 */
export class work_struct {
  /** The work function; set by INIT_WORK(). */
  func: work_func_t | null = null;
  readonly #state: WorkState = { phase: PHASE_IDLE, clock: null, wq: null, run: null, timer: null };

  static {
    stateOf = (work) => work.#state;
  }
}

/**
 * delayed_work - a work item queued after a delay in jiffies.
 *
 * Kernel: include/linux/workqueue_types.h struct delayed_work
 * @example Usage
 * ```ts
 * import { SimClock, delayed_work, INIT_DELAYED_WORK, queue_delayed_work } from '@rdmaemu/sim-core';
 * const clock = new SimClock({ seed: 1 });
 * const dw = new delayed_work();
 * INIT_DELAYED_WORK(dw, () => console.log('after 5 jiffies'));
 * queue_delayed_work(clock, dw, 5);
 * clock.tick(5);
 * ```
 */
export class delayed_work {
  readonly work = new work_struct();
}

/**
 * INIT_WORK - initialise a work item with its function.
 *
 * Kernel: include/linux/workqueue.h INIT_WORK()
 * @example Usage
 * ```ts
 * import { work_struct, INIT_WORK } from '@rdmaemu/sim-core';
 * const w = new work_struct();
 * INIT_WORK(w, () => {});
 * ```
 */
export function INIT_WORK(work: work_struct, func: work_func_t): void {
  work.func = func;
}

/**
 * INIT_DELAYED_WORK - initialise a delayed work item with its function.
 *
 * Kernel: include/linux/workqueue.h INIT_DELAYED_WORK()
 * @example Usage
 * ```ts
 * import { delayed_work, INIT_DELAYED_WORK } from '@rdmaemu/sim-core';
 * const dw = new delayed_work();
 * INIT_DELAYED_WORK(dw, () => {});
 * ```
 */
export function INIT_DELAYED_WORK(dwork: delayed_work, func: work_func_t): void {
  dwork.work.func = func;
}

/**
 * alloc_workqueue - create a named workqueue on a clock.
 *
 * Kernel: kernel/workqueue.c alloc_workqueue()
 *
 * Divergence: takes the clock first and no max_active (one simulated CPU).
 * @example Usage
 * ```ts
 * import { SimClock, alloc_workqueue } from '@rdmaemu/sim-core';
 * const wq = alloc_workqueue(new SimClock({ seed: 1 }), 'xprtiod');
 * ```
 */
export function alloc_workqueue(clock: SimClock, name: string, flags: u32 = 0): workqueue_struct {
  return new workqueue_struct(clock, name, flags);
}

/**
 * destroy_workqueue - mark a workqueue dead; its already-queued work still runs, in order.
 *
 * Kernel: kernel/workqueue.c destroy_workqueue()
 *
 * Divergence: returns without draining (see the file header).
 * @example Usage
 * ```ts
 * import { SimClock, alloc_workqueue, destroy_workqueue } from '@rdmaemu/sim-core';
 * destroy_workqueue(alloc_workqueue(new SimClock({ seed: 1 }), 'ib-comp-wq'));
 * ```
 */
export function destroy_workqueue(wq: workqueue_struct): void {
  wq.destroyed = true;
}

function resolve(target: workqueue_struct | SimClock): [SimClock, workqueue_struct | null] {
  return target instanceof workqueue_struct ? [target.clock, target] : [target, null];
}

function canQueue(wq: workqueue_struct | null, work: work_struct, op: string): boolean {
  if (WARN(work.func === null, `${op}: work has no function (INIT_WORK() not called)`)) return false;
  if (wq !== null && wq.destroyed && runningWq !== wq) {
    WARN(true, `${op}: workqueue ${wq.name} is destroyed`);
    return false;
  }
  return true;
}

function runEvent(work: work_struct, s: WorkState, clock: SimClock): ClockEvent {
  if (s.run === null || s.clock !== clock) {
    s.clock = clock;
    s.timer?.cancel();
    s.timer = null;
    s.run = clock.createEvent(() => execute(work, s), work.func?.name || 'work_struct');
  }
  return s.run;
}

function execute(work: work_struct, s: WorkState): void {
  const wq = s.wq;
  s.phase = PHASE_IDLE;
  s.wq = null;
  if (wq !== null) wq.nr_pending--;
  const fn = work.func;
  if (fn === null) return;
  const outer = runningWq;
  runningWq = wq;
  try {
    fn(work);
  } finally {
    runningWq = outer;
  }
}

function enqueue(work: work_struct, s: WorkState, clock: SimClock, wq: workqueue_struct | null): void {
  if (s.phase === PHASE_IDLE && wq !== null) wq.nr_pending++;
  s.wq = wq;
  s.phase = PHASE_QUEUED;
  runEvent(work, s, clock).reschedule(0);
}

function cancel(work: work_struct): boolean {
  const s = stateOf(work);
  if (s.phase === PHASE_IDLE) return false;
  s.run?.cancel();
  s.timer?.cancel();
  if (s.wq !== null) s.wq.nr_pending--;
  s.wq = null;
  s.phase = PHASE_IDLE;
  return true;
}

/**
 * queue_work - queue a work item to run at the current instant, after work already queued.
 *
 * Kernel: kernel/workqueue.c queue_work()
 * @param target a workqueue, or a clock for its system workqueue
 * @returns false if the work was already pending (queued or on its delay timer), true otherwise
 * @throws KernelBug in strict mode if the work has no function or the workqueue is destroyed;
 *         non-strict returns false
 * @example Usage
 * ```ts
 * import { SimClock, work_struct, INIT_WORK, queue_work } from '@rdmaemu/sim-core';
 * const clock = new SimClock({ seed: 1 });
 * const w = new work_struct();
 * INIT_WORK(w, () => {});
 * console.assert(queue_work(clock, w) === true && queue_work(clock, w) === false);
 * ```
 */
export function queue_work(target: workqueue_struct | SimClock, work: work_struct): boolean {
  const [clock, wq] = resolve(target);
  const s = stateOf(work);
  if (s.phase !== PHASE_IDLE) return false;
  if (!canQueue(wq, work, 'queue_work')) return false;
  enqueue(work, s, clock, wq);
  return true;
}

function armDelayed(dwork: delayed_work, s: WorkState, clock: SimClock, wq: workqueue_struct | null, delay: number): void {
  const work = dwork.work;
  if (delay <= 0) {
    enqueue(work, s, clock, wq);
    return;
  }
  runEvent(work, s, clock);
  if (s.timer === null) {
    s.timer = clock.createEvent(() => enqueue(work, s, clock, s.wq), `${work.func?.name || 'delayed_work'}:timer`);
  }
  if (wq !== null) wq.nr_pending++;
  s.wq = wq;
  s.phase = PHASE_TIMER;
  s.timer.reschedule(delay * TICK_NSEC);
}

/**
 * queue_delayed_work - queue a work item after `delay` jiffies (0 queues it at once).
 *
 * Kernel: include/linux/workqueue.h queue_delayed_work()
 * @param target a workqueue, or a clock for its system workqueue
 * @returns false if the work was already pending, true otherwise
 * @throws KernelBug in strict mode if the work has no function or the workqueue is destroyed;
 *         non-strict returns false
 * @example Usage
 * ```ts
 * import { SimClock, delayed_work, INIT_DELAYED_WORK, queue_delayed_work, msecs_to_jiffies } from '@rdmaemu/sim-core';
 * const clock = new SimClock({ seed: 1 });
 * const dw = new delayed_work();
 * INIT_DELAYED_WORK(dw, () => {});
 * queue_delayed_work(clock, dw, msecs_to_jiffies(100));
 * ```
 */
export function queue_delayed_work(target: workqueue_struct | SimClock, dwork: delayed_work, delay: number): boolean {
  const [clock, wq] = resolve(target);
  const s = stateOf(dwork.work);
  if (s.phase !== PHASE_IDLE) return false;
  if (!canQueue(wq, dwork.work, 'queue_delayed_work')) return false;
  armDelayed(dwork, s, clock, wq, delay);
  return true;
}

/**
 * mod_delayed_work - queue a delayed work item, or change the delay of a pending one.
 *
 * Kernel: kernel/workqueue.c mod_delayed_work_on()
 * @param target a workqueue, or a clock for its system workqueue
 * @returns false if the work was idle and has been queued, true if it was pending and has been
 *          re-armed
 * @throws KernelBug in strict mode if the work has no function or the workqueue is destroyed;
 *         non-strict returns false and leaves a pending work as it was
 * @example Push a keepalive back
 * ```ts
 * import { SimClock, delayed_work, INIT_DELAYED_WORK, mod_delayed_work } from '@rdmaemu/sim-core';
 * const clock = new SimClock({ seed: 1 });
 * const dw = new delayed_work();
 * INIT_DELAYED_WORK(dw, () => {});
 * mod_delayed_work(clock, dw, 100);           // false: was idle
 * mod_delayed_work(clock, dw, 200);           // true: re-armed
 * ```
 */
export function mod_delayed_work(target: workqueue_struct | SimClock, dwork: delayed_work, delay: number): boolean {
  const [clock, wq] = resolve(target);
  if (!canQueue(wq, dwork.work, 'mod_delayed_work')) return false;
  const wasPending = cancel(dwork.work);
  armDelayed(dwork, stateOf(dwork.work), clock, wq, delay);
  return wasPending;
}

/**
 * cancel_work - cancel a pending work item; a running one is not affected.
 *
 * Kernel: kernel/workqueue.c cancel_work()
 * @returns true if the work was pending
 * @example Usage
 * ```ts
 * import { SimClock, work_struct, INIT_WORK, queue_work, cancel_work } from '@rdmaemu/sim-core';
 * const clock = new SimClock({ seed: 1 });
 * const w = new work_struct();
 * INIT_WORK(w, () => {});
 * queue_work(clock, w);
 * console.assert(cancel_work(w) === true && clock.flush() === 0);
 * ```
 */
export function cancel_work(work: work_struct): boolean {
  return cancel(work);
}

/**
 * cancel_work_sync - cancel a work item and wait for it to finish; here equal to cancel_work().
 *
 * Kernel: kernel/workqueue.c cancel_work_sync()
 *
 * Divergence: nothing runs concurrently, so there is nothing to wait for.
 * @returns true if the work was pending
 * @example Usage
 * ```ts
 * import { work_struct, cancel_work_sync } from '@rdmaemu/sim-core';
 * console.assert(cancel_work_sync(new work_struct()) === false);
 * ```
 */
export function cancel_work_sync(work: work_struct): boolean {
  return cancel(work);
}

/**
 * cancel_delayed_work - cancel a delayed work item, on its timer or queued.
 *
 * Kernel: kernel/workqueue.c cancel_delayed_work()
 * @returns true if the work was pending
 * @example Usage
 * ```ts
 * import { delayed_work, cancel_delayed_work } from '@rdmaemu/sim-core';
 * console.assert(cancel_delayed_work(new delayed_work()) === false);
 * ```
 */
export function cancel_delayed_work(dwork: delayed_work): boolean {
  return cancel(dwork.work);
}

/**
 * cancel_delayed_work_sync - cancel a delayed work item and wait; here equal to
 * cancel_delayed_work().
 *
 * Kernel: kernel/workqueue.c cancel_delayed_work_sync()
 * @returns true if the work was pending
 * @example Usage
 * ```ts
 * import { delayed_work, cancel_delayed_work_sync } from '@rdmaemu/sim-core';
 * cancel_delayed_work_sync(new delayed_work());
 * ```
 */
export function cancel_delayed_work_sync(dwork: delayed_work): boolean {
  return cancel(dwork.work);
}

/**
 * work_pending - whether the work item is pending (queued, or on its delay timer).
 *
 * Kernel: include/linux/workqueue.h work_pending()
 * @example Usage
 * ```ts
 * import { work_struct, work_pending } from '@rdmaemu/sim-core';
 * console.assert(!work_pending(new work_struct()));
 * ```
 */
export function work_pending(work: work_struct): boolean {
  return stateOf(work).phase !== PHASE_IDLE;
}

/**
 * delayed_work_pending - whether the delayed work item is pending.
 *
 * Kernel: include/linux/workqueue.h delayed_work_pending()
 * @example Usage
 * ```ts
 * import { delayed_work, delayed_work_pending } from '@rdmaemu/sim-core';
 * console.assert(!delayed_work_pending(new delayed_work()));
 * ```
 */
export function delayed_work_pending(dwork: delayed_work): boolean {
  return work_pending(dwork.work);
}
