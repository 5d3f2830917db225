/**
 * fault-plan - seeded fault injection on a link: drop, duplicate, reorder and corrupt frames.
 *
 * Kernel: - (the emulator's stand-in for netem: net/sched/sch_netem.c loss/duplicate/reorder/corrupt)
 *
 * Operation: each fault is an RxJS `MonoTypeOperatorFunction` that draws from its own
 * `SeededRandom`, so the same seed and the same input sequence give the same faults, and adding
 * or removing one fault never shifts another's decisions (`FaultPlan` forks one generator per
 * fault by label: `drop`, `duplicate`, `reorder`, `corrupt`). Every operator draws exactly one
 * decision per input value, plus (only when it fires) the parameters of the fault.
 *
 *  - `drop(p)`: the value is discarded.
 *  - `duplicate(p)`: the value is emitted twice, back to back (the same object: frames are
 *    immutable).
 *  - `reorder(p, delay)`: the value is held back for a random delay in [minDelayNs, maxDelayNs]
 *    on the scheduler; values behind it pass it. Completion waits for held values.
 *  - `corrupt(p)` (frames only): the frame is materialized (`frameBytes`, a copy - the sender's
 *    buffers are never written) and one bit is flipped in the IB part - after the 42-byte
 *    Ethernet/IPv4/UDP headers, skipping BTH byte 4 (resv8a), the one IB byte the ICRC masks - so
 *    the L2/L3/L4 checks pass and the receiver's ICRC check fails (ORACLES.md §1). With the
 *    receiver's ICRC disabled the corruption reaches the consumer, as on real hardware.
 *
 * A `FaultPlan` composes them in this fixed order: drop -> corrupt -> duplicate -> reorder (so a
 * duplicate of a corrupted frame is corrupted too, and duplicates may be reordered independently).
 *
 * Time: delays are in ns; the scheduler's unit is ms (RxJS), so a delay of d ns is scheduled as
 * d / 1e6 ms, which a SimClock scheduler rounds back to the exact ns.
 */
import { Observable, type MonoTypeOperatorFunction, type SchedulerLike, type Subscriber, type Subscription, identity } from 'rxjs';
import { KernelError, SeededRandom } from '@rdmaemu/sim-core';
import { frameBytes, frameFromBytes, type Frame } from './frame.js';
import { ETH_IP_UDP_HLEN } from './udp.js';

/** FaultKind - the four faults, as counted in link statistics. */
export type FaultKind = 'drop' | 'duplicate' | 'reorder' | 'corrupt';

/**
 * FaultComponents - what a fault operator needs injected.
 */
export interface FaultComponents {
  /** The operator's random source (one per operator; see `SeededRandom.fork`). */
  random: SeededRandom;
  /** Scheduler for `reorder` holds (the SimClock's `clock.scheduler`); unused by the others. */
  scheduler?: SchedulerLike;
  /** Called once per fault fired (for counters). @default none */
  onFault?: (kind: FaultKind) => void;
}

/**
 * ReorderInit - how long `reorder` holds a value back.
 */
export interface ReorderInit {
  /** Probability in [0, 1]. */
  p: number;
  /** Longest hold, ns. @default DEFAULT_REORDER_MAX_DELAY_NS (10 us) */
  maxDelayNs?: number;
  /** Shortest hold, ns. @default 1 */
  minDelayNs?: number;
}

/** Default longest `reorder` hold: 10 us, several frame times at 100 Gb/s and one link latency. */
export const DEFAULT_REORDER_MAX_DELAY_NS = 10_000;

/**
 * FaultPlan - the faults of one link direction. Probabilities in [0, 1]; absent or 0 = off.
 */
export interface FaultPlan {
  drop?: number;
  duplicate?: number;
  /** A probability (hold up to 10 us) or the full `ReorderInit`. */
  reorder?: number | ReorderInit;
  corrupt?: number;
  /** Seed of the plan's generator. @default forked from the fabric's seed per link direction */
  seed?: number;
}

function checkP(name: string, p: number): void {
  if (!(p >= 0 && p <= 1)) throw new KernelError('EINVAL', `fault-plan: ${name} probability ${p} not in [0, 1]`);
}

/**
 * drop - discard each value with probability `p`.
 * @throws KernelError EINVAL if p is not in [0, 1]
 * @example
 * ```ts
 * source$.pipe(drop(0.01, { random: new SeededRandom(1) }));
 * ```
 */
export function drop<T>(p: number, components: FaultComponents): MonoTypeOperatorFunction<T> {
  checkP('drop', p);
  return withProbability<T>(p, components, 'drop', () => {});
}

/**
 * One seeded draw per value: with probability `p` the fault `kind` is counted and `hit` decides
 * what goes downstream; otherwise the value passes unchanged. The shape every fault but reorder
 * shares.
 */
function withProbability<T>(p: number, components: FaultComponents, kind: FaultKind,
  hit: (value: T, subscriber: Subscriber<T>) => void): MonoTypeOperatorFunction<T> {
  const rng = components.random;
  const onFault = components.onFault;
  return (source) =>
    new Observable<T>((subscriber) =>
      source.subscribe({
        next(value) {
          if (rng.next() < p) {
            onFault?.(kind);
            hit(value, subscriber);
            return;
          }
          subscriber.next(value);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      }),
    );
}

/**
 * duplicate - emit each value twice (back to back) with probability `p`.
 * @throws KernelError EINVAL if p is not in [0, 1]
 * @example
 * ```ts
 * source$.pipe(duplicate(0.001, { random: new SeededRandom(1) }));
 * ```
 */
export function duplicate<T>(p: number, components: FaultComponents): MonoTypeOperatorFunction<T> {
  checkP('duplicate', p);
  return withProbability<T>(p, components, 'duplicate', (value, subscriber) => {
    subscriber.next(value);
    subscriber.next(value);
  });
}

/**
 * reorder - with probability `p`, hold a value back for a random delay so later values overtake
 * it.
 * @param delay the hold in ns: a maximum (minimum 1 ns) or `{ minDelayNs, maxDelayNs }`
 * @throws KernelError EINVAL if p is not in [0, 1], the delays are not integers with
 *         1 <= min <= max, or no scheduler is given
 * @example
 * ```ts
 * source$.pipe(reorder(0.01, 5_000, { random: new SeededRandom(1), scheduler: clock.scheduler }));
 * ```
 */
export function reorder<T>(
  p: number,
  delay: number | Omit<ReorderInit, 'p'>,
  components: FaultComponents,
): MonoTypeOperatorFunction<T> {
  checkP('reorder', p);
  const maxNs = typeof delay === 'number' ? delay : (delay.maxDelayNs ?? DEFAULT_REORDER_MAX_DELAY_NS);
  const minNs = typeof delay === 'number' ? 1 : (delay.minDelayNs ?? 1);
  if (!Number.isSafeInteger(minNs) || !Number.isSafeInteger(maxNs) || minNs < 1 || minNs > maxNs) {
    throw new KernelError('EINVAL', `fault-plan: reorder delay [${minNs}, ${maxNs}] ns invalid`);
  }
  const scheduler = components.scheduler;
  if (scheduler === undefined) throw new KernelError('EINVAL', 'fault-plan: reorder needs a scheduler');
  const rng = components.random;
  const onFault = components.onFault;
  return (source) =>
    new Observable<T>((subscriber) => {
      let held = 0;
      let sourceDone = false;
      const emitHeld = (value: T | undefined): void => {
        held--;
        subscriber.next(value as T);
        if (sourceDone && held === 0) subscriber.complete();
      };
      const sub: Subscription = source.subscribe({
        next(value) {
          if (rng.next() < p) {
            const ns = minNs === maxNs ? minNs : rng.int(minNs, maxNs);
            onFault?.('reorder');
            held++;
            subscriber.add(scheduler.schedule(function (this: unknown, v?: T) { emitHeld(v); }, ns / 1e6, value));
            return;
          }
          subscriber.next(value);
        },
        error: (err: unknown) => subscriber.error(err),
        complete() {
          sourceDone = true;
          if (held === 0) subscriber.complete();
        },
      });
      return sub;
    });
}

/**
 * corruptFrame - a materialized copy of `frame` with one bit flipped in the IB part (offsets
 * [42, len), except 46 = BTH resv8a). Frames of 43 bytes or less come back unchanged.
 *
 * Emulator-only.
 * @example
 * ```ts
 * const bad = corruptFrame(frame, new SeededRandom(7));
 * ```
 */
export function corruptFrame(frame: Frame, rng: SeededRandom): Frame {
  const len = frame.len;
  const first = ETH_IP_UDP_HLEN;
  const resv8a = first + 4;
  // Candidate byte offsets: [first, len) without resv8a.
  const candidates = len - first - (len > resv8a ? 1 : 0);
  if (candidates <= 0) return frame;
  let off = first + rng.int(0, candidates - 1);
  if (off >= resv8a && len > resv8a) off++;
  const bit = rng.int(0, 7);
  const src = frameBytes(frame);
  const bytes = src === frame.hdr ? src.slice() : src;
  bytes[off] = bytes[off]! ^ (1 << bit);
  return frameFromBytes(bytes);
}

/**
 * corrupt - with probability `p`, replace a frame by a copy with one bit flipped in its IB part
 * (see `corruptFrame`), so the receiver's ICRC check fails.
 * @throws KernelError EINVAL if p is not in [0, 1]
 * @example
 * ```ts
 * frames$.pipe(corrupt(0.001, { random: new SeededRandom(1) }));
 * ```
 */
export function corrupt(p: number, components: FaultComponents): MonoTypeOperatorFunction<Frame> {
  checkP('corrupt', p);
  const rng = components.random;
  return withProbability<Frame>(p, components, 'corrupt', (frame, subscriber) => subscriber.next(corruptFrame(frame, rng)));
}

/**
 * isEmptyFaultPlan - true if the plan injects nothing (all probabilities absent or 0).
 * @example
 * ```ts
 * console.assert(isEmptyFaultPlan({ seed: 3 }));
 * ```
 */
export function isEmptyFaultPlan(plan: FaultPlan | null | undefined): boolean {
  if (plan == null) return true;
  const r = typeof plan.reorder === 'number' ? plan.reorder : (plan.reorder?.p ?? 0);
  return !(plan.drop ?? 0) && !(plan.duplicate ?? 0) && !(plan.corrupt ?? 0) && !r;
}

/**
 * faultPlanOperator - compose a `FaultPlan` into one operator: drop -> corrupt -> duplicate ->
 * reorder, each with its own generator forked from the plan's seed (or from
 * `components.random` when the plan has none).
 * @throws KernelError EINVAL for a probability outside [0, 1] or a bad reorder delay
 * @example Same seed, same faults
 * ```ts
 * const plan = { drop: 0.1, reorder: { p: 0.05, maxDelayNs: 2_000 }, seed: 42 };
 * frames$.pipe(faultPlanOperator(plan, { random: clock.random, scheduler: clock.scheduler }));
 * ```
 */
export function faultPlanOperator(plan: FaultPlan, components: FaultComponents): MonoTypeOperatorFunction<Frame> {
  const root = plan.seed !== undefined ? new SeededRandom(plan.seed) : components.random;
  const ops: MonoTypeOperatorFunction<Frame>[] = [];
  const with_ = (label: string): FaultComponents => ({ ...components, random: root.fork(label) });
  if (plan.drop) ops.push(drop<Frame>(plan.drop, with_('drop')));
  if (plan.corrupt) ops.push(corrupt(plan.corrupt, with_('corrupt')));
  if (plan.duplicate) ops.push(duplicate<Frame>(plan.duplicate, with_('duplicate')));
  const r = plan.reorder;
  if (r !== undefined) {
    const init: ReorderInit = typeof r === 'number' ? { p: r } : r;
    if (init.p) ops.push(reorder<Frame>(init.p, init, with_('reorder')));
  }
  if (ops.length === 0) return identity;
  return (source) => ops.reduce((acc, op) => op(acc), source);
}
