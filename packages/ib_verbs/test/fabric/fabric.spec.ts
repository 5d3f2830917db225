import { expect } from 'chai';
import { SimClock, isKernelError, seedFromEnv, formatSeed } from '@rdmaemu/sim-core';
import { createFabric } from '../../src/fabric/fabric.js';
import { neigh_lookup } from '../../src/fabric/neighbour.js';
import { macToString } from '../../src/fabric/ether.js';
import { frameBytes } from '../../src/fabric/frame.js';
import { netdev_cmd, netif_carrier_ok } from '../../src/fabric/netdev.js';
import type { LinkTapRecord } from '../../src/fabric/link.js';
import { recordRx, testFrame, testFrameTo } from './_nic.js';

const SEED = seedFromEnv();
const small = { memory: '1M', swiotlb: false } as const;

describe('fabric', () => {
  describe('createFabric / addHost', () => {
    it('makes a DmaHost on the fabric clock, a netdev with a MAC derived from the IP, a link and a neighbour entry', () => {
      const clock = new SimClock({ seed: 1 });
      const fabric = createFabric(clock, { seed: 7 });
      const a = fabric.addHost({ name: 'client', ip: '10.0.0.1', ...small });
      const b = fabric.addHost({ name: 'server', ip: '10.0.0.2', ...small });
      expect(a.dma.clock).to.equal(clock);
      expect(a.dma.name).to.equal('client');
      expect(a.netdev.host).to.equal(a.dma);
      expect(macToString(a.netdev.dev_addr)).to.equal('02:00:0a:00:00:01');
      expect(a.ip).to.equal('10.0.0.1');
      expect(netif_carrier_ok(a.netdev)).to.equal(true);
      expect(fabric.hosts).to.deep.equal([a, b]);
      expect(fabric.host('server')).to.equal(b);
      expect(fabric.switch.ports).to.have.length(2);
      expect(macToString(neigh_lookup(a.netdev, '10.0.0.2')!)).to.equal('02:00:0a:00:00:02');
      expect(neigh_lookup(a.netdev, '10.0.0.3')).to.equal(null);
      expect(a.link.aToB.name).to.equal('client:eth0->sw0:p0');
      expect(fabric.seed).to.equal(7);
    });

    it('refuses a duplicate name, IP or MAC (EEXIST) and an unknown host (ENODEV)', () => {
      const fabric = createFabric(new SimClock({ seed: 1 }));
      fabric.addHost({ name: 'a', ip: '10.0.0.1', ...small });
      const tries: [() => unknown, string][] = [
        [() => fabric.addHost({ name: 'a', ip: '10.0.0.2', ...small }), 'EEXIST'],
        [() => fabric.addHost({ name: 'b', ip: '10.0.0.1', ...small }), 'EEXIST'],
        [() => fabric.addHost({ name: 'c', ip: '10.0.0.3', mac: '02:00:0a:00:00:01', ...small }), 'EEXIST'],
        [() => fabric.addHost({ name: 'd', ip: '10.0.0', ...small }), 'EINVAL'],
        [() => fabric.host('zz'), 'ENODEV'],
      ];
      for (const [fn, code] of tries) {
        try {
          fn();
          expect.fail(`no throw, wanted ${code}`);
        } catch (e) {
          expect(isKernelError(e, code as never), String(e)).to.equal(true);
        }
      }
      try {
        fabric.addHost({ name: 'e', ip: '10.0.0.5', latencyNs: -1, ...small });
        expect.fail('no throw');
      } catch (e) {
        expect(isKernelError(e, 'EINVAL')).to.equal(true);
      }
      expect(fabric.hosts).to.have.length(1);
      expect(fabric.switch.ports).to.have.length(1);
      expect(fabric.neigh.size).to.equal(1);
    });
  });

  describe('forwarding', () => {
    it('carries a frame host -> switch -> host with two links of latency and serialization', () => {
      const clock = new SimClock({ seed: 1 });
      const fabric = createFabric(clock, { latencyNs: 1000, bandwidthGbps: 8 });
      const a = fabric.addHost({ name: 'a', ip: '10.0.0.1', ...small });
      const b = fabric.addHost({ name: 'b', ip: '10.0.0.2', ...small });
      const c = fabric.addHost({ name: 'c', ip: '10.0.0.3', ...small });
      const atB = recordRx(b.netdev, clock);
      const atC = recordRx(c.netdev, clock);
      a.netdev.xmit(testFrameTo(a.netdev, b.netdev.ifa_address, 42)); // 100 bytes = 100 ns at 8 Gb/s
      clock.runUntilIdle();
      expect(atB.map((r) => r.timeNs)).to.deep.equal([2 * (100 + 1000)]);
      expect(atC).to.have.length(0);
      expect(fabric.switch.forwarded).to.equal(1);
    });

    it('drops (and counts) frames to a MAC the switch does not know', () => {
      const clock = new SimClock({ seed: 1 });
      const fabric = createFabric(clock);
      const a = fabric.addHost({ name: 'a', ip: '10.0.0.1', ...small });
      const b = fabric.addHost({ name: 'b', ip: '10.0.0.2', ...small });
      const seen = recordRx(b.netdev, clock);
      a.netdev.xmit(testFrame(a.netdev, { ifa_address: b.netdev.ifa_address, dev_addr: Uint8Array.of(2, 0, 0, 0, 0, 9) }, 10));
      clock.runUntilIdle();
      expect(seen).to.have.length(0);
      expect(fabric.stats().switch.drops['unknown-mac']).to.equal(1);
    });

    it('serializes frames from two senders to one receiver on the shared egress link (incast)', () => {
      const clock = new SimClock({ seed: 1 });
      const fabric = createFabric(clock, { latencyNs: 0, bandwidthGbps: 8 });
      const a = fabric.addHost({ name: 'a', ip: '10.0.0.1', ...small });
      const b = fabric.addHost({ name: 'b', ip: '10.0.0.2', ...small });
      const c = fabric.addHost({ name: 'c', ip: '10.0.0.3', ...small });
      const atC = recordRx(c.netdev, clock);
      a.netdev.xmit(testFrameTo(a.netdev, c.netdev.ifa_address, 942, 1)); // 1000 bytes each
      b.netdev.xmit(testFrameTo(b.netdev, c.netdev.ifa_address, 942, 2));
      clock.runUntilIdle();
      // Both arrive at the switch at 1000 ns; the egress link sends them one after the other.
      expect(atC.map((r) => [r.tag, r.timeNs])).to.deep.equal([[1, 2000], [2, 3000]]);
    });
  });

  describe('tap$', () => {
    it('sees every frame on every link direction, with its time', () => {
      const clock = new SimClock({ seed: 1 });
      const fabric = createFabric(clock, { latencyNs: 500, bandwidthGbps: 0 });
      const a = fabric.addHost({ name: 'a', ip: '10.0.0.1', ...small });
      const b = fabric.addHost({ name: 'b', ip: '10.0.0.2', ...small });
      recordRx(b.netdev, clock);
      const taps: LinkTapRecord[] = [];
      const sub = fabric.tap$.subscribe((r) => taps.push(r));
      a.netdev.xmit(testFrameTo(a.netdev, b.netdev.ifa_address, 10));
      clock.runUntilIdle();
      sub.unsubscribe();
      expect(taps.map((t) => [t.direction, t.timeNs])).to.deep.equal([
        ['a:eth0->sw0:p0', 0],
        ['sw0:p1->b:eth0', 500],
      ]);
    });
  });

  describe('setFaults', () => {
    function lossy(seed: number): number[] {
      const clock = new SimClock({ seed: 1 });
      const fabric = createFabric(clock, { seed });
      const a = fabric.addHost({ name: 'a', ip: '10.0.0.1', ...small });
      const b = fabric.addHost({ name: 'b', ip: '10.0.0.2', ...small });
      const seen = recordRx(b.netdev, clock);
      fabric.setFaults('a', { drop: 0.25 }, 'tx');
      for (let i = 0; i < 200; i++) clock.schedule(() => a.netdev.xmit(testFrameTo(a.netdev, b.netdev.ifa_address, 10, i)), i * 100, 'send');
      clock.runUntilIdle();
      const s = fabric.stats();
      expect(s.links['a:eth0-sw0:p0']!.aToB.faults.drop + seen.length).to.equal(200);
      expect(s.totals.inFlight).to.equal(0);
      return seen.map((r) => r.tag);
    }

    it('drops the same frames for the same fabric seed, and different ones for another seed', () => {
      const why = formatSeed(SEED);
      const first = lossy(SEED);
      expect(first.length, why).to.be.within(100, 190);
      expect(lossy(SEED), why).to.deep.equal(first);
      expect(lossy((SEED + 1) >>> 0), why).to.not.deep.equal(first);
    });

    it('corrupts frames so only bytes after the UDP header differ, and the netdev still accepts them', () => {
      const why = formatSeed(SEED);
      const clock = new SimClock({ seed: 1 });
      const fabric = createFabric(clock, { seed: SEED });
      const a = fabric.addHost({ name: 'a', ip: '10.0.0.1', ...small });
      const b = fabric.addHost({ name: 'b', ip: '10.0.0.2', ...small });
      const seen = recordRx(b.netdev, clock);
      fabric.setFaults(b, { corrupt: 1 }, 'rx');
      const f = testFrameTo(a.netdev, b.netdev.ifa_address, 50);
      a.netdev.xmit(f);
      clock.runUntilIdle();
      expect(seen).to.have.length(1);
      const got = seen[0]!.frame;
      expect(got).to.not.equal(f);
      expect(got.payload).to.have.length(0);
      const sent = frameBytes(f);
      const recv = frameBytes(got);
      const diff = Array.from(recv).flatMap((x, i) => (x !== sent[i] ? [i] : []));
      expect(diff, why).to.have.length(1);
      expect(diff[0], why).to.be.at.least(42);
      expect(fabric.stats().links['b:eth0-sw0:p1']!.bToA.faults.corrupt).to.equal(1);
    });

    it('clears a plan with null', () => {
      const clock = new SimClock({ seed: 1 });
      const fabric = createFabric(clock, { seed: 3 });
      const a = fabric.addHost({ name: 'a', ip: '10.0.0.1', ...small });
      const b = fabric.addHost({ name: 'b', ip: '10.0.0.2', ...small });
      const seen = recordRx(b.netdev, clock);
      fabric.setFaults(a.link, { drop: 1 });
      a.netdev.xmit(testFrameTo(a.netdev, b.netdev.ifa_address, 10));
      fabric.setFaults(a, null);
      a.netdev.xmit(testFrameTo(a.netdev, b.netdev.ifa_address, 10));
      clock.runUntilIdle();
      expect(seen).to.have.length(1);
      expect(a.link.aToB.faults).to.equal(null);
    });
  });

  describe('setLinkUp', () => {
    it('drops the carrier (NETDEV_CHANGE) and the frames while down, and restores both', () => {
      const clock = new SimClock({ seed: 1 });
      const fabric = createFabric(clock);
      const a = fabric.addHost({ name: 'a', ip: '10.0.0.1', ...small });
      const b = fabric.addHost({ name: 'b', ip: '10.0.0.2', ...small });
      const seen = recordRx(b.netdev, clock);
      const events: netdev_cmd[] = [];
      const sub = a.netdev.events$.subscribe((e) => events.push(e));
      fabric.setLinkUp('a', false);
      a.netdev.xmit(testFrameTo(a.netdev, b.netdev.ifa_address, 10));
      fabric.setLinkUp(a, true);
      a.netdev.xmit(testFrameTo(a.netdev, b.netdev.ifa_address, 10));
      clock.runUntilIdle();
      sub.unsubscribe();
      expect(events).to.deep.equal([netdev_cmd.NETDEV_CHANGE, netdev_cmd.NETDEV_CHANGE]);
      expect(seen).to.have.length(1);
      expect(a.netdev.stats.tx_dropped).to.equal(1);
    });
  });
});
