/**
 * rdma_cap - what a device port speaks and can do: the `rdma_protocol_*` / `rdma_cap_*` inline
 * helpers ULPs (rdma_rw, rdma_cm, svcrdma) branch on instead of testing the provider.
 *
 * Kernel: include/rdma/ib_verbs.h (rdma_start_port, rdma_end_port, rdma_is_port_valid,
 * rdma_protocol_*, rdma_cap_*, rdma_port_get_link_layer)
 *
 * Operation: all answers come from `dev.port_immutable[port].core_cap_flags` (RDMA_CORE_CAP_*),
 * which the provider sets (rxe: RDMA_CORE_PORT_IBA_ROCE_UDP_ENCAP; an iWARP profile:
 * RDMA_CORE_PORT_IWARP), and from `dev.node_type`.
 */
import type { u32 } from '@rdmaemu/sim-core';
import {
  RDMA_CORE_CAP_PROT_IB,
  RDMA_CORE_CAP_PROT_ROCE,
  RDMA_CORE_CAP_PROT_ROCE_UDP_ENCAP,
  RDMA_CORE_CAP_PROT_IWARP,
  RDMA_CORE_CAP_PROT_RAW_PACKET,
  RDMA_CORE_CAP_PROT_USNIC,
  RDMA_CORE_CAP_IB_MAD,
  RDMA_CORE_CAP_IB_CM,
  RDMA_CORE_CAP_IW_CM,
  RDMA_CORE_CAP_IB_SA,
  RDMA_CORE_CAP_ETH_AH,
  rdma_link_layer,
  rdma_transport_type,
  rdma_node_get_transport,
} from './ib_verbs.h.js';
import type { ib_device } from './device.js';

function caps(dev: ib_device, port_num: u32): number {
  return dev.port_immutable[port_num]?.core_cap_flags ?? 0;
}

/** rdma_start_port - first valid port number (1 for a CA). Kernel: include/rdma/ib_verbs.h */
export function rdma_start_port(_dev: ib_device): number {
  return 1;
}
/** rdma_end_port - last valid port number. Kernel: include/rdma/ib_verbs.h */
export function rdma_end_port(dev: ib_device): number {
  return dev.phys_port_cnt;
}
/** rdma_is_port_valid - Kernel: include/rdma/ib_verbs.h */
export function rdma_is_port_valid(dev: ib_device, port: number): boolean {
  return Number.isInteger(port) && port >= rdma_start_port(dev) && port <= rdma_end_port(dev);
}
/** rdma_protocol_ib - native InfiniBand. Kernel: include/rdma/ib_verbs.h */
export function rdma_protocol_ib(dev: ib_device, port_num: u32): boolean {
  return (caps(dev, port_num) & RDMA_CORE_CAP_PROT_IB) !== 0;
}
/** rdma_protocol_roce - RoCE v1 or v2. Kernel: include/rdma/ib_verbs.h */
export function rdma_protocol_roce(dev: ib_device, port_num: u32): boolean {
  return (caps(dev, port_num) & (RDMA_CORE_CAP_PROT_ROCE | RDMA_CORE_CAP_PROT_ROCE_UDP_ENCAP)) !== 0;
}
/** rdma_protocol_roce_udp_encap - RoCE v2. Kernel: include/rdma/ib_verbs.h */
export function rdma_protocol_roce_udp_encap(dev: ib_device, port_num: u32): boolean {
  return (caps(dev, port_num) & RDMA_CORE_CAP_PROT_ROCE_UDP_ENCAP) !== 0;
}
/** rdma_protocol_roce_eth_encap - RoCE v1. Kernel: include/rdma/ib_verbs.h */
export function rdma_protocol_roce_eth_encap(dev: ib_device, port_num: u32): boolean {
  return (caps(dev, port_num) & RDMA_CORE_CAP_PROT_ROCE) !== 0;
}
/** rdma_protocol_iwarp - iWARP. Kernel: include/rdma/ib_verbs.h */
export function rdma_protocol_iwarp(dev: ib_device, port_num: u32): boolean {
  return (caps(dev, port_num) & RDMA_CORE_CAP_PROT_IWARP) !== 0;
}
/** rdma_ib_or_roce - Kernel: include/rdma/ib_verbs.h */
export function rdma_ib_or_roce(dev: ib_device, port_num: u32): boolean {
  return rdma_protocol_ib(dev, port_num) || rdma_protocol_roce(dev, port_num);
}
/** rdma_protocol_raw_packet - Kernel: include/rdma/ib_verbs.h */
export function rdma_protocol_raw_packet(dev: ib_device, port_num: u32): boolean {
  return (caps(dev, port_num) & RDMA_CORE_CAP_PROT_RAW_PACKET) !== 0;
}
/** rdma_protocol_usnic - Kernel: include/rdma/ib_verbs.h */
export function rdma_protocol_usnic(dev: ib_device, port_num: u32): boolean {
  return (caps(dev, port_num) & RDMA_CORE_CAP_PROT_USNIC) !== 0;
}
/** rdma_cap_ib_mad - Kernel: include/rdma/ib_verbs.h */
export function rdma_cap_ib_mad(dev: ib_device, port_num: u32): boolean {
  return (caps(dev, port_num) & RDMA_CORE_CAP_IB_MAD) !== 0;
}
/** rdma_cap_ib_cm - Kernel: include/rdma/ib_verbs.h */
export function rdma_cap_ib_cm(dev: ib_device, port_num: u32): boolean {
  return (caps(dev, port_num) & RDMA_CORE_CAP_IB_CM) !== 0;
}
/** rdma_cap_iw_cm - Kernel: include/rdma/ib_verbs.h */
export function rdma_cap_iw_cm(dev: ib_device, port_num: u32): boolean {
  return (caps(dev, port_num) & RDMA_CORE_CAP_IW_CM) !== 0;
}
/** rdma_cap_ib_sa - Kernel: include/rdma/ib_verbs.h */
export function rdma_cap_ib_sa(dev: ib_device, port_num: u32): boolean {
  return (caps(dev, port_num) & RDMA_CORE_CAP_IB_SA) !== 0;
}
/** rdma_cap_eth_ah - address handles carry an Ethernet dmac (RoCE). Kernel: include/rdma/ib_verbs.h */
export function rdma_cap_eth_ah(dev: ib_device, port_num: u32): boolean {
  return (caps(dev, port_num) & RDMA_CORE_CAP_ETH_AH) !== 0;
}
/**
 * rdma_cap_read_multi_sge - can an RDMA READ carry several SGEs? (iWARP: one SGE per READ sink).
 * Kernel: include/rdma/ib_verbs.h rdma_cap_read_multi_sge()
 */
export function rdma_cap_read_multi_sge(dev: ib_device, port_num: u32): boolean {
  return !rdma_protocol_iwarp(dev, port_num);
}
/**
 * rdma_cap_read_inv - does the port support RDMA READ WITH INVALIDATE (iWARP)?
 * Kernel: include/rdma/ib_verbs.h rdma_cap_read_inv()
 */
export function rdma_cap_read_inv(dev: ib_device, port_num: u32): boolean {
  return rdma_protocol_iwarp(dev, port_num);
}
/**
 * rdma_port_get_link_layer - Ethernet for RoCE/iWARP ports, InfiniBand for IB.
 * Kernel: drivers/infiniband/core/verbs.c rdma_port_get_link_layer()
 */
export function rdma_port_get_link_layer(dev: ib_device, port_num: u32): rdma_link_layer {
  if (dev.ops.get_link_layer) return dev.ops.get_link_layer(dev, port_num);
  if (rdma_protocol_roce(dev, port_num)) return rdma_link_layer.IB_LINK_LAYER_ETHERNET;
  switch (rdma_node_get_transport(dev.node_type)) {
    case rdma_transport_type.RDMA_TRANSPORT_IB:
      return rdma_link_layer.IB_LINK_LAYER_INFINIBAND;
    case rdma_transport_type.RDMA_TRANSPORT_IWARP:
    case rdma_transport_type.RDMA_TRANSPORT_USNIC:
    case rdma_transport_type.RDMA_TRANSPORT_USNIC_UDP:
      return rdma_link_layer.IB_LINK_LAYER_ETHERNET;
    default:
      return rdma_link_layer.IB_LINK_LAYER_UNSPECIFIED;
  }
}
/** rdma_max_mad_size - Kernel: include/rdma/ib_verbs.h */
export function rdma_max_mad_size(dev: ib_device, port_num: u32): number {
  return dev.port_immutable[port_num]?.max_mad_size ?? 0;
}
