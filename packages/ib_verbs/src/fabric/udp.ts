/**
 * udp - UDP headers, the RoCEv2 port, and the one-call Ethernet+IPv4+UDP encapsulation rxe uses.
 *
 * Kernel: include/uapi/linux/udp.h (struct udphdr), include/rdma/ib_verbs.h (ROCE_V2_UDP_DPORT),
 *         net/ipv4/udp_tunnel_core.c (udp_tunnel_xmit_skb()), drivers/infiniband/sw/rxe/rxe_net.c
 *         (prepare_udp_hdr(), prepare4())
 *
 * Operation: rxe sends every RoCEv2 packet as UDP to port 4791 with a per-QP source port (for
 * ECMP entropy) and a zero UDP checksum (the ICRC protects the payload; RFC 6935 style zero
 * checksum over IPv4 is legal). `udpTunnelHeaders()` writes the 42 bytes Ethernet + IPv4 + UDP
 * in front of the IB headers in one call; the IB transport headers start at `ETH_IP_UDP_HLEN`.
 *
 * Layout (8 bytes): source, dest, len (UDP header + payload), check - big-endian.
 */
import { ETH_HLEN, ETH_P_IP, eth_header } from './ether.js';
import { IPDEFTTL, IPPROTO_UDP, IPV4_HLEN, IP_DF, ip_fast_csum } from './ip.js';

/** ROCE_V2_UDP_DPORT - the IANA UDP port of RoCEv2. Kernel: include/rdma/ib_verbs.h */
export const ROCE_V2_UDP_DPORT = 4791;
/** Length of a UDP header. Kernel: sizeof(struct udphdr) */
export const UDP_HLEN = 8;
/** Offset of the IB transport headers (BTH) in a RoCEv2 frame: 14 + 20 + 8. */
export const ETH_IP_UDP_HLEN = ETH_HLEN + IPV4_HLEN + UDP_HLEN;

/**
 * udphdr - a parsed UDP header.
 *
 * Kernel: include/uapi/linux/udp.h struct udphdr
 */
export interface udphdr {
  source: number;
  dest: number;
  len: number;
  check: number;
}

/**
 * udp_header - write a UDP header with checksum 0 at `buf[off]`.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_net.c prepare_udp_hdr()
 * @param len UDP header + payload length
 * @returns off + 8
 * @example
 * ```ts
 * const b = new Uint8Array(8);
 * udp_header(b, 0, 49152, ROCE_V2_UDP_DPORT, 40);
 * console.assert(udp_hdr(b)!.dest === 4791);
 * ```
 */
export function udp_header(buf: Uint8Array, off: number, source: number, dest: number, len: number): number {
  buf[off] = (source >>> 8) & 0xff;
  buf[off + 1] = source & 0xff;
  buf[off + 2] = (dest >>> 8) & 0xff;
  buf[off + 3] = dest & 0xff;
  buf[off + 4] = (len >>> 8) & 0xff;
  buf[off + 5] = len & 0xff;
  buf[off + 6] = 0;
  buf[off + 7] = 0;
  return off + UDP_HLEN;
}

/**
 * udp_hdr - parse the UDP header at `buf[off]`.
 *
 * Kernel: include/linux/udp.h udp_hdr()
 * @returns the header, or null if fewer than 8 bytes remain
 * @example
 * ```ts
 * console.assert(udp_hdr(new Uint8Array(8))!.len === 0);
 * ```
 */
export function udp_hdr(buf: Uint8Array, off = 0): udphdr | null {
  if (buf.length - off < UDP_HLEN) return null;
  return {
    source: (buf[off]! << 8) | buf[off + 1]!,
    dest: (buf[off + 2]! << 8) | buf[off + 3]!,
    len: (buf[off + 4]! << 8) | buf[off + 5]!,
    check: (buf[off + 6]! << 8) | buf[off + 7]!,
  };
}

/**
 * UdpTunnelInit - everything `udpTunnelHeaders()` writes besides the lengths. Keep one per QP (or
 * per address vector) and reuse it: the builder reads it and allocates nothing.
 */
export interface UdpTunnelInit {
  h_dest: Uint8Array;
  h_source: Uint8Array;
  /** u32 host order. */
  saddr: number;
  /** u32 host order. */
  daddr: number;
  /** UDP source port (rxe: per QP). */
  sport: number;
  /** @default ROCE_V2_UDP_DPORT */
  dport?: number;
  /** @default 0 */
  tos?: number;
  /** @default IPDEFTTL (64) */
  ttl?: number;
  /** IPv4 identification. @default 0 */
  id?: number;
}

/**
 * udpTunnelHeaders - write Ethernet II + IPv4 (DF, checksum) + UDP (checksum 0) at `buf[off]`
 * for a UDP payload of `udpPayloadLen` bytes (the IB packet: headers, data, pad, ICRC).
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_net.c prepare4() + prepare_udp_hdr() +
 *         prepare_ipv4_hdr(), net/ethernet/eth.c eth_header()
 * @returns off + ETH_IP_UDP_HLEN, where the BTH goes
 * @example A 12-byte BTH + 4-byte ICRC SEND
 * ```ts
 * const hdr = new Uint8Array(ETH_IP_UDP_HLEN + 12);
 * const bthOff = udpTunnelHeaders(hdr, 0, {
 *   h_dest: macFromIpv4(0x0a000002), h_source: macFromIpv4(0x0a000001),
 *   saddr: 0x0a000001, daddr: 0x0a000002, sport: 49152,
 * }, 16);
 * console.assert(bthOff === 42);
 * ```
 */
export function udpTunnelHeaders(buf: Uint8Array, off: number, init: UdpTunnelInit, udpPayloadLen: number): number {
  eth_header(buf, off, init.h_dest, init.h_source, ETH_P_IP);
  const ip = off + ETH_HLEN;
  const udpLen = UDP_HLEN + udpPayloadLen;
  const tot_len = IPV4_HLEN + udpLen;
  const id = init.id ?? 0;
  const saddr = init.saddr;
  const daddr = init.daddr;
  buf[ip] = 0x45;
  buf[ip + 1] = (init.tos ?? 0) & 0xff;
  buf[ip + 2] = (tot_len >>> 8) & 0xff;
  buf[ip + 3] = tot_len & 0xff;
  buf[ip + 4] = (id >>> 8) & 0xff;
  buf[ip + 5] = id & 0xff;
  buf[ip + 6] = IP_DF >>> 8;
  buf[ip + 7] = 0;
  buf[ip + 8] = (init.ttl ?? IPDEFTTL) & 0xff;
  buf[ip + 9] = IPPROTO_UDP;
  buf[ip + 10] = 0;
  buf[ip + 11] = 0;
  buf[ip + 12] = saddr >>> 24;
  buf[ip + 13] = (saddr >>> 16) & 0xff;
  buf[ip + 14] = (saddr >>> 8) & 0xff;
  buf[ip + 15] = saddr & 0xff;
  buf[ip + 16] = daddr >>> 24;
  buf[ip + 17] = (daddr >>> 16) & 0xff;
  buf[ip + 18] = (daddr >>> 8) & 0xff;
  buf[ip + 19] = daddr & 0xff;
  const csum = ip_fast_csum(buf, ip, 5);
  buf[ip + 10] = csum >>> 8;
  buf[ip + 11] = csum & 0xff;
  return udp_header(buf, ip + IPV4_HLEN, init.sport, init.dport ?? ROCE_V2_UDP_DPORT, udpLen);
}

/**
 * UdpTunnelTemplate - the Ethernet + IPv4 + UDP headers of one tunnel, built once
 * (`udpTunnelTemplate()`), stamped per packet with `udpTunnelHeadersFrom()`: a 42-byte copy and
 * three patched fields (IPv4 tot_len and checksum, UDP length) instead of writing each field and
 * summing the IPv4 header again.
 *
 * Emulator-only.
 */
export interface UdpTunnelTemplate {
  /** The 42 header bytes with tot_len, checksum and UDP length 0. */
  readonly bytes: Uint8Array;
  /** One's-complement partial sum (unfolded) of the IPv4 header words except tot_len and check. */
  readonly sum: number;
  /** The init the template was built from, field by field (to detect a changed tunnel). */
  readonly saddr: number;
  readonly daddr: number;
  readonly sport: number;
  readonly dport: number;
  readonly tos: number;
  readonly ttl: number;
  readonly id: number;
  readonly h_dest: Uint8Array;
  readonly h_source: Uint8Array;
}

/**
 * udpTunnelTemplate - build the reusable header template of a tunnel.
 * @example
 * ```ts
 * const tpl = udpTunnelTemplate(tunnel);
 * udpTunnelHeadersFrom(buf, tpl, ibLen);   // same bytes as udpTunnelHeaders(buf, 0, tunnel, ibLen)
 * ```
 */
export function udpTunnelTemplate(init: UdpTunnelInit): UdpTunnelTemplate {
  const bytes = new Uint8Array(ETH_IP_UDP_HLEN);
  udpTunnelHeaders(bytes, 0, init, 0);
  const ip = ETH_HLEN;
  bytes[ip + 2] = 0;
  bytes[ip + 3] = 0;
  bytes[ip + 10] = 0;
  bytes[ip + 11] = 0;
  bytes[ip + IPV4_HLEN + 4] = 0;
  bytes[ip + IPV4_HLEN + 5] = 0;
  let sum = 0;
  for (let i = ip; i < ip + IPV4_HLEN; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  return {
    bytes, sum, saddr: init.saddr, daddr: init.daddr, sport: init.sport, dport: init.dport ?? ROCE_V2_UDP_DPORT,
    tos: init.tos ?? 0, ttl: init.ttl ?? IPDEFTTL, id: init.id ?? 0,
    h_dest: Uint8Array.from(init.h_dest.subarray(0, 6)), h_source: Uint8Array.from(init.h_source.subarray(0, 6)),
  };
}

/**
 * udpTunnelTemplateMatches - true if `tpl` still describes `init` (every field, MAC bytes included).
 */
export function udpTunnelTemplateMatches(tpl: UdpTunnelTemplate, init: UdpTunnelInit): boolean {
  if (tpl.saddr !== init.saddr || tpl.daddr !== init.daddr || tpl.sport !== init.sport ||
      tpl.dport !== (init.dport ?? ROCE_V2_UDP_DPORT) || tpl.tos !== (init.tos ?? 0) ||
      tpl.ttl !== (init.ttl ?? IPDEFTTL) || tpl.id !== (init.id ?? 0)) return false;
  const d = init.h_dest;
  const s = init.h_source;
  const td = tpl.h_dest;
  const ts = tpl.h_source;
  for (let i = 0; i < 6; i++) if (d[i] !== td[i] || s[i] !== ts[i]) return false;
  return true;
}

/**
 * udpTunnelHeadersFrom - `udpTunnelHeaders(buf, 0, init, udpPayloadLen)` from a template: the
 * identical 42 bytes.
 * @returns ETH_IP_UDP_HLEN (the offset after the UDP header)
 */
export function udpTunnelHeadersFrom(buf: Uint8Array, tpl: UdpTunnelTemplate, udpPayloadLen: number): number {
  buf.set(tpl.bytes, 0);
  const ip = ETH_HLEN;
  const udpLen = UDP_HLEN + udpPayloadLen;
  const tot_len = IPV4_HLEN + udpLen;
  const t = tot_len & 0xffff;
  buf[ip + 2] = t >>> 8;
  buf[ip + 3] = t & 0xff;
  let sum = tpl.sum + t;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  const csum = ~sum & 0xffff;
  buf[ip + 10] = csum >>> 8;
  buf[ip + 11] = csum & 0xff;
  buf[ip + IPV4_HLEN + 4] = (udpLen >>> 8) & 0xff;
  buf[ip + IPV4_HLEN + 5] = udpLen & 0xff;
  return ETH_IP_UDP_HLEN;
}
