import { expect } from 'chai';
import fc from 'fast-check';
import * as jx from '@stellar/js-xdr';
import { PAGE_SIZE } from '@rdmaemu/dma-core';
import { isKernelError } from '@rdmaemu/sim-core';
import {
  XDR_CODEC_MAX_DEPTH, xdrArray, xdrArrayFixed, xdrBool, xdrDecode, xdrDouble, xdrEnum, xdrFloat, xdrHyper, xdrInt,
  xdrLazy, xdrLinkedList, xdrOpaque, xdrOpaqueFixed, xdrOptional, xdrString, xdrStruct, xdrUnion, xdrUnsignedHyper,
  xdrUnsignedInt, xdrVoid, type XdrType, type XdrValue,
} from '../src/xdr_codec.js';
import { xdr_commit_encode, xdr_init_encode, xdr_init_encode_pages } from '../src/xdr_stream_encode.js';
import { xdr_init_decode } from '../src/xdr_stream_decode.js';
import { xdr_buf, xdr_buf_init, xdr_set_scratch_buffer, xdr_stream } from '../src/xdr.h.js';
import { allocPageArray, fcParams, linear, newMem } from './_support.js';

const mem = newMem();

function encodeAll<T>(t: XdrType<T>, v: T, cap = 4096): Uint8Array {
  const buf = new xdr_buf();
  xdr_buf_init(buf, new Uint8Array(cap), cap);
  buf.head[0].iov_len = 0;
  const xdr = new xdr_stream();
  xdr_init_encode(xdr, buf, null);
  t.encode(xdr, v);
  expect(buf.len).to.equal(t.size(v));
  return linear(buf);
}

function decodeAll<T>(t: XdrType<T>, bytes: Uint8Array): T {
  const buf = new xdr_buf();
  xdr_buf_init(buf, bytes, bytes.length);
  buf.len = bytes.length;
  const xdr = new xdr_stream();
  xdr_init_decode(xdr, buf, null);
  return t.decode(xdr);
}

const int32 = fc.integer({ min: -2147483648, max: 2147483647 });
const uint32 = fc.nat({ max: 0xffffffff });
const hyper = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
const uhyper = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const f32 = fc.float({ noNaN: true });
const f64 = fc.double({ noNaN: true });
const bytes = (max: number) => fc.uint8Array({ maxLength: max });

// One declaration exercising every combinator (RFC 8166-like segment lists plus the rest).
const color = xdrEnum({ RED: 0, GREEN: 1, BLUE: -5 } as const, 'color');
const segment = xdrStruct({ handle: xdrUnsignedInt, length: xdrUnsignedInt, offset: xdrUnsignedHyper }, 'segment');
const big = xdrStruct({
  i: xdrInt, u: xdrUnsignedInt, h: xdrHyper, b: xdrBool, c: color, f: xdrFloat, d: xdrDouble,
  fixed: xdrOpaqueFixed(5), opq: xdrOpaque(64), s: xdrString(64), arr3: xdrArrayFixed(xdrInt, 3),
  segs: xdrArray(segment, 8), opt: xdrOptional(segment), list: xdrLinkedList(xdrUnsignedInt, 16),
  un: xdrUnion(xdrInt, { 0: xdrString(16), 1: xdrVoid, 2: segment }), v: xdrVoid,
}, 'big');
type big = XdrValue<typeof big>;

const segArb = fc.record({ handle: uint32, length: uint32, offset: uhyper });
const bigArb: fc.Arbitrary<big> = fc.record({
  i: int32, u: uint32, h: hyper, b: fc.boolean(), c: fc.constantFrom(0 as const, 1 as const, -5 as const),
  f: f32.map(Math.fround), d: f64, fixed: fc.uint8Array({ minLength: 5, maxLength: 5 }), opq: bytes(64),
  s: fc.string({ maxLength: 16 }), arr3: fc.array(int32, { minLength: 3, maxLength: 3 }), segs: fc.array(segArb, { maxLength: 8 }),
  opt: fc.option(segArb, { nil: null }), list: fc.array(uint32, { maxLength: 16 }),
  un: fc.oneof(fc.record({ tag: fc.constant(0 as const), value: fc.string({ maxLength: 4 }) }),
    fc.record({ tag: fc.constant(1 as const), value: fc.constant(undefined) }),
    fc.record({ tag: fc.constant(2 as const), value: segArb })),
  v: fc.constant(undefined),
});

describe('xdr_codec', () => {
  describe('round trips', () => {
    const cases: [string, XdrType<any>, fc.Arbitrary<any>][] = [
      ['xdrInt', xdrInt, int32], ['xdrUnsignedInt', xdrUnsignedInt, uint32], ['xdrHyper', xdrHyper, hyper],
      ['xdrUnsignedHyper', xdrUnsignedHyper, uhyper], ['xdrBool', xdrBool, fc.boolean()],
      ['xdrFloat', xdrFloat, f32.map(Math.fround)], ['xdrDouble', xdrDouble, f64],
      ['xdrOpaqueFixed', xdrOpaqueFixed(7), fc.uint8Array({ minLength: 7, maxLength: 7 })], ['xdrOpaque', xdrOpaque(), bytes(100)],
      ['xdrString', xdrString(), fc.string({ maxLength: 40 })], ['xdrEnum', color, fc.constantFrom(0, 1, -5)],
      ['xdrArray', xdrArray(xdrInt), fc.array(int32, { maxLength: 20 })], ['xdrOptional', xdrOptional(xdrInt), fc.option(int32, { nil: null })],
      ['xdrStruct (every combinator)', big, bigArb],
    ];
    for (const [name, t, arb] of cases) {
      it(`${name}: decode(encode(v)) deep-equals v, size matches, items stay 4-byte aligned`, () => {
        fc.assert(fc.property(arb, (v) => {
          const enc = encodeAll(t, v);
          expect(enc.length % 4).to.equal(0);
          expect(decodeAll(t, enc)).to.deep.equal(v);
        }), fcParams);
      });
    }
    it('round-trips structures encoded across page boundaries (scratch copies on decode)', () => {
      const pages = allocPageArray(mem, 8);
      fc.assert(fc.property(fc.array(bigArb, { maxLength: 12 }), fc.nat({ max: 60 }), (vs, skew) => {
        const t = xdrStruct({ pad: xdrOpaqueFixed(skew * 4), items: xdrArray(big) });
        const v = { pad: new Uint8Array(skew * 4), items: vs };
        const buf = new xdr_buf();
        buf.pages = pages;
        buf.buflen = 8 * PAGE_SIZE;
        const xdr = new xdr_stream();
        xdr_init_encode_pages(xdr, buf, pages);
        t.encode(xdr, v);
        xdr_commit_encode(xdr);
        const d = new xdr_stream();
        xdr_init_decode(d, buf, null);
        xdr_set_scratch_buffer(d, new Uint8Array(PAGE_SIZE));
        expect(t.decode(d)).to.deep.equal(v);
      }), { ...fcParams, numRuns: 40 });
    });
  });

  describe('differential against @stellar/js-xdr', () => {
    const pairs: [string, XdrType<any>, jx.XdrType<any>, fc.Arbitrary<any>, ((v: any) => any)?][] = [
      ['int', xdrInt, jx.int32(), int32], ['unsigned int', xdrUnsignedInt, jx.uint32(), uint32],
      ['hyper', xdrHyper, jx.int64(), hyper], ['unsigned hyper', xdrUnsignedHyper, jx.uint64(), uhyper],
      ['bool', xdrBool, jx.bool(), fc.boolean()], ['float', xdrFloat, jx.float(), f32.map(Math.fround)],
      ['double', xdrDouble, jx.double(), f64], ['opaque[9]', xdrOpaqueFixed(9), jx.opaque(9), fc.uint8Array({ minLength: 9, maxLength: 9 })],
      ['opaque<>', xdrOpaque(200), jx.varOpaque(200), bytes(200)],
      ['string<> (bytes)', xdrString(200), jx.string(200), fc.string({ maxLength: 50 }), (s: string) => new TextEncoder().encode(s)],
      ['int[4]', xdrArrayFixed(xdrInt, 4), jx.fixedArray(jx.int32(), 4), fc.array(int32, { minLength: 4, maxLength: 4 })],
      ['int<>', xdrArray(xdrInt, 30), jx.array(jx.int32(), 30), fc.array(int32, { maxLength: 30 })],
      ['*unsigned hyper', xdrOptional(xdrUnsignedHyper), jx.option(jx.uint64()), fc.option(uhyper, { nil: null })],
      ['struct', segment, jx.struct('segment', { handle: jx.uint32(), length: jx.uint32(), offset: jx.uint64() }), segArb],
      ['enum', color, jx.enumType('color', { RED: 0, GREEN: 1, BLUE: -5 }), fc.constantFrom(0, 1, -5)],
    ];
    for (const [name, ours, theirs, arb, toTheirs] of pairs) {
      it(`${name}: same bytes, and each decodes the other's output`, () => {
        fc.assert(fc.property(arb, (v) => {
          const a = encodeAll(ours, v);
          const tv = toTheirs ? toTheirs(v) : v;
          const b = theirs.encode(tv);
          expect(a).to.deep.equal(b);
          expect(decodeAll(ours, b)).to.deep.equal(v);
          expect(theirs.decode(a)).to.deep.equal(tv);
        }), fcParams);
      });
    }
  });

  describe('errors', () => {
    it('rejects bad discriminants, enum values and bools with EBADMSG', () => {
      const w = (n: number) => new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
      for (const [t, b] of [[xdrBool, w(2)], [color, w(7)], [xdrUnion(xdrInt, { 0: xdrVoid }), w(3)], [xdrOptional(xdrInt), w(2)]] as const) {
        expect(() => decodeAll(t as XdrType<unknown>, b)).to.throw().that.satisfies((e: unknown) => isKernelError(e, 'EBADMSG'));
      }
    });
    it('rejects over-long values with EMSGSIZE on both sides', () => {
      expect(() => encodeAll(xdrOpaque(3), new Uint8Array(4))).to.throw().that.satisfies((e: unknown) => isKernelError(e, 'EMSGSIZE'));
      const enc = encodeAll(xdrOpaque(), new Uint8Array(8));
      expect(xdrDecode(decoderOf(enc), xdrOpaque(4))).to.deep.equal({ error: -90 });
    });
    it('reports a full buffer as EMSGSIZE and a bad value as EINVAL', () => {
      expect(() => encodeAll(xdrArray(xdrInt), [1, 2, 3], 8)).to.throw().that.satisfies((e: unknown) => isKernelError(e, 'EMSGSIZE'));
      expect(() => encodeAll(xdrInt, 2 ** 31)).to.throw().that.satisfies((e: unknown) => isKernelError(e, 'EINVAL'));
      expect(() => xdrStruct({ 1: xdrInt })).to.throw().that.satisfies((e: unknown) => isKernelError(e, 'EINVAL'));
    });
    it('bounds recursion through xdrLazy', () => {
      type node = { v: number; next: node | null };
      const node: XdrType<node> = xdrStruct({ v: xdrInt, next: xdrOptional(xdrLazy(() => node)) });
      const deep = new Uint8Array(8 * (XDR_CODEC_MAX_DEPTH + 10)).fill(0);
      for (let i = 0; i < XDR_CODEC_MAX_DEPTH + 10; i++) deep[8 * i + 7] = 1;
      expect(() => decodeAll(node, deep)).to.throw().that.satisfies((e: unknown) => isKernelError(e, 'EBADMSG'));
    });
  });

  describe('fuzz', () => {
    it('decoders throw nothing but KernelError EBADMSG/EMSGSIZE on truncated, garbage and huge-count input', () => {
      const types: XdrType<unknown>[] = [big, xdrArray(big), xdrArray(xdrArray(xdrOpaque())), xdrLinkedList(segment, 100), xdrArray(xdrVoid)];
      fc.assert(fc.property(bigArb, fc.nat({ max: 1000 }), fc.array(fc.tuple(fc.nat({ max: 2000 }), fc.constantFrom(0, 1, 0xffffffff, 0x7fffffff, 0x40000000, 0x10, 2)), { maxLength: 6 }), fc.nat({ max: types.length - 1 }),
        (v, cut, pokes, ti) => {
          const enc = encodeAll(big, v);
          const bytes = enc.slice(0, Math.min(cut, enc.length) & ~3);
          for (const [at, w] of pokes) {
            const o = (at * 4) % Math.max(bytes.length, 4);
            if (o + 4 <= bytes.length) new DataView(bytes.buffer).setUint32(o, w);
          }
          try {
            decodeAll(types[ti]!, bytes);
          } catch (e) {
            expect(isKernelError(e, 'EBADMSG') || isKernelError(e, 'EMSGSIZE'), String(e)).to.equal(true);
          }
        }), { ...fcParams, numRuns: 500 });
    });
  });
});

function decoderOf(bytes: Uint8Array): xdr_stream {
  const buf = new xdr_buf();
  xdr_buf_init(buf, bytes, bytes.length);
  buf.len = bytes.length;
  const xdr = new xdr_stream();
  xdr_init_decode(xdr, buf, null);
  return xdr;
}
