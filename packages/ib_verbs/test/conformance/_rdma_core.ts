/**
 * _rdma_core - rdma-core tests/base.py resources on the emulated fabric: RCResources (MTU 1024,
 * timeout 14, retry_cnt 7, rnr_retry 7, min_rnr_timer 12, max_rd_atomic 1, random 24-bit PSNs —
 * seeded — msg_size 1024) and UD resources (qkey 0x11111111, receive buffers msg_size + 40 for the
 * GRH), plus the traffic helpers of tests/utils.py (traffic, rdma_traffic, atomic_traffic).
 *
 * Kernel: - (test fixture; CONFORMANCE.md §2 intro)
 */
import { expect } from 'chai';
import { SeededRandom } from '@rdmaemu/sim-core';
import { ib_mtu, ib_poll_context, ib_qp_type, ib_wc_flags, rdma_ah_attr_init, rdma_ip2gid, type ib_send_wr, type ib_ud_wr } from '../../src/core/ib_verbs.h.js';
import type { ib_ah, ib_cq, ib_mr, ib_pd, ib_qp } from '../../src/core/device.js';
import { ib_alloc_cq } from '../../src/core/cq.js';
import { ib_alloc_pd, ib_modify_qp, ib_post_recv, ib_post_send, rdma_create_ah } from '../../src/core/verbs.js';
import {
  A, allocBuf, createRcQp, expectFilled, expectWc, M, newTestbed, OP, QPS, regMr, S, sge, stdPair, waitForCompletion,
  type Buf, type HostCtx, type StdPair, type StdPairInit, type Testbed,
} from './_std_pair.js';
import { recvWr } from './_ops.js';

export const MSG = 1024;
export const IMM = 1234;
export const UD_QKEY = 0x11111111;

/** rdma-core RCResources: the std pair with base.py's attributes, random (seeded) PSNs, 1 KiB messages. */
export function rcResources(seed = 7, init: StdPairInit & { msg?: number } = {}): StdPair {
  const rng = new SeededRandom(seed);
  const pa = rng.nextU32() & 0xffffff;
  const pb = rng.nextU32() & 0xffffff;
  const base = { path_mtu: ib_mtu.IB_MTU_1024, timeout: 14, retry_cnt: 7, rnr_retry: 7, min_rnr_timer: 12, max_rd_atomic: 1 };
  return stdPair({
    seed, bufBytes: init.msg ?? MSG, ...init,
    localAttrs: { ...base, psn: pa, rq_psn: pb, ...init.localAttrs },
    remoteAttrs: { ...base, psn: pb, rq_psn: pa, ...init.remoteAttrs },
  });
}

/** tests/utils.py traffic(): client SENDs 'c', server checks; server SENDs 's', client checks; `iters` times. */
export function traffic(p: StdPair, iters: number, o: { imm?: boolean; len?: number } = {}): void {
  const len = o.len ?? p.local.buf.len;
  for (let i = 0; i < iters; i++) {
    for (const [tx, rx, ch] of [[p.local, p.remote, 'c'], [p.remote, p.local, 's']] as const) {
      tx.buf.view.fill(ch.charCodeAt(0));
      rx.buf.view.fill(0);
      ib_post_recv(rx.qp, recvWr([sge(rx.buf, rx.mr)], 0));
      const wr: ib_send_wr = { wr_id: 0x123, opcode: o.imm ? OP.IB_WR_SEND_WITH_IMM : OP.IB_WR_SEND, send_flags: 2,
        sg_list: [sge(tx.buf, tx.mr, 0, len)], ...(o.imm ? { ex: { imm_data: IMM } } : {}) };
      ib_post_send(tx.qp, wr);
      expectWc(waitForCompletion(tx.cq, p.clock, 10_000), S.IB_WC_SUCCESS, 0x123);
      const r = waitForCompletion(rx.cq, p.clock, 10_000);
      expectWc(r, S.IB_WC_SUCCESS);
      if (o.imm) {
        expect(r.wc_flags & ib_wc_flags.IB_WC_WITH_IMM).to.not.equal(0);
        expect(r.ex.imm_data).to.equal(IMM);
      }
      expect(r.byte_len).to.equal(len);
      expectFilled(rx.buf.view.subarray(0, len), ch);
    }
  }
}

/** One UD endpoint: PD, CQ, UD QP at RTS (qkey 0x11111111), a buffer of msg+40. */
export interface UdSide { h: HostCtx; pd: ib_pd; cq: ib_cq; qp: ib_qp; buf: Buf; mr: ib_mr; ah: ib_ah | null }

export function udQp(h: HostCtx, pd: ib_pd, cq: ib_cq, cap: Parameters<typeof createRcQp>[3] extends infer T ? T : never = {}): ib_qp {
  return createRcQp(h, pd, cq, { ...cap, qp_type: ib_qp_type.IB_QPT_UD });
}

export function udToRts(qp: ib_qp): void {
  ib_modify_qp(qp, { qp_state: QPS.IB_QPS_INIT, pkey_index: 0, port_num: 1, qkey: UD_QKEY }, M.IB_QP_STATE | M.IB_QP_PKEY_INDEX | M.IB_QP_PORT | M.IB_QP_QKEY);
  ib_modify_qp(qp, { qp_state: QPS.IB_QPS_RTR }, M.IB_QP_STATE);
  ib_modify_qp(qp, { qp_state: QPS.IB_QPS_RTS, sq_psn: 0 }, M.IB_QP_STATE | M.IB_QP_SQ_PSN);
}

/** rdma-core UDResources x2 (client on host a, server on host b). */
export function udResources(msg = MSG): { tb: Testbed; client: UdSide; server: UdSide } {
  const tb = newTestbed();
  const mk = (h: HostCtx): UdSide => {
    const pd = ib_alloc_pd(h.dev);
    const cq = ib_alloc_cq(h.dev, null, 1000, 0, ib_poll_context.IB_POLL_DIRECT);
    const qp = udQp(h, pd, cq, { cap: { max_recv_wr: 1000, max_send_wr: 200 } });
    udToRts(qp);
    const buf = allocBuf(h, msg + 40);
    const mr = regMr(tb, pd, buf, { access: A.IB_ACCESS_LOCAL_WRITE });
    return { h, pd, cq, qp, buf, mr, ah: null };
  };
  const client = mk(tb.a);
  const server = mk(tb.b);
  client.ah = rdma_create_ah(client.pd, rdma_ah_attr_init({ dgid: rdma_ip2gid(server.h.fh.ip), dmac: new Uint8Array(6) }));
  server.ah = rdma_create_ah(server.pd, rdma_ah_attr_init({ dgid: rdma_ip2gid(client.h.fh.ip), dmac: new Uint8Array(6) }));
  return { tb, client, server };
}

/** UD traffic(): data validated at GRH offset 40. */
export function udTraffic(r: ReturnType<typeof udResources>, iters: number, msg: number, imm = false): void {
  for (let i = 0; i < iters; i++) {
    for (const [tx, rx, ch] of [[r.client, r.server, 'c'], [r.server, r.client, 's']] as const) {
      tx.buf.view.fill(ch.charCodeAt(0));
      rx.buf.view.fill(0);
      ib_post_recv(rx.qp, recvWr([sge(rx.buf, rx.mr, 0, msg + 40)], 0));
      const wr: ib_ud_wr = { wr_id: 0x123, opcode: imm ? OP.IB_WR_SEND_WITH_IMM : OP.IB_WR_SEND, send_flags: 2,
        sg_list: [sge(tx.buf, tx.mr, 0, msg)], ah: tx.ah!, remote_qpn: rx.qp.qp_num, remote_qkey: UD_QKEY,
        ...(imm ? { ex: { imm_data: IMM } } : {}) };
      ib_post_send(tx.qp, wr);
      expectWc(waitForCompletion(tx.cq, r.tb.clock, 10_000), S.IB_WC_SUCCESS, 0x123);
      const wc = waitForCompletion(rx.cq, r.tb.clock, 10_000);
      expectWc(wc, S.IB_WC_SUCCESS);
      expect(wc.byte_len).to.equal(msg + 40);
      if (imm) expect([wc.wc_flags & ib_wc_flags.IB_WC_WITH_IMM, wc.ex.imm_data]).to.deep.equal([ib_wc_flags.IB_WC_WITH_IMM, IMM]);
      expectFilled(rx.buf.view.subarray(40, 40 + msg), ch);
    }
  }
}

/** int8b(v): one byte value repeated 8 times, as a little-endian u64. */
export function int8b(v: number): bigint {
  let x = 0n;
  for (let i = 0; i < 8; i++) x = (x << 8n) | BigInt(v);
  return x;
}
