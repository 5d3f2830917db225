import { expect } from 'chai';
import { SimClock } from '@rdmaemu/sim-core';
import { net_device } from '../../src/fabric/netdev.js';
import { macFromIpv4 } from '../../src/fabric/ether.js';
import { createLink, netdevLinkEnd, type Link } from '../../src/fabric/link.js';
import type { Frame } from '../../src/fabric/frame.js';
import { recordRx, testFrame } from './_nic.js';

function pair(clock: SimClock, init: { latencyNs?: number; bandwidthGbps?: number; mtu?: number } = {}): { a: net_device; b: net_device; link: Link } {
  const a = new net_device({ name: 'a', ip: '10.0.0.1', dev_addr: macFromIpv4(0x0a000001) });
  const b = new net_device({ name: 'b', ip: '10.0.0.2', dev_addr: macFromIpv4(0x0a000002) });
  const link = createLink(clock, [netdevLinkEnd(a), netdevLinkEnd(b)], init);
  a.attachLink(link.aToB);
  b.attachLink(link.bToA);
  return { a, b, link };
}

describe('link', () => {
  it('delivers a frame after serialization + latency, in exact virtual ns', () => {
    const clock = new SimClock({ seed: 1 });
    const { a, b } = pair(clock, { latencyNs: 1000, bandwidthGbps: 100 });
    const seen = recordRx(b, clock);
    const f = testFrame(a, b, 934); // 42 + 12 + 934 + 4 = 992 bytes -> 79.36 ns at 100 Gb/s
    expect(f.len).to.equal(992);
    a.xmit(f);
    clock.runUntilIdle();
    expect(seen.map((r) => r.timeNs)).to.deep.equal([1079]);
    expect(seen[0]!.frame).to.equal(f);
  });

  it('queues back-to-back frames behind each other on the wire (per direction)', () => {
    const clock = new SimClock({ seed: 1 });
    const { a, b, link } = pair(clock, { latencyNs: 500, bandwidthGbps: 8 }); // 1 byte per ns
    const atB = recordRx(b, clock);
    const atA = recordRx(a, clock);
    for (let i = 0; i < 3; i++) a.xmit(testFrame(a, b, 942, i)); // 1000 bytes = 1000 ns each
    b.xmit(testFrame(b, a, 942, 9)); // the other direction is independent
    expect(link.aToB.busyUntilNs).to.equal(3000);
    clock.runUntilIdle();
    expect(atB.map((r) => [r.tag, r.timeNs])).to.deep.equal([[0, 1500], [1, 2500], [2, 3500]]);
    expect(atA.map((r) => [r.tag, r.timeNs])).to.deep.equal([[9, 1500]]);
  });

  it('starts serializing at the send time when the wire is idle', () => {
    const clock = new SimClock({ seed: 1 });
    const { a, b } = pair(clock, { latencyNs: 100, bandwidthGbps: 8 });
    const seen = recordRx(b, clock);
    a.xmit(testFrame(a, b, 142)); // 200 bytes
    clock.schedule(() => a.xmit(testFrame(a, b, 142, 1)), 10_000, 'later');
    clock.runUntilIdle();
    expect(seen.map((r) => r.timeNs)).to.deep.equal([300, 10_300]);
  });

  it('has no serialization delay at bandwidthGbps 0 and keeps FIFO order at equal times', () => {
    const clock = new SimClock({ seed: 1 });
    const { a, b } = pair(clock, { latencyNs: 250, bandwidthGbps: 0 });
    const seen = recordRx(b, clock);
    for (let i = 0; i < 5; i++) a.xmit(testFrame(a, b, 4000, i));
    clock.runUntilIdle();
    expect(seen.map((r) => [r.tag, r.timeNs])).to.deep.equal([0, 1, 2, 3, 4].map((i) => [i, 250]));
  });

  it('drops and counts frames whose IP packet exceeds the MTU (Ethernet MTU semantics)', () => {
    const clock = new SimClock({ seed: 1 });
    const { a, b, link } = pair(clock, { mtu: 1500 });
    const seen = recordRx(b, clock);
    a.xmit(testFrame(a, b, 1500 - 20 - 8 - 12 - 4)); // IP packet exactly 1500: passes
    a.xmit(testFrame(a, b, 1500 - 20 - 8 - 12 - 4 + 1)); // 1501: dropped
    clock.runUntilIdle();
    expect(seen).to.have.length(1);
    const s = link.aToB.stats();
    expect(s).to.deep.include({ frames: 2, delivered: 1, inFlight: 0 });
    expect(s.drops.mtu).to.equal(1);
    expect(s.bytes).to.equal(1514 + 1515);
    expect(s.deliveredBytes).to.equal(1514);
  });

  it('drops frames while the link is down', () => {
    const clock = new SimClock({ seed: 1 });
    const { a, b, link } = pair(clock);
    const seen = recordRx(b, clock);
    link.up = false;
    a.xmit(testFrame(a, b, 10));
    clock.runUntilIdle();
    expect(seen).to.have.length(0);
    expect(link.aToB.drops.get('down')).to.equal(1);
  });

  it('shows frames on tx$ at transmit time and on delivered$ at delivery time', () => {
    const clock = new SimClock({ seed: 1 });
    const { a, b, link } = pair(clock, { latencyNs: 1000, bandwidthGbps: 0 });
    recordRx(b, clock);
    const log: string[] = [];
    const s1 = link.aToB.tx$.subscribe((f: Frame) => log.push(`tx ${f.len} @${clock.ktime_get()}`));
    const s2 = link.aToB.delivered$.subscribe((f: Frame) => log.push(`rx ${f.len} @${clock.ktime_get()}`));
    a.xmit(testFrame(a, b, 10));
    clock.runUntilIdle();
    s1.unsubscribe();
    s2.unsubscribe();
    expect(log).to.deep.equal(['tx 68 @0', 'rx 68 @1000']);
  });

  it('delivers frames a receiver sends from inside its rx handler (ping-pong)', () => {
    const clock = new SimClock({ seed: 1 });
    const { a, b } = pair(clock, { latencyNs: 100, bandwidthGbps: 0 });
    let pongs = 0;
    b.rx = (f) => b.xmit(testFrame(b, a, 10, f.hdr[53]));
    a.rx = (f) => {
      pongs++;
      if (pongs < 5) a.xmit(testFrame(a, b, 10, f.hdr[53]! + 1));
    };
    a.xmit(testFrame(a, b, 10, 0));
    clock.runUntilIdle();
    expect(pongs).to.equal(5);
    expect(clock.ktime_get()).to.equal(1000);
  });

  it('grows its in-flight ring past the initial capacity without reordering', () => {
    const clock = new SimClock({ seed: 1 });
    const { a, b, link } = pair(clock, { latencyNs: 10, bandwidthGbps: 100 });
    const seen = recordRx(b, clock);
    for (let i = 0; i < 300; i++) a.xmit(testFrame(a, b, 10, i));
    expect(link.aToB.inFlight).to.equal(300);
    clock.runUntilIdle();
    expect(seen.map((r) => r.tag)).to.deep.equal(Array.from({ length: 300 }, (_, i) => i & 0xff));
    expect(seen.every((r, i) => i === 0 || r.timeNs >= seen[i - 1]!.timeNs)).to.equal(true);
  });
});
