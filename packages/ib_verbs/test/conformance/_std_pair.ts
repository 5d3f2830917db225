/**
 * _std_pair - the rdma-unit-test "std pair" (LoopbackRcQpTest) and the other fixtures the
 * conformance ports share, on the emulated fabric + rxe, in virtual time.
 *
 * Kernel: - (test fixture; mirrors google/rdma-unit-test internal/verbs_helper + rc_test fixture,
 *         CONFORMANCE.md §0)
 *
 * Operation: `newTestbed()` builds a SimClock, a fabric and two hosts (`client` 10.0.0.1 and
 * `server` 10.0.0.2), each with an rxe device (not registered with the core: device names are a
 * process-wide namespace and hundreds of testbeds are built). `stdPair()` then gives each host a PD,
 * a CQ(200) and an RC QP (max_send_wr = max_recv_wr = 200, 1 SGE, max_inline 36), brings both QPs
 * to RTS with the harness defaults (path MTU 4096, PSNs 1024, max_rd_atomic 8, min_rnr_timer 26,
 * timeout 0 = infinite, retry_cnt 5, rnr_retry 5), and a 1-page buffer per host filled 'a' (local)
 * and 'b' (remote).
 *
 * Memory registration: the kernel has no user-buffer registration (ibv_reg_mr); a kernel ULP
 * registers memory with FRWR. `regMr()` does exactly that: the buffer is DMA-mapped once
 * (dma_map_phys, DMA_BIDIRECTIONAL), an MR is allocated (`ib_alloc_mr(pd, IB_MR_TYPE_MEM_REG, n)`),
 * `ib_map_mr_sg` builds its page list over the mapped range, and an IB_WR_REG_MR carrying the
 * access flags makes it VALID. The REG_MR is posted on a per-PD "admin" QP (connected to a peer on
 * the other host) so registering never depends on — or disturbs — the state or CQ of the QPs under
 * test (rxe refuses any post_send below RTS). SGE addresses are MR iovas = DMA addresses.
 *
 * Waits: rdma-unit-test polls for 2 s of wall time; here `waitForCompletion(cq, clock, ms)` runs
 * the SimClock up to `ms` of virtual time, polling between steps, and `expectNoCompletion` checks
 * the CQ stays empty for the whole budget.
 */
import { expect } from 'chai';
import { SimClock } from '@rdmaemu/sim-core';
import { alloc_contig_pages, dma_map_phys, DMA_BIDIRECTIONAL, page_to_phys, PAGE_SIZE, sg_init_table } from '@rdmaemu/dma-core';
import { createFabric, type Fabric, type FabricHost, type FabricInit } from '../../src/fabric/fabric.js';
import { rxe_add } from '../../src/sw/rxe/rxe.js';
import type { rxe_dev } from '../../src/sw/rxe/rxe_verbs.h.js';
import type { RxeProfileName } from '../../src/sw/rxe/rxe_param.h.js';
import type { ib_cq, ib_mr, ib_pd, ib_qp, ib_srq } from '../../src/core/device.js';
import {
  ib_access_flags, ib_mr_type, ib_mtu, ib_poll_context, ib_qp_attr_mask, ib_qp_state, ib_qp_type, ib_send_flags,
  ib_sig_type, ib_wc_status, ib_wr_opcode, rdma_ah_attr_init, rdma_ip2gid,
  type ib_qp_attr, type ib_qp_cap, type ib_reg_wr, type ib_sge, type ib_wc,
} from '../../src/core/ib_verbs.h.js';
import { ib_alloc_cq, ib_poll_cq } from '../../src/core/cq.js';
import { ib_alloc_mr, ib_alloc_pd, ib_create_qp, ib_inc_rkey, ib_map_mr_sg, ib_modify_qp, ib_post_send, ib_query_qp } from '../../src/core/verbs.js';
import { ib_wc_status_msg } from '../../src/core/wc_status.js';

export const S = ib_wc_status;
export const OP = ib_wr_opcode;
export const A = ib_access_flags;
export const QPS = ib_qp_state;
export const M = ib_qp_attr_mask;
export const SIGNALED = ib_send_flags.IB_SEND_SIGNALED;

/** RegMr default access in rdma-unit-test: LW|RW|RR|RA|MW_BIND. */
export const ALL_ACCESS = A.IB_ACCESS_LOCAL_WRITE | A.IB_ACCESS_REMOTE_WRITE | A.IB_ACCESS_REMOTE_READ |
  A.IB_ACCESS_REMOTE_ATOMIC | A.IB_ACCESS_MW_BIND;
/** Default QP access RW|RR|RA. */
export const QP_ACCESS = A.IB_ACCESS_REMOTE_WRITE | A.IB_ACCESS_REMOTE_READ | A.IB_ACCESS_REMOTE_ATOMIC;

/** The four "bad key" corruptions of rdma-unit-test. */
export function badKey(k: number): number {
  return ((k + 10) * 5) >>> 0;
}

/** A host with its rxe device and the lazily made admin objects used for FRWR registration. */
export interface HostCtx {
  readonly fh: FabricHost;
  readonly dev: rxe_dev;
  readonly admin: Map<ib_pd, ib_qp>;
  adminCq: ib_cq | null;
  adminPd: ib_pd | null;
}

export interface Testbed {
  readonly clock: SimClock;
  readonly fabric: Fabric;
  readonly a: HostCtx;
  readonly b: HostCtx;
}

export interface TestbedInit {
  seed?: number;
  profile?: RxeProfileName;
  icrc?: boolean;
  fabric?: FabricInit;
}

/** newTestbed - clock + fabric + two hosts with an rxe device each. */
export function newTestbed(init: TestbedInit = {}): Testbed {
  const clock = new SimClock({ seed: init.seed ?? 1, traceClock: false });
  const fabric = createFabric(clock, { seed: init.seed ?? 1, ...init.fabric });
  const mk = (name: string, ip: string): HostCtx => {
    const fh = fabric.addHost({ name, ip, memory: '16M' });
    const dev = rxe_add(fh.netdev, { dma: fh.dma, profile: init.profile ?? 'rxe', icrc: init.icrc ?? true, register: false });
    return { fh, dev, admin: new Map(), adminCq: null, adminPd: null };
  };
  return { clock, fabric, a: mk('client', '10.0.0.1'), b: mk('server', '10.0.0.2') };
}

export function peerOf(tb: Testbed, h: HostCtx): HostCtx {
  return h === tb.a ? tb.b : tb.a;
}

// ---------------------------------------------------------------------------------------------
// Buffers and FRWR registration

/** A DMA-mapped, physically contiguous buffer; `addr` is its DMA address (= MR iova). */
export interface Buf {
  readonly host: HostCtx;
  readonly addr: number;
  readonly len: number;
  /** CPU view of the buffer (the kernel direct map). */
  readonly view: Uint8Array;
}

/** allocBuf - `len` bytes (rounded up to pages) mapped for the host's HCA, filled with `fill`. */
export function allocBuf(h: HostCtx, len: number, fill?: string): Buf {
  const pages = Math.max(1, Math.ceil(len / PAGE_SIZE));
  const pg = alloc_contig_pages(h.fh.dma.mem, pages);
  if (pg === null) throw new Error(`allocBuf: ${h.fh.name}: out of memory`);
  const phys = page_to_phys(pg);
  const size = pages * PAGE_SIZE;
  const addr = dma_map_phys(h.dev.dma_device, phys, size, DMA_BIDIRECTIONAL, 0);
  const view = h.fh.dma.mem.view(phys, size).subarray(0, len);
  if (fill !== undefined) view.fill(fill.charCodeAt(0));
  return { host: h, addr, len, view };
}

/** The CQ + QP (on `pd`) that REG_MR WRs for `pd` are posted on. */
function adminQp(tb: Testbed, h: HostCtx, pd: ib_pd): { qp: ib_qp; cq: ib_cq } {
  const peer = peerOf(tb, h);
  const cqOf = (x: HostCtx): ib_cq => (x.adminCq ??= ib_alloc_cq(x.dev, null, 64, 0, ib_poll_context.IB_POLL_DIRECT));
  let qp = h.admin.get(pd);
  if (qp === undefined) {
    const ppd = (peer.adminPd ??= ib_alloc_pd(peer.dev));
    qp = createRcQp(h, pd, cqOf(h));
    const pqp = createRcQp(peer, ppd, cqOf(peer));
    connectQp(h, qp, peer, pqp);
    connectQp(peer, pqp, h, qp);
    h.admin.set(pd, qp);
  }
  return { qp, cq: cqOf(h) };
}

export interface RegMrOpts {
  /** Offset of the MR into the buffer. @default 0 */
  offset?: number;
  /** MR length. @default buf.len - offset */
  length?: number;
  /** @default ALL_ACCESS */
  access?: number;
  /** Set ib_mr.iova before the REG_MR (e.g. 0n: a zero-based MR). @default the DMA address */
  iova?: bigint;
}

/**
 * regMr - FRWR-register [buf.addr+offset, +length) on `pd` with `access`: ib_alloc_mr +
 * ib_map_mr_sg + IB_WR_REG_MR (posted on the PD's admin QP, run to completion on the clock).
 */
export function regMr(tb: Testbed, pd: ib_pd, buf: Buf, opts: RegMrOpts = {}): ib_mr {
  const h = buf.host;
  const offset = opts.offset ?? 0;
  const length = opts.length ?? buf.len - offset;
  const access = opts.access ?? ALL_ACCESS;
  const start = buf.addr + offset;
  const npages = Math.max(1, Math.ceil((start % PAGE_SIZE + length) / PAGE_SIZE));
  const mr = ib_alloc_mr(pd, ib_mr_type.IB_MR_TYPE_MEM_REG, npages);
  const sg = sg_init_table(1)[0]!;
  sg.dma_address = start;
  sg.dma_length = length;
  sg.length = length;
  const n = ib_map_mr_sg(mr, sg, 1, null, PAGE_SIZE);
  expect(n, 'ib_map_mr_sg').to.equal(1);
  const { qp, cq } = adminQp(tb, h, pd);
  if (opts.iova !== undefined) mr.iova = opts.iova;
  const key = ib_inc_rkey(mr.rkey);
  const wr: ib_reg_wr = { opcode: OP.IB_WR_REG_MR, wr_id: 0xfeed, send_flags: SIGNALED, mr, key, access };
  ib_post_send(qp, wr);
  const wc = waitForCompletion(cq, tb.clock, 100);
  expect(wcStr(wc), 'REG_MR').to.equal('SUCCESS');
  mr.lkey = key;
  mr.rkey = key;
  return mr;
}

/** sge - an SGE over [off, off+len) of an MR-registered buffer. */
export function sge(buf: Buf, mr: ib_mr, off = 0, len = buf.len - off): ib_sge {
  return { addr: buf.addr + off, length: len, lkey: mr.lkey };
}

// ---------------------------------------------------------------------------------------------
// QPs

export const DEFAULT_CAP: ib_qp_cap = { max_send_wr: 200, max_recv_wr: 200, max_send_sge: 1, max_recv_sge: 1, max_inline_data: 36 };

export interface QpOpts {
  cap?: Partial<ib_qp_cap>;
  srq?: ib_srq | null;
  sq_sig_all?: boolean;
  recv_cq?: ib_cq;
  qp_type?: ib_qp_type;
}

/** createRcQp - an RC QP with the harness's default init attributes (rdma-unit-test QpInitAttribute). */
export function createRcQp(h: HostCtx, pd: ib_pd, cq: ib_cq, opts: QpOpts = {}): ib_qp {
  return ib_create_qp(pd, {
    send_cq: cq,
    recv_cq: opts.recv_cq ?? cq,
    srq: opts.srq ?? null,
    cap: { ...DEFAULT_CAP, ...opts.cap },
    sq_sig_type: opts.sq_sig_all ? ib_sig_type.IB_SIGNAL_ALL_WR : ib_sig_type.IB_SIGNAL_REQ_WR,
    qp_type: opts.qp_type ?? ib_qp_type.IB_QPT_RC,
  });
}

/** The rdma-unit-test QpAttribute defaults (CONFORMANCE.md §0). */
export interface QpAttrs {
  path_mtu: ib_mtu;
  psn: number;
  /** psn of the peer's SQ (our rq_psn). @default psn */
  rq_psn?: number;
  max_rd_atomic: number;
  min_rnr_timer: number;
  timeout: number;
  retry_cnt: number;
  rnr_retry: number;
  access: number;
}
export const DEFAULT_QP_ATTRS: QpAttrs = {
  path_mtu: ib_mtu.IB_MTU_4096, psn: 1024, max_rd_atomic: 8, min_rnr_timer: 26, timeout: 0, retry_cnt: 5,
  rnr_retry: 5, access: QP_ACCESS,
};
/** `set_timeout(1s)` in rdma-unit-test: ibv timeout 18 (4.096 us * 2^18 = 1.07 s). */
export const TIMEOUT_1S = 18;

/**
 * connectQp - bring `qp` (on host h) RESET → INIT → RTR → RTS toward `peerQp` on `peer`, with full
 * masks; stop at `until` (INIT or RTR) if given.
 */
export function connectQp(h: HostCtx, qp: ib_qp, peer: HostCtx, peerQp: ib_qp, attrs: Partial<QpAttrs> = {},
  until: ib_qp_state = QPS.IB_QPS_RTS): void {
  const a = { ...DEFAULT_QP_ATTRS, ...attrs };
  ib_modify_qp(qp, { qp_state: QPS.IB_QPS_INIT, pkey_index: 0, port_num: 1, qp_access_flags: a.access },
    M.IB_QP_STATE | M.IB_QP_PKEY_INDEX | M.IB_QP_PORT | M.IB_QP_ACCESS_FLAGS);
  if (until === QPS.IB_QPS_INIT) return;
  ib_modify_qp(qp, rtrAttr(peer, peerQp, a), RTR_MASK);
  if (until === QPS.IB_QPS_RTR) return;
  ib_modify_qp(qp, rtsAttr(a), RTS_MASK);
}

export const INIT_MASK = M.IB_QP_STATE | M.IB_QP_PKEY_INDEX | M.IB_QP_PORT | M.IB_QP_ACCESS_FLAGS;
export const RTR_MASK = M.IB_QP_STATE | M.IB_QP_AV | M.IB_QP_PATH_MTU | M.IB_QP_DEST_QPN | M.IB_QP_RQ_PSN |
  M.IB_QP_MAX_DEST_RD_ATOMIC | M.IB_QP_MIN_RNR_TIMER;
export const RTS_MASK = M.IB_QP_STATE | M.IB_QP_SQ_PSN | M.IB_QP_TIMEOUT | M.IB_QP_RETRY_CNT | M.IB_QP_RNR_RETRY |
  M.IB_QP_MAX_QP_RD_ATOMIC;

export function rtrAttr(peer: HostCtx, peerQp: ib_qp, attrs: Partial<QpAttrs> = {}): ib_qp_attr {
  const a = { ...DEFAULT_QP_ATTRS, ...attrs };
  return {
    qp_state: QPS.IB_QPS_RTR,
    ah_attr: rdma_ah_attr_init({ dgid: rdma_ip2gid(peer.fh.ip), dmac: new Uint8Array(6), sl: 5, hop_limit: 127 }),
    path_mtu: a.path_mtu,
    dest_qp_num: peerQp.qp_num,
    rq_psn: a.rq_psn ?? a.psn,
    max_dest_rd_atomic: a.max_rd_atomic,
    min_rnr_timer: a.min_rnr_timer,
  };
}

export function rtsAttr(attrs: Partial<QpAttrs> = {}): ib_qp_attr {
  const a = { ...DEFAULT_QP_ATTRS, ...attrs };
  return {
    qp_state: QPS.IB_QPS_RTS, sq_psn: a.psn, timeout: a.timeout, retry_cnt: a.retry_cnt, rnr_retry: a.rnr_retry,
    max_rd_atomic: a.max_rd_atomic,
  };
}

export function qpState(qp: ib_qp): ib_qp_state {
  return ib_query_qp(qp, M.IB_QP_STATE).attr.qp_state!;
}

export function modifyState(qp: ib_qp, state: ib_qp_state): void {
  ib_modify_qp(qp, { qp_state: state }, M.IB_QP_STATE);
}

// ---------------------------------------------------------------------------------------------
// The std pair

export interface Side {
  readonly h: HostCtx;
  readonly pd: ib_pd;
  readonly cq: ib_cq;
  readonly qp: ib_qp;
  readonly buf: Buf;
  mr: ib_mr;
}

export interface StdPair {
  readonly tb: Testbed;
  readonly clock: SimClock;
  readonly local: Side;
  readonly remote: Side;
}

export interface StdPairInit extends TestbedInit {
  /** Buffer size of each side. @default one page */
  bufBytes?: number;
  cap?: Partial<ib_qp_cap>;
  sq_sig_all?: boolean;
  /** Attributes of the local (requester) QP. */
  localAttrs?: Partial<QpAttrs>;
  /** Attributes of the remote (responder) QP. */
  remoteAttrs?: Partial<QpAttrs>;
  /** State the remote QP is left in (it is taken to ERR via RTS). @default RTS */
  remoteState?: ib_qp_state;
  /** State the local QP is left in. @default RTS */
  localState?: ib_qp_state;
  /** Access of both MRs. @default ALL_ACCESS */
  mrAccess?: number;
  /** CQ size. @default 200 */
  cqe?: number;
}

/** stdPair - the LoopbackRcQpTest pair (CONFORMANCE.md §0): local 'a', remote 'b', both RTS. */
export function stdPair(init: StdPairInit = {}): StdPair {
  const tb = newTestbed(init);
  const bytes = init.bufBytes ?? PAGE_SIZE;
  const mk = (h: HostCtx, fill: string): Side => {
    const pd = ib_alloc_pd(h.dev);
    const cq = ib_alloc_cq(h.dev, null, init.cqe ?? 200, 0, ib_poll_context.IB_POLL_DIRECT);
    const qp = createRcQp(h, pd, cq, { cap: init.cap, sq_sig_all: init.sq_sig_all });
    const buf = allocBuf(h, bytes, fill);
    return { h, pd, cq, qp, buf, mr: null as unknown as ib_mr };
  };
  const local = mk(tb.a, 'a');
  const remote = mk(tb.b, 'b');
  local.mr = regMr(tb, local.pd, local.buf, { access: init.mrAccess ?? ALL_ACCESS });
  remote.mr = regMr(tb, remote.pd, remote.buf, { access: init.mrAccess ?? ALL_ACCESS });
  bringUp(local, remote, init.localAttrs, init.localState ?? QPS.IB_QPS_RTS);
  bringUp(remote, local, init.remoteAttrs, init.remoteState ?? QPS.IB_QPS_RTS);
  return { tb, clock: tb.clock, local, remote };
}

/** bringUp - take side's QP from RESET to `state` toward peer (ERR goes via RTS). */
export function bringUp(side: Side, peer: Side, attrs: Partial<QpAttrs> | undefined, state: ib_qp_state): void {
  if (state === QPS.IB_QPS_RESET) return;
  const until = state === QPS.IB_QPS_ERR ? QPS.IB_QPS_RTS : state;
  connectQp(side.h, side.qp, peer.h, peer.qp, attrs, until);
  if (state === QPS.IB_QPS_ERR) modifyState(side.qp, QPS.IB_QPS_ERR);
}

// ---------------------------------------------------------------------------------------------
// Waiting in virtual time

const STEP_MIN_NS = 1_000;
const STEP_MAX_NS = 1_000_000;

/**
 * runFor - run the clock for `ms` of virtual time, calling `until()` between steps; returns true
 * as soon as `until()` does.
 */
export function runFor(clock: SimClock, ms: number, until: () => boolean = () => false): boolean {
  const end = clock.ktime_get() + ms * 1e6;
  let step = STEP_MIN_NS;
  clock.flush();
  if (until()) return true;
  while (clock.ktime_get() < end) {
    const d = Math.min(step, end - clock.ktime_get());
    clock.advanceNs(d);
    if (until()) return true;
    step = Math.min(step * 2, STEP_MAX_NS);
  }
  return false;
}

/**
 * waitForCompletion - rdma-unit-test WaitForCompletion: poll `cq` while running the clock for up
 * to `budgetMs` (default 2000) of virtual time; the first CQE, or a failed assertion.
 */
export function waitForCompletion(cq: ib_cq, clock: SimClock, budgetMs = 2000): ib_wc {
  let wc: ib_wc | undefined;
  runFor(clock, budgetMs, () => {
    wc = ib_poll_cq(cq, 1)[0];
    return wc !== undefined;
  });
  if (wc === undefined) expect.fail(`no completion within ${budgetMs} ms of virtual time`);
  return wc;
}

/** waitForCompletions - `n` CQEs (in order) within the budget. */
export function waitForCompletions(cq: ib_cq, clock: SimClock, n: number, budgetMs = 2000): ib_wc[] {
  const out: ib_wc[] = [];
  runFor(clock, budgetMs, () => {
    out.push(...ib_poll_cq(cq, n - out.length));
    return out.length >= n;
  });
  if (out.length < n) expect.fail(`${out.length} of ${n} completions within ${budgetMs} ms of virtual time: ${out.map(wcStr).join(', ')}`);
  return out;
}

/** expectNoCompletion - rdma-unit-test ExpectNoCompletion: the CQ stays empty for `budgetMs`. */
export function expectNoCompletion(cq: ib_cq, clock: SimClock, budgetMs = 2000): void {
  let wc: ib_wc | undefined;
  runFor(clock, budgetMs, () => {
    wc = ib_poll_cq(cq, 1)[0];
    return wc !== undefined;
  });
  if (wc !== undefined) expect.fail(`unexpected completion: ${wcStr(wc)} wr_id ${String(wc.wr_id)}`);
}

/** drainCq - everything on the CQ now (no clock). */
export function drainCq(cq: ib_cq): ib_wc[] {
  const out: ib_wc[] = [];
  for (;;) {
    const got = ib_poll_cq(cq, 16);
    if (got.length === 0) return out;
    out.push(...got);
  }
}

/** wcStr - the status without the IB_WC_ prefix (as CONFORMANCE.md writes them), for readable asserts. */
export function wcStr(wc: ib_wc): string {
  return (S[wc.status] ?? `status ${wc.status}`).replace(/^IB_WC_/, '');
}

/** st - status name(s) as CONFORMANCE.md writes them. */
export function st(status: ib_wc_status): string {
  return S[status]!.replace(/^IB_WC_/, '');
}

/** expectWc - status (one of `statuses`) and wr_id. */
export function expectWc(wc: ib_wc, statuses: ib_wc_status | readonly ib_wc_status[], wr_id?: number): void {
  const ok = (Array.isArray(statuses) ? statuses : [statuses]) as ib_wc_status[];
  expect(ok.map(st), `wc status (${ib_wc_status_msg(wc.status)})`).to.include(wcStr(wc));
  if (wr_id !== undefined) expect(Number(wc.wr_id), 'wr_id').to.equal(wr_id);
}

/** allBytes - every byte of `v` is `ch`. */
export function allBytes(v: Uint8Array, ch: string): boolean {
  const c = ch.charCodeAt(0);
  for (let i = 0; i < v.length; i++) if (v[i] !== c) return false;
  return true;
}

/** expectFilled - `v` is all `ch` (reports the first differing offset). */
export function expectFilled(v: Uint8Array, ch: string, what = 'buffer'): void {
  const c = ch.charCodeAt(0);
  const i = v.findIndex((x) => x !== c);
  expect(i, `${what}: first byte not '${ch}' (got 0x${i >= 0 ? v[i]!.toString(16) : ''})`).to.equal(-1);
}

/** u64 at byte offset `off` (little-endian, as rdma-unit-test reads its uint64_t buffers). */
export function getU64(v: Uint8Array, off = 0): bigint {
  return new DataView(v.buffer, v.byteOffset, v.byteLength).getBigUint64(off, true);
}
export function setU64(v: Uint8Array, off: number, x: bigint): void {
  new DataView(v.buffer, v.byteOffset, v.byteLength).setBigUint64(off, x, true);
}

/** errnoOf - the KernelError code `fn` throws (or null if it returns). */
export function errnoOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    return `threw ${(e as Error)?.constructor?.name ?? typeof e}: ${(e as Error)?.message}`;
  }
}

/** badWrOf - the `bad_wr` a post failure carries. */
export function badWrOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return (e as { ctx?: { bad_wr?: unknown }; bad_wr?: unknown }).ctx?.bad_wr ?? (e as { bad_wr?: unknown }).bad_wr;
  }
  return undefined;
}

/**
 * skipBecause - `this.skip()` with the reason in the test title (mocha's skip takes no message),
 * so a report lists why a ported case does not run. Never skip silently.
 */
export function skipBecause(ctx: Mocha.Context, reason: string): never {
  if (ctx.test) ctx.test.title += ` [skipped: ${reason}]`;
  ctx.skip();
}

/** The engine has no memory windows (no ib_alloc_mw, IB_WR_BIND_MW refused). */
export const NO_MW = 'memory windows (ib_alloc_mw / IB_WR_BIND_MW) are not implemented by the engine';
