/**
 * _rpc_rdma_support - shared rigs for the xprtrdma codec specs: byte buffers as xdr_bufs, an
 * encode harness, big-endian word lists and the fast-check seed (RDMAEMU_SEED, printed).
 */
import { formatSeed, seedFromEnv } from '@rdmaemu/sim-core';
import { xdr_buf, xdr_buf_init, xdr_init_encode, xdr_stream } from '@rdmaemu/xdr_buf';

/** The property-test seed: RDMAEMU_SEED or a fresh one. */
export const SEED = seedFromEnv();
export const fcParams = { seed: SEED, numRuns: 300 };
console.log(`xprtrdma codec specs: ${formatSeed(SEED)}`);

/** Big-endian words as bytes. */
export function words(...ws: number[]): Uint8Array {
  const out = new Uint8Array(ws.length * 4);
  const dv = new DataView(out.buffer);
  ws.forEach((w, i) => dv.setUint32(4 * i, w >>> 0));
  return out;
}

/** Bytes as big-endian words (length must be a multiple of 4). */
export function toWords(b: Uint8Array): number[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: number[] = [];
  for (let i = 0; i + 4 <= b.length; i += 4) out.push(dv.getUint32(i));
  return out;
}

/** A received message: `bytes` as head[0] of an xdr_buf, len = bytes.length. */
export function rxBuf(bytes: Uint8Array): xdr_buf {
  const buf = new xdr_buf();
  xdr_buf_init(buf, bytes, bytes.length);
  buf.len = bytes.length;
  return buf;
}

/** Run `fn` on a fresh encode stream of `size` bytes; returns [fn's result, encoded bytes]. */
export function encodeWith(fn: (xdr: xdr_stream) => number, size = 4096): [number, Uint8Array] {
  const buf = new xdr_buf();
  xdr_buf_init(buf, new Uint8Array(size), size);
  buf.head[0].iov_len = 0;
  const xdr = new xdr_stream();
  xdr_init_encode(xdr, buf, null);
  const rc = fn(xdr);
  return [rc, buf.head[0].iov_base.slice(0, buf.len)];
}
