/**
 * rxe - create a Soft-RoCE device on a netdev.
 *
 * Kernel: drivers/infiniband/sw/rxe/rxe.c (rxe_add, rxe_init, rxe_init_device_param,
 *         rxe_init_ports, rxe_init_pools), rxe_net.c (rxe_net_add), rxe_verbs.c rxe_register_device
 *
 * Operation: `rxe_add(netdev, init)` makes the device's DMA identity (a `struct device` added to
 * the host's DmaHost: every byte the HCA touches goes through it), the index pools (QPN 16 …
 * 0x20000, MR keys, SRQs), the counters, and an `rxe_dev` (an `ib_device`) with `rxe_dev_ops`;
 * hooks the netdev's rx (rxe_udp_encap_recv) and registers the device with the core
 * (ib_register_device → clients' add()). Profiles: 'rxe' (default), 'connectx', 'iwarp'
 * (node type RNIC so rdma_protocol_iwarp() is true).
 */
import type { DmaHost } from '@rdmaemu/dma-core';
import { rdma_node_type } from '../../core/ib_verbs.h.js';
import { ib_register_device } from '../../core/device.js';
import type { net_device } from '../../fabric/netdev.js';
import { rxe_alloc_hw_counters } from './rxe_hw_counters.js';
import { rxe_profile, type RxeProfileName, RXE_MAX_MR_INDEX, RXE_MAX_QP_INDEX, RXE_MAX_SRQ_INDEX, RXE_MIN_MR_INDEX,
  RXE_MIN_QP_INDEX, RXE_MIN_SRQ_INDEX } from './rxe_param.h.js';
import { rxe_pool } from './rxe_pool.js';
import { rxe_dev, type rxe_mr, type rxe_qp, type rxe_srq } from './rxe_verbs.h.js';
import { rxe_dev_ops, rxe_query_device } from './rxe_verbs.js';
import { rxe_udp_encap_recv } from './rxe_net.js';

/** RxeAddInit - options for rxe_add. Emulator-only. */
export interface RxeAddInit {
  /** The host whose memory the HCA reaches (the netdev does not carry it). */
  dma: DmaHost;
  /** ib device name. @default 'rxe0' (next free rxeN when registering several) */
  name?: string;
  /** @default 'rxe' */
  profile?: RxeProfileName;
  /** DMA device name on the host. @default the ib name */
  dma_device?: string;
  /** Generate and check the ICRC (false = rxe crc_disable). @default true */
  icrc?: boolean;
  /** Register with the core (ib_register_device). @default true */
  register?: boolean;
}

let nextIndex = 0;

/**
 * rxe_add - create an rxe device bound to a netdev.
 * Kernel: drivers/infiniband/sw/rxe/rxe.c rxe_add() / rxe_net.c rxe_net_add()
 * @throws KernelError EEXIST if the name is taken (ib_register_device)
 * @example
 * ```ts
 * const dev = rxe_add(host.netdev, { dma: host.dma, name: 'rxe0' });
 * const pd = ib_alloc_pd(dev);
 * ```
 */
export function rxe_add(ndev: net_device, init: RxeAddInit): rxe_dev {
  const host = init.dma;
  const clock = host.clock;
  if (clock === null) throw new Error('rxe_add: the DmaHost has no SimClock');
  const name = init.name ?? `rxe${nextIndex++}`;
  const profile = rxe_profile(init.profile ?? 'rxe');
  const dma_device = host.addDevice({ name: init.dma_device ?? name, driver: 'rdma_rxe' });
  const counters = rxe_alloc_hw_counters();
  const rxe = new rxe_dev({
    name,
    node_type: profile.iwarp ? rdma_node_type.RDMA_NODE_RNIC : rdma_node_type.RDMA_NODE_IB_CA,
    phys_port_cnt: 1,
    attrs: undefined as never,
    ops: rxe_dev_ops,
    dma_device,
    clock,
    host,
    ndev,
    dma_host: host,
    profile,
    icrc: init.icrc ?? true,
    counters,
    // rxe_init_device_param(): node_guid = addrconf_addr_eui48(ndev->dev_addr) (the CM's CA GUID)
    node_guid: eui48_to_guid(ndev.dev_addr),
  });
  rxe.qp_pool = new rxe_pool<rxe_qp>('qp', RXE_MIN_QP_INDEX, RXE_MAX_QP_INDEX, profile.max_qp);
  rxe.mr_pool = new rxe_pool<rxe_mr>('mr', RXE_MIN_MR_INDEX, RXE_MAX_MR_INDEX, profile.max_mr);
  rxe.srq_pool = new rxe_pool<rxe_srq>('srq', RXE_MIN_SRQ_INDEX, RXE_MAX_SRQ_INDEX, profile.max_srq);
  rxe.attrs = rxe_query_device(rxe);
  ndev.rx = (frame) => rxe_udp_encap_recv(rxe, frame);
  if (init.register ?? true) ib_register_device(rxe);
  return rxe;
}

/** The EUI-64 of a MAC with the U/L bit flipped. Kernel: include/net/addrconf.h addrconf_addr_eui48(). */
function eui48_to_guid(mac: Uint8Array): bigint {
  const b = [mac[0]! ^ 2, mac[1]!, mac[2]!, 0xff, 0xfe, mac[3]!, mac[4]!, mac[5]!];
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}
