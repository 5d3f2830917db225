/**
 * @rdmaemu/ib_verbs - the kernel's verbs API (include/rdma, drivers/infiniband/core), the emulated
 * Soft-RoCE HCA (drivers/infiniband/sw/rxe) and the Ethernet fabric it runs on.
 *
 * @packageDocumentation
 *
 * Kernel-to-TS mapping:
 *
 * | Kernel                                              | Here                          |
 * |-----------------------------------------------------|-------------------------------|
 * | include/rdma/ib_verbs.h (enums, structs)            | core/ib_verbs.h.ts            |
 * | struct ib_device, ib_device_ops, ib_pd/cq/qp/srq/mr | core/device.ts                |
 * | drivers/infiniband/core/verbs.c                     | core/verbs.ts                 |
 * | verbs.c qp_state_table, ib_modify_qp_is_ok          | core/qp_state_table.ts        |
 * | drivers/infiniband/core/cq.c                        | core/cq.ts                    |
 * | include/rdma/ib_verbs.h ib_dma_* wrappers           | core/ib_dma.ts                |
 * | core/device.c async events, ib_event_handler        | core/events.ts                |
 * | verbs.c ib_wc_status_msg / ib_event_msg             | core/wc_status.ts             |
 * | rdma_cap_* / rdma_protocol_* helpers                | core/rdma_cap.ts              |
 * | include/rdma/ib_mad.h, iba.h, ibta_vol1_c12.h       | core/ib_mad.h.ts              |
 * | drivers/infiniband/core/mad.c (QP1, MAD agents)     | core/mad.ts                   |
 * | drivers/infiniband/core/cm.c, include/rdma/ib_cm.h  | core/cm.ts                    |
 * | drivers/infiniband/core/cma.c, include/rdma/rdma_cm.h | core/cma.ts                 |
 * | drivers/infiniband/core/rw.c, include/rdma/rw.h    | core/rw.ts                    |
 * | drivers/infiniband/core/mr_pool.c                   | core/mr_pool.ts               |
 * | struct ethhdr, include/linux/etherdevice.h          | fabric/ether.ts               |
 * | struct iphdr, ip_fast_csum                          | fabric/ip.ts                  |
 * | struct udphdr, UDP tunnel (RoCEv2 port 4791)        | fabric/udp.ts                 |
 * | struct sk_buff (frame in scatter-gather form)       | fabric/frame.ts               |
 * | struct net_device, dev_queue_xmit, netif_receive_skb| fabric/netdev.ts              |
 * | neighbour table (ARP)                               | fabric/neighbour.ts           |
 * | the wire (emulator-only)                            | fabric/link.ts                |
 * | net/bridge (L2 forwarding)                          | fabric/switch.ts              |
 * | fault injection (emulator-only)                     | fabric/fault-plan.ts          |
 * | the fabric of hosts (emulator-only)                 | fabric/fabric.ts              |
 * | packet capture, libpcap format (tcpdump's role)     | fabric/pcap.ts                |
 * | drivers/infiniband/sw/rxe/rxe.c rxe_add             | sw/rxe/rxe.ts                 |
 *
 * The rxe provider's internals (engines, packet formats) stay private; a device is created with
 * `rxe_add(host.netdev, { dma: host.dma })` and used through the verbs API.
 *
 * @example Two hosts on a fabric, an rxe device on each
 * ```ts
 * const clock = new SimClock({ seed: 1 });
 * const fabric = createFabric(clock);
 * const a = fabric.addHost({ name: 'a', ip: '10.0.0.1' });
 * const dev = rxe_add(a.netdev, { dma: a.dma });
 * const pd = ib_alloc_pd(dev);
 * ```
 */

// core/ib_verbs.h.ts
export {
  type u64_api, rdma_node_type, rdma_transport_type, rdma_protocol_type, rdma_network_type, ib_gid_type,
  ROCE_V2_UDP_DPORT, rdma_link_layer, rdma_node_get_transport, ib_device_cap_flags, ib_kernel_cap_flags,
  ib_device_cap_has, ib_atomic_cap, ib_cq_creation_flags, ib_mtu, ib_mtu_enum_to_int, ib_mtu_int_to_enum,
  ib_port_state, ib_port_phys_state, ib_port_width, ib_port_speed, RDMA_CORE_CAP_IB_MAD, RDMA_CORE_CAP_IB_SMI,
  RDMA_CORE_CAP_IB_CM, RDMA_CORE_CAP_IW_CM, RDMA_CORE_CAP_IB_SA, RDMA_CORE_CAP_OPA_MAD, RDMA_CORE_CAP_AF_IB,
  RDMA_CORE_CAP_ETH_AH, RDMA_CORE_CAP_OPA_AH, RDMA_CORE_CAP_IB_GRH_REQUIRED, RDMA_CORE_CAP_PROT_IB,
  RDMA_CORE_CAP_PROT_ROCE, RDMA_CORE_CAP_PROT_IWARP, RDMA_CORE_CAP_PROT_ROCE_UDP_ENCAP,
  RDMA_CORE_CAP_PROT_RAW_PACKET, RDMA_CORE_CAP_PROT_USNIC, RDMA_CORE_PORT_IBA_IB, RDMA_CORE_PORT_IBA_ROCE,
  RDMA_CORE_PORT_IBA_ROCE_UDP_ENCAP, RDMA_CORE_PORT_IWARP, ib_event_type, type ib_event, type
  ib_event_handler_fn, type ib_gid, rdma_ip2gid, ipv6_addr_v4mapped, type ib_global_route, ib_ah_flags,
  rdma_ah_attr_type, type ib_ah_attr, type roce_ah_attr, type rdma_ah_attr, rdma_ah_attr_init, ib_mr_type,
  ib_access_flags, ib_wc_status, ib_wc_opcode, ib_wc_flags, type ib_cqe, type ib_wc, ib_wc_init,
  ib_cq_notify_flags, ib_poll_context, type ib_cq_init_attr, ib_srq_type, ib_srq_attr_mask, type ib_srq_attr,
  type ib_srq_init_attr, type ib_qp_cap, ib_sig_type, ib_qp_type, ib_qp_create_flags, type ib_qp_init_attr,
  ib_rnr_timeout, ib_qp_attr_mask, ib_qp_state, ib_mig_state, ib_mw_type, type ib_qp_attr, ib_wr_opcode,
  ib_send_flags, type ib_sge, type ib_send_wr, type ib_rdma_wr, type ib_atomic_wr, type ib_ud_wr, type
  ib_reg_wr, type ib_recv_wr, ib_wr_num_sge, type ib_device_attr, ib_device_attr_init, type ib_port_attr,
  ib_port_attr_init
} from './core/ib_verbs.h.js';

// core/device.ts
export {
  type ib_comp_handler, type ib_event_handler, INIT_IB_EVENT_HANDLER, type ib_port_immutable, type ib_uint_ptr,
  type ib_device_ops, type IbDeviceInit, ib_device, type ib_client, ib_register_device, ib_unregister_device,
  ib_register_client, ib_unregister_client, ib_set_client_data, ib_get_client_data, ib_device_get_by_name,
  ibRegisteredDevices, ib_device_get_netdev, ib_query_port, ib_query_device, ib_pd, ib_ah, ib_cq, ib_srq, ib_qp, ib_mr
} from './core/device.js';

// core/verbs.ts
export {
  ib_pd_flags, ib_alloc_pd, ib_dealloc_pd, rdma_create_ah, rdma_destroy_ah, ib_create_srq, ib_modify_srq,
  ib_query_srq, ib_destroy_srq, ib_post_srq_recv, ib_create_qp, ib_modify_qp, ib_query_qp, ib_destroy_qp,
  ib_post_send, ib_post_recv, ib_check_mr_access, ib_get_dma_mr, ib_alloc_mr, ib_dereg_mr, ib_map_mr_sg,
  ib_sg_to_pages, ibSgToSegments, ib_update_fast_reg_key, ib_inc_rkey, ib_drain_sq, ib_drain_rq, ib_drain_qp
} from './core/verbs.js';

// core/qp_state_table.ts
export {
  type qp_type_masks, type qp_state_transition, qp_state_table, ib_modify_qp_is_ok, ib_qp_state_name
} from './core/qp_state_table.js';

// core/cq.ts
export {
  IB_POLL_BATCH, IB_POLL_BATCH_DIRECT, IB_POLL_BUDGET_IRQ, IB_POLL_BUDGET_WORKQUEUE, IB_POLL_FLAGS, ib_poll_cq,
  ib_req_notify_cq, ib_process_cq_direct, ib_alloc_cq, ib_alloc_cq_any, ib_free_cq, ib_create_cq,
  ib_destroy_cq, fromCq
} from './core/cq.js';

// core/ib_dma.ts
export {
  ib_uses_virt_dma, ib_dma_mapping_error, ib_dma_map_single, ib_dma_unmap_single, ib_dma_map_page,
  ib_dma_unmap_page, ib_dma_map_bvec, ib_dma_unmap_bvec, ib_dma_map_bvecs, ib_dma_unmap_bvecs,
  ib_dma_map_sg_attrs, ib_dma_unmap_sg_attrs, ib_dma_map_sg, ib_dma_unmap_sg, ib_dma_map_sgtable_attrs,
  ib_dma_unmap_sgtable_attrs, ib_dma_sync_single_for_cpu, ib_dma_sync_single_for_device,
  ib_dma_sync_sg_for_cpu, ib_dma_sync_sg_for_device, ib_dma_max_seg_size, ib_sg_dma_address, ib_sg_dma_len
} from './core/ib_dma.js';

// core/events.ts
export {
  ib_register_event_handler, ib_unregister_event_handler, ib_dispatch_event, ibRaiseEvent, ibEvents$,
  qpEvents$, cqEvents$, srqEvents$, ibEventsComplete
} from './core/events.js';

// core/wc_status.ts
export {
  ib_wc_status_msg, ib_event_msg
} from './core/wc_status.js';

// core/rdma_cap.ts
export {
  rdma_start_port, rdma_end_port, rdma_is_port_valid, rdma_protocol_ib, rdma_protocol_roce,
  rdma_protocol_roce_udp_encap, rdma_protocol_roce_eth_encap, rdma_protocol_iwarp, rdma_ib_or_roce,
  rdma_protocol_raw_packet, rdma_protocol_usnic, rdma_cap_ib_mad, rdma_cap_ib_cm, rdma_cap_iw_cm,
  rdma_cap_ib_sa, rdma_cap_eth_ah, rdma_cap_read_multi_sge, rdma_cap_read_inv, rdma_port_get_link_layer,
  rdma_max_mad_size
} from './core/rdma_cap.js';

// core/rw.ts
export {
  RDMA_RW_SINGLE_WR, RDMA_RW_MULTI_WR, RDMA_RW_MR, RDMA_RW_SIG_MR, RDMA_RW_IOVA, type RdmaRwType, rdmaRwTypeName,
  rdmaRwParams, type RdmaRwDesign, RDMA_RW_DESIGNS, type RdmaRwInit, type rdma_rw_reg_ctx, rdma_rw_ctx,
  rdma_rw_can_use_mr, rdma_rw_io_needs_mr, rdma_rw_ctx_init, rdma_rw_ctx_init_bvec, rdma_rw_ctx_wrs, rdma_rw_ctx_post,
  rdma_rw_ctx_destroy, rdma_rw_ctx_destroy_bvec, rdma_rw_mr_factor, rdma_rw_max_send_wr, rdma_rw_init_qp,
  rdma_rw_init_mrs, rdma_rw_cleanup_mrs, type RdmaRwCounts, rdmaRwCtxCounts
} from './core/rw.js';

// core/mr_pool.ts
export {
  ib_mr_pool_get, ib_mr_pool_put, ib_mr_pool_init, ib_mr_pool_destroy
} from './core/mr_pool.js';

// core/ib_mad.h.ts
export {
  IB_MGMT_BASE_VERSION, OPA_MGMT_BASE_VERSION, ib_mgmt_class, IB_MGMT_CLASS_CM, IB_CM_CLASS_VERSION, ib_mgmt_method,
  IB_MGMT_METHOD_SEND, IB_MGMT_MAD_HDR, IB_MGMT_MAD_DATA, IB_MGMT_MAD_SIZE, IB_GRH_BYTES, IB_QP0, IB_QP1, IB_QP1_QKEY,
  IB_DEFAULT_PKEY_FULL, CM_REQ_ATTR_ID, CM_MRA_ATTR_ID, CM_REJ_ATTR_ID, CM_REP_ATTR_ID, CM_RTU_ATTR_ID, CM_DREQ_ATTR_ID,
  CM_DREP_ATTR_ID, CM_SIDR_REQ_ATTR_ID, CM_SIDR_REP_ATTR_ID, CM_LAP_ATTR_ID, CM_APR_ATTR_ID, cm_attr_id_name, type iba_field,
  IBA_GET, IBA_SET, IBA_GET64, IBA_SET64, IBA_GET_MEM_PTR, IBA_GET_MEM, IBA_SET_MEM, ib_mad_hdr_fields, type ib_mad_hdr,
  ib_mad_hdr_get, ib_mad_hdr_set, cm_msg_layouts, cm_format_mad_hdr
} from './core/ib_mad.h.js';

// core/mad.ts
export {
  IB_MAD_QP_SEND_SIZE, IB_MAD_QP_RECV_SIZE, IB_MAD_SEND_Q_PSN, type ib_mad_reg_req, type ib_mad_send_wc,
  type ib_mad_recv_buf, type ib_mad_recv_wc, type ib_mad_send_handler, type ib_mad_recv_handler, ib_mad_agent,
  ib_mad_send_state, ib_mad_send_buf, ib_mad_port_private, ib_mad_init, ib_mad_cleanup, ib_get_mad_port,
  ib_mad_port_open, ib_mad_port_close, ib_register_mad_agent, ib_unregister_mad_agent, ib_create_send_mad,
  ib_free_send_mad, ib_post_send_mad, ib_cancel_mad, ib_modify_mad, ib_init_ah_attr_from_wc, ib_create_ah_from_wc
} from './core/mad.js';

// core/cm.ts
export {
  ib_cm_state, ib_cm_state_name, ib_cm_lap_state, ib_cm_event_type, ib_cm_event_name, ib_cm_data_size,
  IB_CM_REQ_PRIVATE_DATA_SIZE, IB_CM_MRA_PRIVATE_DATA_SIZE, IB_CM_REJ_PRIVATE_DATA_SIZE, IB_CM_REP_PRIVATE_DATA_SIZE,
  IB_CM_RTU_PRIVATE_DATA_SIZE, IB_CM_DREQ_PRIVATE_DATA_SIZE, IB_CM_DREP_PRIVATE_DATA_SIZE, IB_CM_REJ_ARI_LENGTH,
  ib_cm_rej_reason, ibcm_reject_msg, cm_msg_response, IB_CM_MRA_FLAG_DELAY, IB_CMA_SERVICE_ID, IB_CMA_SERVICE_ID_MASK,
  IB_CM_ASSIGN_SERVICE_ID, IB_SERVICE_ID_AGN_MASK, IB_LID_PERMISSIVE, type sa_path_rec, type ib_cm_req_param,
  type ib_cm_rep_param, type ib_cm_req_event_param, type ib_cm_rep_event_param, type ib_cm_rej_event_param,
  type ib_cm_event, type ib_cm_handler, ib_cm_id, ib_cm_init, ib_cm_cleanup, cm_node_guid, cm_convert_to_ms,
  cm_ack_timeout, ib_create_cm_id, ib_destroy_cm_id, ib_cm_listen, cm_format_req, ib_send_cm_req, ib_send_cm_rej,
  ib_send_cm_rep, ib_send_cm_rtu, ib_send_cm_mra, ib_send_cm_dreq, ib_send_cm_drep, ib_cm_notify, ib_cm_init_qp_attr,
  ibCmIdCount, trace_icm_send_req, trace_icm_send_rep, trace_icm_send_rtu, trace_icm_send_mra, trace_icm_send_dreq,
  trace_icm_send_drep, trace_icm_send_dup_req, trace_icm_no_listener_err, trace_icm_send_rej, trace_icm_staleconn_err,
  trace_icm_mad_send_err
} from './core/cm.js';

// core/cma.ts
export {
  rdma_cm_event_type, rdma_event_msg, rdma_show_cm_event, rdma_ucm_port_space, RDMA_PS_TCP, RDMA_PS_UDP, RDMA_PS_IB,
  RDMA_PS_IPOIB, rdma_cm_state, AF_INET, type sockaddr_in, sockaddrIn, sockaddrToString, type rdma_conn_param,
  type rdma_cm_event, type rdma_cm_event_handler, type rdma_dev_addr, type rdma_addr, type rdma_route, type net,
  rdma_cm_id, CMA_CM_RESPONSE_TIMEOUT, CMA_MAX_CM_RETRIES, CMA_CM_MRA_SETTING, CMA_IBOE_PACKET_LIFETIME, CMA_VERSION,
  CMA_HDR_SIZE, CMA_ADDR_RESOLVE_DELAY_NS, cma_init, cma_cleanup, rdma_create_id, rdma_bind_addr, rdma_resolve_addr,
  iboe_get_mtu, rdma_resolve_route, rdma_get_service_id, cma_format_hdr, type cma_hdr, cma_parse_hdr, rdma_create_qp,
  rdma_destroy_qp, rdma_init_qp_attr, rdma_connect, rdma_listen, rdma_accept, rdma_reject, rdma_disconnect,
  rdma_destroy_id, cmaEvents$, rdma_is_consumer_reject, rdma_reject_msg, rdma_consumer_reject_data, rdmaCmState,
  rdmaCmIbId, trace_cm_send_rtu, trace_cm_send_rej, trace_cm_send_mra, trace_cm_disconnect, trace_cm_sent_drep,
  trace_cm_sent_dreq, trace_cm_id_destroy, trace_cm_send_req, trace_cm_send_rep, trace_cm_qp_destroy,
  trace_cm_id_attach, trace_cm_qp_create, trace_cm_req_handler, trace_cm_event_handler, trace_cm_event_done,
  trace_cm_add_one, trace_cm_remove_one
} from './core/cma.js';

// fabric/ether.ts
export {
  ETH_ALEN, ETH_HLEN, ETH_ZLEN, ETH_DATA_LEN, ETH_P_IP, ETH_P_ARP, ETH_P_IPV6, type ethhdr, eth_header,
  eth_hdr, eth_proto, macKey, BROADCAST_MAC_KEY, is_broadcast_ether_addr, is_multicast_ether_addr,
  ether_addr_equal, macFromString, macToString, macFromIpv4
} from './fabric/ether.js';

// fabric/ip.ts
export {
  IPVERSION, IP_DF, IP_MF, IP_OFFSET, IPPROTO_UDP, IPDEFTTL, IPV4_HLEN, type iphdr, type Ipv4HeaderInit,
  ip_fast_csum, ip_send_check, ip_header, ip_hdr, ip_daddr, ip_saddr, type Ipv4CheckResult, ipv4Check, in_aton,
  ipv4ToString, toIpv4
} from './fabric/ip.js';

// fabric/udp.ts
export {
  UDP_HLEN, ETH_IP_UDP_HLEN, type udphdr, udp_header, udp_hdr, type UdpTunnelInit, udpTunnelHeaders
} from './fabric/udp.js';

// fabric/frame.ts
export {
  type Frame, makeFrame, frameFromBytes, frameBytes, frameByte, frameSubarrays, frameCopyOut
} from './fabric/frame.js';

// fabric/netdev.ts
export {
  netdev_cmd, IFF_UP, IFF_BROADCAST, IFF_RUNNING, ETH_MIN_MTU, ETH_MAX_MTU, NETDEV_DEFAULT_MTU, type
  NetdevDropReason, NETDEV_DROP_REASONS, net_device_stats, type NetdevTxPort, type NetdevInit, net_device,
  dev_queue_xmit, netif_receive_skb, netif_running, netif_carrier_ok, netif_carrier_on, netif_carrier_off,
  dev_open, dev_close, dev_set_mtu
} from './fabric/netdev.js';

// fabric/neighbour.ts
export {
  neigh_table, neigh_lookup
} from './fabric/neighbour.js';

// fabric/link.ts
export {
  DEFAULT_LINK_LATENCY_NS, DEFAULT_LINK_BANDWIDTH_GBPS, type LinkEnd, netdevLinkEnd, type LinkDropReason, type
  LinkTapRecord, type LinkDirectionStats, type LinkInit, LinkDirection, Link, createLink
} from './fabric/link.js';

// fabric/switch.ts
export {
  type SwitchDropReason, SwitchPort, Switch, createSwitch
} from './fabric/switch.js';

// fabric/fault-plan.ts
export {
  type FaultKind, type FaultComponents, type ReorderInit, DEFAULT_REORDER_MAX_DELAY_NS, type FaultPlan, drop,
  duplicate, reorder, corruptFrame, corrupt, isEmptyFaultPlan, faultPlanOperator
} from './fabric/fault-plan.js';

// fabric/fabric.ts
export {
  type FabricInit, type FabricHostInit, type FabricHost, type FaultDirection, type FabricStats, type Fabric,
  createFabric
} from './fabric/fabric.js';

// fabric/pcap.ts
export {
  PCAP_MAGIC_USEC, PCAP_MAGIC_NSEC, LINKTYPE_ETHERNET, PCAP_SNAPLEN_DEFAULT, PCAP_FILE_HDR_LEN, PCAP_REC_HDR_LEN,
  PCAP_BUFFER_DEFAULT, type PcapTarget, type PcapTapInit, PcapWriter, type PcapTap, pcapTap, type PcapRecord,
  type PcapFile, pcapParse
} from './fabric/pcap.js';

// sw/rxe/rxe.ts
export { rxe_add, type RxeAddInit } from './sw/rxe/rxe.js';

// sw/rxe/rxe_param.h.ts
export { type RxeProfileName } from './sw/rxe/rxe_param.h.js';
