import { expect } from 'chai';
import { isKernelError } from '@rdmaemu/sim-core';
import {
  BROADCAST_MAC_KEY,
  ETH_HLEN,
  ETH_P_IP,
  eth_hdr,
  eth_header,
  eth_proto,
  ether_addr_equal,
  is_broadcast_ether_addr,
  is_multicast_ether_addr,
  macFromIpv4,
  macFromString,
  macKey,
  macToString,
} from '../../src/fabric/ether.js';

describe('ether', () => {
  describe('eth_header / eth_hdr', () => {
    it('writes dest, source and a big-endian EtherType at the offset and parses them back', () => {
      const buf = new Uint8Array(20).fill(0xaa);
      const dst = macFromString('02:00:0a:00:00:02');
      const src = macFromString('02:00:0a:00:00:01');
      expect(eth_header(buf, 3, dst, src, ETH_P_IP)).to.equal(3 + ETH_HLEN);
      expect(buf[2]).to.equal(0xaa);
      expect(buf[17]).to.equal(0xaa);
      expect([buf[15], buf[16]]).to.deep.equal([0x08, 0x00]);
      const h = eth_hdr(buf, 3)!;
      expect(macToString(h.h_dest)).to.equal('02:00:0a:00:00:02');
      expect(macToString(h.h_source)).to.equal('02:00:0a:00:00:01');
      expect(h.h_proto).to.equal(ETH_P_IP);
      expect(eth_proto(buf, 3)).to.equal(ETH_P_IP);
    });

    it('returns null for a truncated header', () => {
      expect(eth_hdr(new Uint8Array(13))).to.equal(null);
    });
  });

  describe('MAC helpers', () => {
    it('derives 02:00:a:b:c:d (locally administered, unicast) from an IPv4 address', () => {
      const mac = macFromIpv4(0xc0a80102);
      expect(macToString(mac)).to.equal('02:00:c0:a8:01:02');
      expect(is_multicast_ether_addr(mac)).to.equal(false);
      expect(mac[0]! & 0x02).to.equal(0x02);
    });

    it('keys MACs as exact 48-bit numbers', () => {
      expect(macKey(macFromString('ff:ff:ff:ff:ff:ff'))).to.equal(BROADCAST_MAC_KEY);
      expect(macKey(macFromString('80:00:00:00:00:01'))).to.equal(0x8000_0000_0001);
      expect(is_broadcast_ether_addr(macFromString('ff:ff:ff:ff:ff:ff'))).to.equal(true);
      expect(ether_addr_equal(macFromIpv4(1), macFromIpv4(1))).to.equal(true);
      expect(ether_addr_equal(macFromIpv4(1), macFromIpv4(2))).to.equal(false);
    });

    it('rejects a malformed MAC string with EINVAL', () => {
      try {
        macFromString('02:00:0a:00:00');
        expect.fail('no throw');
      } catch (e) {
        expect(isKernelError(e, 'EINVAL')).to.equal(true);
      }
    });
  });
});
