import { expect } from 'chai';
import fc from 'fast-check';
import { isKernelError, seedFromEnv } from '@rdmaemu/sim-core';
import { IPPROTO_UDP, IP_DF, in_aton, ip_fast_csum, ip_hdr, ip_header, ip_send_check, ipv4Check, ipv4ToString, toIpv4 } from '../../src/fabric/ip.js';

const SEED = seedFromEnv();

/** RFC 1071 reference checksum, written independently of ip_fast_csum. */
function rfc1071(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += bytes[i]! * 256 + (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return 0xffff - sum;
}

describe('ip', () => {
  describe('ip_header', () => {
    it('writes version 4, IHL 5, DF, TTL 64, UDP and a valid checksum, and parses back (property)', () => {
      fc.assert(
        fc.property(fc.nat(0xffffffff), fc.nat(0xffffffff), fc.integer({ min: 20, max: 0xffff }), fc.nat(0xff), fc.nat(0xffff), (saddr, daddr, tot_len, tos, id) => {
          const buf = new Uint8Array(24);
          expect(ip_header(buf, 2, { saddr, daddr, tot_len, tos, id })).to.equal(22);
          const h = ip_hdr(buf, 2)!;
          expect(h).to.deep.include({ version: 4, ihl: 5, tos, tot_len, id, frag_off: IP_DF, ttl: 64, protocol: IPPROTO_UDP, saddr, daddr });
          // The checksum matches an independent RFC 1071 computation over the zeroed header.
          const copy = buf.slice(2, 22);
          copy[10] = 0;
          copy[11] = 0;
          expect(h.check).to.equal(rfc1071(copy));
          expect(ip_fast_csum(buf, 2, 5)).to.equal(0);
          expect(ipv4Check(buf, 2, tot_len)).to.equal('ok');
        }),
        { seed: SEED },
      );
    });

    it('matches a known header (RFC 1071 worked example style)', () => {
      // 45 00 00 73 00 00 40 00 40 11 [b8 61] c0 a8 00 01 c0 a8 00 c7
      const buf = new Uint8Array(20);
      ip_header(buf, 0, { saddr: in_aton('192.168.0.1'), daddr: in_aton('192.168.0.199'), tot_len: 0x73 });
      expect([buf[10], buf[11]]).to.deep.equal([0xb8, 0x61]);
    });
  });

  describe('ipv4Check', () => {
    const good = (): Uint8Array => {
      const b = new Uint8Array(20);
      ip_header(b, 0, { saddr: 1, daddr: 2, tot_len: 20 });
      return b;
    };
    it('flags a bad checksum, version, IHL, length and fragments', () => {
      const c = good();
      c[12] = c[12]! ^ 0x40;
      expect(ipv4Check(c, 0, 20)).to.equal('ip-csum');
      const v = good();
      v[0] = 0x65;
      ip_send_check(v, 0);
      expect(ipv4Check(v, 0, 20)).to.equal('ip-version');
      const i = good();
      i[0] = 0x46;
      expect(ipv4Check(i, 0, 24)).to.equal('ip-ihl');
      expect(ipv4Check(good(), 0, 19)).to.equal('ip-truncated');
      const l = new Uint8Array(20);
      ip_header(l, 0, { saddr: 1, daddr: 2, tot_len: 40 });
      expect(ipv4Check(l, 0, 30)).to.equal('ip-len');
      const f = good();
      f[6] = 0x20; // MF
      f[7] = 0;
      ip_send_check(f, 0);
      expect(ipv4Check(f, 0, 20)).to.equal('ip-frag');
    });
  });

  describe('in_aton / ipv4ToString / toIpv4', () => {
    it('round-trips dotted quads and u32 numbers', () => {
      expect(in_aton('10.0.0.1')).to.equal(0x0a000001);
      expect(in_aton('255.255.255.255')).to.equal(0xffffffff);
      expect(ipv4ToString(0xc0a80001)).to.equal('192.168.0.1');
      expect(toIpv4(0x0a000001)).to.equal(toIpv4('10.0.0.1'));
    });

    it('rejects malformed addresses with EINVAL', () => {
      for (const bad of ['10.0.0', '10.0.0.256', 'a.b.c.d', '1.2.3.4.5']) {
        try {
          in_aton(bad);
          expect.fail(`no throw for ${bad}`);
        } catch (e) {
          expect(isKernelError(e, 'EINVAL'), bad).to.equal(true);
        }
      }
      try {
        toIpv4(-1);
        expect.fail('no throw');
      } catch (e) {
        expect(isKernelError(e, 'EINVAL')).to.equal(true);
      }
    });
  });
});
