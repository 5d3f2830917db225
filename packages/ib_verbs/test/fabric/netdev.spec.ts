import { expect } from 'chai';
import { SimClock, isKernelError } from '@rdmaemu/sim-core';
import {
  dev_close,
  dev_open,
  dev_queue_xmit,
  dev_set_mtu,
  IFF_RUNNING,
  net_device,
  netdev_cmd,
  netif_carrier_off,
  netif_carrier_ok,
  netif_receive_skb,
  netif_running,
} from '../../src/fabric/netdev.js';
import { macFromIpv4 } from '../../src/fabric/ether.js';
import { frameBytes, frameFromBytes, makeFrame } from '../../src/fabric/frame.js';
import { ip_send_check } from '../../src/fabric/ip.js';
import { recordRx, testFrame } from './_nic.js';

function devs(): { a: net_device; b: net_device } {
  return {
    a: new net_device({ name: 'a', ip: '10.0.0.1', dev_addr: macFromIpv4(0x0a000001) }),
    b: new net_device({ name: 'b', ip: 0x0a000002, dev_addr: macFromIpv4(0x0a000002) }),
  };
}

/** A materialized copy of a good frame with one change applied (and the IP checksum refreshed). */
function mutate(f: ReturnType<typeof testFrame>, edit: (b: Uint8Array) => void, fixCsum = true) {
  const b = frameBytes(f).slice();
  edit(b);
  if (fixCsum) ip_send_check(b, 14);
  return frameFromBytes(b);
}

describe('net_device', () => {
  it('keeps the address in both forms: dotted ip and u32 ifa_address', () => {
    const { a, b } = devs();
    expect(a.ip).to.equal('10.0.0.1');
    expect(a.ifa_address).to.equal(0x0a000001);
    expect(b.ip).to.equal('10.0.0.2');
    expect(a.mtu).to.equal(4200);
  });

  it('rejects a bad MAC, IP or MTU with EINVAL', () => {
    for (const init of [
      { name: 'x', ip: '10.0.0.1', dev_addr: new Uint8Array(5) },
      { name: 'x', ip: '10.0.0', dev_addr: new Uint8Array(6) },
      { name: 'x', ip: '10.0.0.1', dev_addr: new Uint8Array(6), mtu: 10 },
    ]) {
      try {
        new net_device(init);
        expect.fail('no throw');
      } catch (e) {
        expect(isKernelError(e, 'EINVAL')).to.equal(true);
      }
    }
  });

  describe('dev_queue_xmit', () => {
    it('drops and counts tx_dropped without a link', () => {
      const { a, b } = devs();
      dev_queue_xmit(a, testFrame(a, b, 10));
      expect(a.stats.tx_dropped).to.equal(1);
      expect(a.stats.tx_packets).to.equal(0);
    });

    it('hands frames to the attached port and counts them', () => {
      const { a, b } = devs();
      const sent: number[] = [];
      a.attachLink({ xmit: (f) => sent.push(f.len) });
      expect(netif_carrier_ok(a)).to.equal(true);
      a.xmit(testFrame(a, b, 10));
      expect(sent).to.deep.equal([68]);
      expect(a.stats).to.deep.include({ tx_packets: 1, tx_bytes: 68 });
    });
  });

  describe('netif_receive_skb', () => {
    it('delivers a well-formed IPv4/UDP 4791 frame to rx and counts it', () => {
      const clock = new SimClock({ seed: 1 });
      const { a, b } = devs();
      const seen = recordRx(b, clock);
      const f = testFrame(a, b, 10);
      expect(netif_receive_skb(b, f)).to.equal(true);
      expect(seen[0]!.frame).to.equal(f);
      expect(b.stats).to.deep.include({ rx_packets: 1, rx_bytes: 68, rx_dropped: 0 });
    });

    it('drops by reason: OTHERHOST, UNHANDLED_PROTO, IP_CSUM, IP_INHDR, PKT_TOO_SMALL, IP_INADDRERRORS, NO_SOCKET, DEV_READY', () => {
      const clock = new SimClock({ seed: 1 });
      const { a, b } = devs();
      const seen = recordRx(b, clock);
      const good = testFrame(a, b, 10);
      const cases: [ReturnType<typeof frameFromBytes>, string][] = [
        [mutate(good, (x) => (x[5] = 0x99)), 'OTHERHOST'],
        [mutate(good, (x) => (x[13] = 0x06)), 'UNHANDLED_PROTO'],
        [mutate(good, (x) => (x[14 + 16] = 11), false), 'IP_CSUM'],
        [mutate(good, (x) => (x[14] = 0x46)), 'IP_INHDR'],
        [mutate(good, (x) => (x[14 + 3] = x[14 + 3]! - 1)), 'PKT_TOO_SMALL'],
        [mutate(good, (x) => (x[14 + 19] = 9)), 'IP_INADDRERRORS'],
        [mutate(good, (x) => (x[14 + 9] = 6)), 'UNHANDLED_PROTO'],
        [mutate(good, (x) => (x[34 + 5] = x[34 + 5]! + 1)), 'PKT_TOO_SMALL'],
        [mutate(good, (x) => (x[34 + 3] = 0xb8)), 'NO_SOCKET'],
        [makeFrame(new Uint8Array(20)), 'PKT_TOO_SMALL'],
      ];
      for (const [f, reason] of cases) {
        const before = b.drops.get(reason as never);
        expect(netif_receive_skb(b, f), reason).to.equal(false);
        expect(b.drops.get(reason as never), reason).to.equal(before + 1);
      }
      // Broadcast destination is accepted.
      expect(netif_receive_skb(b, mutate(good, (x) => x.fill(0xff, 0, 6)))).to.equal(true);
      b.rx = null;
      expect(netif_receive_skb(b, good)).to.equal(false);
      expect(b.drops.get('NO_SOCKET')).to.equal(2);
      dev_close(b);
      expect(netif_receive_skb(b, good)).to.equal(false);
      expect(b.drops.get('DEV_READY')).to.equal(1);
      expect(seen).to.have.length(1);
      expect(b.stats.rx_dropped).to.equal(cases.length + 2);
    });
  });

  describe('events$', () => {
    it('emits NETDEV_DOWN/UP, NETDEV_CHANGE on carrier changes and NETDEV_CHANGEMTU', () => {
      const { a } = devs();
      a.attachLink({ xmit: () => {} });
      const log: string[] = [];
      const sub = a.events$.subscribe((e) => log.push(netdev_cmd[e]));
      dev_close(a);
      expect(netif_running(a)).to.equal(false);
      dev_open(a);
      netif_carrier_off(a);
      expect(a.flags & IFF_RUNNING).to.equal(0);
      dev_set_mtu(a, 1500);
      dev_set_mtu(a, 1500);
      sub.unsubscribe();
      expect(log).to.deep.equal(['NETDEV_DOWN', 'NETDEV_UP', 'NETDEV_CHANGE', 'NETDEV_CHANGEMTU']);
      expect(a.mtu).to.equal(1500);
      expect(() => dev_set_mtu(a, 20)).to.throw(/mtu/);
    });
  });
});
