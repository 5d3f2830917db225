import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { run, type RdmaWriteReadResult } from './main.js';

/** RDMAEMU_TSHARK overrides the tshark binary. */
const TSHARK = process.env.RDMAEMU_TSHARK ?? 'tshark';
const IN_CI = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';

/** Why tshark can't run here, or null. */
function tsharkMissing(): string | null {
  const r = spawnSync(TSHARK, ['--version'], { encoding: 'utf8' });
  if (r.error !== undefined) return `${TSHARK}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`;
  return r.status === 0 ? null : `${TSHARK} --version: exit ${r.status}`;
}

describe('example 02-rdma-write-read', () => {
  let dir: string;
  let pcap: string;
  let r: RdmaWriteReadResult;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rdmaemu-ex02-'));
    pcap = join(dir, 'ex02.pcap');
    r = run({ seed: 1, pcap });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('connects through rdma_cm and releases the connection', () => {
    expect(r.cm.client).to.deep.equal(['ADDR_RESOLVED', 'ROUTE_RESOLVED', 'ESTABLISHED', 'DISCONNECTED']);
    expect(r.cm.server).to.deep.equal(['CONNECT_REQUEST', 'ESTABLISHED', 'DISCONNECTED']);
  });

  it('advertises the FRWR MR as registered: its rkey, length and iova', () => {
    expect(r.advert).to.deep.equal({ rkey: r.mr.rkey, length: 8192, offset: r.mr.iova });
    expect(r.mr.length).to.equal(8192);
  });

  it('RDMA WRITEs into the region and READs the same bytes back', () => {
    expect(r.writeOk).to.equal(true);
    expect(r.readOk).to.equal(true);
    const ok = (wr: string) => r.wcs.find((w) => w.wr === wr)!;
    expect([ok('REG_MR').opcode, ok('REG_MR').status]).to.deep.equal(['IB_WC_REG_MR', 'IB_WC_SUCCESS']);
    expect([ok('RDMA WRITE').opcode, ok('RDMA WRITE').status]).to.deep.equal(['IB_WC_RDMA_WRITE', 'IB_WC_SUCCESS']);
    expect([ok('RDMA READ').opcode, ok('RDMA READ').status, ok('RDMA READ').byte_len]).to.deep.equal(['IB_WC_RDMA_READ', 'IB_WC_SUCCESS', 8192]);
  });

  it('completes a READ beyond the MR with IB_WC_REM_ACCESS_ERR, flushes what follows, and leaves both QPs in ERR', () => {
    const st = (side: string, wr: string) => r.wcs.find((w) => w.side === side && w.wr === wr)!.status;
    expect(st('client', 'RDMA READ beyond the MR')).to.equal('IB_WC_REM_ACCESS_ERR');
    expect(st('client', 'RDMA READ behind it')).to.equal('IB_WC_WR_FLUSH_ERR');
    expect(st('client', 'spare recv')).to.equal('IB_WC_WR_FLUSH_ERR');
    expect(st('server', 'spare recv')).to.equal('IB_WC_WR_FLUSH_ERR');
    expect(r.qpStateAfterError).to.deep.equal({ client: 'ERR', server: 'ERR' });
  });

  it('leaves dma-debug clean on both hosts', () => {
    for (const h of r.hosts) h.dma.debug!.assertClean();
  });

  it('writes a capture tshark -2 decodes with no malformed frame, with the RETH rkey and the remote access NAK', function () {
    const missing = tsharkMissing();
    if (missing !== null) {
      if (IN_CI) expect.fail(`tshark is required in CI: ${missing}`);
      if (this.test) this.test.title += ` [skipped: Debian package tshark not installed: ${missing}]`;
      this.skip();
    }
    const bad = spawnSync(TSHARK, ['-2', '-n', '-r', pcap, '-Y', '_ws.malformed || _ws.expert.severity >= error'], { encoding: 'utf8' });
    expect(bad.status, bad.stderr).to.equal(0);
    expect(bad.stdout.trim()).to.equal('');
    const all = spawnSync(TSHARK, ['-2', '-n', '-r', pcap, '-T', 'fields', '-e', 'frame.protocols', '-e', 'infiniband.bth.opcode',
      '-e', 'infiniband.reth.r_key', '-e', 'infiniband.aeth.syndrome'], { encoding: 'utf8' });
    const rows = all.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(rows).to.have.length(r.frames);
    for (const row of rows) expect(row[0]).to.match(/^eth:ethertype:ip:udp:infiniband/);
    // RDMA WRITE First (6) and READ Request (12) carry the advertised rkey in their RETH
    const reth = rows.filter((row) => row[1] === '6' || row[1] === '12');
    expect(reth).to.have.length(3);
    for (const row of reth) expect(Number(row[2])).to.equal(r.mr.rkey);
    // the responder's NAK: AETH syndrome 0x62 (NAK, remote access error)
    expect(rows.filter((row) => row[1] === '17' && Number(row[3]) === 0x62)).to.have.length(1);
  });
});
