/**
 * @packageDocumentation
 * `@rdmaemu/sim-core` - the emulator substrate every other package stands on: the simulation
 * clock (virtual nanosecond time, or real time) with the kernel's timers and workqueues on it,
 * errno and the exception types, tracepoints as Observables, seeded randomness and counters.
 *
 * | Kernel | rdmaemu |
 * |---|---|
 * | `include/linux/types.h` `u8`..`u64`, `dma_addr_t` | `types.ts`: same names (`u64_big` for full 64-bit values) |
 * | `include/uapi/asm-generic/errno*.h`, `include/linux/errno.h` | `errno.ts`: `errno.ENOMEM` = 12, `errnoName()` |
 * | `return -ENOMEM;` | `throw new KernelError('ENOMEM', 'what: why')` (`kernel-error.ts`) |
 * | `BUG_ON()`, `WARN()`, `WARN_ON()` | `BUG_ON()`, `WARN()`, `WARN_ON()` throwing `KernelBug` (WARN only in strict mode) |
 * | `printk()`, `KERN_*`, the dmesg ring | `printk(log, KERN_WARNING, text)` into a per-host `Dmesg` (`printk.ts`) |
 * | `ktime_get()`, `ktime_get_ns()`, `jiffies` | `ktime_get(clock)` / `clock.ktime_get()`, `clock.jiffies` (`sim-clock.ts`) |
 * | the CPU's clock and softirq loop | `SimClock`: `schedule()`, `tick()`, `runUntilIdle()`, `clock.scheduler` for RxJS |
 * | `struct timer_list`, `timer_setup()`, `mod_timer()`, `del_timer()` | same names (`timer.ts`); `new timer_list(clock)` |
 * | `msecs_to_jiffies()`, `jiffies_to_msecs()`, `HZ` | same names; HZ = 1000 |
 * | `struct work_struct`, `INIT_WORK()`, `queue_work()`, `struct delayed_work` | same names (`workqueue.ts`); a `SimClock` stands for `system_wq` |
 * | `TRACE_EVENT()`, `trace_<name>()`, `trace_<name>_enabled()` | `defineTracepoint()`, `tp.emit()`, `tp.enabled` (`tracepoint.ts`) |
 * | `/sys/kernel/tracing/trace`, `set_event` | `recordTrace('rpcrdma:*')`, `traceEvents$(filter)`, `TraceEvent.text` |
 * | `get_random_u32()`, `get_random_bytes()` | same names taking a `SeededRandom` (`seeded-random.ts`) |
 * | `rxe_hw_counters`, `struct rdma_hw_stats` | `CounterSet`, `formatCounters()` (`counters.ts`) |
 * | - (reports, benchmarks) | `formatTable()`, `formatCell()` (`format-table.ts`) |
 */

// types.ts
export type { u8, u16, u32, s32, s64, u64, u64_big, size_t, ssize_t, phys_addr_t, dma_addr_t, gfp_t } from './types.js';

// errno.ts
export { errno, errnoName, MAX_ERRNO, IS_ERR_VALUE } from './errno.js';
export type { ErrnoCode } from './errno.js';

// kernel-error.ts
export {
  KernelError,
  isKernelError,
  KernelBug,
  isKernelBug,
  setStrict,
  isStrict,
  BUG_ON,
  WARN,
  WARN_ON,
  warnings,
  resetWarnings,
} from './kernel-error.js';

// printk.ts
export {
  KERN_EMERG,
  KERN_ALERT,
  KERN_CRIT,
  KERN_ERR,
  KERN_WARNING,
  KERN_NOTICE,
  KERN_INFO,
  KERN_DEBUG,
  Dmesg,
  formatDmesgLine,
  printk,
} from './printk.js';
export type { DmesgLine } from './printk.js';

// seeded-random.ts
export {
  SeededRandom,
  get_random_u32,
  get_random_u32_below,
  get_random_bytes,
  freshSeed,
  seedFromEnv,
  formatSeed,
} from './seeded-random.js';

// sim-clock.ts
export {
  SimClock,
  ktime_get,
  ktime_get_ns,
  ktime_to_us,
  ktime_to_ms,
  NSEC_PER_SEC,
  NSEC_PER_MSEC,
  NSEC_PER_USEC,
} from './sim-clock.js';
export type { SimClockInit, SimClockMode, ClockEvent, ktime_t } from './sim-clock.js';

// timer.ts
export {
  HZ,
  TICK_NSEC,
  MAX_JIFFY_OFFSET,
  TIMER_DEFERRABLE,
  TIMER_PINNED,
  TIMER_IRQSAFE,
  timer_list,
  timer_setup,
  mod_timer,
  add_timer,
  del_timer,
  timer_delete,
  del_timer_sync,
  timer_delete_sync,
  timer_pending,
  get_jiffies_64,
  msecs_to_jiffies,
  usecs_to_jiffies,
  nsecs_to_jiffies,
  jiffies_to_msecs,
  jiffies_to_usecs,
  time_after,
  time_before,
  time_after_eq,
  time_before_eq,
} from './timer.js';
export type { timer_func_t } from './timer.js';

// workqueue.ts
export {
  workqueue_struct,
  work_struct,
  delayed_work,
  INIT_WORK,
  INIT_DELAYED_WORK,
  alloc_workqueue,
  destroy_workqueue,
  queue_work,
  queue_delayed_work,
  mod_delayed_work,
  cancel_work,
  cancel_work_sync,
  cancel_delayed_work,
  cancel_delayed_work_sync,
  work_pending,
  delayed_work_pending,
} from './workqueue.js';
export type { work_func_t } from './workqueue.js';

// tracepoint.ts
export {
  defineTracepoint,
  tracepoint,
  allTracepoints,
  traceEvents$,
  recordTrace,
  TraceRecorder,
  setTraceClock,
  getTraceClock,
  setTraceTask,
  formatTraceLine,
} from './tracepoint.js';
export type { Tracepoint, TraceEvent, TraceFilter, TraceClock } from './tracepoint.js';

// counters.ts
export { CounterSet, formatCounters } from './counters.js';
export type { CounterFormatStyle, CounterFormatInit } from './counters.js';

// format-table.ts
export { formatCell, formatTable } from './format-table.js';
export type { Cell } from './format-table.js';
