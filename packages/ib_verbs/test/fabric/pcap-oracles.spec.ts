/**
 * pcap-oracles - real rxe traffic captured by the pcap tap, checked by tools nobody on this team
 * wrote (ORACLES.md §1-§2): tshark (Debian `tshark`) decodes every frame with no malformed
 * packet and no error-level expert item, and its BTH/RETH/AETH fields match what was posted;
 * scapy's `scapy.contrib.roce` (Debian `python3-scapy`, run by `/usr/bin/python3`) recomputes
 * every frame's ICRC (packages/testing/tools/icrc_check.py).
 *
 * The tools are required in CI (`.ci/run` installs them; `process.env.CI` set = a missing tool is
 * a failure). Elsewhere a test whose tool is absent is skipped with the reason in its title.
 * Captures go to an OS temp dir and are removed.
 *
 * Traffic (std pair, path MTU 1024, ICRC on; requester PSNs from 1024): SEND, SEND_WITH_IMM,
 * a 3000-byte RDMA WRITE (3 packets), a 3000-byte RDMA READ (3 response packets), CMP_SWAP,
 * FETCH_ADD, and a SEND with no receive posted (RNR NAK, then the retry once a receive is posted).
 * No CM handshake yet (rdma_cm comes later): tshark decodes the RoCE layers without pairing QPs.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { ib_mtu } from '../../src/core/ib_verbs.h.js';
import { ib_post_send } from '../../src/core/verbs.js';
import { pcapParse, pcapTap, type PcapFile } from '../../src/fabric/pcap.js';
import { atomicWr, lsge, postRecv, rdmaWr, rsge, sendWr } from '../conformance/_ops.js';
import { expectWc, OP, runFor, S, stdPair, waitForCompletion, type StdPair } from '../conformance/_std_pair.js';

/** Debian's python3 (python3-scapy installs into its dist-packages); RDMAEMU_PYTHON overrides. */
const PYTHON = process.env.RDMAEMU_PYTHON ?? '/usr/bin/python3';
/** RDMAEMU_TSHARK overrides the tshark binary. */
const TSHARK = process.env.RDMAEMU_TSHARK ?? 'tshark';
/** scapy's ICRC checker lives in @rdmaemu/testing (tools/); found by path, since importing that package would make the project references cyclic. */
const ICRC_CHECK = fileURLToPath(new URL('../../../../testing/tools/icrc_check.py', import.meta.url));
const IN_CI = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';

/** Why `tool` can't run here, or null when it can. */
function toolMissing(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error !== undefined) return `${cmd}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`;
  if (r.status !== 0) return `${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr.trim().split('\n').pop() ?? ''}`;
  return null;
}

/** Skip (with the reason in the title) when the tool is absent outside CI; fail in CI. */
function requireTool(ctx: Mocha.Context, missing: string | null, pkg: string): void {
  if (missing === null) return;
  if (IN_CI) expect.fail(`${pkg} is required in CI (.ci/run installs it): ${missing}`);
  if (ctx.test) ctx.test.title += ` [skipped: Debian package ${pkg} not installed: ${missing}]`;
  ctx.skip();
}

function run(cmd: string, args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error !== undefined) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** A request the client put on the wire, as tshark should decode it. */
interface Expected {
  opcode: number;
  psn: number;
  reth?: { va: number; rkey: number; len: number };
  atomic?: { va: number; rkey: number; swap: number; cmp: number };
}

interface Capture {
  p: StdPair;
  file: string;
  raw: Uint8Array;
  pcap: PcapFile;
  frames: number;
  requests: Expected[];
}

const RC = {
  SEND_ONLY: 0x04, SEND_ONLY_WITH_IMM: 0x05, RDMA_WRITE_FIRST: 0x06, RDMA_WRITE_MIDDLE: 0x07, RDMA_WRITE_LAST: 0x08,
  RDMA_READ_REQUEST: 0x0c, READ_RESPONSE_FIRST: 0x0d, READ_RESPONSE_MIDDLE: 0x0e, READ_RESPONSE_LAST: 0x0f,
  ACKNOWLEDGE: 0x11, ATOMIC_ACKNOWLEDGE: 0x12, COMPARE_SWAP: 0x13, FETCH_ADD: 0x14,
} as const;

/** The traffic above, captured from the whole fabric into `file`. */
function captureTraffic(file: string): Capture {
  const p = stdPair({ bufBytes: 8192, localAttrs: { path_mtu: ib_mtu.IB_MTU_1024 }, remoteAttrs: { path_mtu: ib_mtu.IB_MTU_1024 } });
  const tap = pcapTap(p.tb.fabric, { file });
  const raddr = p.remote.buf.addr;
  const rkey = p.remote.mr.rkey;
  const done = (): void => expectWc(waitForCompletion(p.local.cq, p.clock), S.IB_WC_SUCCESS, 1);
  const remoteDone = (): void => expectWc(waitForCompletion(p.remote.cq, p.clock), S.IB_WC_SUCCESS);

  postRecv(p, [rsge(p, 0, 64)]);
  ib_post_send(p.local.qp, sendWr(p, { sg: [lsge(p, 0, 64)] }));
  done();
  remoteDone();
  postRecv(p, [rsge(p, 0, 64)]);
  ib_post_send(p.local.qp, sendWr(p, { opcode: OP.IB_WR_SEND_WITH_IMM, imm: 0x12345678, sg: [lsge(p, 0, 64)] }));
  done();
  remoteDone();
  ib_post_send(p.local.qp, rdmaWr(p, OP.IB_WR_RDMA_WRITE, { sg: [lsge(p, 0, 3000)], raddr }));
  done();
  ib_post_send(p.local.qp, rdmaWr(p, OP.IB_WR_RDMA_READ, { sg: [lsge(p, 4096, 3000)], raddr: raddr + 4096 }));
  done();
  ib_post_send(p.local.qp, atomicWr(p, OP.IB_WR_ATOMIC_CMP_AND_SWP, 0n, 7n, { raddr }));
  done();
  ib_post_send(p.local.qp, atomicWr(p, OP.IB_WR_ATOMIC_FETCH_AND_ADD, 5n, 0n, { raddr }));
  done();
  // No receive posted: the responder answers RNR NAK; the retry (after min_rnr_timer 81.92 ms) succeeds.
  ib_post_send(p.local.qp, sendWr(p, { sg: [lsge(p, 0, 64)] }));
  runFor(p.clock, 1);
  postRecv(p, [rsge(p, 0, 64)]);
  done();
  remoteDone();
  tap.close();

  const requests: Expected[] = [
    { opcode: RC.SEND_ONLY, psn: 1024 },
    { opcode: RC.SEND_ONLY_WITH_IMM, psn: 1025 },
    { opcode: RC.RDMA_WRITE_FIRST, psn: 1026, reth: { va: raddr, rkey, len: 3000 } },
    { opcode: RC.RDMA_WRITE_MIDDLE, psn: 1027 },
    { opcode: RC.RDMA_WRITE_LAST, psn: 1028 },
    { opcode: RC.RDMA_READ_REQUEST, psn: 1029, reth: { va: raddr + 4096, rkey, len: 3000 } },
    { opcode: RC.COMPARE_SWAP, psn: 1032, atomic: { va: raddr, rkey, swap: 7, cmp: 0 } },
    { opcode: RC.FETCH_ADD, psn: 1033, atomic: { va: raddr, rkey, swap: 5, cmp: 0 } },
    { opcode: RC.SEND_ONLY, psn: 1034 },
    { opcode: RC.SEND_ONLY, psn: 1034 },
  ];
  const raw = new Uint8Array(readFileSync(file));
  return { p, file, raw, pcap: pcapParse(raw), frames: tap.frames, requests };
}

const BTH_OFF = 14 + 20 + 8;

/** BTH fields read straight from the captured bytes (our own decode, to compare with tshark's). */
function bthOf(d: Uint8Array): { opcode: number; destqp: number; psn: number } {
  const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
  return { opcode: d[BTH_OFF]!, destqp: dv.getUint32(BTH_OFF + 4) & 0xffffff, psn: dv.getUint32(BTH_OFF + 8) & 0xffffff };
}

/** The ICRC per ORACLES.md §1, written independently of src/sw/rxe/rxe_icrc.ts. */
function icrcOf(d: Uint8Array): number {
  const m = Uint8Array.from(d.subarray(14, d.length - 4));
  m[1] = 0xff; // IPv4 TOS
  m[8] = 0xff; // TTL
  m[10] = 0xff; // header checksum
  m[11] = 0xff;
  m[26] = 0xff; // UDP checksum
  m[27] = 0xff;
  m[28 + 4] = 0xff; // BTH byte 4 (FECN, BECN, reserved)
  return crc32(m, crc32(new Uint8Array(8).fill(0xff))) >>> 0;
}

describe('fabric/pcap: oracles (tshark, scapy) on captured rxe traffic', function () {
  this.timeout(60_000);
  let dir = '';
  let cap: Capture;
  const tsharkMissing = toolMissing(TSHARK, ['--version']);
  const scapyMissing = toolMissing(PYTHON, ['-c', 'import scapy.contrib.roce']);

  before(function () {
    dir = mkdtempSync(join(tmpdir(), 'rdmaemu-pcap-'));
    cap = captureTraffic(join(dir, 'rxe.pcap'));
  });
  after(function () {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('captures every frame of the run (LINKTYPE_ETHERNET, ns timestamps in send order) and each ICRC matches the ORACLES.md §1 formula', function () {
    const { pcap, frames } = cap;
    expect(pcap.linktype).to.equal(1);
    expect(pcap.nanoseconds).to.equal(true);
    expect(pcap.records.length).to.equal(frames);
    const times = pcap.records.map((r) => r.timeNs);
    expect(times).to.deep.equal([...times].sort((a, b) => a - b));
    for (const [i, r] of pcap.records.entries()) {
      const wire = new DataView(r.data.buffer, r.data.byteOffset + r.data.length - 4, 4).getUint32(0, true);
      expect(wire, `frame ${i + 1} ICRC`).to.equal(icrcOf(r.data));
    }
  });

  it("tshark -2: no malformed frame and no error-level expert item (-Y '_ws.malformed || _ws.expert.severity >= error' prints nothing)", function () {
    requireTool(this, tsharkMissing, 'tshark');
    const r = run(TSHARK, ['-2', '-n', '-r', cap.file, '-Y', '_ws.malformed || _ws.expert.severity >= error']);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout.trim()).to.equal('');
    const all = run(TSHARK, ['-2', '-n', '-r', cap.file, '-T', 'fields', '-e', 'frame.protocols']);
    const layers = all.stdout.trim().split('\n');
    expect(layers).to.have.length(cap.frames);
    for (const l of layers) expect(l).to.match(/^eth:ethertype:ip:udp:infiniband/);
  });

  it('tshark fields: opcodes in order, QPNs, PSNs and RETH (va, r_key, dmalen) as posted; read responses, atomic ACKs and the RNR NAK', function () {
    requireTool(this, tsharkMissing, 'tshark');
    const r = run(TSHARK, ['-r', cap.file, '-n', '-T', 'fields', '-E', 'separator=,', '-e', 'ip.src', '-e', 'infiniband.bth.opcode',
      '-e', 'infiniband.bth.destqp', '-e', 'infiniband.bth.psn', '-e', 'infiniband.reth.va', '-e', 'infiniband.reth.r_key',
      '-e', 'infiniband.reth.dmalen', '-e', 'infiniband.aeth.syndrome', '-e', 'infiniband.atomiceth.swapdt', '-e', 'infiniband.atomiceth.cmpdt']);
    expect(r.status, r.stderr).to.equal(0);
    const rows = r.stdout.trim().split('\n').map((line) => {
      const [src, opcode, destqp, psn, va, rkey, len, syndrome, swap, cmp] = line.split(',');
      const num = (s: string | undefined): number | null => (s === undefined || s === '' ? null : Number(s));
      return { src, opcode: num(opcode)!, destqp: num(destqp)!, psn: num(psn)!, va: num(va), rkey: num(rkey), len: num(len), syndrome: num(syndrome), swap: num(swap), cmp: num(cmp) };
    });
    expect(rows).to.have.length(cap.frames);
    // tshark's BTH = the bytes we wrote, frame by frame.
    expect(rows.map((x) => ({ opcode: x.opcode, destqp: x.destqp, psn: x.psn }))).to.deep.equal(cap.pcap.records.map((x) => bthOf(x.data)));

    const toServer = rows.filter((x) => x.src === cap.p.tb.a.fh.ip);
    const toClient = rows.filter((x) => x.src === cap.p.tb.b.fh.ip);
    expect(toServer.length + toClient.length, 'every frame is from one of the two hosts').to.equal(rows.length);
    expect(new Set(toServer.map((x) => x.destqp)), 'requests go to the server QP').to.deep.equal(new Set([cap.p.remote.qp.qp_num]));
    expect(new Set(toClient.map((x) => x.destqp)), 'responses go to the client QP').to.deep.equal(new Set([cap.p.local.qp.qp_num]));
    // tshark shows an AtomicETH's VA and R_Key under the infiniband.reth.* names (no dmalen).
    expect(toServer.map((x) => ({
      opcode: x.opcode, psn: x.psn,
      ...(x.swap !== null ? { atomic: { va: x.va, rkey: x.rkey, swap: x.swap, cmp: x.cmp } } : x.va !== null ? { reth: { va: x.va, rkey: x.rkey, len: x.len } } : {}),
    }))).to.deep.equal(cap.requests);

    const hex = (x: { opcode: number; psn: number }): string => `${x.opcode.toString(16)}@${x.psn}`;
    const nonAck = toClient.filter((x) => x.opcode !== RC.ACKNOWLEDGE).map(hex);
    expect(nonAck).to.deep.equal(['d@1029', 'e@1030', 'f@1031', '12@1032', '12@1033']);
    // AETH syndrome: bits 6:5 = 01 RNR NAK, bits 4:0 = the RNR timer (min_rnr_timer 26); 00 = ACK.
    const naks = toClient.filter((x) => x.syndrome !== null && (x.syndrome & 0x60) === 0x20);
    expect(naks.map((x) => [x.psn, x.syndrome! & 0x1f])).to.deep.equal([[1034, 26]]);
    const acks = toClient.filter((x) => x.opcode === RC.ACKNOWLEDGE && (x.syndrome! & 0x60) === 0);
    expect(acks.map((x) => x.psn)).to.include.members([1024, 1025, 1028, 1034]);
  });

  it('scapy.contrib.roce (BTH.compute_icrc) verifies the ICRC of every frame; a flipped payload bit is caught', function () {
    requireTool(this, scapyMissing, 'python3-scapy');
    const r = run(PYTHON, [ICRC_CHECK, cap.file]);
    const summary = /^icrc frames=(\d+) roce=(\d+) ok=(\d+) bad=(\d+) zero=(\d+)$/m.exec(r.stdout);
    expect(summary, `${r.stdout}\n${r.stderr}`).to.not.equal(null);
    const [frames, roce, ok, bad, zero] = summary!.slice(1).map(Number);
    expect({ frames, roce, ok, bad, zero }).to.deep.equal({ frames: cap.frames, roce: cap.frames, ok: cap.frames, bad: 0, zero: 0 });
    expect(r.status).to.equal(0);

    // Negative control: flip one payload bit of the first RDMA WRITE packet.
    const bytes = Uint8Array.from(cap.raw);
    const rec = cap.pcap.records.findIndex((x) => x.data[BTH_OFF] === RC.RDMA_WRITE_FIRST);
    const at = cap.pcap.records[rec]!.data.byteOffset - cap.raw.byteOffset + BTH_OFF + 12 + 16 + 100;
    bytes[at]! ^= 0x01;
    const bad1 = join(dir, 'flipped.pcap');
    writeFileSync(bad1, bytes);
    const r2 = run(PYTHON, [ICRC_CHECK, bad1]);
    expect(r2.stdout).to.include(`bad ${rec + 1} `);
    expect(r2.stdout).to.match(new RegExp(`ok=${cap.frames - 1} bad=1 `));
    expect(r2.status).to.equal(1);
  });
});
