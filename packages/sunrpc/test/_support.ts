/**
 * _support - shared rigs for the sunrpc specs: encode into / decode from a flat xdr_buf, and the
 * fast-check seed (RDMAEMU_SEED, printed once and on failure).
 */
import { formatSeed, seedFromEnv } from '@rdmaemu/sim-core';
import { xdr_buf, xdr_buf_init, xdr_init_decode, xdr_init_encode, xdr_stream } from '@rdmaemu/xdr_buf';

/** The property-test seed: RDMAEMU_SEED or a fresh one. */
export const SEED = seedFromEnv();
export const fcParams = { seed: SEED, numRuns: 300 };
console.log(`sunrpc specs: RDMAEMU_SEED=${formatSeed(SEED)}`);

/** Run `fn` against an encode stream over a `cap`-byte head; return the bytes written. */
export function encodeWith(fn: (xdr: xdr_stream) => number, cap = 2048): { rc: number; bytes: Uint8Array } {
  const buf = new xdr_buf();
  xdr_buf_init(buf, new Uint8Array(cap), cap);
  buf.head[0].iov_len = 0;
  const xdr = new xdr_stream();
  xdr_init_encode(xdr, buf, null);
  const rc = fn(xdr);
  return { rc, bytes: buf.head[0].iov_base.slice(0, buf.len) };
}

/** A decode stream over a copy of `bytes`. */
export function decoder(bytes: Uint8Array): xdr_stream {
  const buf = new xdr_buf();
  const copy = bytes.slice();
  xdr_buf_init(buf, copy, copy.length);
  buf.len = copy.length;
  const xdr = new xdr_stream();
  xdr_init_decode(xdr, buf, null);
  return xdr;
}

/** Big-endian words to bytes. */
export function words(...ws: number[]): Uint8Array {
  const out = new Uint8Array(ws.length * 4);
  const dv = new DataView(out.buffer);
  ws.forEach((w, i) => dv.setUint32(i * 4, w >>> 0));
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
