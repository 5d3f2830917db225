/**
 * switch - an L2 Ethernet switch joining N ports, forwarding by destination MAC.
 *
 * Kernel: net/bridge/br_forward.c (br_forward(), br_flood()), net/bridge/br_fdb.c (the
 *         forwarding database, static entries as `bridge fdb add ... static`)
 *
 * Operation: each `SwitchPort` is a `LinkEnd`; a frame arriving on a port is forwarded at once
 * (its arrival time is already the end of the ingress link's serialization + latency) onto the
 * egress port's link direction, which serializes it again (store-and-forward). The forwarding
 * table is static: the fabric adds one entry per host (its MAC -> its port) when the host is
 * added; there is no learning or ageing. Unknown unicast destinations are dropped and counted
 * ('unknown-mac') instead of flooded, so a misaddressed frame is visible in the statistics.
 * Broadcast (ff:ff:ff:ff:ff:ff) is flooded to every other port. A frame is never sent back out
 * of its ingress port ('same-port').
 *
 * Invariants: forwarding never modifies or copies a frame.
 */
import { CounterSet, KernelError } from '@rdmaemu/sim-core';
import type { Frame } from './frame.js';
import type { NetdevTxPort } from './netdev.js';
import type { LinkEnd } from './link.js';
import { BROADCAST_MAC_KEY, ETH_ALEN, macKey, macToString } from './ether.js';

/** SwitchDropReason - why the switch dropped a frame. */
export type SwitchDropReason = 'unknown-mac' | 'same-port' | 'no-link' | 'runt';
const SWITCH_DROP_REASONS: readonly SwitchDropReason[] = ['unknown-mac', 'same-port', 'no-link', 'runt'];

/**
 * SwitchPort - one port of a `Switch`: receives from its link and transmits on `tx`.
 *
 * Emulator-only (kernel: struct net_bridge_port).
 */
export class SwitchPort implements LinkEnd {
  readonly name: string;
  readonly index: number;
  readonly switch: Switch;
  /** The egress direction (switch -> peer) of the port's link; null until attached. */
  tx: NetdevTxPort | null = null;
  /** Frames received / forwarded out of this port. */
  rxFrames = 0;
  txFrames = 0;

  /** @internal use `Switch.addPort()`. */
  constructor(sw: Switch, index: number, name: string) {
    this.switch = sw;
    this.index = index;
    this.name = name;
  }

  /** A frame arrived on this port. */
  receive(frame: Frame): void {
    this.rxFrames++;
    this.switch.forward(this, frame);
  }
}

/**
 * Switch - an L2 switch with a static forwarding table.
 *
 * Emulator-only (kernel: struct net_bridge).
 * @example
 * ```ts
 * const sw = createSwitch('sw0');
 * const p = sw.addPort();
 * sw.addFdbEntry(macFromString('02:00:0a:00:00:01'), p);
 * ```
 */
export class Switch {
  readonly name: string;
  readonly ports: SwitchPort[] = [];
  /** Frames forwarded by unicast lookup. */
  forwarded = 0;
  /** Broadcast frames flooded. */
  flooded = 0;
  readonly drops = new CounterSet<SwitchDropReason>(SWITCH_DROP_REASONS);
  readonly #fdb = new Map<number, SwitchPort>();

  constructor(name = 'sw0') {
    this.name = name;
  }

  /** addPort - a new port, named `<switch>:p<index>` unless given a name. */
  addPort(name?: string): SwitchPort {
    const port = new SwitchPort(this, this.ports.length, name ?? `${this.name}:p${this.ports.length}`);
    this.ports.push(port);
    return port;
  }

  /**
   * addFdbEntry - a static forwarding entry: frames to `mac` leave by `port`.
   *
   * Kernel: net/bridge/br_fdb.c br_fdb_add() (NUD_NOARP static entry)
   * @throws KernelError EINVAL if the MAC is not 6 bytes or the port belongs to another switch
   * @throws KernelError EEXIST if the MAC already has an entry on another port
   */
  addFdbEntry(mac: Uint8Array, port: SwitchPort): void {
    if (mac.length !== ETH_ALEN) throw new KernelError('EINVAL', `${this.name}: mac must be ${ETH_ALEN} bytes`);
    if (port.switch !== this) throw new KernelError('EINVAL', `${this.name}: port ${port.name} is not ours`);
    const key = macKey(mac);
    const old = this.#fdb.get(key);
    if (old !== undefined && old !== port) {
      throw new KernelError('EEXIST', `${this.name}: ${macToString(mac)} already on port ${old.name}`);
    }
    this.#fdb.set(key, port);
  }

  /**
   * removeLastPort - remove the last port added (undo of `addPort`, used when adding a host fails).
   * @throws KernelError EINVAL if `port` is not the last port
   */
  removeLastPort(port: SwitchPort): void {
    if (this.ports[this.ports.length - 1] !== port) throw new KernelError('EINVAL', `${this.name}: ${port.name} is not the last port`);
    this.ports.pop();
    for (const [k, p] of this.#fdb) if (p === port) this.#fdb.delete(k);
  }

  /** delFdbEntry - remove a MAC's entry; returns true if there was one. */
  delFdbEntry(mac: Uint8Array): boolean {
    return this.#fdb.delete(macKey(mac));
  }

  /** fdbLookup - the port for a MAC, or null. */
  fdbLookup(mac: Uint8Array): SwitchPort | null {
    return this.#fdb.get(macKey(mac)) ?? null;
  }

  /**
   * forward - forward a frame that arrived on `ingress`.
   *
   * Kernel: net/bridge/br_input.c br_handle_frame_finish() -> br_forward() / br_flood()
   */
  forward(ingress: SwitchPort, frame: Frame): void {
    const h = frame.hdr;
    if (h.length < ETH_ALEN) {
      this.drops.inc('runt');
      return;
    }
    const key = macKey(h, 0);
    if (key === BROADCAST_MAC_KEY) {
      this.flooded++;
      const ports = this.ports;
      for (let i = 0; i < ports.length; i++) {
        const p = ports[i]!;
        if (p === ingress || p.tx === null) continue;
        p.txFrames++;
        p.tx.xmit(frame);
      }
      return;
    }
    const port = this.#fdb.get(key);
    if (port === undefined) {
      this.drops.inc('unknown-mac');
      return;
    }
    if (port === ingress) {
      this.drops.inc('same-port');
      return;
    }
    const tx = port.tx;
    if (tx === null) {
      this.drops.inc('no-link');
      return;
    }
    this.forwarded++;
    port.txFrames++;
    tx.xmit(frame);
  }

  /** Counters snapshot. */
  stats(): { forwarded: number; flooded: number; drops: Record<SwitchDropReason, number> } {
    return { forwarded: this.forwarded, flooded: this.flooded, drops: this.drops.snapshot() };
  }
}

/**
 * createSwitch - a new switch with no ports.
 * @default name 'sw0'
 * @example
 * ```ts
 * const sw = createSwitch();
 * ```
 */
export function createSwitch(name?: string): Switch {
  return new Switch(name);
}
