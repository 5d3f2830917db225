/**
 * neighbour - IPv4 -> MAC resolution: the fabric's ARP table, modelled as a directory.
 *
 * Kernel: net/core/neighbour.c (struct neigh_table, neigh_lookup()), net/ipv4/arp.c (arp_tbl)
 *
 * Operation: the fabric fills one `neigh_table` as hosts are added (IP -> MAC); every netdev on the
 * fabric points at it. `neigh_lookup(dev, ip)` answers synchronously. No ARP frames travel on the
 * wire in-process: resolution is instantaneous and never fails for a host on the fabric, and an
 * unknown address resolves to `null` (the kernel's NUD_FAILED after ARP retries; rxe then fails
 * the send, as `rxe_find_route`/`dst_neigh_output` would).
 *
 * Invariants: entries are permanent (NUD_PERMANENT) for the fabric's lifetime.
 */
import type { net_device } from './netdev.js';
import { toIpv4 } from './ip.js';

/**
 * neigh_table - a table of IPv4 -> MAC entries.
 *
 * Kernel: include/net/neighbour.h struct neigh_table
 *
 * Divergence: a directory filled by the fabric; no states (NUD_*), timers or ARP probes.
 * @example
 * ```ts
 * const tbl = new neigh_table();
 * tbl.update(0x0a000001, macFromIpv4(0x0a000001));
 * console.assert(tbl.lookup(0x0a000001) !== null && tbl.lookup(0x0a000009) === null);
 * ```
 */
export class neigh_table {
  readonly #entries = new Map<number, Uint8Array>();

  /** lookup - the MAC for a u32 address, or null. */
  lookup(ip: number): Uint8Array | null {
    return this.#entries.get(ip) ?? null;
  }

  /** update - add or replace a permanent entry (kernel: neigh_update() with NUD_PERMANENT). */
  update(ip: number, mac: Uint8Array): void {
    this.#entries.set(ip, mac);
  }

  /** delete - remove an entry; returns true if there was one. */
  delete(ip: number): boolean {
    return this.#entries.delete(ip);
  }

  /** Number of entries. */
  get size(): number {
    return this.#entries.size;
  }

  /** All entries as [u32 ip, mac] pairs (for `ip neigh`-style printouts). */
  entries(): IterableIterator<[number, Uint8Array]> {
    return this.#entries.entries();
  }
}

/**
 * neigh_lookup - resolve `ip` to a MAC address through the device's neighbour table.
 *
 * Kernel: net/core/neighbour.c neigh_lookup()
 *
 * Divergence: takes (dev, ip) and returns the MAC (or null) rather than a refcounted `struct
 * neighbour`; the table is the device's fabric directory. Pass a u32 on the hot path; a dotted
 * string is parsed each call.
 * @param ip IPv4 address, u32 host order or dotted string
 * @returns the 6-byte MAC (do not modify it), or null if unknown or the device has no table
 * @throws KernelError EINVAL if `ip` is a malformed string or not a u32
 * @example
 * ```ts
 * const fabric = createFabric(new SimClock({ seed: 1 }));
 * const a = fabric.addHost({ name: 'a', ip: '10.0.0.1' });
 * fabric.addHost({ name: 'b', ip: '10.0.0.2' });
 * console.assert(macToString(neigh_lookup(a.netdev, '10.0.0.2')!) === '02:00:0a:00:00:02');
 * ```
 */
export function neigh_lookup(dev: net_device, ip: number | string): Uint8Array | null {
  const tbl = dev.neigh;
  if (tbl === null) return null;
  return tbl.lookup(typeof ip === 'number' ? ip : toIpv4(ip));
}
