import { expect } from 'chai';
import fc from 'fast-check';
import { seedFromEnv, formatSeed } from '@rdmaemu/sim-core';
import { frameByte, frameBytes, frameCopyOut, frameFromBytes, frameSubarrays, makeFrame } from '../../src/fabric/frame.js';

const SEED = seedFromEnv();

const arbChunks = fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 6 });

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

describe('frame', () => {
  describe('makeFrame', () => {
    it('sums hdr and payload lengths into len', () => {
      const f = makeFrame(new Uint8Array(54), [new Uint8Array(64), new Uint8Array(4)]);
      expect(f.len).to.equal(122);
      expect(makeFrame(new Uint8Array(3)).payload).to.have.length(0);
    });
  });

  describe('frameBytes', () => {
    it('equals the concatenation of hdr and every payload view (property)', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 60 }), arbChunks, (hdr, payload) => {
          const f = makeFrame(hdr, payload);
          expect(Array.from(frameBytes(f))).to.deep.equal(Array.from(concat([hdr, ...payload])));
        }),
        { seed: SEED },
      );
    });

    it('returns a materialized frame without copying', () => {
      const bytes = Uint8Array.of(1, 2, 3);
      const f = frameFromBytes(bytes);
      expect(frameBytes(f)).to.equal(bytes);
      expect(f.len).to.equal(3);
    });

    it('copies when there are payload views, leaving the views untouched', () => {
      const view = Uint8Array.of(9, 9);
      const out = frameBytes(makeFrame(Uint8Array.of(1), [view]));
      out[1] = 0;
      expect(view[0]).to.equal(9);
    });
  });

  describe('frameByte / frameSubarrays / frameCopyOut', () => {
    it('agree with the materialized bytes for any range (property)', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 30 }), arbChunks, fc.nat(200), fc.nat(200), (hdr, payload, x, y) => {
          const f = makeFrame(hdr, payload);
          const all = frameBytes(f);
          const start = Math.min(x, y) % (f.len + 1);
          const end = Math.min(Math.max(x, y), f.len);
          const why = formatSeed(SEED);
          for (let i = 0; i < f.len; i++) expect(frameByte(f, i), why).to.equal(all[i]);
          expect(frameByte(f, f.len)).to.equal(-1);
          const views = frameSubarrays(f, start, end, []);
          expect(Array.from(concat(views)), why).to.deep.equal(Array.from(all.subarray(start, Math.max(start, end))));
          const dst = new Uint8Array(Math.max(0, end - start) + 2);
          const n = frameCopyOut(f, start, dst, 1, end - start);
          expect(n, why).to.equal(Math.max(0, end - start));
          expect(Array.from(dst.subarray(1, 1 + n)), why).to.deep.equal(Array.from(all.subarray(start, start + n)));
          // Same answers for the materialized shape.
          const m = frameFromBytes(all);
          expect(Array.from(concat(frameSubarrays(m, start, end, []))), why).to.deep.equal(Array.from(concat(views)));
        }),
        { seed: SEED },
      );
    });

    it('hands out payload views themselves (zero copy) when a range covers them whole', () => {
      const data = new Uint8Array(8);
      const f = makeFrame(new Uint8Array(42), [data, new Uint8Array(4)]);
      const views = frameSubarrays(f, 42, f.len - 4, []);
      expect(views).to.have.length(1);
      expect(views[0]).to.equal(data);
    });
  });
});
