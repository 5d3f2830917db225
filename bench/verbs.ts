/**
 * bench/verbs - perftest-style bandwidth and latency of the emulated RoCE HCA (rxe on the fabric).
 *
 * Two hosts on one fabric (a switch, 1 µs links at 100 Gb/s), an rxe device on each, N connected
 * RC QPs, set up from the package's public API only. Bandwidth tests (`write_bw`, `read_bw`,
 * `send_bw`) keep `--tx-depth` WRs outstanding per QP (signalled every `--cq-mod`), reposted from
 * the CQ's completion handler, so the whole run is one `clock.runUntilIdle()`; latency tests
 * (`send_lat`, `write_lat`) ping-pong one message between the hosts. Every message uses the next
 * slot of a 64 MiB region of each host's RAM (streaming, as the baseline does), so no size is
 * served from a cache-resident buffer. Numbers are wall-clock (host CPU time spent emulating);
 * `vBW` / `vt_typical` are the modelled (virtual-time) values beside them.
 *
 * Baseline, measured in the same run: a memcpy of the same sizes from host A's RAM at varying
 * offsets into host B's RAM (`memcpy[MB/sec]`), and `ratio` = BW average / memcpy.
 * dma-debug is off (a production kernel), except in one row marked `dbg` for information.
 *
 * Divergence from perftest: write_lat signals the target with RDMA WRITE with immediate (a
 * receive completion) instead of the target spinning on the last byte: the emulator has no
 * second CPU to spin. MB = 2^20 bytes, as perftest.
 *
 * Usage: npm run bench -- verbs [--json] [--quick] [--sizes 2,64,1M] [--tests write_bw,send_lat]
 *        [--configs base,icrc,mtu1024,qp16,dbg] [--iters N] [--tx-depth 128] [--cq-mod 16]
 */
import {
  createFabric, ib_access_flags, ib_alloc_pd, ib_create_cq, ib_create_qp, ib_cq_notify_flags, ib_dma_map_single,
  ib_get_dma_mr, ib_modify_qp, ib_mtu, ib_poll_cq, ib_post_recv, ib_post_send, ib_qp_attr_mask, ib_qp_state,
  ib_qp_type, ib_req_notify_cq, ib_send_flags, ib_sig_type, ib_wc_status, ib_wc_status_msg, ib_wr_opcode,
  rdma_ah_attr_init, rdma_ip2gid, rxe_add, type FabricHost, type ib_cq, type ib_device, type ib_pd, type ib_qp,
  type ib_rdma_wr, type ib_recv_wr, type ib_wc,
} from '@rdmaemu/ib_verbs';
import { DMA_BIDIRECTIONAL, alloc_contig_pages, page_to_phys, phys_to_virt } from '@rdmaemu/dma-core';
import { SimClock } from '@rdmaemu/sim-core';
import { printReport } from './_report.js';

const MB = 1 << 20;
const REGION = 64 * MB;

type TestName = 'write_bw' | 'read_bw' | 'send_bw' | 'send_lat' | 'write_lat';
const ALL_TESTS: TestName[] = ['write_bw', 'read_bw', 'send_bw', 'send_lat', 'write_lat'];

interface Config { icrc: boolean; mtu: ib_mtu; qps: number; dmaDebug: boolean }

interface Side {
  host: FabricHost;
  dev: ib_device;
  pd: ib_pd;
  cq: ib_cq;
  qps: ib_qp[];
  /** The 64 MiB region: CPU view and DMA address. */
  buf: Uint8Array;
  dma: number;
  rkey: number;
  /** Called from the completion handler with each polled WC. */
  onWc: (wc: ib_wc) => void;
}

interface Setup { clock: SimClock; a: Side; b: Side; latPrimed: boolean; rqPosted: Map<ib_qp, number> }

let seq = 0;

function makeSide(fabric: ReturnType<typeof createFabric>, name: string, ip: string, cfg: Config): Side {
  const host = fabric.addHost({ name: `${name}${seq}`, ip, memory: '256M', iommu: 'off', dmaDebug: cfg.dmaDebug ? {} : false });
  const dev = rxe_add(host.netdev, { dma: host.dma, name: `rxe_${name}${seq}`, icrc: cfg.icrc });
  const pd = ib_alloc_pd(dev);
  const side = { host, dev, pd, qps: [] as ib_qp[], onWc: (_wc: ib_wc) => {} } as unknown as Side;
  side.cq = ib_create_cq(dev, (cq) => {
    // Drain, re-arm, and drain again if completions raced the re-arm (the usual ULP loop).
    do {
      for (;;) {
        const wcs = ib_poll_cq(cq, 64);
        for (let i = 0; i < wcs.length; i++) side.onWc(wcs[i]!);
        if (wcs.length < 64) break;
      }
    } while (ib_req_notify_cq(cq, ib_cq_notify_flags.IB_CQ_NEXT_COMP | ib_cq_notify_flags.IB_CQ_REPORT_MISSED_EVENTS) > 0);
  }, null, side, { cqe: 8192, comp_vector: 0, flags: 0 });
  ib_req_notify_cq(side.cq, ib_cq_notify_flags.IB_CQ_NEXT_COMP);
  const pages = REGION / 4096;
  const pg = alloc_contig_pages(host.dma.mem, pages);
  if (pg === null) throw new Error('bench: out of memory');
  side.buf = phys_to_virt(host.dma.mem, page_to_phys(pg), REGION);
  side.buf.fill(1); // fault the pages in now, not inside a measurement
  side.dma = ib_dma_map_single(dev, side.buf, REGION, DMA_BIDIRECTIONAL);
  const A = ib_access_flags;
  side.rkey = ib_get_dma_mr(pd, A.IB_ACCESS_LOCAL_WRITE | A.IB_ACCESS_REMOTE_WRITE | A.IB_ACCESS_REMOTE_READ).rkey;
  return side;
}

export function setup(cfg: Config): Setup {
  seq++;
  const clock = new SimClock({ seed: 1, maxEvents: Number.MAX_SAFE_INTEGER, traceClock: false });
  const fabric = createFabric(clock, { latencyNs: 1000, bandwidthGbps: 100 });
  const a = makeSide(fabric, 'a', '10.0.0.1', cfg);
  const b = makeSide(fabric, 'b', '10.0.0.2', cfg);
  const M = ib_qp_attr_mask;
  const A = ib_access_flags;
  for (let i = 0; i < cfg.qps; i++) {
    for (const s of [a, b]) {
      s.qps.push(ib_create_qp(s.pd, {
        send_cq: s.cq, recv_cq: s.cq, qp_type: ib_qp_type.IB_QPT_RC, sq_sig_type: ib_sig_type.IB_SIGNAL_REQ_WR,
        cap: { max_send_wr: 512, max_recv_wr: 1024, max_send_sge: 1, max_recv_sge: 1, max_inline_data: 0 },
      }));
    }
    const pairs: [Side, Side, string][] = [[a, b, '10.0.0.2'], [b, a, '10.0.0.1']];
    for (const [me, peer, peerIp] of pairs) {
      const qp = me.qps[i]!;
      ib_modify_qp(qp, { qp_state: ib_qp_state.IB_QPS_INIT, pkey_index: 0, port_num: 1,
        qp_access_flags: A.IB_ACCESS_REMOTE_WRITE | A.IB_ACCESS_REMOTE_READ | A.IB_ACCESS_LOCAL_WRITE },
      M.IB_QP_STATE | M.IB_QP_PKEY_INDEX | M.IB_QP_PORT | M.IB_QP_ACCESS_FLAGS);
      ib_modify_qp(qp, { qp_state: ib_qp_state.IB_QPS_RTR, path_mtu: cfg.mtu, rq_psn: 0, dest_qp_num: peer.qps[i]!.qp_num,
        ah_attr: rdma_ah_attr_init({ dgid: rdma_ip2gid(peerIp), dmac: new Uint8Array(6) }),
        max_dest_rd_atomic: 16, min_rnr_timer: 1 },
      M.IB_QP_STATE | M.IB_QP_PATH_MTU | M.IB_QP_RQ_PSN | M.IB_QP_DEST_QPN | M.IB_QP_AV | M.IB_QP_MAX_DEST_RD_ATOMIC |
        M.IB_QP_MIN_RNR_TIMER);
      ib_modify_qp(qp, { qp_state: ib_qp_state.IB_QPS_RTS, sq_psn: 0, max_rd_atomic: 16, timeout: 14, retry_cnt: 7, rnr_retry: 7 },
        M.IB_QP_STATE | M.IB_QP_SQ_PSN | M.IB_QP_MAX_QP_RD_ATOMIC | M.IB_QP_TIMEOUT | M.IB_QP_RETRY_CNT | M.IB_QP_RNR_RETRY);
    }
  }
  return { clock, a, b, latPrimed: false, rqPosted: new Map() };
}

function check(wc: ib_wc): void {
  if (wc.status !== ib_wc_status.IB_WC_SUCCESS) throw new Error(`bench: completion error ${ib_wc_status_msg(wc.status)} (wr_id ${wc.wr_id})`);
}

/** Offsets cycle through the first `span` bytes of the region in message-size steps (aligned to 64 bytes). */
function slot(i: number, size: number, span = REGION): number {
  const step = Math.max(64, size);
  const n = Math.max(1, Math.floor(span / step));
  return (i % n) * step;
}

interface BwResult { peakMBs: number; avgMBs: number; mpps: number; vMBs: number }

/** One bandwidth run: `iters` messages per QP of `size` bytes. */
export function runBw(s: Setup, test: 'write_bw' | 'read_bw' | 'send_bw', size: number, iters: number, txDepth: number, cqMod: number): BwResult {
  const { clock, a, b } = s;
  const nq = a.qps.length;
  const posted = new Array<number>(nq).fill(0);
  const done = new Array<number>(nq).fill(0);
  const qpIndex = new Map<ib_qp, number>();
  a.qps.forEach((q, i) => qpIndex.set(q, i));
  b.qps.forEach((q, i) => qpIndex.set(q, i));
  const opcode = test === 'write_bw' ? ib_wr_opcode.IB_WR_RDMA_WRITE : test === 'read_bw' ? ib_wr_opcode.IB_WR_RDMA_READ : ib_wr_opcode.IB_WR_SEND;
  let next = 0;
  let total = 0;
  const wrs: ib_rdma_wr[] = a.qps.map(() => ({
    wr_id: 0, opcode, send_flags: 0, sg_list: [{ addr: 0, length: size, lkey: a.pd.local_dma_lkey }], num_sge: 1,
    remote_addr: 0, rkey: b.rkey, next: null,
  }));
  const stamps: number[] = [];
  const post = (qi: number): void => {
    const qp = a.qps[qi]!;
    const wr = wrs[qi]!;
    while (posted[qi]! - done[qi]! < txDepth && posted[qi]! < iters) {
      const n = posted[qi]!;
      const off = slot(next++, size);
      wr.wr_id = n;
      wr.send_flags = (n % cqMod === cqMod - 1 || n === iters - 1) ? ib_send_flags.IB_SEND_SIGNALED : 0;
      wr.sg_list![0]!.addr = a.dma + off;
      wr.remote_addr = b.dma + off;
      ib_post_send(qp, wr);
      posted[qi] = n + 1;
    }
  };
  a.onWc = (wc) => {
    check(wc);
    const qi = qpIndex.get(wc.qp as ib_qp)!;
    done[qi] = (wc.wr_id as number) + 1;
    total = 0;
    for (let i = 0; i < nq; i++) total += done[i]!;
    stamps.push(performance.now(), total);
    post(qi);
  };
  // send_bw: the receiver keeps 2*txDepth receives posted per QP, reposting from its handler.
  let rnext = 0;
  // Receives are REGION/2 long in the first half, so leftovers from an earlier size fit any later one.
  const rwr: ib_recv_wr = { wr_id: 0, sg_list: [{ addr: 0, length: REGION / 2, lkey: b.pd.local_dma_lkey }], num_sge: 1, next: null };
  const postRecv = (qp: ib_qp): void => {
    rwr.sg_list![0]!.addr = b.dma + slot(rnext++, size, REGION / 2);
    ib_post_recv(qp, rwr);
    s.rqPosted.set(qp, (s.rqPosted.get(qp) ?? 0) + 1);
  };
  b.onWc = (wc) => {
    check(wc);
    s.rqPosted.set(wc.qp as ib_qp, s.rqPosted.get(wc.qp as ib_qp)! - 1);
    postRecv(wc.qp as ib_qp);
  };
  if (test === 'send_bw') {
    for (const qp of b.qps) for (let i = s.rqPosted.get(qp) ?? 0; i < Math.min(2 * txDepth, 1024); i++) postRecv(qp);
  }
  const v0 = clock.ktime_get();
  const t0 = performance.now();
  for (let i = 0; i < nq; i++) post(i);
  const events = clock.runUntilIdle();
  const t1 = performance.now();
  if (process.env.BENCH_DEBUG) console.error(`${test} ${size}: ${events} clock events, ${events / (iters * nq)} per message`);
  const v1 = clock.ktime_get();
  let got = 0;
  for (let i = 0; i < nq; i++) got += done[i]!;
  if (got !== iters * nq) throw new Error(`bench: ${test} ${size}: ${got} of ${iters * nq} completed`);
  // The receiver's pre-posted receives are left on the RQ; flush them by draining nothing (QPs are discarded).
  b.onWc = () => {};
  const bytes = size * iters * nq;
  const sec = (t1 - t0) / 1000;
  // Peak: the best rate over any window of ~1/8 of the run (perftest: the best per-iteration time).
  let peak = 0;
  const win = Math.max(1, Math.floor(iters * nq / 8), 4 * cqMod * nq);
  let j = 0;
  let prevT = t0;
  let prevN = 0;
  for (let i = 0; i < stamps.length; i += 2) {
    const n = stamps[i + 1]!;
    if (n - prevN >= win) {
      const t = stamps[i]!;
      if (t > prevT) peak = Math.max(peak, ((n - prevN) * size) / ((t - prevT) / 1000));
      prevT = t;
      prevN = n;
    }
    j++;
  }
  void j;
  const avg = bytes / sec;
  return { peakMBs: Math.max(peak, avg) / MB, avgMBs: avg / MB, mpps: iters * nq / sec / 1e6, vMBs: bytes / ((v1 - v0) / 1e9) / MB };
}

interface LatResult { min: number; max: number; typical: number; avg: number; stdev: number; p99: number; p999: number; vTypical: number }

/** Ping-pong: A sends (or writes with immediate) to B, B answers, `iters` round trips; half round trip per sample. */
export function runLat(s: Setup, test: 'send_lat' | 'write_lat', size: number, iters: number): LatResult {
  const { clock, a, b } = s;
  const qa = a.qps[0]!;
  const qb = b.qps[0]!;
  const opcode = test === 'send_lat' ? ib_wr_opcode.IB_WR_SEND : ib_wr_opcode.IB_WR_RDMA_WRITE_WITH_IMM;
  const mk = (me: Side, peer: Side): ib_rdma_wr => ({
    wr_id: 0, opcode, send_flags: 0, sg_list: [{ addr: me.dma, length: size, lkey: me.pd.local_dma_lkey }], num_sge: 1,
    remote_addr: peer.dma + REGION / 2, rkey: peer.rkey, next: null, ex: { imm_data: 1 },
  });
  const wa = mk(a, b);
  const wb = mk(b, a);
  const recv = (me: Side): ib_recv_wr => ({ wr_id: 0, sg_list: [{ addr: me.dma + REGION / 2, length: REGION / 2, lkey: me.pd.local_dma_lkey }], num_sge: 1, next: null });
  const ra = recv(a);
  const rb = recv(b);
  if (!s.latPrimed) {
    for (let i = 0; i < 64; i++) { ib_post_recv(qa, ra); ib_post_recv(qb, rb); }
    s.latPrimed = true;
  }
  const wall = new Float64Array(iters + 1);
  const virt = new Float64Array(iters + 1);
  let n = 0;
  let sent = 0;
  const send = (qp: ib_qp, wr: ib_rdma_wr): void => {
    wr.send_flags = (++sent % 16 === 0) ? ib_send_flags.IB_SEND_SIGNALED : 0;
    ib_post_send(qp, wr);
  };
  a.onWc = (wc) => {
    check(wc);
    if (wc.qp !== qa || (wc.opcode & 128) === 0) return; // send completions: nothing to do
    ib_post_recv(qa, ra);
    n++;
    wall[n] = performance.now();
    virt[n] = clock.ktime_get();
    if (n < iters) send(qa, wa);
  };
  b.onWc = (wc) => {
    check(wc);
    if ((wc.opcode & 128) === 0) return;
    ib_post_recv(qb, rb);
    send(qb, wb);
  };
  wall[0] = performance.now();
  virt[0] = clock.ktime_get();
  send(qa, wa);
  clock.runUntilIdle();
  if (n !== iters) throw new Error(`bench: ${test} ${size}: ${n} of ${iters} round trips`);
  const us: number[] = [];
  const vus: number[] = [];
  for (let i = 1; i <= iters; i++) {
    us.push((wall[i]! - wall[i - 1]!) * 1000 / 2);
    vus.push((virt[i]! - virt[i - 1]!) / 1000 / 2);
  }
  us.sort((x, y) => x - y);
  vus.sort((x, y) => x - y);
  const avg = us.reduce((x, y) => x + y, 0) / us.length;
  const stdev = Math.sqrt(us.reduce((x, y) => x + (y - avg) ** 2, 0) / us.length);
  const pct = (p: number): number => us[Math.min(us.length - 1, Math.ceil(us.length * p) - 1)]!;
  return {
    min: us[0]!, max: us[us.length - 1]!, typical: us[us.length >> 1]!, avg, stdev, p99: pct(0.99), p999: pct(0.999),
    vTypical: vus[vus.length >> 1]!,
  };
}

/** memcpy baseline: A's RAM at cycling offsets into B's RAM, bytes/s. */
function memcpyRate(s: Setup, size: number, ms: number): number {
  const src = s.a.buf;
  const dst = s.b.buf;
  let i = 0;
  let bytes = 0;
  const run = (budget: number): number => {
    const t0 = performance.now();
    let t = t0;
    bytes = 0;
    while (t - t0 < budget) {
      for (let k = 0; k < 16; k++) {
        const off = slot(i++, size);
        dst.set(src.subarray(off, off + size), off);
        bytes += size;
      }
      t = performance.now();
    }
    return bytes / ((t - t0) / 1000);
  };
  run(Math.min(20, ms / 4));
  return run(ms);
}

/**
 * warmUp - run `fn` until `ms` of wall time have passed (at least once): the JIT needs tens of
 * thousands of packets before the data path reaches steady state.
 */
function warmUp(ms: number, fn: () => void): void {
  const t0 = performance.now();
  do fn(); while (performance.now() - t0 < ms);
}

function parseSize(x: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(x.trim());
  if (!m) throw new Error(`bench: bad size '${x}'`);
  return Number(m[1]) * ({ '': 1, K: 1024, M: MB, G: 1024 * MB } as Record<string, number>)[m[2]!.toUpperCase()]!;
}

function fmt(x: number, d = 2): number {
  return Number(x.toFixed(d));
}

export async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const quick = argv.includes('--quick');
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const allSizes: number[] = [];
  for (let x = 2; x <= 8 * MB; x *= 2) allSizes.push(x);
  const sizes = arg('--sizes')?.split(',').map(parseSize) ?? (quick ? [2, 64, 4096, 65536, MB] : allSizes);
  const tests = (arg('--tests')?.split(',') ?? ALL_TESTS) as TestName[];
  for (const t of tests) if (!ALL_TESTS.includes(t)) throw new Error(`bench: unknown test '${t}'`);
  const txDepth = Number(arg('--tx-depth') ?? 128);
  const warmMs = quick ? 300 : 800;
  const cqMod = Number(arg('--cq-mod') ?? 16);
  const itersArg = arg('--iters');
  const budget = quick ? 32 * MB : 256 * MB;
  const bwIters = (size: number, qps: number): number =>
    itersArg ? Number(itersArg) : Math.max(16, Math.min(quick ? 20000 : 100000, Math.round(budget / size / qps)));
  const latIters = (size: number): number => itersArg ? Number(itersArg) : Math.max(100, Math.min(quick ? 2000 : 10000, Math.round(budget / 8 / size)));

  let configs: (Config & { sizes: number[]; name: string })[] = [];
  const big = sizes.filter((x) => x >= 65536);
  const pick = (xs: number[]): number[] => (xs.length ? xs : sizes.slice(-1));
  for (const icrc of [false, true]) configs.push({ name: icrc ? 'icrc' : 'base', icrc, mtu: ib_mtu.IB_MTU_4096, qps: 1, dmaDebug: false, sizes });
  configs.push({ name: 'mtu1024', icrc: false, mtu: ib_mtu.IB_MTU_1024, qps: 1, dmaDebug: false, sizes: quick ? pick(big) : sizes });
  configs.push({ name: 'qp16', icrc: false, mtu: ib_mtu.IB_MTU_4096, qps: 16, dmaDebug: false, sizes: quick ? [64, ...pick(big)] : sizes });
  const dbgSizes = [64, MB].filter((x) => sizes.includes(x));
  configs.push({ name: 'dbg', icrc: false, mtu: ib_mtu.IB_MTU_4096, qps: 1, dmaDebug: true, sizes: dbgSizes.length ? dbgSizes : sizes.slice(-1) });
  const only = arg('--configs')?.split(',');
  if (only) configs = configs.filter((c) => only.includes(c.name));

  const bwRows: Record<string, string | number>[] = [];
  const latRows: Record<string, string | number>[] = [];
  const memcpy = new Map<number, number>();
  const cfgName = (c: Config): Record<string, string | number> => ({
    icrc: c.icrc ? 'on' : 'off', mtu: c.mtu === ib_mtu.IB_MTU_4096 ? 4096 : 1024, qps: c.qps, dbg: c.dmaDebug ? 'on' : 'off',
  });
  for (const cfg of configs) {
    for (const test of tests) {
      const isLat = test === 'send_lat' || test === 'write_lat';
      if (isLat && cfg.qps !== 1) continue;
      const s = setup(cfg);
      let warmed = false;
      for (const size of cfg.sizes) {
        if (!memcpy.has(size)) memcpy.set(size, memcpyRate(s, size, quick ? 100 : 300));
        const mc = memcpy.get(size)!;
        if (isLat) {
          const iters = latIters(size);
          warmUp(warmed ? 30 : warmMs, () => runLat(s, test, size, Math.min(iters, 200)));
          warmed = true;
          const r = runLat(s, test, size, iters);
          latRows.push({
            test, ...cfgName(cfg), '#bytes': size, '#iterations': iters, 't_min[usec]': fmt(r.min), 't_max[usec]': fmt(r.max),
            't_typical[usec]': fmt(r.typical), 't_avg[usec]': fmt(r.avg), 't_stdev[usec]': fmt(r.stdev),
            '99% percentile[usec]': fmt(r.p99), '99.9% percentile[usec]': fmt(r.p999), 'vt_typical[usec]': fmt(r.vTypical),
          });
        } else {
          const iters = bwIters(size, cfg.qps);
          warmUp(warmed ? 30 : warmMs, () => runBw(s, test, size, Math.max(16, Math.round(iters / 4)), txDepth, cqMod));
          warmed = true;
          const r = runBw(s, test, size, iters, txDepth, cqMod);
          bwRows.push({
            test, ...cfgName(cfg), '#bytes': size, '#iterations': iters, 'BW peak[MB/sec]': fmt(r.peakMBs),
            'BW average[MB/sec]': fmt(r.avgMBs), 'MsgRate[Mpps]': fmt(r.mpps, 6), 'vBW[MB/sec]': fmt(r.vMBs),
            'memcpy[MB/sec]': fmt(mc / MB), ratio: fmt(r.avgMBs * MB / mc, 3),
          });
        }
      }
    }
  }
  const notes = [
    'Wall-clock numbers (one core, in process); vBW / vt_typical: the modelled virtual-time values (1 µs links, 100 Gb/s).',
    'ratio = BW average / memcpy of the same sizes from host A RAM into host B RAM at cycling offsets (64 MiB regions).',
    'latency = half round trip; write_lat uses RDMA WRITE with immediate (the target has no CPU to spin on memory).',
    `tx depth ${txDepth}, signalled every ${cqMod}; dbg = dma-debug on (informational row).`,
  ];
  if (json) {
    printReport({ suite: 'verbs', title: 'perftest-style verbs benchmarks', columns: Object.keys(bwRows[0] ?? latRows[0] ?? {}),
      rows: [...bwRows, ...latRows], baseline: Object.fromEntries([...memcpy].map(([k, v]) => [`memcpy ${k} B MB/s`, fmt(v / MB)])), notes }, true);
    return;
  }
  if (bwRows.length) {
    printReport({ suite: 'verbs', title: 'perftest-style bandwidth (write_bw, read_bw, send_bw) on rxe',
      columns: ['test', 'icrc', 'mtu', 'qps', 'dbg', '#bytes', '#iterations', 'BW peak[MB/sec]', 'BW average[MB/sec]', 'MsgRate[Mpps]',
        'vBW[MB/sec]', 'memcpy[MB/sec]', 'ratio'], rows: bwRows }, false);
    console.log('');
  }
  if (latRows.length) {
    printReport({ suite: 'verbs', title: 'perftest-style latency (send_lat, write_lat) on rxe',
      columns: ['test', 'icrc', 'mtu', 'qps', 'dbg', '#bytes', '#iterations', 't_min[usec]', 't_max[usec]', 't_typical[usec]', 't_avg[usec]',
        't_stdev[usec]', '99% percentile[usec]', '99.9% percentile[usec]', 'vt_typical[usec]'], rows: latRows }, false);
  }
  for (const n of notes) console.log(n);
}
