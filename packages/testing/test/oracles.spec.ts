import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { ETH_IP_UDP_HLEN, PcapWriter, frameFromBytes, macFromIpv4, udpTunnelHeaders } from '@rdmaemu/ib_verbs';
import {
  ICRC_CHECK, IN_CI, PYTHON, TSHARK, icrcCheck, requireTool, scapyMissing, toolMissing, tsharkErrors, tsharkFields,
  tsharkMissing,
} from '../src/index.js';

const INDEX_URL = new URL('../src/index.js', import.meta.url).href;
const CLIENT = 0xc0000201; // 192.0.2.1
const SERVER = 0xc0000202; // 192.0.2.2
const DESTQP = 0x11;
const PSN = 1024;
/** Bytes from the IPv4 header on that the ICRC covers as all ones: TOS, TTL, IP checksum, UDP checksum, BTH byte 4. */
const ICRC_MASKED = [1, 8, 10, 11, 26, 27, 32];

/** Evaluate `expr` (with the index imported as `t`) in a child node with `env`; its JSON. */
function inChild(expr: string, env: Record<string, string | undefined>): unknown {
  const script = `import * as t from ${JSON.stringify(INDEX_URL)};\nconsole.log(JSON.stringify(${expr}));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, ...env } });
  expect(r.status, r.stderr).to.equal(0);
  return JSON.parse(r.stdout);
}

/**
 * One RoCEv2 RC SEND Only frame (Ethernet, IPv4, UDP 4791, BTH, 16 payload bytes, ICRC) with its
 * ICRC computed per ORACLES.md §1, written here independently of rxe_icrc.ts.
 */
function roceSendFrame(psn: number): Uint8Array {
  const payload = 16;
  const f = new Uint8Array(ETH_IP_UDP_HLEN + 12 + payload + 4);
  const bth = udpTunnelHeaders(f, 0, { h_dest: macFromIpv4(SERVER), h_source: macFromIpv4(CLIENT), saddr: CLIENT, daddr: SERVER, sport: 49152 }, 12 + payload + 4);
  f[bth] = 0x04; // RC SEND Only
  f[bth + 1] = 0; // SE 0, M 0, pad 0, TVer 0
  f[bth + 2] = 0xff; // P_Key 0xffff
  f[bth + 3] = 0xff;
  f[bth + 5] = (DESTQP >>> 16) & 0xff;
  f[bth + 6] = (DESTQP >>> 8) & 0xff;
  f[bth + 7] = DESTQP & 0xff;
  f[bth + 8] = 0x80; // AckReq
  f[bth + 9] = (psn >>> 16) & 0xff;
  f[bth + 10] = (psn >>> 8) & 0xff;
  f[bth + 11] = psn & 0xff;
  for (let i = 0; i < payload; i++) f[bth + 12 + i] = i * 7;
  const m = Uint8Array.from(f.subarray(14, f.length - 4));
  for (const at of ICRC_MASKED) m[at] = 0xff;
  const icrc = crc32(m, crc32(new Uint8Array(8).fill(0xff))) >>> 0;
  new DataView(f.buffer).setUint32(f.length - 4, icrc, true);
  return f;
}

/** A UDP datagram to the discard port: not RoCE. */
function udpFrame(): Uint8Array {
  const f = new Uint8Array(ETH_IP_UDP_HLEN + 8);
  udpTunnelHeaders(f, 0, { h_dest: macFromIpv4(SERVER), h_source: macFromIpv4(CLIENT), saddr: CLIENT, daddr: SERVER, sport: 40000, dport: 9 }, 8);
  return f;
}

function writePcap(file: string, frames: Uint8Array[]): void {
  const w = new PcapWriter({ file });
  frames.forEach((f, i) => w.writeFrame(frameFromBytes(f), 1000 * (i + 1)));
  w.close();
}

describe('oracles: tool detection', () => {
  it('toolMissing names a binary that cannot start (ENOENT)', () => {
    expect(toolMissing('/nonexistent/rdmaemu-no-such-tool')).to.equal('/nonexistent/rdmaemu-no-such-tool: ENOENT');
  });

  it('toolMissing reports a probe that exits non-zero with its status and last stderr line', () => {
    const why = toolMissing(process.execPath, ['-e', 'process.stderr.write("first\\nno scapy here\\n"); process.exit(3)']);
    expect(why).to.match(/: exit 3: no scapy here$/);
  });

  it('toolMissing returns null for a tool that runs (node --version)', () => {
    expect(toolMissing(process.execPath)).to.equal(null);
  });

  it('reads RDMAEMU_TSHARK, RDMAEMU_PYTHON and CI (set and not empty or "false") from the environment', () => {
    const q = '{ tshark: t.TSHARK, python: t.PYTHON, ci: t.IN_CI }';
    expect(inChild(q, { RDMAEMU_TSHARK: undefined, RDMAEMU_PYTHON: undefined, CI: undefined }))
      .to.deep.equal({ tshark: 'tshark', python: '/usr/bin/python3', ci: false });
    expect(inChild(q, { RDMAEMU_TSHARK: '/opt/ws/tshark', RDMAEMU_PYTHON: '/opt/py/python3', CI: 'true' }))
      .to.deep.equal({ tshark: '/opt/ws/tshark', python: '/opt/py/python3', ci: true });
    expect(inChild('[t.IN_CI]', { CI: '' })).to.deep.equal([false]);
    expect(inChild('[t.IN_CI]', { CI: 'false' })).to.deep.equal([false]);
    expect(inChild('[t.IN_CI]', { CI: '1' })).to.deep.equal([true]);
  });

  it('finds the bundled tools/icrc_check.py', () => {
    expect(ICRC_CHECK).to.match(/\/testing\/tools\/icrc_check\.py$/);
    expect(existsSync(ICRC_CHECK), ICRC_CHECK).to.equal(true);
  });
});

describe('oracles: requireTool', () => {
  const fakeContext = (): { ctx: Mocha.Context; test: { title: string }; skipped: () => boolean } => {
    const test = { title: 'decodes' };
    let skipped = false;
    const ctx = { test, skip(): never { skipped = true; throw new Error('skipped'); } } as unknown as Mocha.Context;
    return { ctx, test, skipped: () => skipped };
  };

  it('lets the test go on when the tool runs (reason null)', () => {
    const f = fakeContext();
    requireTool(f.ctx, 'tshark', null);
    expect(f.skipped()).to.equal(false);
    expect(f.test.title).to.equal('decodes');
  });

  it(IN_CI ? 'fails the test under CI when the tool is missing' : 'skips the test outside CI with the reason in its title', () => {
    const f = fakeContext();
    if (IN_CI) {
      expect(() => requireTool(f.ctx, 'tshark', 'tshark: ENOENT')).to.throw('tshark is required in CI (.ci/run installs it): tshark: ENOENT');
      expect(f.skipped()).to.equal(false);
    } else {
      expect(() => requireTool(f.ctx, 'tshark', 'tshark: ENOENT')).to.throw('skipped');
      expect(f.skipped()).to.equal(true);
      expect(f.test.title).to.equal('decodes [skipped: Debian package tshark not installed: tshark: ENOENT]');
    }
  });

  it('fails (AssertionError) rather than skips when CI is set', () => {
    const script = `
      const ctx = { test: { title: 't' }, skip() { console.log('skipped'); } };
      try { t.requireTool(ctx, 'python3-scapy', 'python3: ENOENT'); console.log('went on'); }
      catch (e) { console.log(e.name + ': ' + e.message); }`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import * as t from ${JSON.stringify(INDEX_URL)};${script}`],
      { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    expect(r.stdout.trim()).to.equal('AssertionError: python3-scapy is required in CI (.ci/run installs it): python3: ENOENT');
  });
});

describe('oracles: tshark and scapy on a hand-built capture', function () {
  this.timeout(60_000);
  let dir = '';
  let good = '';
  let flipped = '';
  let truncated = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rdmaemu-oracles-'));
    good = join(dir, 'good.pcap');
    flipped = join(dir, 'flipped.pcap');
    truncated = join(dir, 'truncated.pcap');
    writePcap(good, [roceSendFrame(PSN), udpFrame()]);
    const bad = roceSendFrame(PSN + 1);
    bad[ETH_IP_UDP_HLEN + 12 + 5]! ^= 0x01; // one payload bit, the ICRC left as it was
    writePcap(flipped, [roceSendFrame(PSN), bad, udpFrame()]);
    // A RoCEv2 datagram whose 4 bytes cannot hold a BTH (12 bytes): tshark calls it malformed.
    const short = new Uint8Array(ETH_IP_UDP_HLEN + 4);
    udpTunnelHeaders(short, 0, { h_dest: macFromIpv4(SERVER), h_source: macFromIpv4(CLIENT), saddr: CLIENT, daddr: SERVER, sport: 49152 }, 4);
    short[ETH_IP_UDP_HLEN] = 0x04;
    writePcap(truncated, [roceSendFrame(PSN), short]);
  });
  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it(`icrcCheck: scapy verifies the correct ICRC and counts the non-RoCE frame (${PYTHON})`, function () {
    requireTool(this, 'python3-scapy', scapyMissing());
    expect(icrcCheck(good)).to.deep.equal({ frames: 2, roce: 1, ok: 1, bad: 0, zero: 0 });
  });

  it('icrcCheck: a flipped payload bit makes exactly that frame bad (data, not an exception)', function () {
    requireTool(this, 'python3-scapy', scapyMissing());
    expect(icrcCheck(flipped)).to.deep.equal({ frames: 3, roce: 2, ok: 1, bad: 1, zero: 0 });
  });

  it('icrcCheck throws when the script prints no summary (an unreadable file)', function () {
    requireTool(this, 'python3-scapy', scapyMissing());
    expect(() => icrcCheck(join(dir, 'missing.pcap'))).to.throw(/no summary line/);
  });

  it(`tsharkErrors: [] for a clean capture, one line for a malformed frame (${TSHARK})`, function () {
    requireTool(this, 'tshark', tsharkMissing());
    expect(tsharkErrors(good)).to.deep.equal([]);
    expect(tsharkErrors(flipped)).to.deep.equal([]);
    const errors = tsharkErrors(truncated);
    expect(errors).to.have.length(1);
    expect(errors[0]).to.match(/^\s*2\s/);
  });

  it('tsharkFields: one row per frame, fields in order, "" for a field the frame lacks; -Y filters', function () {
    requireTool(this, 'tshark', tsharkMissing());
    const rows = tsharkFields(good, ['frame.protocols', 'infiniband.bth.opcode', 'infiniband.bth.destqp', 'infiniband.bth.psn']);
    expect(rows).to.have.length(2);
    expect(rows[0]![0]).to.match(/^eth:ethertype:ip:udp:infiniband/);
    expect(rows[0]!.slice(1).map(Number)).to.deep.equal([4, DESTQP, PSN]);
    expect(rows[1]![0]).to.match(/^eth:ethertype:ip:udp/);
    expect(rows[1]!.slice(1)).to.deep.equal(['', '', '']);
    expect(tsharkFields(flipped, ['infiniband.bth.psn'], 'infiniband')).to.deep.equal([[String(PSN)], [String(PSN + 1)]]);
  });

  it('tsharkFields throws on a field tshark does not know', function () {
    requireTool(this, 'tshark', tsharkMissing());
    expect(() => tsharkFields(good, ['infiniband.no_such_field'])).to.throw(/exit/);
  });
});
