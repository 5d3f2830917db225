/**
 * ip - IPv4 headers: build (with the header checksum), parse and validate; address helpers.
 *
 * Kernel: include/uapi/linux/ip.h (struct iphdr, IPVERSION, IP_DF), include/uapi/linux/in.h
 *         (IPPROTO_UDP), include/net/ip.h (ip_send_check()), arch/.../checksum.h
 *         (ip_fast_csum()), net/core/utils.c (in_aton()), net/ipv4/ip_input.c (ip_rcv_core()
 *         header checks), drivers/infiniband/sw/rxe/rxe_net.c (prepare_ipv4_hdr())
 *
 * Operation: addresses are dotted strings (`'10.0.0.1'`) at the user API (`addHost({ ip })`,
 * `net_device.ip`) and u32 numbers in host order internally and on the hot path
 * (`net_device.ifa_address`, `iphdr.saddr`); `in_aton()` / `ipv4ToString()` convert. Builders
 * write into a caller's Uint8Array at an offset and allocate nothing.
 *
 * Layout (IHL 5, 20 bytes): version|ihl, tos, tot_len, id, frag_off (DF = 0x4000), ttl,
 * protocol, check, saddr, daddr - all big-endian. No options are built; headers with options
 * (IHL > 5) fail `ipv4Check()`.
 */
import { KernelError } from '@rdmaemu/sim-core';

/** IPVERSION - the IPv4 version number. Kernel: include/uapi/linux/ip.h */
export const IPVERSION = 4;
/** IP_DF - the Don't Fragment flag in frag_off. Kernel: include/net/ip.h */
export const IP_DF = 0x4000;
/** IP_MF - the More Fragments flag. Kernel: include/net/ip.h */
export const IP_MF = 0x2000;
/** IP_OFFSET - the fragment offset mask. Kernel: include/net/ip.h */
export const IP_OFFSET = 0x1fff;
/** IPPROTO_UDP - the UDP protocol number. Kernel: include/uapi/linux/in.h */
export const IPPROTO_UDP = 17;
/** IPDEFTTL - the default TTL (sysctl ip_default_ttl). Kernel: include/uapi/linux/ip.h */
export const IPDEFTTL = 64;
/** Length of an IPv4 header without options (IHL 5). */
export const IPV4_HLEN = 20;

/**
 * iphdr - a parsed IPv4 header (addresses as u32 host-order numbers).
 *
 * Kernel: include/uapi/linux/ip.h struct iphdr
 */
export interface iphdr {
  version: number;
  ihl: number;
  tos: number;
  tot_len: number;
  id: number;
  frag_off: number;
  ttl: number;
  protocol: number;
  check: number;
  saddr: number;
  daddr: number;
}

/**
 * Ipv4HeaderInit - the fields `ip_header()` writes. Reuse one object per sender to keep the hot
 * path allocation-free.
 */
export interface Ipv4HeaderInit {
  /** Source address, u32 host order. */
  saddr: number;
  /** Destination address, u32 host order. */
  daddr: number;
  /** Total length: IP header + IP payload. */
  tot_len: number;
  /** @default 0 */
  tos?: number;
  /** @default IPDEFTTL (64) */
  ttl?: number;
  /** Identification. @default 0 */
  id?: number;
  /** Set DF. @default true */
  df?: boolean;
  /** @default IPPROTO_UDP */
  protocol?: number;
}

/**
 * ip_fast_csum - the IPv4 header checksum over `ihl` 32-bit words at `buf[off]`.
 *
 * Kernel: arch/x86/include/asm/checksum_64.h ip_fast_csum()
 *
 * Over a header whose check field is filled in, the result is 0 when the header is intact.
 * @returns the 16-bit one's-complement checksum, ready to store big-endian
 * @example
 * ```ts
 * const b = new Uint8Array(20); ip_header(b, 0, { saddr: 1, daddr: 2, tot_len: 20 });
 * console.assert(ip_fast_csum(b, 0, 5) === 0);
 * ```
 */
export function ip_fast_csum(buf: Uint8Array, off: number, ihl: number): number {
  let sum = 0;
  const end = off + ihl * 4;
  for (let i = off; i < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * ip_send_check - compute and store the header checksum of the IPv4 header at `buf[off]`.
 *
 * Kernel: include/net/ip.h ip_send_check()
 * @example
 * ```ts
 * const b = new Uint8Array(20); ip_header(b, 0, { saddr: 1, daddr: 2, tot_len: 20 });
 * b[8] = 1; ip_send_check(b, 0);            // changed the TTL: refresh the checksum
 * console.assert(ip_fast_csum(b, 0, 5) === 0);
 * ```
 */
export function ip_send_check(buf: Uint8Array, off: number): void {
  buf[off + 10] = 0;
  buf[off + 11] = 0;
  const csum = ip_fast_csum(buf, off, buf[off]! & 0x0f);
  buf[off + 10] = csum >>> 8;
  buf[off + 11] = csum & 0xff;
}

/**
 * ip_header - write a 20-byte IPv4 header (IHL 5) at `buf[off]` and its checksum.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_net.c prepare_ipv4_hdr(), include/net/ip.h ip_send_check()
 * @returns off + 20
 * @example
 * ```ts
 * const b = new Uint8Array(20);
 * ip_header(b, 0, { saddr: in_aton('10.0.0.1'), daddr: in_aton('10.0.0.2'), tot_len: 48 });
 * console.assert(b[0] === 0x45 && b[8] === 64 && b[9] === IPPROTO_UDP);
 * ```
 */
export function ip_header(buf: Uint8Array, off: number, init: Ipv4HeaderInit): number {
  const tot_len = init.tot_len;
  const id = init.id ?? 0;
  const saddr = init.saddr;
  const daddr = init.daddr;
  const frag = (init.df ?? true) ? IP_DF : 0;
  buf[off] = 0x45;
  buf[off + 1] = (init.tos ?? 0) & 0xff;
  buf[off + 2] = (tot_len >>> 8) & 0xff;
  buf[off + 3] = tot_len & 0xff;
  buf[off + 4] = (id >>> 8) & 0xff;
  buf[off + 5] = id & 0xff;
  buf[off + 6] = frag >>> 8;
  buf[off + 7] = frag & 0xff;
  buf[off + 8] = (init.ttl ?? IPDEFTTL) & 0xff;
  buf[off + 9] = (init.protocol ?? IPPROTO_UDP) & 0xff;
  buf[off + 10] = 0;
  buf[off + 11] = 0;
  buf[off + 12] = saddr >>> 24;
  buf[off + 13] = (saddr >>> 16) & 0xff;
  buf[off + 14] = (saddr >>> 8) & 0xff;
  buf[off + 15] = saddr & 0xff;
  buf[off + 16] = daddr >>> 24;
  buf[off + 17] = (daddr >>> 16) & 0xff;
  buf[off + 18] = (daddr >>> 8) & 0xff;
  buf[off + 19] = daddr & 0xff;
  const csum = ip_fast_csum(buf, off, 5);
  buf[off + 10] = csum >>> 8;
  buf[off + 11] = csum & 0xff;
  return off + IPV4_HLEN;
}

/** Read a big-endian u32 at buf[off] as an unsigned number. */
function be32(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

/**
 * ip_hdr - parse the IPv4 header at `buf[off]`.
 *
 * Kernel: include/linux/ip.h ip_hdr()
 * @returns the header, or null if fewer than 20 bytes remain
 * @example
 * ```ts
 * const b = new Uint8Array(20); ip_header(b, 0, { saddr: 1, daddr: 2, tot_len: 20 });
 * console.assert(ip_hdr(b)!.daddr === 2);
 * ```
 */
export function ip_hdr(buf: Uint8Array, off = 0): iphdr | null {
  if (buf.length - off < IPV4_HLEN) return null;
  return {
    version: buf[off]! >>> 4,
    ihl: buf[off]! & 0x0f,
    tos: buf[off + 1]!,
    tot_len: (buf[off + 2]! << 8) | buf[off + 3]!,
    id: (buf[off + 4]! << 8) | buf[off + 5]!,
    frag_off: (buf[off + 6]! << 8) | buf[off + 7]!,
    ttl: buf[off + 8]!,
    protocol: buf[off + 9]!,
    check: (buf[off + 10]! << 8) | buf[off + 11]!,
    saddr: be32(buf, off + 12),
    daddr: be32(buf, off + 16),
  };
}

/** ip_daddr - the destination address of the IPv4 header at `buf[off]` (hot path, u32). */
export function ip_daddr(buf: Uint8Array, off: number): number {
  return be32(buf, off + 16);
}

/** ip_saddr - the source address of the IPv4 header at `buf[off]` (hot path, u32). */
export function ip_saddr(buf: Uint8Array, off: number): number {
  return be32(buf, off + 12);
}

/**
 * Ipv4CheckResult - why `ipv4Check()` rejected a header (`'ok'` if it did not); the names match
 * the fabric's drop counters.
 */
export type Ipv4CheckResult = 'ok' | 'ip-truncated' | 'ip-version' | 'ip-ihl' | 'ip-csum' | 'ip-len' | 'ip-frag';

/**
 * ipv4Check - the receive-side IPv4 header checks (version 4, IHL 5, checksum, tot_len within
 * `avail`, not a fragment).
 *
 * Kernel: net/ipv4/ip_input.c ip_rcv_core()
 *
 * Divergence: IP options (IHL > 5) and fragments are rejected rather than processed; RoCEv2 sets
 * DF and never uses options.
 * @param avail bytes available from `off` to the end of the frame
 * @example
 * ```ts
 * const b = new Uint8Array(20); ip_header(b, 0, { saddr: 1, daddr: 2, tot_len: 20 });
 * console.assert(ipv4Check(b, 0, 20) === 'ok');
 * b[15] ^= 1;
 * console.assert(ipv4Check(b, 0, 20) === 'ip-csum');
 * ```
 */
export function ipv4Check(buf: Uint8Array, off: number, avail: number): Ipv4CheckResult {
  if (avail < IPV4_HLEN || buf.length - off < IPV4_HLEN) return 'ip-truncated';
  const vihl = buf[off]!;
  if (vihl >>> 4 !== IPVERSION) return 'ip-version';
  if ((vihl & 0x0f) !== 5) return 'ip-ihl';
  if (ip_fast_csum(buf, off, 5) !== 0) return 'ip-csum';
  const tot_len = (buf[off + 2]! << 8) | buf[off + 3]!;
  if (tot_len < IPV4_HLEN || tot_len > avail) return 'ip-len';
  if ((((buf[off + 6]! << 8) | buf[off + 7]!) & (IP_MF | IP_OFFSET)) !== 0) return 'ip-frag';
  return 'ok';
}

/**
 * in_aton - convert a dotted-quad string to a u32 (host-order number).
 *
 * Kernel: net/core/utils.c in_aton()
 *
 * Divergence: returns host order (the kernel returns __be32) and validates its input.
 * @throws KernelError EINVAL if `s` is not four decimal octets 0..255
 * @example
 * ```ts
 * console.assert(in_aton('10.0.0.1') === 0x0a000001);
 * ```
 */
export function in_aton(s: string): number {
  const parts = s.split('.');
  if (parts.length !== 4) throw new KernelError('EINVAL', `ip: bad ipv4 address '${s}'`);
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new KernelError('EINVAL', `ip: bad ipv4 address '${s}'`);
    v = v * 256 + Number(p);
  }
  return v;
}

/**
 * ipv4ToString - format a u32 address as a dotted quad (the kernel's `%pI4`).
 * @example
 * ```ts
 * console.assert(ipv4ToString(0x0a000001) === '10.0.0.1');
 * ```
 */
export function ipv4ToString(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

/**
 * toIpv4 - accept either form (dotted string or u32) and return the u32.
 * @throws KernelError EINVAL if a string is malformed or a number is not a u32
 * @example
 * ```ts
 * console.assert(toIpv4('10.0.0.1') === toIpv4(0x0a000001));
 * ```
 */
export function toIpv4(addr: string | number): number {
  if (typeof addr === 'number') {
    if (!Number.isInteger(addr) || addr < 0 || addr > 0xffffffff) {
      throw new KernelError('EINVAL', `ip: bad ipv4 address ${addr}`);
    }
    return addr;
  }
  return in_aton(addr);
}
