/**
 * _nic - a trivial test "NIC" for the fabric specs: builds RoCEv2-shaped frames (Ethernet +
 * IPv4 + UDP + a 12-byte fake BTH, payload views, a 4-byte trailer) and records what a netdev
 * receives, with the clock time. No dependency on rxe.
 */
import type { SimClock } from '@rdmaemu/sim-core';
import { makeFrame, type Frame } from '../../src/fabric/frame.js';
import type { net_device } from '../../src/fabric/netdev.js';
import { ETH_IP_UDP_HLEN, udpTunnelHeaders } from '../../src/fabric/udp.js';
import { neigh_lookup } from '../../src/fabric/neighbour.js';

export const BTH_LEN = 12;

/** A frame from `src` to `dst` (IP and MAC from the netdevs) with `payloadLen` bytes of data. */
export function testFrame(src: net_device, dst: net_device | { ifa_address: number; dev_addr: Uint8Array }, payloadLen: number, tag = 0): Frame {
  const hdr = new Uint8Array(ETH_IP_UDP_HLEN + BTH_LEN);
  udpTunnelHeaders(hdr, 0, {
    h_dest: dst.dev_addr,
    h_source: src.dev_addr,
    saddr: src.ifa_address,
    daddr: dst.ifa_address,
    sport: 49152,
  }, BTH_LEN + payloadLen + 4);
  hdr[ETH_IP_UDP_HLEN] = 0x04; // "SEND_ONLY"
  hdr[ETH_IP_UDP_HLEN + 11] = tag & 0xff; // PSN low byte carries a tag
  const data = new Uint8Array(payloadLen);
  for (let i = 0; i < payloadLen; i++) data[i] = (i + tag) & 0xff;
  return makeFrame(hdr, [data, new Uint8Array([0xde, 0xad, 0xbe, 0xef])]);
}

/** A frame addressed by IP through the neighbour table. */
export function testFrameTo(src: net_device, dstIp: number, payloadLen: number, tag = 0): Frame {
  const mac = neigh_lookup(src, dstIp);
  if (mac === null) throw new Error(`no neighbour for ${dstIp}`);
  return testFrame(src, { ifa_address: dstIp, dev_addr: mac }, payloadLen, tag);
}

export interface Received {
  timeNs: number;
  frame: Frame;
  tag: number;
}

/** Register an rx handler on `dev` that records frames with their arrival time. */
export function recordRx(dev: net_device, clock: SimClock): Received[] {
  const seen: Received[] = [];
  dev.rx = (frame) => {
    seen.push({ timeNs: clock.ktime_get(), frame, tag: frame.hdr[ETH_IP_UDP_HLEN + 11] ?? -1 });
  };
  return seen;
}
