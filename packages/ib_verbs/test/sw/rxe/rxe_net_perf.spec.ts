/**
 * Tests of the second round of data-path shortcuts (bench/verbs): header templates per tunnel,
 * slab-carved header buffers, slot-indexed hw counters, and the receiver reusing the ICRC of a
 * frame exactly as an rxe device sent it.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { KernelBug, formatCounters, formatSeed, seedFromEnv } from '@rdmaemu/sim-core';
import { ib_access_flags, ib_send_flags, ib_wc_status, ib_wr_opcode } from '../../../src/core/ib_verbs.h.js';
import { ib_get_dma_mr, ib_post_recv, ib_post_send } from '../../../src/core/verbs.js';
import { frameBytes, type Frame } from '../../../src/fabric/frame.js';
import {
  ETH_IP_UDP_HLEN, type UdpTunnelInit, udpTunnelHeaders, udpTunnelHeadersFrom, udpTunnelTemplate, udpTunnelTemplateMatches,
} from '../../../src/fabric/udp.js';
import { hdr_alloc } from '../../../src/sw/rxe/rxe_net.js';
import { RXE_CNT, rxe_alloc_hw_counters, rxe_counter_add, rxe_counter_inc, rxe_counter_name, rxe_hw_stats } from '../../../src/sw/rxe/rxe_hw_counters.js';
import { makeRcPair } from './_pair.js';

const SEED = seedFromEnv();

describe('udp: udpTunnelHeadersFrom (per-tunnel template)', () => {
  it('writes the same 42 bytes as udpTunnelHeaders for any tunnel and length', () => {
    const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });
    fc.assert(fc.property(
      mac, mac, fc.nat(0xffffffff), fc.nat(0xffffffff), fc.nat(0xffff), fc.nat(0xff), fc.integer({ min: 1, max: 255 }),
      fc.nat(0xffff), fc.nat(70000),
      (h_dest, h_source, saddr, daddr, sport, tos, ttl, id, len) => {
        const init: UdpTunnelInit = { h_dest, h_source, saddr, daddr, sport, tos, ttl, id };
        const want = new Uint8Array(ETH_IP_UDP_HLEN);
        udpTunnelHeaders(want, 0, init, len);
        const got = new Uint8Array(ETH_IP_UDP_HLEN + 4).fill(0xee);
        expect(udpTunnelHeadersFrom(got, udpTunnelTemplate(init), len)).to.equal(ETH_IP_UDP_HLEN);
        expect([...got.subarray(0, ETH_IP_UDP_HLEN)]).to.deep.equal([...want]);
      },
    ), { seed: SEED, numRuns: 300 });
  }).timeout(10000);

  it('udpTunnelTemplateMatches notices a changed field or MAC byte', () => {
    const init: UdpTunnelInit = { h_dest: Uint8Array.of(2, 0, 10, 0, 0, 2), h_source: Uint8Array.of(2, 0, 10, 0, 0, 1),
      saddr: 0x0a000001, daddr: 0x0a000002, sport: 0xc000, tos: 0, ttl: 64 };
    const tpl = udpTunnelTemplate(init);
    expect(udpTunnelTemplateMatches(tpl, init)).to.equal(true);
    init.h_dest[5] = 3;
    expect(udpTunnelTemplateMatches(tpl, init)).to.equal(false);
    init.h_dest[5] = 2;
    expect(udpTunnelTemplateMatches(tpl, { ...init, sport: 1 })).to.equal(false);
    expect(udpTunnelTemplateMatches(tpl, { ...init, ttl: 1 })).to.equal(false);
  });
});

describe('rxe_net: hdr_alloc (slab-carved header buffers)', () => {
  it(`returns zeroed, disjoint buffers that are never reused (${formatSeed(SEED)})`, () => {
    const held: Uint8Array[] = [];
    for (let i = 0; i < 5000; i++) {
      const b = hdr_alloc(42 + (i % 60));
      expect(b.every((x) => x === 0)).to.equal(true);
      b.fill(i & 0xff || 1);
      held.push(b);
    }
    held.forEach((b, i) => expect(b.every((x) => x === (i & 0xff || 1))).to.equal(true));
  });

  it('frames held by a tap keep their header bytes while later packets are built', () => {
    const { a, b, fabric, run } = makeRcPair({ icrc: true, path_mtu: 3 });
    const frames: Frame[] = [];
    const copies: Uint8Array[] = [];
    const sub = fabric.tap$.subscribe((r) => { frames.push(r.frame); copies.push(Uint8Array.from(frameBytes(r.frame))); });
    const src = a.alloc(64 * 1024, 0x33);
    const dst = b.alloc(64 * 1024, 0);
    const rkey = ib_get_dma_mr(b.pd, ib_access_flags.IB_ACCESS_LOCAL_WRITE | ib_access_flags.IB_ACCESS_REMOTE_WRITE).rkey;
    for (let i = 0; i < 4; i++) {
      ib_post_send(a.qp, { wr_id: i, opcode: ib_wr_opcode.IB_WR_RDMA_WRITE, send_flags: ib_send_flags.IB_SEND_SIGNALED,
        sg_list: [{ addr: src.dma + i * 16384, length: 16384, lkey: a.pd.local_dma_lkey }],
        remote_addr: dst.dma + i * 16384, rkey } as never);
    }
    run();
    sub.unsubscribe();
    expect(dst.buf.every((x) => x === 0x33)).to.equal(true);
    expect(frames.length).to.be.greaterThan(100);
    frames.forEach((f, i) => expect([...frameBytes(f)]).to.deep.equal([...copies[i]!]));
  });
});

describe('rxe_hw_counters: rxe_hw_stats (slot-indexed values)', () => {
  it('keeps the names, order, snapshot, diff and sysfs printout of a CounterSet', () => {
    const c = rxe_alloc_hw_counters();
    expect(c).to.be.instanceOf(rxe_hw_stats);
    expect(c.keys).to.deep.equal([...rxe_counter_name]);
    const before = c.snapshot();
    rxe_counter_inc({ counters: c }, 'rcvd_rnr_err');
    rxe_counter_add({ counters: c }, RXE_CNT.sent_bytes, 300);
    c.inc('rdma_sends', 2);
    expect(c.get('rcvd_rnr_err')).to.equal(1);
    expect(c.get('sent_bytes')).to.equal(300);
    expect(Object.keys(c.snapshot())).to.deep.equal([...rxe_counter_name]);
    expect(c.diff(before).rdma_sends).to.equal(2);
    expect(formatCounters(c, { style: 'sysfs', dir: '/d', skipZero: true }))
      .to.equal('/d/rcvd_rnr_err:1\n/d/rdma_sends:2\n/d/sent_bytes:300');
    c.set('link_downed', 5);
    expect(c.get('link_downed')).to.equal(5);
    c.reset();
    expect(Object.values(c.snapshot()).every((v) => v === 0)).to.equal(true);
    expect(() => c.inc('toString' as never)).to.throw(KernelBug);
  });
});

describe('rxe_recv: ICRC of a frame exactly as sent', () => {
  it('a corrupted frame (a new, materialized object) still fails the ICRC and is dropped', () => {
    const { a, b, clock, fabric, run } = makeRcPair({ icrc: true });
    fabric.setFaults('b', { corrupt: 1, seed: 5 }, 'rx');
    const src = a.alloc(256, 0x11);
    const dst = b.alloc(256, 0);
    ib_post_recv(b.qp, { wr_id: 1, sg_list: [{ addr: dst.dma, length: 256, lkey: b.pd.local_dma_lkey }] });
    ib_post_send(a.qp, { wr_id: 2, opcode: ib_wr_opcode.IB_WR_SEND, send_flags: ib_send_flags.IB_SEND_SIGNALED,
      sg_list: [{ addr: src.dma, length: 256, lkey: a.pd.local_dma_lkey }] });
    clock.advanceNs(20_000);
    expect(b.dev.icrc_err).to.be.greaterThan(0);
    expect(dst.buf.every((x) => x === 0)).to.equal(true);
    fabric.setFaults('b', null, 'rx');
    run();
    expect(dst.buf.every((x) => x === 0x11)).to.equal(true);
    const wcs = a.poll();
    expect(wcs.some((w) => w.wr_id === 2 && w.status === ib_wc_status.IB_WC_SUCCESS)).to.equal(true);
  });
});
