/**
 * pcap - the libpcap writer and the taps: file format (pcap-savefile(5)), virtual timestamps,
 * bounded buffering, attach points (fabric / host / link / direction) and close semantics.
 * The real-tool cross-checks (tshark, scapy ICRC) are in pcap-oracles.spec.ts.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimClock, isKernelError } from '@rdmaemu/sim-core';
import { createFabric, type Fabric, type FabricHost } from '../../src/fabric/fabric.js';
import { frameBytes, frameFromBytes, makeFrame } from '../../src/fabric/frame.js';
import {
  LINKTYPE_ETHERNET, PCAP_FILE_HDR_LEN, PCAP_MAGIC_NSEC, PCAP_MAGIC_USEC, PCAP_REC_HDR_LEN, PcapWriter, pcapParse,
  pcapTap,
} from '../../src/fabric/pcap.js';
import { recordRx, testFrame, testFrameTo } from './_nic.js';

const small = { memory: '1M', swiotlb: false } as const;

function twoHosts(init: { latencyNs?: number; bandwidthGbps?: number } = {}): { clock: SimClock; fabric: Fabric; a: FabricHost; b: FabricHost } {
  const clock = new SimClock({ seed: 1 });
  const fabric = createFabric(clock, { latencyNs: init.latencyNs ?? 500, bandwidthGbps: init.bandwidthGbps ?? 0 });
  const a = fabric.addHost({ name: 'a', ip: '10.0.0.1', ...small });
  const b = fabric.addHost({ name: 'b', ip: '10.0.0.2', ...small });
  recordRx(a.netdev, clock);
  recordRx(b.netdev, clock);
  return { clock, fabric, a, b };
}

function errCode(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    return isKernelError(e) ? e.code : `not a KernelError: ${String(e)}`;
  }
}

describe('fabric/pcap', () => {
  describe('PcapWriter: file format', () => {
    it('writes struct pcap_file_header: nanosecond magic, version 2.4, thiszone 0, snaplen 65535, LINKTYPE_ETHERNET', () => {
      const w = new PcapWriter({});
      w.close();
      const b = w.contents();
      expect(b.length).to.equal(PCAP_FILE_HDR_LEN);
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      expect(dv.getUint32(0, true)).to.equal(0xa1b23c4d);
      expect([dv.getUint16(4, true), dv.getUint16(6, true)]).to.deep.equal([2, 4]);
      expect([dv.getInt32(8, true), dv.getUint32(12, true)]).to.deep.equal([0, 0]);
      expect(dv.getUint32(16, true)).to.equal(65535);
      expect(dv.getUint32(20, true)).to.equal(1);
    });

    it('writes each record as ts_sec, ts_nsec, caplen, len + the frame bytes, gathered from its views', () => {
      const w = new PcapWriter({});
      const f = makeFrame(Uint8Array.of(1, 2, 3), [Uint8Array.of(4, 5), Uint8Array.of(6)]);
      w.writeFrame(f, 3_000_000_042);
      w.writeFrame(frameFromBytes(Uint8Array.of(9, 9)), 3_000_000_100);
      const p = pcapParse(w.contents());
      expect(p.nanoseconds).to.equal(true);
      expect(p.littleEndian).to.equal(true);
      expect(p.linktype).to.equal(LINKTYPE_ETHERNET);
      expect(p.records.map((r) => [r.timeNs, r.len, [...r.data]])).to.deep.equal([
        [3_000_000_042, 6, [1, 2, 3, 4, 5, 6]],
        [3_000_000_100, 2, [9, 9]],
      ]);
      const dv = new DataView(w.contents().buffer);
      expect([dv.getUint32(24, true), dv.getUint32(28, true), dv.getUint32(32, true), dv.getUint32(36, true)]).to.deep.equal([3, 42, 6, 6]);
      expect(w.frames).to.equal(2);
      expect(w.bytes).to.equal(PCAP_FILE_HDR_LEN + 2 * PCAP_REC_HDR_LEN + 8);
    });

    it('uses the microsecond magic 0xa1b2c3d4 and truncates to whole microseconds when nanoseconds is false', () => {
      const w = new PcapWriter({ nanoseconds: false });
      w.writeFrame(frameFromBytes(new Uint8Array(4)), 1_500_001_999);
      const b = w.contents();
      expect(new DataView(b.buffer).getUint32(0, true)).to.equal(PCAP_MAGIC_USEC);
      const p = pcapParse(b);
      expect(p.nanoseconds).to.equal(false);
      expect(p.records[0]!.timeNs).to.equal(1_500_001_000);
      expect(PCAP_MAGIC_NSEC).to.not.equal(PCAP_MAGIC_USEC);
    });

    it('cuts a frame longer than snaplen to caplen = snaplen and keeps len = the original length', () => {
      const w = new PcapWriter({ snaplen: 64 });
      const data = Uint8Array.from({ length: 100 }, (_, i) => i);
      w.writeFrame(makeFrame(data.subarray(0, 50), [data.subarray(50)]), 0);
      const r = pcapParse(w.contents()).records[0]!;
      expect([r.len, r.data.length, w.truncated]).to.deep.equal([100, 64, 1]);
      expect([...r.data]).to.deep.equal([...data.subarray(0, 64)]);
      expect(pcapParse(w.contents()).snaplen).to.equal(64);
    });

    it('refuses bad options (EINVAL) and an uncreatable file (EIO)', () => {
      expect(errCode(() => new PcapWriter({ snaplen: 0 }))).to.equal('EINVAL');
      expect(errCode(() => new PcapWriter({ bufferBytes: 100 }))).to.equal('EINVAL');
      expect(errCode(() => new PcapWriter({ file: '/x', sink: () => {} }))).to.equal('EINVAL');
      expect(errCode(() => new PcapWriter({ file: '/nonexistent-dir-rdmaemu/x.pcap' }))).to.equal('EIO');
      expect(errCode(() => new PcapWriter({ sink: () => {} }).contents())).to.equal('EINVAL');
    });

    it('parses a big-endian capture too (pcapParse detects the byte order from the magic)', () => {
      const b = new Uint8Array(PCAP_FILE_HDR_LEN + PCAP_REC_HDR_LEN + 2);
      const dv = new DataView(b.buffer);
      dv.setUint32(0, PCAP_MAGIC_USEC, false);
      dv.setUint16(4, 2, false);
      dv.setUint16(6, 4, false);
      dv.setUint32(16, 65535, false);
      dv.setUint32(20, 1, false);
      dv.setUint32(24, 7, false);
      dv.setUint32(28, 5, false);
      dv.setUint32(32, 2, false);
      dv.setUint32(36, 60, false);
      const p = pcapParse(b);
      expect([p.littleEndian, p.versionMajor, p.linktype, p.records[0]!.timeNs, p.records[0]!.len]).to.deep.equal([false, 2, 1, 7_000_005_000, 60]);
      expect(errCode(() => pcapParse(new Uint8Array(24)))).to.equal('EINVAL');
      expect(errCode(() => pcapParse(b.subarray(0, b.length - 1)))).to.equal('EINVAL');
    });
  });

  describe('PcapWriter: bounded memory', () => {
    it('hands out chunks no larger than bufferBytes; their concatenation is the same file as an in-memory capture', () => {
      const chunks: Uint8Array[] = [];
      const w = new PcapWriter({ sink: (c) => chunks.push(c), bufferBytes: 4096 });
      const m = new PcapWriter({});
      for (let i = 0; i < 200; i++) {
        const f = makeFrame(new Uint8Array(42).fill(i), [new Uint8Array(100 + i * 7).fill(i + 1), new Uint8Array(4)]);
        w.writeFrame(f, i * 1000);
        m.writeFrame(f, i * 1000);
      }
      expect(chunks.length, 'nothing is buffered beyond bufferBytes').to.be.greaterThan(10);
      w.close();
      expect(Math.max(...chunks.map((c) => c.length))).to.be.at.most(4096);
      const joined = Buffer.concat(chunks);
      expect(Buffer.from(m.contents()).equals(joined)).to.equal(true);
      expect(pcapParse(joined).records).to.have.length(200);
    });

    it('writes a record larger than the buffer on its own', () => {
      const chunks: Uint8Array[] = [];
      const w = new PcapWriter({ sink: (c) => chunks.push(c), bufferBytes: 4096 });
      w.writeFrame(frameFromBytes(new Uint8Array(10)), 1);
      w.writeFrame(frameFromBytes(new Uint8Array(9000).fill(7)), 2);
      w.close();
      const p = pcapParse(Buffer.concat(chunks));
      expect(p.records.map((r) => r.len)).to.deep.equal([10, 9000]);
      expect(p.records[1]!.data.every((x) => x === 7)).to.equal(true);
    });

    it('streams to a file: flush() makes the records so far readable, close() completes the file', () => {
      const dir = mkdtempSync(join(tmpdir(), 'rdmaemu-pcap-'));
      try {
        const file = join(dir, 'x.pcap');
        const w = new PcapWriter({ file });
        w.writeFrame(frameFromBytes(new Uint8Array(60).fill(1)), 10);
        expect(readFileSync(file).length, 'buffered, not yet written').to.equal(0);
        w.flush();
        expect(pcapParse(readFileSync(file)).records).to.have.length(1);
        w.writeFrame(frameFromBytes(new Uint8Array(60).fill(2)), 20);
        w.close();
        w.close();
        w.writeFrame(frameFromBytes(new Uint8Array(60)), 30);
        const p = pcapParse(readFileSync(file));
        expect(p.records.map((r) => [r.timeNs, r.data[0]])).to.deep.equal([[10, 1], [20, 2]]);
        expect(w.closed).to.equal(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('stops at an I/O error and reports it (EIO) from flush()/close(), never from the data path', () => {
      let calls = 0;
      const w = new PcapWriter({ bufferBytes: 4096, sink: () => { calls++; throw new Error('disk full'); } });
      for (let i = 0; i < 100; i++) w.writeFrame(frameFromBytes(new Uint8Array(200)), i);
      expect(calls).to.equal(1);
      expect(errCode(() => w.close())).to.equal('EIO');
      expect(w.closed).to.equal(true);
    });
  });

  describe('pcapTap', () => {
    it('fabric (default directions tx): each frame once, stamped with its send time on the SimClock (links on their no-fault fast path: subscribing turns the taps on)', () => {
      const { clock, fabric, a, b } = twoHosts();
      const tap = pcapTap(fabric);
      a.netdev.xmit(testFrameTo(a.netdev, b.netdev.ifa_address, 10, 1));
      clock.advanceNs(1234);
      const f2 = testFrameTo(b.netdev, a.netdev.ifa_address, 3000, 2);
      b.netdev.xmit(f2);
      clock.runUntilIdle();
      tap.close();
      const p = pcapParse(tap.contents());
      expect(p.records.map((r) => [r.timeNs, r.len])).to.deep.equal([[0, 42 + 12 + 10 + 4], [1234, 42 + 12 + 3000 + 4]]);
      expect(Buffer.from(p.records[1]!.data).equals(Buffer.from(frameBytes(f2)))).to.equal(true);
      expect(tap.frames).to.equal(2);
    });

    it("fabric, directions 'all': every link direction, so a frame appears at both hops", () => {
      const { clock, fabric, a, b } = twoHosts();
      const tap = pcapTap(fabric, { directions: 'all' });
      a.netdev.xmit(testFrameTo(a.netdev, b.netdev.ifa_address, 10));
      clock.runUntilIdle();
      tap.close();
      expect(pcapParse(tap.contents()).records.map((r) => r.timeNs)).to.deep.equal([0, 500]);
    });

    it('fabric: hosts added after the tap starts are captured too', () => {
      const { clock, fabric, a } = twoHosts();
      const tap = pcapTap(fabric);
      const c = fabric.addHost({ name: 'c', ip: '10.0.0.3', ...small });
      recordRx(c.netdev, clock);
      c.netdev.xmit(testFrameTo(c.netdev, a.netdev.ifa_address, 10));
      clock.runUntilIdle();
      tap.close();
      expect(tap.frames).to.equal(1);
    });

    it('host: what the host sends (at transmit) and receives (at delivery), like tcpdump -i eth0', () => {
      const { clock, a, b } = twoHosts();
      const tap = pcapTap(b);
      a.netdev.xmit(testFrameTo(a.netdev, b.netdev.ifa_address, 10));
      clock.runUntilIdle();
      b.netdev.xmit(testFrameTo(b.netdev, a.netdev.ifa_address, 20));
      clock.runUntilIdle();
      tap.close();
      expect(pcapParse(tap.contents()).records.map((r) => [r.timeNs, r.len])).to.deep.equal([[1000, 68], [1000, 78]]);
    });

    it('link: both directions at transmit time; link direction: one; both need a clock (EINVAL)', () => {
      const { clock, fabric, a, b } = twoHosts();
      expect(errCode(() => pcapTap(a.link))).to.equal('EINVAL');
      expect(errCode(() => pcapTap(a.link.aToB))).to.equal('EINVAL');
      expect(errCode(() => pcapTap(fabric, { directions: 'rx' as never }))).to.equal('EINVAL');
      const both = pcapTap(a.link, { clock });
      const one = pcapTap(a.link.bToA, { clock });
      a.netdev.xmit(testFrameTo(a.netdev, b.netdev.ifa_address, 10));
      b.netdev.xmit(testFrameTo(b.netdev, a.netdev.ifa_address, 20));
      clock.runUntilIdle();
      both.close();
      one.close();
      expect(pcapParse(both.contents()).records.map((r) => [r.timeNs, r.len])).to.deep.equal([[0, 68], [500, 78]]);
      expect(pcapParse(one.contents()).records.map((r) => [r.timeNs, r.len])).to.deep.equal([[500, 78]]);
    });

    it('records a frame the link then drops (transmit-side tap: before MTU and faults)', () => {
      const { clock, fabric, a, b } = twoHosts();
      fabric.setFaults('a', { drop: 1 }, 'tx');
      const tap = pcapTap(fabric);
      a.netdev.xmit(testFrameTo(a.netdev, b.netdev.ifa_address, 10));
      clock.runUntilIdle();
      tap.close();
      expect(tap.frames).to.equal(1);
      expect(fabric.stats().links['a:eth0-sw0:p0']!.aToB.faults.drop).to.equal(1);
    });

    it('copies at tap time: later writes to the payload buffers do not change the capture', () => {
      const { clock, a, b } = twoHosts();
      const tap = pcapTap(a.link.aToB, { clock });
      const data = new Uint8Array(16).fill(0x11);
      const f0 = testFrame(a.netdev, b.netdev, 0);
      a.netdev.xmit(makeFrame(f0.hdr, [data, new Uint8Array(4)]));
      data.fill(0x22);
      clock.runUntilIdle();
      tap.close();
      const r = pcapParse(tap.contents()).records[0]!;
      expect(r.data[r.data.length - 5]).to.equal(0x11);
    });

    it('close() stops the capture (unsubscribes) and is idempotent; traffic afterwards is not recorded', () => {
      const { clock, fabric, a, b } = twoHosts();
      const tap = pcapTap(fabric);
      a.netdev.xmit(testFrameTo(a.netdev, b.netdev.ifa_address, 10));
      tap.close();
      tap.close();
      a.netdev.xmit(testFrameTo(a.netdev, b.netdev.ifa_address, 10));
      clock.runUntilIdle();
      expect([tap.frames, tap.closed]).to.deep.equal([1, true]);
      expect(pcapParse(tap.contents()).records).to.have.length(1);
    });

    it('writes to a file in a temp dir with { file }', () => {
      const dir = mkdtempSync(join(tmpdir(), 'rdmaemu-pcap-'));
      try {
        const file = join(dir, 'fabric.pcap');
        const { clock, fabric, a, b } = twoHosts();
        const tap = pcapTap(fabric, { file });
        for (let i = 0; i < 50; i++) clock.schedule(() => a.netdev.xmit(testFrameTo(a.netdev, b.netdev.ifa_address, 100, i)), i * 100, 'send');
        clock.runUntilIdle();
        tap.close();
        expect(tap.file).to.equal(file);
        const p = pcapParse(readFileSync(file));
        expect(p.records.map((r) => r.timeNs)).to.deep.equal(Array.from({ length: 50 }, (_, i) => i * 100));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
