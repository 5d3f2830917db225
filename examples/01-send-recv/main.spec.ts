import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { icrcCheck, requireTool, scapyMissing, tsharkErrors, tsharkFields, tsharkMissing } from '@rdmaemu/testing';
import { run, type SendRecvResult } from './main.js';

describe('example 01-send-recv', () => {
  let dir: string;
  let pcap: string;
  let r: SendRecvResult;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rdmaemu-ex01-'));
    pcap = join(dir, 'ex01.pcap');
    r = run({ seed: 1, pcap });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('connects through rdma_cm: client ADDR_RESOLVED, ROUTE_RESOLVED, ESTABLISHED; server CONNECT_REQUEST, ESTABLISHED; both DISCONNECTED', () => {
    expect(r.cm.client).to.deep.equal(['ADDR_RESOLVED', 'ROUTE_RESOLVED', 'ESTABLISHED', 'DISCONNECTED']);
    expect(r.cm.server).to.deep.equal(['CONNECT_REQUEST', 'ESTABLISHED', 'DISCONNECTED']);
  });

  it('delivers the SEND and the SEND_WITH_IMM intact, with the immediate, and completes both sends', () => {
    expect(r.dataOk).to.equal(true);
    const recv = r.wcs.filter((w) => w.side === 'server');
    expect(recv.map((w) => [w.opcode, w.status, w.byte_len])).to.deep.equal([
      ['IB_WC_RECV', 'IB_WC_SUCCESS', 4096], ['IB_WC_RECV', 'IB_WC_SUCCESS', 1000]]);
    expect(recv[0]!.imm_data).to.equal(undefined);
    expect(recv[1]!.imm_data).to.equal(0x12345678);
    const send = r.wcs.filter((w) => w.side === 'client');
    expect(send.map((w) => [w.opcode, w.status])).to.deep.equal([['IB_WC_SEND', 'IB_WC_SUCCESS'], ['IB_WC_SEND', 'IB_WC_SUCCESS']]);
  });

  it('leaves dma-debug clean on both hosts', () => {
    for (const h of r.hosts) h.dma.debug!.assertClean();
  });

  it('prints the rdma_cma and dma ftrace lines of the handshake and the mappings', () => {
    const text = r.lines.join('\n');
    for (const ev of ['cm_send_req:', 'cm_send_rep:', 'cm_send_rtu:', 'cm_sent_dreq:', 'cm_sent_drep:', 'dma_map_phys:', 'dma_unmap_phys:']) {
      expect(text).to.contain(ev);
    }
  });

  it('writes a capture tshark -2 decodes with no malformed frame: CM REQ/REP/RTU, two RC SENDs, ACKs, DREQ/DREP', function () {
    requireTool(this, 'tshark', tsharkMissing());
    expect(tsharkErrors(pcap)).to.deep.equal([]);
    const rows = tsharkFields(pcap, ['frame.protocols', 'infiniband.bth.opcode']);
    expect(rows).to.have.length(r.frames);
    for (const row of rows) expect(row[0]).to.match(/^eth:ethertype:ip:udp:infiniband/);
    const opcodes = rows.map((row) => Number(row[1]));
    // UD SEND only (100) carries the CM MADs; RC SEND only (4), SEND only with immediate (5), ACK (17)
    expect(opcodes.filter((o) => o === 100)).to.have.length(5);
    expect(opcodes).to.include.members([4, 5, 17]);
  });

  it('writes a capture whose every frame is RoCEv2 with an ICRC scapy.contrib.roce verifies (issue 5)', function () {
    requireTool(this, 'python3-scapy', scapyMissing());
    expect(icrcCheck(pcap)).to.deep.equal({ frames: r.frames, roce: r.frames, ok: r.frames, bad: 0, zero: 0 });
  });
});
