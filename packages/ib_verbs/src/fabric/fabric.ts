/**
 * fabric - a simulated RoCE network: hosts (memory + DMA + a netdev) joined by links to one L2
 * switch, with a neighbour directory, taps, fault plans and statistics, all on one SimClock.
 *
 * Kernel: - (the network; see netdev.ts, link.ts, switch.ts, neighbour.ts for the kernel pieces)
 *
 * Operation: `createFabric(clock, init)` makes an empty fabric with a switch. `addHost()` makes
 * the host's `DmaHost` (with the fabric's clock), a `net_device` (`eth0`, MAC derived from the IP:
 * 02:00:a:b:c:d, locally administered), a switch port with a static forwarding entry, a link
 * host <-> switch port, and the neighbour entry IP -> MAC. The HCA comes next, from the provider:
 * `rxe_add(host.netdev, ...)`.
 *
 * A frame from host A to host B crosses two links: A -> switch (serialize + latency) and
 * switch -> B (serialize again + latency), so with the defaults (1 us, 100 Gb/s) a 64-byte frame
 * arrives 2 * (1000 + 5.12) ns after it was sent, when the links are idle.
 *
 * Neighbours: `neigh_lookup(netdev, ip)` answers from the fabric's table; ARP is modelled as a
 * directory, so no ARP frames appear on the wire or in `tap$`.
 *
 * Randomness: fault generators fork from the fabric's seed (`init.seed`, else forked from the
 * clock's) by link direction name, so the same seed, plans and workload give the same faults.
 *
 * Names: host link ends are `<host>:eth0`, switch ports `<switch>:p<n>`; a link direction is
 * `<from>-><to>` (e.g. `client:eth0->sw0:p0`).
 */
import { Subject, type Observable } from 'rxjs';
import { KernelError, SeededRandom, type SimClock } from '@rdmaemu/sim-core';
import { createDmaHost, type DmaHost, type DmaHostInit } from '@rdmaemu/dma-core';
import { macFromIpv4, macFromString, macKey, macToString } from './ether.js';
import { toIpv4, ipv4ToString } from './ip.js';
import { neigh_table } from './neighbour.js';
import { net_device, NETDEV_DEFAULT_MTU, type net_device_stats, type NetdevDropReason } from './netdev.js';
import {
  createLink,
  DEFAULT_LINK_BANDWIDTH_GBPS,
  DEFAULT_LINK_LATENCY_NS,
  type Link,
  LinkDirection,
  type LinkDirectionStats,
  type LinkTapRecord,
  netdevLinkEnd,
} from './link.js';
import { createSwitch, type Switch, type SwitchDropReason, type SwitchPort } from './switch.js';
import type { FaultPlan } from './fault-plan.js';

/**
 * FabricInit - options for `createFabric()`; link defaults apply to every host link.
 */
export interface FabricInit {
  /** Ethernet MTU of links and netdevs. @default NETDEV_DEFAULT_MTU (4200) */
  mtu?: number;
  /** One-way latency per link, ns. @default DEFAULT_LINK_LATENCY_NS (1000) */
  latencyNs?: number;
  /** Link speed, Gb/s; 0 = infinite. @default DEFAULT_LINK_BANDWIDTH_GBPS (100) */
  bandwidthGbps?: number;
  /** Seed of the fault generators. @default forked from the clock's seed */
  seed?: number;
  /** @default 'sw0' */
  switchName?: string;
}

/**
 * FabricHostInit - options for `fabric.addHost()`.
 */
export interface FabricHostInit {
  /** Host name (unique). */
  name: string;
  /** IPv4 address, dotted (unique). */
  ip: string;
  /** RAM size or options (see DmaHostInit). @default '64M' */
  memory?: DmaHostInit['memory'];
  /** @default 'off' */
  iommu?: DmaHostInit['iommu'];
  swiotlb?: DmaHostInit['swiotlb'];
  dmaDebug?: DmaHostInit['dmaDebug'];
  /** MAC (bytes or 'aa:bb:..'). @default 02:00 + the IP's four octets */
  mac?: Uint8Array | string;
  /** Interface name. @default 'eth0' */
  ifname?: string;
  /** Overrides for this host's link. @default the fabric's */
  mtu?: number;
  latencyNs?: number;
  bandwidthGbps?: number;
}

/**
 * FabricHost - one machine on the fabric.
 */
export interface FabricHost {
  readonly name: string;
  /** IPv4 address, dotted. */
  readonly ip: string;
  /** Memory, IOMMU, swiotlb and dma-debug of the host (clock = the fabric's). */
  readonly dma: DmaHost;
  /** The host's Ethernet device: give it to `rxe_add()`. */
  readonly netdev: net_device;
  /** The link host <-> switch: `aToB` is the host's transmit side, `bToA` its receive side. */
  readonly link: Link;
  /** The switch port at the other end of `link`. */
  readonly port: SwitchPort;
}

/** FaultDirection - which side of a host's link a plan applies to. */
export type FaultDirection = 'both' | 'tx' | 'rx';

/**
 * FabricStats - a snapshot of every counter on the fabric.
 */
export interface FabricStats {
  hosts: Record<string, { netdev: net_device_stats; drops: Record<NetdevDropReason, number> }>;
  links: Record<string, { aToB: LinkDirectionStats; bToA: LinkDirectionStats }>;
  switch: { forwarded: number; flooded: number; drops: Record<SwitchDropReason, number> };
  /** Totals over all link directions. */
  totals: { frames: number; delivered: number; linkDrops: number; faults: number; inFlight: number };
}

/**
 * Fabric - hosts, links, a switch and a neighbour directory on one clock.
 *
 * Emulator-only.
 */
export interface Fabric {
  readonly clock: SimClock;
  /** Seed of the fault generators (print it to replay). */
  readonly seed: number;
  readonly switch: Switch;
  readonly hosts: readonly FabricHost[];
  readonly links: readonly Link[];
  /** IP -> MAC directory used by `neigh_lookup`. */
  readonly neigh: neigh_table;
  /** Every frame transmitted on every link direction (host and switch sides), at transmit time. */
  readonly tap$: Observable<LinkTapRecord>;
  /**
   * addHost - add a machine: DmaHost, netdev, switch port, link, neighbour entry.
   * @throws KernelError EEXIST if the name, IP or MAC is already on the fabric
   * @throws KernelError EINVAL if the IP or MAC is malformed, or a link parameter is invalid
   */
  addHost(init: FabricHostInit): FabricHost;
  /**
   * host - a host by name.
   * @throws KernelError ENODEV if there is none
   */
  host(name: string): FabricHost;
  /**
   * setFaults - set (or clear, with null) the fault plan of a host's link (`'tx'` = host ->
   * switch, `'rx'` = switch -> host, `'both'`), of a link (both directions) or of one direction.
   * @throws KernelError ENODEV if a host name is unknown
   * @throws KernelError EINVAL for a bad plan
   */
  setFaults(target: FabricHost | string | Link | LinkDirection, plan: FaultPlan | null, direction?: FaultDirection): void;
  /**
   * setLinkUp - take a host's link down (frames dropped, carrier off: rxe sees its port go down)
   * or up again.
   * @throws KernelError ENODEV if a host name is unknown
   */
  setLinkUp(target: FabricHost | string, up: boolean): void;
  /** stats - every counter on the fabric. */
  stats(): FabricStats;
}

class FabricImpl implements Fabric {
  readonly clock: SimClock;
  readonly seed: number;
  readonly switch: Switch;
  readonly hosts: FabricHost[] = [];
  readonly links: Link[] = [];
  readonly neigh = new neigh_table();
  readonly tap$: Observable<LinkTapRecord>;
  readonly #tap = new Subject<LinkTapRecord>();
  readonly #random: SeededRandom;
  readonly #mtu: number;
  readonly #latencyNs: number;
  readonly #bandwidthGbps: number;
  readonly #macs = new Set<number>();

  constructor(clock: SimClock, init: FabricInit) {
    this.clock = clock;
    this.#random = init.seed !== undefined ? new SeededRandom(init.seed) : clock.random.fork('fabric');
    this.seed = this.#random.seed;
    this.switch = createSwitch(init.switchName ?? 'sw0');
    this.#mtu = init.mtu ?? NETDEV_DEFAULT_MTU;
    this.#latencyNs = init.latencyNs ?? DEFAULT_LINK_LATENCY_NS;
    this.#bandwidthGbps = init.bandwidthGbps ?? DEFAULT_LINK_BANDWIDTH_GBPS;
    this.tap$ = this.#tap.asObservable();
  }

  addHost(init: FabricHostInit): FabricHost {
    const name = init.name;
    if (this.hosts.some((h) => h.name === name)) throw new KernelError('EEXIST', `fabric: host '${name}' exists`);
    const ip = toIpv4(init.ip);
    if (this.neigh.lookup(ip) !== null) throw new KernelError('EEXIST', `fabric: ip ${ipv4ToString(ip)} in use`);
    const mac = init.mac === undefined ? macFromIpv4(ip) : typeof init.mac === 'string' ? macFromString(init.mac) : Uint8Array.from(init.mac);
    const key = macKey(mac);
    if (this.#macs.has(key)) throw new KernelError('EEXIST', `fabric: mac ${macToString(mac)} in use`);
    const mtu = init.mtu ?? this.#mtu;
    const ifname = init.ifname ?? 'eth0';
    const dma = createDmaHost({
      name,
      memory: init.memory ?? '64M',
      clock: this.clock,
      iommu: init.iommu ?? 'off',
      ...(init.swiotlb !== undefined ? { swiotlb: init.swiotlb } : {}),
      ...(init.dmaDebug !== undefined ? { dmaDebug: init.dmaDebug } : {}),
    });
    const netdev = new net_device({ name: ifname, ip, dev_addr: mac, mtu, neigh: this.neigh, host: dma });
    const port = this.switch.addPort();
    let link: Link;
    try {
      const end = { ...netdevLinkEnd(netdev), name: `${name}:${ifname}` };
      link = createLink(this.clock, [end, port], {
        name: `${name}:${ifname}-${port.name}`,
        latencyNs: init.latencyNs ?? this.#latencyNs,
        bandwidthGbps: init.bandwidthGbps ?? this.#bandwidthGbps,
        mtu,
        random: this.#random,
        tap: this.#tap,
      });
    } catch (err) {
      this.switch.removeLastPort(port);
      throw err;
    }
    // Commit only after everything that can throw.
    this.switch.addFdbEntry(mac, port);
    port.tx = link.bToA;
    netdev.attachLink(link.aToB);
    this.neigh.update(ip, netdev.dev_addr);
    this.#macs.add(key);
    const host: FabricHost = { name, ip: netdev.ip, dma, netdev, link, port };
    this.hosts.push(host);
    this.links.push(link);
    return host;
  }

  host(name: string): FabricHost {
    const h = this.hosts.find((x) => x.name === name);
    if (h === undefined) throw new KernelError('ENODEV', `fabric: no host '${name}'`);
    return h;
  }

  setFaults(target: FabricHost | string | Link | LinkDirection, plan: FaultPlan | null, direction: FaultDirection = 'both'): void {
    if (target instanceof LinkDirection) {
      target.faults = plan;
      return;
    }
    const link = typeof target === 'string' ? this.host(target).link : 'aToB' in target ? target : target.link;
    if (direction !== 'rx') link.aToB.faults = plan;
    if (direction !== 'tx') link.bToA.faults = plan;
  }

  setLinkUp(target: FabricHost | string, up: boolean): void {
    const host = typeof target === 'string' ? this.host(target) : target;
    host.link.up = up;
    host.netdev.attachLink(up ? host.link.aToB : null);
  }

  stats(): FabricStats {
    const hosts: FabricStats['hosts'] = {};
    for (const h of this.hosts) hosts[h.name] = { netdev: { ...h.netdev.stats }, drops: h.netdev.drops.snapshot() };
    const links: FabricStats['links'] = {};
    const totals = { frames: 0, delivered: 0, linkDrops: 0, faults: 0, inFlight: 0 };
    for (const l of this.links) {
      const s = l.stats();
      links[l.name] = s;
      for (const d of [s.aToB, s.bToA]) {
        totals.frames += d.frames;
        totals.delivered += d.delivered;
        totals.linkDrops += d.drops.mtu + d.drops.down;
        totals.faults += d.faults.drop + d.faults.duplicate + d.faults.reorder + d.faults.corrupt;
        totals.inFlight += d.inFlight;
      }
    }
    return { hosts, links, switch: this.switch.stats(), totals };
  }
}

/**
 * createFabric - an empty fabric (one switch) on `clock`.
 * @throws KernelError EINVAL if a link default is invalid (on the first addHost)
 * @example Two hosts, a frame, virtual time
 * ```ts
 * import { SimClock } from '@rdmaemu/sim-core';
 * const clock = new SimClock({ seed: 1 });
 * const fabric = createFabric(clock, { latencyNs: 1000, bandwidthGbps: 100 });
 * const client = fabric.addHost({ name: 'client', ip: '10.0.0.1' });
 * const server = fabric.addHost({ name: 'server', ip: '10.0.0.2' });
 * // const ibdev = rxe_add(client.netdev, 'rxe0');
 * fabric.tap$.subscribe((r) => console.log(r.timeNs, r.direction, r.frame.len));
 * ```
 */
export function createFabric(clock: SimClock, init: FabricInit = {}): Fabric {
  return new FabricImpl(clock, init);
}
