/**
 * rxe_net - wrap IB packets in Ethernet/IPv4/UDP and hand them to the netdev (or loop back).
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_net.c (rxe_init_packet, rxe_prepare, prepare4,
 *         rxe_xmit_packet, rxe_send, rxe_loopback, rxe_udp_encap_recv)
 *
 * Operation: `rxe_init_packet` allocates the frame's header buffer (a view of a header slab) — Ethernet(14) + IPv4(20) +
 * UDP(8) + the opcode's IB headers (+ the ICRC for a packet without payload) — and returns the packet
 * info whose `hdr[bth]` the engines fill through rxe_hdr accessors. `rxe_xmit_packet` writes
 * the outer headers (V3's udpTunnelHeaders, stamped from a per-AV template: UDP sport = the QP's src_port, dport 4791, UDP
 * checksum 0, IPv4 DF, TTL 64), computes the ICRC over the masked headers and the payload views
 * (zero copy; 0 when the device's icrc switch is off), and sends
 * `Frame { hdr, payload: [...views, pad+ICRC], len }` with `netdev.xmit` (with the ICRC off the
 * pad+ICRC trailer is a shared, never-written zero buffer: no allocation per packet). A packet addressed to
 * the device's own IP is looped back (rxe_loopback) through a clock event, never recursively.
 */
import {
  ETH_IP_UDP_HLEN, type UdpTunnelInit, type UdpTunnelTemplate, udpTunnelHeadersFrom, udpTunnelTemplate, udpTunnelTemplateMatches,
} from '../../fabric/udp.js';
import { ETH_HLEN } from '../../fabric/ether.js';
import type { Frame } from '../../fabric/frame.js';
import { RXE_ICRC_SIZE, rxe_opcode_length, rxe_opcode_mask } from './rxe_opcode.js';
import { rxe_icrc_compute, rxe_icrc_sent, rxe_icrc_store } from './rxe_icrc.js';
import { rxe_pkt_info, type rxe_av, type rxe_dev } from './rxe_verbs.h.js';
import { RXE_CNT, rxe_counter_add } from './rxe_hw_counters.js';
import { rxe_rcv } from './rxe_recv.js';

/** Offset of the BTH in a frame's header buffer (Ethernet + IPv4 + UDP). */
export const RXE_BTH_OFFSET = ETH_IP_UDP_HLEN;

const EMPTY: Uint8Array[] = [];

/** Bytes per header slab. */
const HDR_SLAB_SIZE = 64 * 1024;
let hdrSlab = new Uint8Array(HDR_SLAB_SIZE);
let hdrSlabOff = 0;

/**
 * hdr_alloc - a zeroed header buffer of len bytes, carved from a slab (bump allocation, never
 * reused: a slab is freed by the GC once no header in it is referenced).
 *
 * Divergence: the kernel allocates an skb per packet; a fresh Uint8Array over 64 bytes costs an
 * off-heap ArrayBuffer (~1 us), a view of a slab a few tens of ns. Nothing is recycled, so a
 * frame held by a tap or a fault (duplicate, reorder) can never see its bytes reused.
 */
export function hdr_alloc(len: number): Uint8Array {
  if (len > HDR_SLAB_SIZE) return new Uint8Array(len);
  if (hdrSlabOff + len > HDR_SLAB_SIZE) {
    hdrSlab = new Uint8Array(HDR_SLAB_SIZE);
    hdrSlabOff = 0;
  }
  const b = hdrSlab.subarray(hdrSlabOff, hdrSlabOff + len);
  hdrSlabOff += (len + 7) & ~7;
  return b;
}

/**
 * rxe_init_packet - allocate a frame header buffer for opcode and return its packet info.
 * Kernel: drivers/infiniband/sw/rxe/rxe_net.c rxe_init_packet()
 * @param payload payload bytes that will follow (decides the pad)
 */
export function rxe_init_packet(opcode: number, payload: number): rxe_pkt_info {
  const hlen = rxe_opcode_length[opcode]!;
  const pad = (-payload) & 3;
  // With a payload the pad + ICRC trailer is a separate buffer (rxe_xmit_packet), so the header
  // buffer is exactly the frame's hdr; without one the frame is a single buffer, ICRC included.
  const hdr = hdr_alloc(payload === 0 ? RXE_BTH_OFFSET + hlen + RXE_ICRC_SIZE : RXE_BTH_OFFSET + hlen);
  const pkt = new rxe_pkt_info(hdr, RXE_BTH_OFFSET);
  pkt.opcode = opcode;
  pkt.mask = rxe_opcode_mask[opcode]!;
  pkt.pad = pad;
  pkt.payload_len = payload;
  pkt.paylen = hlen + payload + pad + RXE_ICRC_SIZE;
  return pkt;
}

// The Ethernet/IPv4/UDP header template of each AV's tunnel, built on first use and rebuilt if
// the tunnel's fields change: per packet a 42-byte copy plus tot_len, checksum and UDP length.
const templates = new WeakMap<UdpTunnelInit, UdpTunnelTemplate>();

function tunnelTemplate(tunnel: UdpTunnelInit): UdpTunnelTemplate {
  let tpl = templates.get(tunnel);
  if (tpl === undefined || !udpTunnelTemplateMatches(tpl, tunnel)) {
    tpl = udpTunnelTemplate(tunnel);
    templates.set(tunnel, tpl);
  }
  return tpl;
}


const icrcViews: Uint8Array[] = [];
/** Pad (0..3) + a zero ICRC: the trailer of every frame with a payload when the ICRC is off. */
const ZERO_TRAILER: readonly Uint8Array[] = [0, 1, 2, 3].map((pad) => new Uint8Array(pad + RXE_ICRC_SIZE));

/**
 * rxe_xmit_packet - finish the headers, compute the ICRC, send (or loop back).
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe_net.c rxe_xmit_packet() / rxe_prepare() / prepare4()
 * @param payload views of the payload bytes (zero copy), or [] for none
 * @returns 0 (a frame the link later drops is not an error here, as on Ethernet)
 */
export function rxe_xmit_packet(rxe: rxe_dev, av: rxe_av, pkt: rxe_pkt_info, payload: Uint8Array[]): number {
  const hdr = pkt.hdr;
  const hlen = rxe_opcode_length[pkt.opcode]!;
  udpTunnelHeadersFrom(hdr, tunnelTemplate(av.tunnel), pkt.paylen);
  const tailOff = RXE_BTH_OFFSET + hlen;
  let frame: Frame;
  if (pkt.payload_len === 0) {
    // pad = 0: ICRC right after the headers; the frame is one buffer (a materialized frame)
    if (rxe.icrc) rxe_icrc_store(hdr, tailOff, rxe_icrc_compute(hdr, ETH_HLEN, hlen, EMPTY));
    frame = { hdr, payload: EMPTY, len: hdr.length };
  } else {
    // ICRC off: the trailer (pad + ICRC = 0) is all zeros and never written, so it is shared.
    const trailer = rxe.icrc ? hdr_alloc(pkt.pad + RXE_ICRC_SIZE) : ZERO_TRAILER[pkt.pad]!;
    const head = hdr;
    if (rxe.icrc) {
      for (let i = 0; i < payload.length; i++) icrcViews.push(payload[i]!);
      if (pkt.pad) icrcViews.push(trailer.subarray(0, pkt.pad));
      rxe_icrc_store(trailer, pkt.pad, rxe_icrc_compute(hdr, ETH_HLEN, hlen, icrcViews));
      icrcViews.length = 0;
    }
    payload.push(trailer);
    frame = { hdr: head, payload, len: tailOff + pkt.payload_len + pkt.pad + RXE_ICRC_SIZE };
  }
  if (rxe.icrc) rxe_icrc_sent.add(frame);
  rxe_counter_add(rxe, RXE_CNT.sent_pkts, 1);
  rxe_counter_add(rxe, RXE_CNT.sent_bytes, frame.len);
  if (av.tunnel.daddr === rxe.ndev.ifa_address) {
    rxe.clock.schedule(() => rxe_rcv(rxe, frame), 0, 'rxe_loopback');
  } else {
    rxe.ndev.xmit(frame);
  }
  return 0;
}

/** The netdev rx hook. Kernel: drivers/infiniband/sw/rxe/rxe_net.c rxe_udp_encap_recv(). */
export function rxe_udp_encap_recv(rxe: rxe_dev, frame: Frame): void {
  rxe_rcv(rxe, frame);
}

void rxe_opcode_mask;
