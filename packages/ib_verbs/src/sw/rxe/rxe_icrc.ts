/**
 * rxe_icrc - the RoCEv2 invariant CRC, computed without copying the payload.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_icrc.c (rxe_icrc_hdr, rxe_icrc_check, rxe_icrc_generate)
 *
 * Operation (ORACLES.md §1): ICRC = crc32 over
 *   FF×8 (the masked LRH) ‖ IPv4 header with TOS=0xFF, TTL=0xFF, checksum=0xFFFF ‖
 *   UDP header with checksum=0xFFFF ‖ BTH with byte 4 (resv8a) = 0xFF ‖ the rest of the IB
 *   headers ‖ payload ‖ pad,
 * stored little-endian in the 4 bytes after the pad. The headers are CRC'd in place by a table
 * loop that applies the masks on the fly; the payload views are fed to `zlib.crc32(view, prev)`
 * one by one (the incremental form), so payload bytes are never copied. rxe computes the same value
 * with its seed trick (0xdebb20e3 = the CRC state after the eight 0xFF bytes).
 *
 * Invariants: no state is kept between calls.
 */
import { crc32 } from 'node:zlib';
import type { Frame } from '../../fabric/frame.js';

/** Bytes of IPv4 (20) + UDP (8) headers before the BTH. */
const IP_UDP_HLEN = 28;
/** CRC-32 (IEEE 802.3, reflected, poly 0xedb88320) table: the same CRC as zlib.crc32. */
const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();
/** The (inverted) CRC register after the eight 0xFF bytes of the masked LRH. */
const AFTER_LRH = (() => {
  let c = -1;
  for (let i = 0; i < 8; i++) c = CRC_TABLE[(c ^ 0xff) & 0xff]! ^ (c >>> 8);
  return c;
})();

/**
 * rxe_icrc_hdr - CRC of the masked pseudo-headers: FF×8, IPv4, UDP, IB headers.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_icrc.c rxe_icrc_hdr()
 *
 * Divergence: the ~70 header bytes are CRC'd by a table loop in place, masking on the fly (no
 * scratch copy, no zlib call: its per-call cost exceeds the work for so few bytes). The value
 * chains with zlib.crc32 exactly (same polynomial and register convention).
 * @param b buffer holding IPv4 + UDP + IB headers contiguously
 * @param ip_off offset of the IPv4 header in b
 * @param ib_hdr_len length of the IB headers (BTH and extension headers)
 * @returns the running CRC state (input for the payload part)
 */
export function rxe_icrc_hdr(b: Uint8Array, ip_off: number, ib_hdr_len: number): number {
  const T = CRC_TABLE;
  const end = ip_off + IP_UDP_HLEN + ib_hdr_len;
  let c = AFTER_LRH;
  for (let i = ip_off; i < end; i++) {
    const k = i - ip_off;
    // IPv4 TOS (1), TTL (8), checksum (10, 11); UDP checksum (26, 27); BTH resv8a (28 + 4)
    const x = k === 1 || k === 8 || k === 10 || k === 11 || k === 26 || k === 27 || k === 32 ? 0xff : b[i]!;
    c = T[(c ^ x) & 0xff]! ^ (c >>> 8);
  }
  return ~c >>> 0;
}

/**
 * rxe_icrc_compute - the ICRC of a packet: masked headers, then each payload view (data + pad).
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_icrc.c rxe_icrc_generate() / rxe_icrc_check()
 * @param views payload views in wire order, pad included, ICRC excluded
 * @returns the ICRC as a u32 (write it with rxe_icrc_store)
 * @example
 * ```ts
 * const icrc = rxe_icrc_compute(frame.hdr, 14, 12, [payload, pad]);
 * rxe_icrc_store(trailer, pad.length, icrc);
 * ```
 */
export function rxe_icrc_compute(b: Uint8Array, ip_off: number, ib_hdr_len: number, views: readonly Uint8Array[]): number {
  let crc = rxe_icrc_hdr(b, ip_off, ib_hdr_len);
  for (let i = 0; i < views.length; i++) {
    const v = views[i]!;
    if (v.length !== 0) crc = crc32(v, crc);
  }
  return crc >>> 0;
}

/** Store an ICRC little-endian at dst[off]. Kernel: rxe_icrc.c rxe_icrc_generate() `*icrcp = ~icrc` (as le32 on the wire). */
export function rxe_icrc_store(dst: Uint8Array, off: number, icrc: number): void {
  dst[off] = icrc & 0xff;
  dst[off + 1] = (icrc >>> 8) & 0xff;
  dst[off + 2] = (icrc >>> 16) & 0xff;
  dst[off + 3] = icrc >>> 24;
}

/** Load a little-endian ICRC from 4 bytes. Emulator-only. */
export function rxe_icrc_load(b0: number, b1: number, b2: number, b3: number): number {
  return (b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)) >>> 0;
}

/**
 * rxe_icrc_sent - the frames whose ICRC an rxe device computed at transmit, exactly as sent.
 *
 * Frames are immutable on the fabric (a `corrupt` fault materializes a new frame object), so a
 * receiver holding one of these very objects would recompute the CRC over the same bytes and get
 * the value it reads: rxe_rcv skips the recomputation for them (half the ICRC cost).
 *
 * Divergence: if the sender's memory under a payload view changes between transmit and delivery
 * (a ULP writing a buffer the HCA owns), the packet is accepted with the new bytes instead of
 * failing the ICRC - which is what hardware does, as its DMA read is the wire's content.
 */
export const rxe_icrc_sent = new WeakSet<Frame>();
