/**
 * _ops - work-request builders shared by the conformance ports (rdma-unit-test verbs_helper's
 * PostSend/PostRecv/CreateRdmaWr/CreateAtomicWr, on the kernel API).
 *
 * Kernel: - (test helpers)
 */
import type { ib_qp } from '../../src/core/device.js';
import type { ib_wr_opcode, ib_atomic_wr, ib_rdma_wr, ib_recv_wr, ib_send_wr, ib_sge } from '../../src/core/ib_verbs.h.js';
import { ib_post_recv, ib_post_send } from '../../src/core/verbs.js';
import { OP, SIGNALED, sge, setU64, type StdPair } from './_std_pair.js';

export interface WrOpts {
  wr_id?: number;
  flags?: number;
  sg?: ib_sge[];
  num_sge?: number;
  raddr?: number;
  rkey?: number;
  imm?: number;
  invalidate_rkey?: number;
}

/** The local whole-buffer SGE (std pair). */
export function lsge(p: StdPair, off = 0, len?: number): ib_sge {
  return sge(p.local.buf, p.local.mr, off, len);
}
/** The remote whole-buffer SGE (std pair). */
export function rsge(p: StdPair, off = 0, len?: number): ib_sge {
  return sge(p.remote.buf, p.remote.mr, off, len);
}

/** sendWr - SEND (or SEND_WITH_IMM / SEND_WITH_INV) from the local buffer, wr_id 1, SIGNALED. */
export function sendWr(p: StdPair, o: WrOpts & { opcode?: ib_wr_opcode } = {}): ib_send_wr {
  const sg_list = o.sg ?? [lsge(p)];
  return {
    wr_id: o.wr_id ?? 1, opcode: o.opcode ?? OP.IB_WR_SEND, send_flags: o.flags ?? SIGNALED, sg_list,
    num_sge: o.num_sge ?? sg_list.length,
    ...(o.imm !== undefined || o.invalidate_rkey !== undefined ? { ex: { imm_data: o.imm, invalidate_rkey: o.invalidate_rkey } } : {}),
  };
}

/** rdmaWr - READ/WRITE(_WITH_IMM) between the whole local and remote buffers, wr_id 1, SIGNALED. */
export function rdmaWr(p: StdPair, opcode: ib_wr_opcode, o: WrOpts = {}): ib_rdma_wr {
  const sg_list = o.sg ?? [lsge(p)];
  return {
    wr_id: o.wr_id ?? 1, opcode, send_flags: o.flags ?? SIGNALED, sg_list, num_sge: o.num_sge ?? sg_list.length,
    remote_addr: o.raddr ?? p.remote.buf.addr, rkey: o.rkey ?? p.remote.mr.rkey,
    ...(o.imm !== undefined ? { ex: { imm_data: o.imm } } : {}),
  };
}

/** atomicWr - F&A / CAS with an 8-byte local SGE at the buffer start, wr_id 1, SIGNALED. */
export function atomicWr(p: StdPair, opcode: ib_wr_opcode, compare_add: bigint, swap: bigint, o: WrOpts = {}): ib_atomic_wr {
  const sg_list = o.sg ?? [lsge(p, 0, 8)];
  return {
    wr_id: o.wr_id ?? 1, opcode, send_flags: o.flags ?? SIGNALED, sg_list, num_sge: o.num_sge ?? sg_list.length,
    remote_addr: o.raddr ?? p.remote.buf.addr, rkey: o.rkey ?? p.remote.mr.rkey, compare_add, swap,
  };
}

/** The atomic std setup: u64 local = 1, remote = 2 at the buffer starts. */
export function atomicSetup(p: StdPair): void {
  setU64(p.local.buf.view, 0, 1n);
  setU64(p.remote.buf.view, 0, 2n);
}

export function recvWr(sg_list: ib_sge[], wr_id = 0): ib_recv_wr {
  return { wr_id, sg_list, num_sge: sg_list.length };
}

/** postRecv - a receive on the remote QP (wr_id 0, whole remote buffer unless given). */
export function postRecv(p: StdPair, sg?: ib_sge[], wr_id = 0): void {
  ib_post_recv(p.remote.qp, recvWr(sg ?? [rsge(p)], wr_id));
}

export function post(qp: ib_qp, wr: ib_send_wr): void {
  ib_post_send(qp, wr);
}
