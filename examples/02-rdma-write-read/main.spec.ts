import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { icrcCheck, requireTool, scapyMissing, tsharkErrors, tsharkFields, tsharkMissing } from '@rdmaemu/testing';
import { run, type RdmaWriteReadResult } from './main.js';

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
    requireTool(this, 'tshark', tsharkMissing());
    expect(tsharkErrors(pcap)).to.deep.equal([]);
    const rows = tsharkFields(pcap, ['frame.protocols', 'infiniband.bth.opcode', 'infiniband.reth.r_key', 'infiniband.aeth.syndrome']);
    expect(rows).to.have.length(r.frames);
    for (const row of rows) expect(row[0]).to.match(/^eth:ethertype:ip:udp:infiniband/);
    // RDMA WRITE First (6) and READ Request (12) carry the advertised rkey in their RETH
    const reth = rows.filter((row) => row[1] === '6' || row[1] === '12');
    expect(reth).to.have.length(3);
    for (const row of reth) expect(Number(row[2])).to.equal(r.mr.rkey);
    // the responder's NAK: AETH syndrome 0x62 (NAK, remote access error)
    expect(rows.filter((row) => row[1] === '17' && Number(row[3]) === 0x62)).to.have.length(1);
  });

  it('writes a capture whose every frame is RoCEv2 with an ICRC scapy.contrib.roce verifies (issue 5)', function () {
    requireTool(this, 'python3-scapy', scapyMissing());
    expect(icrcCheck(pcap)).to.deep.equal({ frames: r.frames, roce: r.frames, ok: r.frames, bad: 0, zero: 0 });
  });
});
