/**
 * rxe_task - runs an engine (requester, responder, completer) as a task on the SimClock.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_task.c (do_task, rxe_run_task, rxe_sched_task)
 *
 * Operation: a task wraps `func(qp) → 0 | nonzero`. Running it calls func repeatedly while it
 * returns 0 (there is more work), at most RXE_MAX_ITERATIONS times; if it is still busy then,
 * it reschedules itself on the clock at +0 ns and returns (run to completion in one slot,
 * fairness between QPs as rxe's requeue). `rxe_run_task` runs inline unless the task is already
 * running (then it only asks the running loop for one more pass: rxe's TASK_STATE_DRAINING →
 * "again" — never recursion); `rxe_sched_task` always defers to a clock event (the workqueue).
 *
 * States: IDLE → BUSY (running) → IDLE; BUSY + run/sched → BUSY with `again` set; SCHEDULED
 * (event pending). A paused task (rxe_disable_task) ignores run/sched until enabled.
 */
import type { ClockEvent, SimClock } from '@rdmaemu/sim-core';
import { RXE_MAX_ITERATIONS } from './rxe_param.h.js';

/** Kernel: rxe_task.h enum rxe_task_state (subset). */
export enum rxe_task_state {
  TASK_STATE_IDLE = 0,
  TASK_STATE_BUSY = 1,
  TASK_STATE_DRAINING = 2,
  TASK_STATE_DRAINED = 3,
  TASK_STATE_INVALID = 4,
}

/** rxe_task - one engine task. Kernel: rxe_task.h struct rxe_task. */
export class rxe_task<Q> {
  state = rxe_task_state.TASK_STATE_IDLE;
  readonly name: string;
  readonly qp: Q;
  readonly func: (qp: Q) => number;
  readonly clock: SimClock;
  again = false;
  num_done = 0;
  readonly #event: ClockEvent;

  constructor(clock: SimClock, qp: Q, func: (qp: Q) => number, name: string) {
    this.clock = clock;
    this.qp = qp;
    this.func = func;
    this.name = name;
    this.#event = clock.createEvent(() => this.do_task(), name);
  }

  /** True while an event for this task is queued on the clock. */
  get scheduled(): boolean { return this.#event.pending; }

  /**
   * do_task - run func until it reports no more work, bounded by RXE_MAX_ITERATIONS.
   * Kernel: drivers/infiniband/sw/rxe/rxe_task.c do_task()
   */
  do_task(): void {
    if (this.state === rxe_task_state.TASK_STATE_INVALID || this.state === rxe_task_state.TASK_STATE_DRAINED) return;
    if (this.state === rxe_task_state.TASK_STATE_BUSY) {
      this.again = true;
      return;
    }
    this.state = rxe_task_state.TASK_STATE_BUSY;
    let iterations = RXE_MAX_ITERATIONS;
    let resched = false;
    try {
      for (;;) {
        this.again = false;
        let ret: number;
        do {
          ret = this.func(this.qp);
        } while (ret === 0 && --iterations > 0);
        if (ret === 0) {
          resched = true;
          break;
        }
        if (!this.again) break;
        if (iterations <= 0) {
          resched = true;
          break;
        }
      }
    } finally {
      if (this.state === rxe_task_state.TASK_STATE_BUSY) this.state = rxe_task_state.TASK_STATE_IDLE;
    }
    this.num_done++;
    if (resched && !this.#event.pending) this.#event.reschedule(0);
  }

  /** Cancel a pending event and stop accepting work. Kernel: rxe_cleanup_task(). */
  cleanup(): void {
    this.#event.cancel();
    this.state = rxe_task_state.TASK_STATE_INVALID;
  }

  /** Kernel: rxe_task.c rxe_disable_task(). */
  disable(): void {
    this.#event.cancel();
    this.state = rxe_task_state.TASK_STATE_DRAINED;
  }

  /** Kernel: rxe_task.c rxe_enable_task(). */
  enable(): void {
    if (this.state === rxe_task_state.TASK_STATE_DRAINED) this.state = rxe_task_state.TASK_STATE_IDLE;
  }

  /** Defer to the clock (at +0). Kernel: rxe_sched_task(). */
  sched(): void {
    if (this.state === rxe_task_state.TASK_STATE_BUSY) {
      this.again = true;
      return;
    }
    if (this.state !== rxe_task_state.TASK_STATE_IDLE) return;
    if (!this.#event.pending) this.#event.reschedule(0);
  }
}

/** Run inline now (or mark "again" if running). Kernel: drivers/infiniband/sw/rxe/rxe_task.c rxe_run_task(). */
export function rxe_run_task<Q>(task: rxe_task<Q>): void {
  task.do_task();
}

/** Defer to a clock event at +0. Kernel: drivers/infiniband/sw/rxe/rxe_task.c rxe_sched_task(). */
export function rxe_sched_task<Q>(task: rxe_task<Q>): void {
  task.sched();
}
