/**
 * netdev - the emulated Ethernet device rxe attaches to: transmit, the receive-side checks of the
 * IPv4/UDP stack, and the RoCEv2 UDP receive hook.
 *
 * Kernel: include/linux/netdevice.h (struct net_device, struct net_device_stats, enum netdev_cmd,
 *         netif_running(), netif_carrier_ok()), net/core/dev.c (dev_queue_xmit(),
 *         netif_receive_skb(), dev_open(), dev_close(), dev_set_mtu()), net/ipv4/ip_input.c
 *         (ip_rcv_core()), net/ipv4/udp.c (udp_rcv(), the encap_rcv hook),
 *         drivers/infiniband/sw/rxe/rxe_net.c (rxe_udp_encap_recv(), rxe_notify())
 *
 * Operation:
 *  - Transmit: `dev.xmit(frame)` (kernel `dev_queue_xmit`) hands the frame to the link the
 *    fabric attached (`attachLink`); with the device down, no carrier or no link the frame is
 *    dropped and counted in `stats.tx_dropped`. The sender builds Ethernet + IPv4 + UDP itself
 *    (`udpTunnelHeaders()` in udp.ts), as rxe_net does.
 *  - Receive: the link calls `netif_receive_skb(dev, frame)`, which runs the checks the kernel's
 *    receive path runs before a UDP tunnel socket sees a packet - destination MAC is ours or
 *    broadcast (else OTHERHOST), EtherType IPv4, a valid IPv4 header (version 4, IHL 5, header
 *    checksum, tot_len == frame length - 14, not a fragment), destination IP is ours, protocol
 *    UDP, UDP length == tot_len - 20, destination port 4791 with an `rx` handler registered
 *    (else NO_SOCKET) - and then calls `dev.rx(frame)`: the `rxe_udp_encap_recv` role. So `rx`
 *    only ever sees well-formed IPv4/UDP frames to port 4791, with the IB headers at offset 42
 *    (`ETH_IP_UDP_HLEN`); the ICRC and everything after the UDP header are the receiver's job.
 *    Drops are counted in `stats` and per reason (kernel `enum skb_drop_reason` names) in
 *    `dev.drops`.
 *  - Addresses: `dev.ip` is the dotted string (user API); `dev.ifa_address` the same address as a
 *    u32 in host order (hot path). `dev_addr` is the 6-byte MAC.
 *  - Events: `dev.events$` emits `netdev_cmd` values (NETDEV_UP, NETDEV_DOWN, NETDEV_CHANGE on a
 *    carrier change, NETDEV_CHANGEMTU), which is what rxe's netdevice notifier (`rxe_notify`)
 *    turns into port state changes and IB events.
 *
 * Invariants: `rx` is called synchronously from the link's delivery event on the SimClock; a
 * frame is never modified by the device.
 */
import { Subject, type Observable } from 'rxjs';
import { CounterSet, KernelError } from '@rdmaemu/sim-core';
import type { DmaHost } from '@rdmaemu/dma-core';
import type { Frame } from './frame.js';
import type { neigh_table } from './neighbour.js';
import { BROADCAST_MAC_KEY, ETH_ALEN, ETH_HLEN, ETH_P_IP, macKey } from './ether.js';
import { IPPROTO_UDP, IPV4_HLEN, ipv4Check, ipv4ToString, ip_daddr, toIpv4 } from './ip.js';
import { ROCE_V2_UDP_DPORT, UDP_HLEN } from './udp.js';

/**
 * netdev_cmd - netdevice notifier events (the subset the fabric raises).
 *
 * Kernel: include/linux/netdevice.h enum netdev_cmd
 */
export enum netdev_cmd {
  NETDEV_UP = 1,
  NETDEV_DOWN = 2,
  NETDEV_REBOOT = 3,
  NETDEV_CHANGE = 4,
  NETDEV_REGISTER = 5,
  NETDEV_UNREGISTER = 6,
  NETDEV_CHANGEMTU = 7,
}

/** IFF_UP - interface is administratively up. Kernel: include/uapi/linux/if.h */
export const IFF_UP = 1 << 0;
/** IFF_BROADCAST - broadcast address valid. Kernel: include/uapi/linux/if.h */
export const IFF_BROADCAST = 1 << 1;
/** IFF_RUNNING - interface RFC2863 OPER_UP. Kernel: include/uapi/linux/if.h */
export const IFF_RUNNING = 1 << 6;

/** ETH_MIN_MTU - smallest MTU `dev_set_mtu` accepts. Kernel: include/uapi/linux/if_ether.h */
export const ETH_MIN_MTU = 68;
/** ETH_MAX_MTU - largest MTU `dev_set_mtu` accepts. Kernel: include/uapi/linux/if_ether.h */
export const ETH_MAX_MTU = 0xffff;

/**
 * NETDEV_DEFAULT_MTU - the fabric's default Ethernet MTU: 4200, so a 4096-byte IB MTU packet
 * (IPv4 20 + UDP 8 + BTH 12 + RETH 16 + 4096 + ICRC 4 = 4156) fits, as on a jumbo-frame RoCE
 * network (rxe derives its active IB MTU from the netdev MTU).
 */
export const NETDEV_DEFAULT_MTU = 4200;

/**
 * NetdevDropReason - why the device dropped a frame (kernel `enum skb_drop_reason` names without
 * the SKB_DROP_REASON_ prefix, as the kfree_skb tracepoint prints them).
 */
export type NetdevDropReason =
  | 'DEV_READY'
  | 'OTHERHOST'
  | 'UNHANDLED_PROTO'
  | 'IP_CSUM'
  | 'IP_INHDR'
  | 'PKT_TOO_SMALL'
  | 'IP_INADDRERRORS'
  | 'NO_SOCKET';

/** The keys of `net_device.drops`, in report order. */
export const NETDEV_DROP_REASONS: readonly NetdevDropReason[] = [
  'DEV_READY',
  'OTHERHOST',
  'UNHANDLED_PROTO',
  'IP_CSUM',
  'IP_INHDR',
  'PKT_TOO_SMALL',
  'IP_INADDRERRORS',
  'NO_SOCKET',
];

/**
 * net_device_stats - per-device packet counters.
 *
 * Kernel: include/linux/netdevice.h struct net_device_stats
 */
export class net_device_stats {
  rx_packets = 0;
  tx_packets = 0;
  rx_bytes = 0;
  tx_bytes = 0;
  rx_errors = 0;
  tx_errors = 0;
  rx_dropped = 0;
  tx_dropped = 0;
  rx_length_errors = 0;
  rx_crc_errors = 0;
}

/**
 * NetdevTxPort - where a device's transmitted frames go: one direction of a link (link.ts).
 */
export interface NetdevTxPort {
  xmit(frame: Frame): void;
}

/**
 * NetdevInit - options for `new net_device()`.
 */
export interface NetdevInit {
  /** Interface name, e.g. `'eth0'` or `'a-eth0'`. */
  name: string;
  /** IPv4 address: dotted string or u32 (host order). */
  ip: string | number;
  /** 6-byte MAC. */
  dev_addr: Uint8Array;
  /** @default NETDEV_DEFAULT_MTU (4200) */
  mtu?: number;
  /** The neighbour table `neigh_lookup` uses. @default null */
  neigh?: neigh_table | null;
  /** The machine the interface is in (memory, DMA, clock). @default null */
  host?: DmaHost | null;
}

/**
 * net_device - an emulated Ethernet interface with one IPv4 address.
 *
 * Kernel: include/linux/netdevice.h struct net_device (+ the in_device's ifa_address)
 *
 * Divergence: the IPv4 address lives on the device (`ip`, `ifa_address`) rather than in an
 * `in_device`; the UDP socket layer is folded in (`rx` is the RoCEv2 encap_rcv hook); no qdisc,
 * so transmit never queues or returns NETDEV_TX_BUSY.
 * @example Two devices on a fabric, one receiving
 * ```ts
 * const fabric = createFabric(new SimClock({ seed: 1 }));
 * const a = fabric.addHost({ name: 'a', ip: '10.0.0.1' });
 * const b = fabric.addHost({ name: 'b', ip: '10.0.0.2' });
 * b.netdev.rx = (frame) => console.log('got', frame.len);
 * ```
 */
export class net_device {
  readonly name: string;
  /** The MAC address (do not modify). */
  readonly dev_addr: Uint8Array;
  /** IPv4 address as a dotted string. */
  readonly ip: string;
  /** IPv4 address as a u32 (host order). */
  readonly ifa_address: number;
  /** Ethernet MTU: the largest IP packet (IP header + payload) the device sends. */
  mtu: number;
  /** IFF_* flags; a fabric device starts IFF_UP | IFF_BROADCAST | IFF_RUNNING. */
  flags: number;
  /** The RoCEv2 UDP receive handler (rxe_udp_encap_recv role); null = no socket on 4791. */
  rx: ((frame: Frame) => void) | null = null;
  /** Packet counters. */
  readonly stats = new net_device_stats();
  /** Drops by reason. */
  readonly drops = new CounterSet<NetdevDropReason>(NETDEV_DROP_REASONS);
  /** The neighbour (ARP) table `neigh_lookup` consults. */
  neigh: neigh_table | null;
  /**
   * The machine this interface belongs to: its memory, DMA (`host.addDevice()`) and clock
   * (`host.clock`). Emulator-only - the kernel reaches the same through `dev.dev.parent`; rxe_add
   * uses it to create the HCA's DMA device and find the SimClock.
   */
  readonly host: DmaHost | null;
  /** Netdevice notifier events for this device. */
  readonly events$: Observable<netdev_cmd>;
  /** MAC as a 48-bit number (for the receive filter). */
  readonly macKey: number;
  readonly #events = new Subject<netdev_cmd>();
  #tx: NetdevTxPort | null = null;
  #carrier = false;

  /**
   * @throws KernelError EINVAL if the MAC is not 6 bytes, the IP is malformed or the MTU is out
   *         of range
   */
  constructor(init: NetdevInit) {
    if (init.dev_addr.length !== ETH_ALEN) throw new KernelError('EINVAL', `${init.name}: mac must be ${ETH_ALEN} bytes`);
    this.name = init.name;
    this.dev_addr = Uint8Array.from(init.dev_addr);
    this.ifa_address = toIpv4(init.ip);
    this.ip = ipv4ToString(this.ifa_address);
    const mtu = init.mtu ?? NETDEV_DEFAULT_MTU;
    checkMtu(init.name, mtu);
    this.mtu = mtu;
    this.flags = IFF_UP | IFF_BROADCAST;
    this.neigh = init.neigh ?? null;
    this.host = init.host ?? null;
    this.macKey = macKey(this.dev_addr);
    this.events$ = this.#events.asObservable();
  }

  /**
   * xmit - transmit a frame on the attached link.
   *
   * Kernel: net/core/dev.c dev_queue_xmit()
   *
   * Divergence: no qdisc and no return code; a frame that cannot be sent (device down, no
   * carrier) is dropped and counted in `stats.tx_dropped`, as a driver would.
   */
  xmit(frame: Frame): void {
    const tx = this.#tx;
    if (tx === null || (this.flags & IFF_UP) === 0 || !this.#carrier) {
      this.stats.tx_dropped++;
      return;
    }
    this.stats.tx_packets++;
    this.stats.tx_bytes += frame.len;
    tx.xmit(frame);
  }

  /**
   * attachLink - connect the device's transmit side to a link direction and raise the carrier
   * (fabric use). Pass null to detach (carrier off).
   */
  attachLink(tx: NetdevTxPort | null): void {
    this.#tx = tx;
    if (tx !== null) netif_carrier_on(this);
    else netif_carrier_off(this);
  }

  /** True while the carrier is up (kernel: `netif_carrier_ok`). */
  get carrier(): boolean {
    return this.#carrier;
  }

  /** @internal carrier state, set by netif_carrier_on/off. */
  setCarrier(on: boolean): boolean {
    if (this.#carrier === on) return false;
    this.#carrier = on;
    if (on) this.flags |= IFF_RUNNING;
    else this.flags &= ~IFF_RUNNING;
    return true;
  }

  /** @internal raise a notifier event. */
  notify(cmd: netdev_cmd): void {
    this.#events.next(cmd);
  }

  /** Drop a received frame: count it by reason. */
  dropRx(reason: NetdevDropReason): void {
    this.stats.rx_dropped++;
    this.drops.inc(reason);
  }
}

function checkMtu(name: string, mtu: number): void {
  if (!Number.isInteger(mtu) || mtu < ETH_MIN_MTU || mtu > ETH_MAX_MTU) {
    throw new KernelError('EINVAL', `${name}: mtu ${mtu} out of range [${ETH_MIN_MTU}, ${ETH_MAX_MTU}]`);
  }
}

/**
 * dev_queue_xmit - transmit `frame` on `dev` (same as `dev.xmit(frame)`).
 *
 * Kernel: net/core/dev.c dev_queue_xmit()
 *
 * Divergence: takes (dev, frame) instead of an skb carrying its device; returns nothing (drops
 * are counted in `dev.stats.tx_dropped`).
 * @example
 * ```ts
 * dev_queue_xmit(host.netdev, frame);
 * ```
 */
export function dev_queue_xmit(dev: net_device, frame: Frame): void {
  dev.xmit(frame);
}

/**
 * netif_receive_skb - deliver a frame arriving from the wire: L2/IPv4/UDP receive checks, then
 * the device's `rx` handler (see the file header for the checks and drop reasons).
 *
 * Kernel: net/core/dev.c netif_receive_skb(), net/ipv4/ip_input.c ip_rcv_core(),
 *         net/ipv4/udp.c udp_rcv() -> encap_rcv
 *
 * Divergence: headers must be in `frame.hdr` (at least the first 42 bytes), which every sender
 * and every materialized frame satisfies; frames are not trimmed (tot_len must equal the frame
 * length - 14).
 * @returns true if the frame reached `dev.rx`
 * @example
 * ```ts
 * host.netdev.rx = (f) => seen.push(f);
 * netif_receive_skb(host.netdev, frame);
 * ```
 */
export function netif_receive_skb(dev: net_device, frame: Frame): boolean {
  if ((dev.flags & IFF_UP) === 0) {
    dev.dropRx('DEV_READY');
    return false;
  }
  const h = frame.hdr;
  const len = frame.len;
  if (h.length < ETH_HLEN + IPV4_HLEN + UDP_HLEN || len < ETH_HLEN + IPV4_HLEN + UDP_HLEN) {
    dev.stats.rx_length_errors++;
    dev.dropRx('PKT_TOO_SMALL');
    return false;
  }
  const dst = macKey(h, 0);
  if (dst !== dev.macKey && dst !== BROADCAST_MAC_KEY) {
    dev.dropRx('OTHERHOST');
    return false;
  }
  if (((h[12]! << 8) | h[13]!) !== ETH_P_IP) {
    dev.dropRx('UNHANDLED_PROTO');
    return false;
  }
  const check = ipv4Check(h, ETH_HLEN, len - ETH_HLEN);
  if (check !== 'ok') {
    dev.stats.rx_errors++;
    dev.dropRx(check === 'ip-csum' ? 'IP_CSUM' : 'IP_INHDR');
    return false;
  }
  const tot_len = (h[ETH_HLEN + 2]! << 8) | h[ETH_HLEN + 3]!;
  if (tot_len !== len - ETH_HLEN) {
    dev.stats.rx_length_errors++;
    dev.dropRx('PKT_TOO_SMALL');
    return false;
  }
  if (ip_daddr(h, ETH_HLEN) !== dev.ifa_address) {
    dev.dropRx('IP_INADDRERRORS');
    return false;
  }
  if (h[ETH_HLEN + 9] !== IPPROTO_UDP) {
    dev.dropRx('UNHANDLED_PROTO');
    return false;
  }
  const u = ETH_HLEN + IPV4_HLEN;
  const udpLen = (h[u + 4]! << 8) | h[u + 5]!;
  if (udpLen !== tot_len - IPV4_HLEN) {
    dev.stats.rx_length_errors++;
    dev.dropRx('PKT_TOO_SMALL');
    return false;
  }
  const rx = dev.rx;
  if (((h[u + 2]! << 8) | h[u + 3]!) !== ROCE_V2_UDP_DPORT || rx === null) {
    dev.dropRx('NO_SOCKET');
    return false;
  }
  dev.stats.rx_packets++;
  dev.stats.rx_bytes += len;
  rx(frame);
  return true;
}

/**
 * netif_running - true if the device is administratively up.
 *
 * Kernel: include/linux/netdevice.h netif_running()
 * @example
 * ```ts
 * console.assert(netif_running(host.netdev));
 * ```
 */
export function netif_running(dev: net_device): boolean {
  return (dev.flags & IFF_UP) !== 0;
}

/**
 * netif_carrier_ok - true if the link has carrier.
 *
 * Kernel: include/linux/netdevice.h netif_carrier_ok()
 * @example
 * ```ts
 * console.assert(netif_carrier_ok(host.netdev));
 * ```
 */
export function netif_carrier_ok(dev: net_device): boolean {
  return dev.carrier;
}

/**
 * netif_carrier_on - raise the carrier; emits NETDEV_CHANGE if it changed.
 *
 * Kernel: net/sched/sch_generic.c netif_carrier_on()
 * @example
 * ```ts
 * netif_carrier_on(host.netdev);
 * ```
 */
export function netif_carrier_on(dev: net_device): void {
  if (dev.setCarrier(true)) dev.notify(netdev_cmd.NETDEV_CHANGE);
}

/**
 * netif_carrier_off - drop the carrier (frames sent are then dropped); emits NETDEV_CHANGE if it
 * changed.
 *
 * Kernel: net/sched/sch_generic.c netif_carrier_off()
 * @example
 * ```ts
 * netif_carrier_off(host.netdev);   // rxe moves its port to DOWN
 * ```
 */
export function netif_carrier_off(dev: net_device): void {
  if (dev.setCarrier(false)) dev.notify(netdev_cmd.NETDEV_CHANGE);
}

/**
 * dev_open - bring the device up (IFF_UP); emits NETDEV_UP.
 *
 * Kernel: net/core/dev.c dev_open()
 * @example
 * ```ts
 * dev_open(host.netdev);
 * ```
 */
export function dev_open(dev: net_device): void {
  if ((dev.flags & IFF_UP) !== 0) return;
  dev.flags |= IFF_UP;
  dev.notify(netdev_cmd.NETDEV_UP);
}

/**
 * dev_close - bring the device down; emits NETDEV_DOWN. Frames in either direction are dropped
 * while down.
 *
 * Kernel: net/core/dev.c dev_close()
 * @example
 * ```ts
 * dev_close(host.netdev);
 * ```
 */
export function dev_close(dev: net_device): void {
  if ((dev.flags & IFF_UP) === 0) return;
  dev.flags &= ~IFF_UP;
  dev.notify(netdev_cmd.NETDEV_DOWN);
}

/**
 * dev_set_mtu - change the MTU; emits NETDEV_CHANGEMTU.
 *
 * Kernel: net/core/dev.c dev_set_mtu()
 *
 * Divergence: only the device's own MTU changes; the link keeps its own MTU (set it with
 * `link.mtu`), as a host MTU and a switch MTU are configured separately.
 * @throws KernelError EINVAL if mtu is outside [ETH_MIN_MTU, ETH_MAX_MTU]
 * @example
 * ```ts
 * dev_set_mtu(host.netdev, 1500);
 * ```
 */
export function dev_set_mtu(dev: net_device, mtu: number): void {
  checkMtu(dev.name, mtu);
  if (dev.mtu === mtu) return;
  dev.mtu = mtu;
  dev.notify(netdev_cmd.NETDEV_CHANGEMTU);
}
