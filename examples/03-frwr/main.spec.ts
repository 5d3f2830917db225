import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { icrcCheck, requireTool, scapyMissing, tsharkErrors, tsharkFields, tsharkMissing } from '@rdmaemu/testing';
import { run, type FrwrResult } from './main.js';

const IB_WC_WITH_INVALIDATE = 1 << 2;

describe('example 03-frwr', () => {
  let dir: string;
  let pcap: string;
  let r: FrwrResult;
  const wc = (side: string, wr: string) => {
    const w = r.wcs.find((x) => x.side === side && x.wr === wr);
    expect(w, `${side} ${wr}`).to.not.equal(undefined);
    return w!;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rdmaemu-ex03-'));
    pcap = join(dir, 'ex03.pcap');
    r = run({ seed: 1, pcap });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('connects through rdma_cm and releases the connection', () => {
    expect(r.cm.client).to.deep.equal(['ADDR_RESOLVED', 'ROUTE_RESOLVED', 'ESTABLISHED', 'DISCONNECTED']);
    expect(r.cm.server).to.deep.equal(['CONNECT_REQUEST', 'ESTABLISHED', 'DISCONNECTED']);
  });

  it('rotates the key byte on every registration (ib_update_fast_reg_key(mr, ib_inc_rkey(mr.rkey)))', () => {
    expect(r.rkeys).to.have.length(3);
    for (let i = 1; i < 3; i++) {
      expect(r.rkeys[i]! >>> 8, 'index part').to.equal(r.rkeys[0]! >>> 8);
      expect(r.rkeys[i]! & 0xff).to.equal((r.rkeys[i - 1]! + 1) & 0xff);
    }
    // the unsignaled REG_MRs succeeded: no completion for them
    expect(r.wcs.filter((w) => w.wr.endsWith('REG_MR'))).to.have.length(0);
  });

  it('moves the data intact: the remote WRITE (round 1), the remote READ (round 2), the WRITE under the new key (round 3)', () => {
    expect(r.dataOk).to.deep.equal([true, true, true]);
    expect(wc('server', 'round 1 RDMA WRITE').status).to.equal('IB_WC_SUCCESS');
    expect([wc('server', 'round 2 RDMA READ').status, wc('server', 'round 2 RDMA READ').byte_len]).to.deep.equal(['IB_WC_SUCCESS', 16384]);
    expect(wc('server', 'round 3 RDMA WRITE').status).to.equal('IB_WC_SUCCESS');
  });

  it('reports a SEND_WITH_INV as IB_WC_WITH_INVALIDATE with the rkey, and a plain SEND without it', () => {
    const inv = wc('client', 'round 1 reply');
    expect(inv.status).to.equal('IB_WC_SUCCESS');
    expect(inv.wc_flags & IB_WC_WITH_INVALIDATE).to.equal(IB_WC_WITH_INVALIDATE);
    expect(inv.invalidate_rkey).to.equal(r.rkeys[0]);
    const plain = wc('client', 'round 2 reply');
    expect(plain.wc_flags & IB_WC_WITH_INVALIDATE).to.equal(0);
    expect(plain.invalidate_rkey).to.equal(undefined);
  });

  it('completes the client LOCAL_INV with IB_WC_LOCAL_INV', () => {
    expect([wc('client', 'round 2 LOCAL_INV').opcode, wc('client', 'round 2 LOCAL_INV').status]).to.deep.equal(['IB_WC_LOCAL_INV', 'IB_WC_SUCCESS']);
  });

  it('refuses the stale rkey of round 1 with IB_WC_REM_ACCESS_ERR; both QPs go to ERR and flush their receives', () => {
    expect(wc('server', 'round 3 RDMA WRITE with round 1 rkey').status).to.equal('IB_WC_REM_ACCESS_ERR');
    expect(wc('server', 'spare recv').status).to.equal('IB_WC_WR_FLUSH_ERR');
    expect(wc('client', 'spare recv').status).to.equal('IB_WC_WR_FLUSH_ERR');
    expect(r.qpStateAfterError).to.deep.equal({ client: 'ERR', server: 'ERR' });
  });

  it('leaves dma-debug clean on both hosts', () => {
    for (const h of r.hosts) h.dma.debug!.assertClean();
  });

  it('writes a capture tshark -2 decodes with no malformed frame: SEND with Invalidate carrying the rkey in its IETH, the NAK', function () {
    requireTool(this, 'tshark', tsharkMissing());
    expect(tsharkErrors(pcap)).to.deep.equal([]);
    const rows = tsharkFields(pcap, ['frame.protocols', 'infiniband.bth.opcode', 'infiniband.ieth', 'infiniband.aeth.syndrome']);
    expect(rows).to.have.length(r.frames);
    for (const row of rows) expect(row[0]).to.match(/^eth:ethertype:ip:udp:infiniband/);
    // RC SEND Only with Invalidate (23): the IETH is round 1's rkey (tshark prints the field as hex bytes)
    const inv = rows.filter((row) => row[1] === '23');
    expect(inv).to.have.length(1);
    expect(parseInt(inv[0]![2]!.split(',')[0]!, 16)).to.equal(r.rkeys[0]);
    expect(rows.filter((row) => row[1] === '17' && Number(row[3]) === 0x62)).to.have.length(1);
  });

  it('writes a capture whose every frame is RoCEv2 with an ICRC scapy.contrib.roce verifies (issue 5)', function () {
    requireTool(this, 'python3-scapy', scapyMissing());
    expect(icrcCheck(pcap)).to.deep.equal({ frames: r.frames, roce: r.frames, ok: r.frames, bad: 0, zero: 0 });
  });
});
