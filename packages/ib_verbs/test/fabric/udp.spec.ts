import { expect } from 'chai';
import { ETH_HLEN, ETH_P_IP, eth_hdr, macFromIpv4, macToString } from '../../src/fabric/ether.js';
import { ip_hdr, ipv4Check, IPPROTO_UDP } from '../../src/fabric/ip.js';
import { ETH_IP_UDP_HLEN, ROCE_V2_UDP_DPORT, udp_hdr, udp_header, udpTunnelHeaders } from '../../src/fabric/udp.js';

describe('udp', () => {
  it('udp_header writes ports, length and checksum 0', () => {
    const b = new Uint8Array(8).fill(0xff);
    expect(udp_header(b, 0, 0xc000, ROCE_V2_UDP_DPORT, 0x1234)).to.equal(8);
    expect(udp_hdr(b)).to.deep.equal({ source: 0xc000, dest: 4791, len: 0x1234, check: 0 });
  });

  it('udpTunnelHeaders writes Ethernet + IPv4 + UDP for a RoCEv2 packet in one call', () => {
    const buf = new Uint8Array(2 + ETH_IP_UDP_HLEN).fill(0x55);
    const end = udpTunnelHeaders(buf, 2, {
      h_dest: macFromIpv4(0x0a000002),
      h_source: macFromIpv4(0x0a000001),
      saddr: 0x0a000001,
      daddr: 0x0a000002,
      sport: 50000,
      tos: 0x10,
      id: 7,
    }, 16);
    expect(end).to.equal(2 + 42);
    const eth = eth_hdr(buf, 2)!;
    expect(macToString(eth.h_dest)).to.equal('02:00:0a:00:00:02');
    expect(eth.h_proto).to.equal(ETH_P_IP);
    const ip = ip_hdr(buf, 2 + ETH_HLEN)!;
    expect(ip).to.deep.include({ tot_len: 20 + 8 + 16, protocol: IPPROTO_UDP, ttl: 64, tos: 0x10, id: 7, frag_off: 0x4000, saddr: 0x0a000001, daddr: 0x0a000002 });
    expect(ipv4Check(buf, 2 + ETH_HLEN, 44)).to.equal('ok');
    expect(udp_hdr(buf, 2 + 34)).to.deep.equal({ source: 50000, dest: ROCE_V2_UDP_DPORT, len: 24, check: 0 });
  });
});
