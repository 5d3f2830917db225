/**
 * timer - jiffies and `timer_list` timers on a SimClock.
 *
 * Kernel: include/linux/timer.h, kernel/time/timer.c, include/linux/jiffies.h, kernel/time/time.c
 *
 * Operation: HZ is 1000, so a jiffy is exactly 1 ms (TICK_NSEC = 1,000,000 ns) and
 * `clock.jiffies` is `floor(ktime_get() / TICK_NSEC)`. A `timer_list` belongs to one clock (given
 * to its constructor, where the kernel binds timers to a CPU's timer base). `mod_timer(timer,
 * expires)` arms it to fire when `jiffies` reaches `expires`, i.e. at `expires * TICK_NSEC` ns;
 * an `expires` already in the past fires at the current instant, after work already queued for
 * it. The callback runs on the clock with the timer no longer pending, so it may re-arm itself.
 *
 * States: idle (not pending) -> mod_timer/add_timer -> pending -> expiry or del_timer -> idle.
 *
 * Divergence: the kernel's timer wheel may fire a timer late by its bucket granularity (up to
 * 12.5% of the timeout for long timers); here every timer fires exactly at its jiffy, which is
 * what the wheel approximates. Jiffies do not wrap (they start at 0, not INITIAL_JIFFIES), and
 * there is no concurrency, so the `_sync` variants equal the plain ones.
 */
import { WARN } from './kernel-error.js';
import type { ClockEvent, SimClock } from './sim-clock.js';
import type { u32, u64 } from './types.js';

/**
 * HZ - timer interrupts per second; rdmaemu fixes it at 1000 (1 jiffy = 1 ms).
 *
 * Kernel: include/asm-generic/param.h HZ (CONFIG_HZ_1000)
 */
export const HZ = 1000;

/**
 * TICK_NSEC - nanoseconds per jiffy.
 *
 * Kernel: include/linux/jiffies.h TICK_NSEC
 */
export const TICK_NSEC = 1_000_000_000 / HZ;

/**
 * MAX_JIFFY_OFFSET - the "never" timeout msecs_to_jiffies() returns for negative input.
 *
 * Kernel: include/linux/jiffies.h MAX_JIFFY_OFFSET
 *
 * Divergence: 2^52 - 1 rather than (LONG_MAX >> 1) - 1, to stay an exact JS number.
 */
export const MAX_JIFFY_OFFSET = 2 ** 52 - 1;

/** Kernel: include/linux/timer.h TIMER_DEFERRABLE (accepted, no effect here) */
export const TIMER_DEFERRABLE = 0x00080000;
/** Kernel: include/linux/timer.h TIMER_PINNED (accepted, no effect here) */
export const TIMER_PINNED = 0x00100000;
/** Kernel: include/linux/timer.h TIMER_IRQSAFE (accepted, no effect here) */
export const TIMER_IRQSAFE = 0x00200000;

/**
 * timer_func_t - a timer callback; it receives the timer (from_timer()/container_of become a
 * closure or a direct reference).
 *
 * Kernel: include/linux/timer.h `void (*function)(struct timer_list *)`
 */
export type timer_func_t = (timer: timer_list) => void;

let eventOf!: (timer: timer_list) => ClockEvent;
let eventIfAny!: (timer: timer_list) => ClockEvent | null;

/**
 * timer_list - a one-shot timer that fires at a jiffy.
 *
 * Kernel: include/linux/timer_types.h struct timer_list
 *
 * Divergence: constructed with the clock it runs on.
 * @example Arm a 60 s retransmit timer
 * ```ts
 * import { SimClock, timer_list, timer_setup, mod_timer, msecs_to_jiffies } from '@rdmaemu/sim-core';
 * const clock = new SimClock({ seed: 1 });
 * const rto = new timer_list(clock);
 * timer_setup(rto, function xprt_retransmit() { console.log('retransmit'); }, 0);
 * mod_timer(rto, clock.jiffies + msecs_to_jiffies(60_000));
 * clock.tick(60_000);   // prints 'retransmit'
 * ```
 */
export class timer_list {
  /** The jiffy at which the timer fires (valid while pending). */
  expires: number = 0;
  /** The callback; set by timer_setup(). */
  function: timer_func_t | null = null;
  /** TIMER_* flags given to timer_setup(). */
  flags: u32 = 0;
  /** The clock this timer runs on. */
  readonly clock: SimClock;
  #event: ClockEvent | null = null;

  constructor(clock: SimClock) {
    this.clock = clock;
  }

  static {
    eventOf = (timer) => {
      if (timer.#event === null) {
        timer.#event = timer.clock.createEvent(() => {
          const fn = timer.function;
          if (fn !== null) fn(timer);
        }, timer.function?.name || 'timer_list');
      }
      return timer.#event;
    };
    eventIfAny = (timer) => timer.#event;
  }
}

/**
 * timer_setup - set a timer's callback and flags; the timer stays idle.
 *
 * Kernel: include/linux/timer.h timer_setup()
 * @example Usage
 * ```ts
 * import { SimClock, timer_list, timer_setup } from '@rdmaemu/sim-core';
 * const t = new timer_list(new SimClock({ seed: 1 }));
 * timer_setup(t, () => {}, 0);
 * ```
 */
export function timer_setup(timer: timer_list, callback: timer_func_t, flags: u32 = 0): void {
  timer.function = callback;
  timer.flags = flags;
}

/**
 * mod_timer - (re)arm a timer to fire at jiffy `expires`.
 *
 * Kernel: kernel/time/timer.c mod_timer()
 *
 * Re-arming a pending timer with the same `expires` changes nothing (it keeps its place in the
 * FIFO), as in the kernel.
 * @returns 1 if the timer was pending (it was modified), 0 if it was idle (it was activated)
 * @throws KernelBug in strict mode if timer_setup() was never called (the kernel would oops at
 *         expiry); non-strict returns 0 without arming
 * @example Usage
 * ```ts
 * import { SimClock, timer_list, timer_setup, mod_timer } from '@rdmaemu/sim-core';
 * const clock = new SimClock({ seed: 1 });
 * const t = new timer_list(clock);
 * timer_setup(t, () => {}, 0);
 * console.assert(mod_timer(t, clock.jiffies + 10) === 0);
 * console.assert(mod_timer(t, clock.jiffies + 20) === 1);
 * ```
 */
export function mod_timer(timer: timer_list, expires: number): 0 | 1 {
  if (WARN(timer.function === null, 'mod_timer: timer has no function (timer_setup() not called)')) return 0;
  const ev = eventOf(timer);
  const wasPending = ev.pending;
  if (wasPending && timer.expires === expires) return 1;
  timer.expires = expires;
  ev.reschedule(expires * TICK_NSEC - timer.clock.ktime_get());
  return wasPending ? 1 : 0;
}

/**
 * add_timer - arm an idle timer at its `expires` field.
 *
 * Kernel: kernel/time/timer.c add_timer()
 * @throws KernelBug in strict mode if the timer is already pending (the kernel's WARN_ON_ONCE),
 *         or has no function; non-strict leaves the timer as it was
 * @example Usage
 * ```ts
 * import { SimClock, timer_list, timer_setup, add_timer } from '@rdmaemu/sim-core';
 * const clock = new SimClock({ seed: 1 });
 * const t = new timer_list(clock);
 * timer_setup(t, () => {}, 0);
 * t.expires = clock.jiffies + 5;
 * add_timer(t);
 * ```
 */
export function add_timer(timer: timer_list): void {
  if (WARN(timer_pending(timer), 'add_timer: timer already pending')) return;
  mod_timer(timer, timer.expires);
}

/**
 * del_timer - deactivate a timer.
 *
 * Kernel: kernel/time/timer.c del_timer() (renamed timer_delete() in Linux 6.2)
 * @returns 1 if the timer was pending, 0 if it was idle
 * @example Usage
 * ```ts
 * import { SimClock, timer_list, timer_setup, mod_timer, del_timer } from '@rdmaemu/sim-core';
 * const clock = new SimClock({ seed: 1 });
 * const t = new timer_list(clock);
 * timer_setup(t, () => {}, 0);
 * mod_timer(t, 10);
 * console.assert(del_timer(t) === 1 && del_timer(t) === 0);
 * ```
 */
export function del_timer(timer: timer_list): 0 | 1 {
  return eventIfAny(timer)?.cancel() ? 1 : 0;
}

/**
 * timer_delete - deactivate a timer; the current kernel name of del_timer().
 *
 * Kernel: kernel/time/timer.c timer_delete()
 * @returns 1 if the timer was pending, 0 if it was idle
 * @example Usage
 * ```ts
 * import { SimClock, timer_list, timer_delete } from '@rdmaemu/sim-core';
 * console.assert(timer_delete(new timer_list(new SimClock({ seed: 1 }))) === 0);
 * ```
 */
export const timer_delete: (timer: timer_list) => 0 | 1 = del_timer;

/**
 * del_timer_sync - deactivate a timer and wait for a running callback; here equal to del_timer().
 *
 * Kernel: kernel/time/timer.c del_timer_sync() (timer_delete_sync() since Linux 6.2)
 *
 * Divergence: there are no other CPUs, so nothing to wait for.
 * @returns 1 if the timer was pending, 0 if it was idle
 * @example Usage
 * ```ts
 * import { SimClock, timer_list, del_timer_sync } from '@rdmaemu/sim-core';
 * del_timer_sync(new timer_list(new SimClock({ seed: 1 })));
 * ```
 */
export const del_timer_sync: (timer: timer_list) => 0 | 1 = del_timer;

/**
 * timer_delete_sync - the current kernel name of del_timer_sync().
 *
 * Kernel: kernel/time/timer.c timer_delete_sync()
 * @returns 1 if the timer was pending, 0 if it was idle
 * @example Usage
 * ```ts
 * import { SimClock, timer_list, timer_delete_sync } from '@rdmaemu/sim-core';
 * timer_delete_sync(new timer_list(new SimClock({ seed: 1 })));
 * ```
 */
export const timer_delete_sync: (timer: timer_list) => 0 | 1 = del_timer;

/**
 * timer_pending - whether the timer is armed and has not fired yet.
 *
 * Kernel: include/linux/timer.h timer_pending()
 * @example Usage
 * ```ts
 * import { SimClock, timer_list, timer_pending } from '@rdmaemu/sim-core';
 * console.assert(!timer_pending(new timer_list(new SimClock({ seed: 1 }))));
 * ```
 */
export function timer_pending(timer: timer_list): boolean {
  return eventIfAny(timer)?.pending ?? false;
}

/**
 * get_jiffies_64 - the clock's jiffies.
 *
 * Kernel: kernel/time/jiffies.c get_jiffies_64()
 *
 * Divergence: takes the clock explicitly; `clock.jiffies` is the same value.
 * @example Usage
 * ```ts
 * import { SimClock, get_jiffies_64 } from '@rdmaemu/sim-core';
 * console.assert(get_jiffies_64(new SimClock({ seed: 1, startNs: 5e6 })) === 5);
 * ```
 */
export function get_jiffies_64(clock: SimClock): u64 {
  return clock.jiffies;
}

/**
 * msecs_to_jiffies - milliseconds to jiffies, rounding up.
 *
 * Kernel: include/linux/jiffies.h msecs_to_jiffies()
 * @returns MAX_JIFFY_OFFSET for a negative input, as the kernel does
 * @example Usage
 * ```ts
 * import { msecs_to_jiffies } from '@rdmaemu/sim-core';
 * console.assert(msecs_to_jiffies(60_000) === 60_000);   // HZ = 1000
 * ```
 */
export function msecs_to_jiffies(m: number): number {
  if (m < 0) return MAX_JIFFY_OFFSET;
  return Math.ceil((m * HZ) / 1000);
}

/**
 * usecs_to_jiffies - microseconds to jiffies, rounding up.
 *
 * Kernel: include/linux/jiffies.h usecs_to_jiffies()
 * @returns MAX_JIFFY_OFFSET for a negative input
 * @example Usage
 * ```ts
 * import { usecs_to_jiffies } from '@rdmaemu/sim-core';
 * console.assert(usecs_to_jiffies(1) === 1 && usecs_to_jiffies(2000) === 2);
 * ```
 */
export function usecs_to_jiffies(u: number): number {
  if (u < 0) return MAX_JIFFY_OFFSET;
  return Math.ceil((u * HZ) / 1_000_000);
}

/**
 * nsecs_to_jiffies - nanoseconds to jiffies, rounding down.
 *
 * Kernel: kernel/time/time.c nsecs_to_jiffies()
 * @example Usage
 * ```ts
 * import { nsecs_to_jiffies } from '@rdmaemu/sim-core';
 * console.assert(nsecs_to_jiffies(1_999_999) === 1);
 * ```
 */
export function nsecs_to_jiffies(n: number): number {
  return Math.floor(n / TICK_NSEC);
}

/**
 * jiffies_to_msecs - jiffies to milliseconds.
 *
 * Kernel: kernel/time/time.c jiffies_to_msecs()
 * @example Usage
 * ```ts
 * import { jiffies_to_msecs } from '@rdmaemu/sim-core';
 * console.assert(jiffies_to_msecs(250) === 250);
 * ```
 */
export function jiffies_to_msecs(j: number): number {
  return (j * 1000) / HZ;
}

/**
 * jiffies_to_usecs - jiffies to microseconds.
 *
 * Kernel: kernel/time/time.c jiffies_to_usecs()
 * @example Usage
 * ```ts
 * import { jiffies_to_usecs } from '@rdmaemu/sim-core';
 * console.assert(jiffies_to_usecs(2) === 2000);
 * ```
 */
export function jiffies_to_usecs(j: number): number {
  return (j * 1_000_000) / HZ;
}

/**
 * time_after - true if jiffy `a` is after jiffy `b`.
 *
 * Kernel: include/linux/jiffies.h time_after()
 *
 * Divergence: jiffies here never wrap, so this is a plain comparison.
 * @example Usage
 * ```ts
 * import { time_after } from '@rdmaemu/sim-core';
 * console.assert(time_after(11, 10));
 * ```
 */
export function time_after(a: number, b: number): boolean {
  return b - a < 0;
}

/**
 * time_before - true if jiffy `a` is before jiffy `b`.
 *
 * Kernel: include/linux/jiffies.h time_before()
 * @example Usage
 * ```ts
 * import { time_before } from '@rdmaemu/sim-core';
 * console.assert(time_before(9, 10));
 * ```
 */
export function time_before(a: number, b: number): boolean {
  return time_after(b, a);
}

/**
 * time_after_eq - true if jiffy `a` is at or after jiffy `b`.
 *
 * Kernel: include/linux/jiffies.h time_after_eq()
 * @example Usage
 * ```ts
 * import { time_after_eq } from '@rdmaemu/sim-core';
 * console.assert(time_after_eq(10, 10));
 * ```
 */
export function time_after_eq(a: number, b: number): boolean {
  return a - b >= 0;
}

/**
 * time_before_eq - true if jiffy `a` is at or before jiffy `b`.
 *
 * Kernel: include/linux/jiffies.h time_before_eq()
 * @example Usage
 * ```ts
 * import { time_before_eq } from '@rdmaemu/sim-core';
 * console.assert(time_before_eq(10, 10));
 * ```
 */
export function time_before_eq(a: number, b: number): boolean {
  return time_after_eq(b, a);
}
