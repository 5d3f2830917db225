/**
 * link - a point-to-point Ethernet link: per-direction serialization, propagation latency, MTU,
 * faults and taps, on the simulation clock.
 *
 * Kernel: - (the physical wire; counters in the spirit of include/linux/netdevice.h
 *         struct net_device_stats)
 *
 * Operation: a `Link` joins two `LinkEnd`s (a netdev through `netdevLinkEnd()`, or a switch
 * port). Each direction (`aToB`, `bToA`) is a `LinkDirection` and runs this pipeline:
 *
 *   xmit(frame) --> tx$ tap --> [down? drop] --> [len-14 > mtu? drop] --> Subject
 *     --> FaultPlan operators (drop, corrupt, duplicate, reorder; none = no Subject either:
 *         the frame goes straight to the wire, as the Subject would only forward it)
 *     --> wire: serialize behind earlier frames, then propagate
 *     --> (at the delivery time, on the SimClock) delivered$ tap --> peer.receive(frame)
 *
 * The wire stage models a store-and-forward transmitter: a frame starts serializing at
 * max(now, busyUntil), takes len*8/bandwidthGbps ns on the wire (0 when bandwidthGbps is 0 =
 * infinite), and arrives latencyNs after its last bit left: due = start + txNs + latencyNs.
 * Delivery times in one direction therefore never decrease, so the in-flight frames form a FIFO
 * ring drained by one re-armed `ClockEvent` per direction: O(1) and allocation-free per frame.
 * Frames due at the same ns are delivered in transmit order.
 *
 * Divergence: RxJS's `delay` operator is not used for the wire; it allocates a timer per value
 * and cannot express serialization. The fault operators (which may hold frames on
 * `clock.scheduler`) sit before the wire, so a reordered frame re-enters the transmit queue late
 * and later frames overtake it. MTU uses Ethernet semantics: the IP packet (frame length minus
 * the 14-byte Ethernet header) may not exceed `mtu`; oversized frames are dropped and counted,
 * never fragmented (RoCEv2 sets DF).
 *
 * Invariants: frames are never modified; every offered frame (`frames`) is delivered, dropped
 * (`drops`, `faults.drop`), held by `reorder`, or in flight; each duplicate adds one delivery.
 */
import { Subject, type Observable, type Observer, type Subscription } from 'rxjs';
import { CounterSet, KernelError, SeededRandom, type ClockEvent, type SimClock } from '@rdmaemu/sim-core';
import type { Frame } from './frame.js';
import { ETH_HLEN } from './ether.js';
import { type net_device, type NetdevTxPort, NETDEV_DEFAULT_MTU, netif_receive_skb } from './netdev.js';
import { type FaultKind, type FaultPlan, faultPlanOperator, isEmptyFaultPlan } from './fault-plan.js';

/** Default one-way propagation latency of a link: 1 us (a few metres of cable plus PHY/MAC). */
export const DEFAULT_LINK_LATENCY_NS = 1000;
/** Default link speed: 100 Gb/s. */
export const DEFAULT_LINK_BANDWIDTH_GBPS = 100;

/**
 * LinkEnd - something a link delivers frames to: a netdev (`netdevLinkEnd`) or a switch port.
 */
export interface LinkEnd {
  readonly name: string;
  /** Called at the frame's delivery time on the SimClock. */
  receive(frame: Frame): void;
}

/**
 * netdevLinkEnd - the link end of a net_device: delivery runs `netif_receive_skb(dev, frame)`.
 * @example
 * ```ts
 * const link = createLink(clock, [netdevLinkEnd(devA), netdevLinkEnd(devB)]);
 * ```
 */
export function netdevLinkEnd(dev: net_device): LinkEnd {
  return {
    name: dev.name,
    receive(frame: Frame): void {
      netif_receive_skb(dev, frame);
    },
  };
}

/** LinkDropReason - why a link direction dropped a frame (besides faults). */
export type LinkDropReason = 'mtu' | 'down';
const LINK_DROP_REASONS: readonly LinkDropReason[] = ['mtu', 'down'];
const FAULT_KINDS: readonly FaultKind[] = ['drop', 'duplicate', 'reorder', 'corrupt'];

/**
 * LinkTapRecord - one frame as a tap sees it (fabric.tap$).
 */
export interface LinkTapRecord {
  /** The direction's name, `'<from>-><to>'`. */
  readonly direction: string;
  /** Clock time of the transmit, ns. */
  readonly timeNs: number;
  readonly frame: Frame;
}

/**
 * LinkDirectionStats - counters of one direction (snapshot form).
 */
export interface LinkDirectionStats {
  /** Frames / bytes offered by the sender (`xmit` calls). */
  frames: number;
  bytes: number;
  /** Frames / bytes handed to the peer. */
  delivered: number;
  deliveredBytes: number;
  /** Frames on the wire now. */
  inFlight: number;
  drops: Record<LinkDropReason, number>;
  faults: Record<FaultKind, number>;
}

/**
 * LinkInit - options for `createLink()`.
 */
export interface LinkInit {
  /** @default '<a.name>-<b.name>' */
  name?: string;
  /** One-way propagation latency, ns. @default DEFAULT_LINK_LATENCY_NS (1000) */
  latencyNs?: number;
  /** Speed in Gb/s (= bits per ns); 0 = infinite (no serialization delay). @default 100 */
  bandwidthGbps?: number;
  /** Ethernet MTU (largest IP packet). @default NETDEV_DEFAULT_MTU (4200) */
  mtu?: number;
  /** Root of the fault generators (forked per direction). @default new SeededRandom(0) */
  random?: SeededRandom;
  /** Tap every transmit of both directions here too (the fabric's tap). @default null */
  tap?: Subject<LinkTapRecord> | null;
}

/**
 * LinkDirection - one direction of a link: what a sender's `xmit` feeds.
 *
 * Emulator-only.
 * @example Faults on one direction
 * ```ts
 * link.aToB.faults = { drop: 0.01, seed: 7 };
 * ```
 */
export class LinkDirection implements NetdevTxPort {
  readonly name: string;
  readonly link: Link;
  readonly from: LinkEnd;
  readonly to: LinkEnd;
  /** Frames as sent by `from` (before MTU checks and faults), for a pcap tap. */
  readonly tx$: Observable<Frame>;
  /** Frames as delivered to `to` (after faults), at their delivery time. */
  readonly delivered$: Observable<Frame>;

  frames = 0;
  bytes = 0;
  delivered = 0;
  deliveredBytes = 0;
  readonly drops = new CounterSet<LinkDropReason>(LINK_DROP_REASONS);
  readonly faultCounts = new CounterSet<FaultKind>(FAULT_KINDS);

  readonly #clock: SimClock;
  readonly #random: SeededRandom;
  readonly #tap: Subject<LinkTapRecord> | null;
  readonly #tx = new Subject<Frame>();
  readonly #delivered = new Subject<Frame>();
  readonly #in = new Subject<Frame>();
  #pipe: Subscription;
  #faults: FaultPlan | null = null;
  readonly #wireObserver: Partial<Observer<Frame>>;
  readonly #onFault: (kind: FaultKind) => void;

  // The wire: a FIFO ring of in-flight frames and their (integer ns) delivery times.
  #qFrames: (Frame | undefined)[] = new Array<Frame | undefined>(64).fill(undefined);
  #qDue = new Float64Array(64);
  #qHead = 0;
  #qCount = 0;
  #busyUntil = 0;
  #delivering = false;
  readonly #event: ClockEvent;

  /** @internal use `createLink()`. */
  constructor(link: Link, from: LinkEnd, to: LinkEnd, clock: SimClock, random: SeededRandom, tap: Subject<LinkTapRecord> | null) {
    this.link = link;
    this.from = from;
    this.to = to;
    this.name = `${from.name}->${to.name}`;
    this.#clock = clock;
    this.#random = random;
    this.#tap = tap;
    this.tx$ = this.#tx.asObservable();
    this.delivered$ = this.#delivered.asObservable();
    this.#event = clock.createEvent(() => this.#deliver(), `link ${this.name}`);
    this.#wireObserver = { next: (frame: Frame) => this.#enqueue(frame) };
    this.#onFault = (kind) => this.faultCounts.inc(kind);
    this.#pipe = this.#in.subscribe(this.#wireObserver);
  }

  /**
   * faults - the direction's fault plan (null = none). Setting it rebuilds the operator chain;
   * frames a previous `reorder` still held are lost (counted nowhere but `frames`).
   * @throws KernelError EINVAL for a probability outside [0, 1] or a bad reorder delay
   */
  get faults(): FaultPlan | null {
    return this.#faults;
  }

  set faults(plan: FaultPlan | null) {
    const next = isEmptyFaultPlan(plan) ? null : plan;
    const op = next === null ? null : faultPlanOperator(next, { random: this.#random, scheduler: this.#clock.scheduler, onFault: this.#onFault });
    this.#pipe.unsubscribe();
    this.#faults = next;
    this.#pipe = op === null ? this.#in.subscribe(this.#wireObserver) : this.#in.pipe(op).subscribe(this.#wireObserver);
  }

  /**
   * xmit - put a frame on this direction of the link.
   *
   * Kernel: the driver's ndo_start_xmit (the frame leaves the host here)
   */
  xmit(frame: Frame): void {
    this.frames++;
    this.bytes += frame.len;
    if (this.#tx.observed) this.#tx.next(frame);
    const tap = this.#tap;
    if (tap !== null && tap.observed) tap.next({ direction: this.name, timeNs: this.#clock.ktime_get(), frame });
    const link = this.link;
    if (!link.up) {
      this.drops.inc('down');
      return;
    }
    if (frame.len - ETH_HLEN > link.mtu) {
      this.drops.inc('mtu');
      return;
    }
    // Fast path: with no fault plan the Subject only forwards to #enqueue; skip it (~100 ns/frame).
    if (this.#faults === null) this.#enqueue(frame);
    else this.#in.next(frame);
  }

  /** Frames on the wire now (serializing or propagating). */
  get inFlight(): number {
    return this.#qCount;
  }

  /** When the transmitter is free again, ns (clock time). */
  get busyUntilNs(): number {
    return this.#busyUntil;
  }

  /** A snapshot of the counters. */
  stats(): LinkDirectionStats {
    return {
      frames: this.frames,
      bytes: this.bytes,
      delivered: this.delivered,
      deliveredBytes: this.deliveredBytes,
      inFlight: this.#qCount,
      drops: this.drops.snapshot(),
      faults: this.faultCounts.snapshot(),
    };
  }

  #enqueue(frame: Frame): void {
    const now = this.#clock.ktime_get();
    const link = this.link;
    const bw = link.bandwidthGbps;
    const start = this.#busyUntil > now ? this.#busyUntil : now;
    const end = bw > 0 ? start + (frame.len * 8) / bw : start;
    this.#busyUntil = end;
    const due = Math.round(end + link.latencyNs);
    let cap = this.#qFrames.length;
    if (this.#qCount === cap) {
      this.#grow();
      cap = this.#qFrames.length;
    }
    const tail = (this.#qHead + this.#qCount) & (cap - 1);
    this.#qFrames[tail] = frame;
    this.#qDue[tail] = due;
    this.#qCount++;
    if (this.#qCount === 1 && !this.#delivering) this.#event.reschedule(due - now);
  }

  #grow(): void {
    const cap = this.#qFrames.length;
    const frames = new Array<Frame | undefined>(cap * 2).fill(undefined);
    const dues = new Float64Array(cap * 2);
    for (let i = 0; i < this.#qCount; i++) {
      const j = (this.#qHead + i) & (cap - 1);
      frames[i] = this.#qFrames[j];
      dues[i] = this.#qDue[j]!;
    }
    this.#qFrames = frames;
    this.#qDue = dues;
    this.#qHead = 0;
  }

  #deliver(): void {
    const now = this.#clock.ktime_get();
    this.#delivering = true;
    try {
      while (this.#qCount > 0) {
        const head = this.#qHead;
        if (this.#qDue[head]! > now) break;
        const frame = this.#qFrames[head]!;
        this.#qFrames[head] = undefined;
        this.#qHead = (head + 1) & (this.#qFrames.length - 1);
        this.#qCount--;
        this.delivered++;
        this.deliveredBytes += frame.len;
        if (this.#delivered.observed) this.#delivered.next(frame);
        this.to.receive(frame);
      }
    } finally {
      this.#delivering = false;
      if (this.#qCount > 0) this.#event.reschedule(this.#qDue[this.#qHead]! - now);
    }
  }
}

/**
 * Link - a full-duplex point-to-point link between two ends.
 *
 * Emulator-only. Parameters are shared by both directions and may be changed at any time (they
 * apply to frames transmitted afterwards).
 * @example
 * ```ts
 * const link = createLink(clock, [netdevLinkEnd(a), netdevLinkEnd(b)], { latencyNs: 500, bandwidthGbps: 25 });
 * a.attachLink(link.aToB);
 * b.attachLink(link.bToA);
 * ```
 */
export class Link {
  readonly name: string;
  readonly a: LinkEnd;
  readonly b: LinkEnd;
  /** One-way propagation latency, ns. */
  latencyNs: number;
  /** Gb/s; 0 = infinite. */
  bandwidthGbps: number;
  /** Ethernet MTU (largest IP packet). */
  mtu: number;
  /** False = frames sent in either direction are dropped (counted as 'down'). */
  up = true;
  /** Frames from `a` to `b`. */
  readonly aToB: LinkDirection;
  /** Frames from `b` to `a`. */
  readonly bToA: LinkDirection;

  /** @internal use `createLink()`. */
  constructor(clock: SimClock, a: LinkEnd, b: LinkEnd, init: LinkInit) {
    this.name = init.name ?? `${a.name}-${b.name}`;
    this.a = a;
    this.b = b;
    this.latencyNs = init.latencyNs ?? DEFAULT_LINK_LATENCY_NS;
    this.bandwidthGbps = init.bandwidthGbps ?? DEFAULT_LINK_BANDWIDTH_GBPS;
    this.mtu = init.mtu ?? NETDEV_DEFAULT_MTU;
    if (!(this.latencyNs >= 0) || !Number.isFinite(this.latencyNs)) {
      throw new KernelError('EINVAL', `link ${this.name}: latencyNs ${this.latencyNs} invalid`);
    }
    if (!(this.bandwidthGbps >= 0) || !Number.isFinite(this.bandwidthGbps)) {
      throw new KernelError('EINVAL', `link ${this.name}: bandwidthGbps ${this.bandwidthGbps} invalid`);
    }
    if (!Number.isInteger(this.mtu) || this.mtu < 1) throw new KernelError('EINVAL', `link ${this.name}: mtu ${this.mtu} invalid`);
    const random = init.random ?? new SeededRandom(0);
    const tap = init.tap ?? null;
    this.aToB = new LinkDirection(this, a, b, clock, random.fork(`link:${a.name}->${b.name}`), tap);
    this.bToA = new LinkDirection(this, b, a, clock, random.fork(`link:${b.name}->${a.name}`), tap);
  }

  /**
   * faults - setting applies the same plan to both directions (null clears); reading returns
   * `aToB.faults` (read each direction for asymmetric plans).
   * @throws KernelError EINVAL for a bad plan
   */
  get faults(): FaultPlan | null {
    return this.aToB.faults;
  }

  set faults(plan: FaultPlan | null) {
    this.aToB.faults = plan;
    this.bToA.faults = plan;
  }

  /** Counters of both directions. */
  stats(): { aToB: LinkDirectionStats; bToA: LinkDirectionStats } {
    return { aToB: this.aToB.stats(), bToA: this.bToA.stats() };
  }
}

/**
 * createLink - a link between two ends on `clock`.
 * @throws KernelError EINVAL if latencyNs, bandwidthGbps or mtu is invalid
 * @example Two NICs back to back
 * ```ts
 * const clock = new SimClock({ seed: 1 });
 * const link = createLink(clock, [netdevLinkEnd(a), netdevLinkEnd(b)]);
 * a.attachLink(link.aToB); b.attachLink(link.bToA);
 * ```
 */
export function createLink(clock: SimClock, ends: readonly [LinkEnd, LinkEnd], init: LinkInit = {}): Link {
  return new Link(clock, ends[0], ends[1], init);
}
