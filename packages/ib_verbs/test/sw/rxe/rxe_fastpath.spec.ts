/**
 * Tests of the data-path shortcuts taken for speed (bench/verbs): the in-place header ICRC, the
 * shared zero trailer with the ICRC off, and the link's Subject-free path without a fault plan.
 */
import { expect } from 'chai';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { SimClock, formatSeed, seedFromEnv } from '@rdmaemu/sim-core';
import { rxe_icrc_compute, rxe_icrc_hdr } from '../../../src/sw/rxe/rxe_icrc.js';
import { ib_send_flags, ib_wr_opcode } from '../../../src/core/ib_verbs.h.js';
import { ib_post_recv, ib_post_send } from '../../../src/core/verbs.js';
import { frameBytes, type Frame } from '../../../src/fabric/frame.js';
import { net_device } from '../../../src/fabric/netdev.js';
import { macFromIpv4 } from '../../../src/fabric/ether.js';
import { createLink, netdevLinkEnd } from '../../../src/fabric/link.js';
import { testFrame } from '../../fabric/_nic.js';
import { makeRcPair } from './_pair.js';

const SEED = seedFromEnv();

describe('rxe_icrc: rxe_icrc_hdr (table loop, masks in place)', () => {
  it(`equals zlib.crc32 of FF×8 ‖ the masked copy, for any header bytes and lengths (${formatSeed(SEED)})`, () => {
    fc.assert(fc.property(
      fc.uint8Array({ minLength: 14 + 28 + 12 + 28, maxLength: 14 + 28 + 12 + 28 }), fc.integer({ min: 12, max: 40 }),
      fc.uint8Array({ maxLength: 64 }),
      (b, ibLen, payload) => {
        const masked = new Uint8Array(8 + 28 + ibLen);
        masked.fill(0xff, 0, 8);
        masked.set(b.subarray(14, 14 + 28 + ibLen), 8);
        for (const k of [1, 8, 10, 11, 26, 27, 32]) masked[8 + k] = 0xff;
        expect(rxe_icrc_hdr(b, 14, ibLen)).to.equal(crc32(masked) >>> 0);
        expect(rxe_icrc_compute(b, 14, ibLen, [payload])).to.equal(crc32(payload, crc32(masked)) >>> 0);
      }), { seed: SEED, numRuns: 200 });
  });
});

describe('rxe_net: rxe_xmit_packet with the ICRC off', () => {
  it('multi-packet SEND with a pad: trailers are pad + ICRC zero bytes, data intact', () => {
    const { a, b, fabric, run } = makeRcPair({ icrc: false, path_mtu: 3 });
    const frames: Frame[] = [];
    const sub = fabric.tap$.subscribe((r) => { frames.push(r.frame); });
    const src = a.alloc(3001, 0x5a);
    const dst = b.alloc(3001, 0);
    ib_post_recv(b.qp, { wr_id: 1, sg_list: [{ addr: dst.dma, length: 3001, lkey: b.pd.local_dma_lkey }] });
    ib_post_send(a.qp, { wr_id: 2, opcode: ib_wr_opcode.IB_WR_SEND, send_flags: ib_send_flags.IB_SEND_SIGNALED,
      sg_list: [{ addr: src.dma, length: 3001, lkey: a.pd.local_dma_lkey }] });
    run();
    sub.unsubscribe();
    expect(dst.buf.every((x) => x === 0x5a)).to.equal(true);
    const data = frames.filter((f) => f.payload.length > 0);
    expect(data.length).to.be.at.least(3);
    for (const f of data) {
      const bytes = frameBytes(f);
      expect(bytes.length).to.equal(f.len);
      const pad = (bytes[42 + 1]! >> 4) & 3;
      expect([...bytes.subarray(f.len - 4 - pad)]).to.deep.equal(new Array(4 + pad).fill(0));
    }
    expect(data.some((f) => ((frameBytes(f)[42 + 1]! >> 4) & 3) !== 0)).to.equal(true); // 3001 = 2*1024 + 953: pad 3
  });
});

describe('link: no fault plan = no Subject on the path', () => {
  it('delivers the same frames at the same times after a fault plan is set and cleared', () => {
    const clock = new SimClock({ seed: 1 });
    const a = new net_device({ name: 'a', ip: '10.0.0.1', dev_addr: macFromIpv4(0x0a000001) });
    const b = new net_device({ name: 'b', ip: '10.0.0.2', dev_addr: macFromIpv4(0x0a000002) });
    const link = createLink(clock, [netdevLinkEnd(a), netdevLinkEnd(b)], { latencyNs: 100, bandwidthGbps: 8 });
    a.attachLink(link.aToB);
    b.attachLink(link.bToA);
    const seen: [number, number][] = [];
    b.rx = (f) => seen.push([f.len, clock.ktime_get()]);
    link.faults = { drop: 1, seed: 3 };
    a.xmit(testFrame(a, b, 100));
    clock.runUntilIdle();
    expect(seen).to.deep.equal([]);
    link.faults = null;
    const t0 = clock.ktime_get();
    for (let i = 0; i < 3; i++) a.xmit(testFrame(a, b, 942, i)); // 1000-byte frames: 1000 ns each at 8 Gb/s
    clock.runUntilIdle();
    expect(seen.map(([len, t]) => [len, t - t0])).to.deep.equal([[1000, 1100], [1000, 2100], [1000, 3100]]);
    expect(link.aToB.stats().delivered).to.equal(3);
  });
});
