/**
 * ether - Ethernet II headers and MAC addresses.
 *
 * Kernel: include/uapi/linux/if_ether.h (ETH_ALEN, ETH_HLEN, ETH_P_*, struct ethhdr),
 *         include/linux/etherdevice.h (ether_addr_equal(), is_broadcast_ether_addr(),
 *         is_multicast_ether_addr()), net/ethernet/eth.c (eth_header(), eth_type_trans())
 *
 * Operation: builders write into a caller's Uint8Array at an offset and allocate nothing;
 * parsers read the same layout back. All multi-byte fields are big-endian (network order).
 * MAC addresses are 6-byte Uint8Arrays at the API (`dev_addr`, `h_dest`), and a 48-bit number
 * (`macKey()`, exact below 2^53) where a map key is needed (the switch's forwarding table).
 *
 * Layout (14 bytes): h_dest[6] h_source[6] h_proto(be16). No FCS and no 802.1Q tag.
 */
import { KernelError } from '@rdmaemu/sim-core';

/** ETH_ALEN - octets in one Ethernet address. Kernel: include/uapi/linux/if_ether.h */
export const ETH_ALEN = 6;
/** ETH_HLEN - total octets in an Ethernet II header. Kernel: include/uapi/linux/if_ether.h */
export const ETH_HLEN = 14;
/** ETH_ZLEN - minimum octets in a frame without FCS. Kernel: include/uapi/linux/if_ether.h */
export const ETH_ZLEN = 60;
/** ETH_DATA_LEN - the standard Ethernet MTU. Kernel: include/uapi/linux/if_ether.h */
export const ETH_DATA_LEN = 1500;
/** ETH_P_IP - EtherType of IPv4. Kernel: include/uapi/linux/if_ether.h */
export const ETH_P_IP = 0x0800;
/** ETH_P_ARP - EtherType of ARP (unused on the wire: neighbours come from the fabric directory). */
export const ETH_P_ARP = 0x0806;
/** ETH_P_IPV6 - EtherType of IPv6 (not modelled; such frames are dropped). */
export const ETH_P_IPV6 = 0x86dd;

/**
 * ethhdr - a parsed Ethernet II header.
 *
 * Kernel: include/uapi/linux/if_ether.h struct ethhdr
 */
export interface ethhdr {
  h_dest: Uint8Array;
  h_source: Uint8Array;
  h_proto: number;
}

/**
 * eth_header - write an Ethernet II header at `buf[off .. off+14)`.
 *
 * Kernel: net/ethernet/eth.c eth_header()
 *
 * Divergence: writes into a byte array at an offset instead of pushing onto an skb; returns the
 * offset after the header.
 * @returns off + ETH_HLEN
 * @example
 * ```ts
 * const buf = new Uint8Array(14);
 * eth_header(buf, 0, macFromString('02:00:0a:00:00:02'), macFromString('02:00:0a:00:00:01'), ETH_P_IP);
 * console.assert(buf[12] === 0x08 && buf[13] === 0x00);
 * ```
 */
export function eth_header(buf: Uint8Array, off: number, h_dest: Uint8Array, h_source: Uint8Array, h_proto: number): number {
  buf[off] = h_dest[0]!;
  buf[off + 1] = h_dest[1]!;
  buf[off + 2] = h_dest[2]!;
  buf[off + 3] = h_dest[3]!;
  buf[off + 4] = h_dest[4]!;
  buf[off + 5] = h_dest[5]!;
  buf[off + 6] = h_source[0]!;
  buf[off + 7] = h_source[1]!;
  buf[off + 8] = h_source[2]!;
  buf[off + 9] = h_source[3]!;
  buf[off + 10] = h_source[4]!;
  buf[off + 11] = h_source[5]!;
  buf[off + 12] = (h_proto >>> 8) & 0xff;
  buf[off + 13] = h_proto & 0xff;
  return off + ETH_HLEN;
}

/**
 * eth_hdr - parse the Ethernet II header at `buf[off]` (the destination/source are views).
 *
 * Kernel: include/linux/if_ether.h eth_hdr()
 * @returns the header, or null if fewer than ETH_HLEN bytes remain
 * @example
 * ```ts
 * const h = eth_hdr(new Uint8Array(14));
 * console.assert(h !== null && h.h_proto === 0);
 * ```
 */
export function eth_hdr(buf: Uint8Array, off = 0): ethhdr | null {
  if (buf.length - off < ETH_HLEN) return null;
  return {
    h_dest: buf.subarray(off, off + 6),
    h_source: buf.subarray(off + 6, off + 12),
    h_proto: (buf[off + 12]! << 8) | buf[off + 13]!,
  };
}

/**
 * eth_proto - the EtherType of the header at `buf[off]` (hot-path accessor, no allocation).
 * @example
 * ```ts
 * console.assert(eth_proto(new Uint8Array(14)) === 0);
 * ```
 */
export function eth_proto(buf: Uint8Array, off = 0): number {
  return (buf[off + 12]! << 8) | buf[off + 13]!;
}

/**
 * macKey - a 6-byte MAC at `buf[off]` as a 48-bit number (exact; usable as a Map key).
 * @example
 * ```ts
 * console.assert(macKey(macFromString('00:00:00:00:01:00')) === 256);
 * ```
 */
export function macKey(buf: Uint8Array, off = 0): number {
  return (
    ((buf[off]! << 8) | buf[off + 1]!) * 0x1_0000_0000 +
    (((buf[off + 2]! << 24) | (buf[off + 3]! << 16) | (buf[off + 4]! << 8) | buf[off + 5]!) >>> 0)
  );
}

/** BROADCAST_MAC_KEY - `macKey()` of ff:ff:ff:ff:ff:ff. */
export const BROADCAST_MAC_KEY = 0xffff_ffff_ffff;

/**
 * is_broadcast_ether_addr - true for ff:ff:ff:ff:ff:ff.
 *
 * Kernel: include/linux/etherdevice.h is_broadcast_ether_addr()
 * @example
 * ```ts
 * console.assert(is_broadcast_ether_addr(new Uint8Array(6).fill(0xff)));
 * ```
 */
export function is_broadcast_ether_addr(addr: Uint8Array, off = 0): boolean {
  return (addr[off]! & addr[off + 1]! & addr[off + 2]! & addr[off + 3]! & addr[off + 4]! & addr[off + 5]!) === 0xff;
}

/**
 * is_multicast_ether_addr - true if the group bit (bit 0 of the first octet) is set.
 *
 * Kernel: include/linux/etherdevice.h is_multicast_ether_addr()
 * @example
 * ```ts
 * console.assert(is_multicast_ether_addr(macFromString('01:00:5e:00:00:01')));
 * ```
 */
export function is_multicast_ether_addr(addr: Uint8Array, off = 0): boolean {
  return (addr[off]! & 0x01) !== 0;
}

/**
 * ether_addr_equal - compare two MAC addresses.
 *
 * Kernel: include/linux/etherdevice.h ether_addr_equal()
 * @example
 * ```ts
 * console.assert(ether_addr_equal(new Uint8Array(6), new Uint8Array(6)));
 * ```
 */
export function ether_addr_equal(a: Uint8Array, b: Uint8Array): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3] && a[4] === b[4] && a[5] === b[5];
}

/**
 * macFromString - parse `"02:00:0a:00:00:01"` into 6 bytes.
 * @throws KernelError EINVAL if the string is not six colon-separated hex octets
 * @example
 * ```ts
 * console.assert(macFromString('02:00:0a:00:00:01')[2] === 10);
 * ```
 */
export function macFromString(s: string): Uint8Array {
  const parts = s.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new KernelError('EINVAL', `ether: bad mac address '${s}'`);
  }
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

/**
 * macToString - format 6 bytes as `"02:00:0a:00:00:01"` (the kernel's `%pM`).
 * @example
 * ```ts
 * console.assert(macToString(new Uint8Array(6)) === '00:00:00:00:00:00');
 * ```
 */
export function macToString(addr: Uint8Array, off = 0): string {
  const out: string[] = [];
  for (let i = 0; i < ETH_ALEN; i++) out.push(addr[off + i]!.toString(16).padStart(2, '0'));
  return out.join(':');
}

/**
 * macFromIpv4 - the fabric's deterministic, locally administered MAC for an IPv4 address:
 * `02:00:a:b:c:d` for a.b.c.d (u32 host-order number).
 * @example
 * ```ts
 * console.assert(macToString(macFromIpv4(0x0a000001)) === '02:00:0a:00:00:01');
 * ```
 */
export function macFromIpv4(ip: number): Uint8Array {
  return Uint8Array.of(0x02, 0x00, (ip >>> 24) & 0xff, (ip >>> 16) & 0xff, (ip >>> 8) & 0xff, ip & 0xff);
}
