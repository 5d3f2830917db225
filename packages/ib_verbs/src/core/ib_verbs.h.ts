/**
 * ib_verbs.h - the verbs ABI: every enum and constant of the kernel verbs headers with the kernel's
 * names and numeric values, and the plain-object types of work requests, completions and
 * attributes that ULPs and providers exchange.
 *
 * Kernel: include/rdma/ib_verbs.h, include/uapi/rdma/ib_user_verbs.h (the IB_UVERBS_* values the
 * kernel enums are defined from), drivers/infiniband/core/verbs.c (ib_mtu helpers, ib_event_msg)
 *
 * Operation
 * ---------
 * Enums are TypeScript numeric enums whose members and values are the kernel's (snapshot: Linux
 * 6.x, where `ib_wr_opcode`/`ib_wc_opcode` follow the `IB_UVERBS_*` numbering, `IB_WR_REG_MR` is
 * the kernel-only 0x20 and `IB_WC_RECV` is `1 << 7` so `opcode & IB_WC_RECV` tests for a receive).
 * Flag enums are combined with `|` as in C; every flag used with `&`/`|` here fits in 31 bits
 * except the `ib_device_cap_flags` members >= 1 << 31, which are plain numbers to be tested with
 * `ib_device_cap_has()` (no JS bitwise op on values >= 2^31).
 *
 * Work requests are plain objects, flattened: the kernel's `rdma_wr(wr)` / `reg_wr(wr)` /
 * `atomic_wr(wr)` / `ud_wr(wr)` container_of becomes extra fields on the same object, so
 * `ib_rdma_wr extends ib_send_wr`. Completions (`ib_wc`) come from the one factory `ib_wc_init()`
 * that sets every field in one order (hot-path hidden-class rule).
 *
 * 64-bit values (`wr_id`, `remote_addr`, `compare_add`, `swap`, `ib_sge.addr`) accept
 * `number | bigint` at the API; providers convert once per WR at post time.
 */
import type { u8, u16, u32, u64_big } from '@rdmaemu/sim-core';
import type { ib_cq, ib_qp, ib_srq, ib_mr, ib_device, ib_ah } from './device.js';

/** A 64-bit API value: a number when it fits in 2^53, else a bigint. */
export type u64_api = number | bigint;

// ---------------------------------------------------------------------------------------------
// Node, transport, link layer

/** Kernel: include/rdma/ib_verbs.h enum rdma_node_type (IB values map to NodeInfo:NodeType). */
export enum rdma_node_type {
  RDMA_NODE_IB_CA = 1,
  RDMA_NODE_IB_SWITCH = 2,
  RDMA_NODE_IB_ROUTER = 3,
  RDMA_NODE_RNIC = 4,
  RDMA_NODE_USNIC = 5,
  RDMA_NODE_USNIC_UDP = 6,
  RDMA_NODE_UNSPECIFIED = 7,
}

/** Kernel: include/rdma/ib_verbs.h enum rdma_transport_type */
export enum rdma_transport_type {
  RDMA_TRANSPORT_IB = 0,
  RDMA_TRANSPORT_IWARP = 1,
  RDMA_TRANSPORT_USNIC = 2,
  RDMA_TRANSPORT_USNIC_UDP = 3,
  RDMA_TRANSPORT_UNSPECIFIED = 4,
}

/** Kernel: include/rdma/ib_verbs.h enum rdma_protocol_type */
export enum rdma_protocol_type {
  RDMA_PROTOCOL_IB = 0,
  RDMA_PROTOCOL_IBOE = 1,
  RDMA_PROTOCOL_IWARP = 2,
  RDMA_PROTOCOL_USNIC_UDP = 3,
}

/** Kernel: include/rdma/ib_verbs.h enum rdma_network_type */
export enum rdma_network_type {
  RDMA_NETWORK_IB = 0,
  RDMA_NETWORK_ROCE_V1 = 0,
  RDMA_NETWORK_IPV4 = 1,
  RDMA_NETWORK_IPV6 = 2,
}

/** Kernel: include/rdma/ib_verbs.h enum ib_gid_type */
export enum ib_gid_type {
  IB_GID_TYPE_IB = 0,
  IB_GID_TYPE_ROCE = 1,
  IB_GID_TYPE_ROCE_UDP_ENCAP = 2,
  IB_GID_TYPE_SIZE = 3,
}

/** Kernel: include/rdma/ib_verbs.h ROCE_V2_UDP_DPORT - the IANA RoCEv2 UDP port. */
export const ROCE_V2_UDP_DPORT = 4791;

/** Kernel: include/rdma/ib_verbs.h enum rdma_link_layer */
export enum rdma_link_layer {
  IB_LINK_LAYER_UNSPECIFIED = 0,
  IB_LINK_LAYER_INFINIBAND = 1,
  IB_LINK_LAYER_ETHERNET = 2,
}

/**
 * rdma_node_get_transport - the transport a node type implies.
 * Kernel: drivers/infiniband/core/verbs.c rdma_node_get_transport()
 */
export function rdma_node_get_transport(node_type: rdma_node_type): rdma_transport_type {
  if (node_type === rdma_node_type.RDMA_NODE_USNIC) return rdma_transport_type.RDMA_TRANSPORT_USNIC;
  if (node_type === rdma_node_type.RDMA_NODE_USNIC_UDP) return rdma_transport_type.RDMA_TRANSPORT_USNIC_UDP;
  if (node_type === rdma_node_type.RDMA_NODE_RNIC) return rdma_transport_type.RDMA_TRANSPORT_IWARP;
  if (node_type === rdma_node_type.RDMA_NODE_UNSPECIFIED) return rdma_transport_type.RDMA_TRANSPORT_UNSPECIFIED;
  return rdma_transport_type.RDMA_TRANSPORT_IB;
}

// ---------------------------------------------------------------------------------------------
// Device capabilities

/**
 * Kernel: include/rdma/ib_verbs.h enum ib_device_cap_flags (values from IB_UVERBS_DEVICE_*).
 * Members >= 1 << 31 are numbers above 2^31: test them with `ib_device_cap_has()`, never `&`.
 */
export enum ib_device_cap_flags {
  IB_DEVICE_RESIZE_MAX_WR = 1 << 0,
  IB_DEVICE_BAD_PKEY_CNTR = 1 << 1,
  IB_DEVICE_BAD_QKEY_CNTR = 1 << 2,
  IB_DEVICE_RAW_MULTI = 1 << 3,
  IB_DEVICE_AUTO_PATH_MIG = 1 << 4,
  IB_DEVICE_CHANGE_PHY_PORT = 1 << 5,
  IB_DEVICE_UD_AV_PORT_ENFORCE = 1 << 6,
  IB_DEVICE_CURR_QP_STATE_MOD = 1 << 7,
  IB_DEVICE_SHUTDOWN_PORT = 1 << 8,
  IB_DEVICE_PORT_ACTIVE_EVENT = 1 << 10,
  IB_DEVICE_SYS_IMAGE_GUID = 1 << 11,
  IB_DEVICE_RC_RNR_NAK_GEN = 1 << 12,
  IB_DEVICE_SRQ_RESIZE = 1 << 13,
  IB_DEVICE_N_NOTIFY_CQ = 1 << 14,
  IB_DEVICE_MEM_WINDOW = 1 << 17,
  IB_DEVICE_UD_IP_CSUM = 1 << 18,
  IB_DEVICE_XRC = 1 << 20,
  /** Base memory management extension: IB_WR_REG_MR, IB_WR_LOCAL_INV, IB_WR_SEND_WITH_INV (FRWR). */
  IB_DEVICE_MEM_MGT_EXTENSIONS = 1 << 21,
  IB_DEVICE_MEM_WINDOW_TYPE_2A = 1 << 23,
  IB_DEVICE_MEM_WINDOW_TYPE_2B = 1 << 24,
  IB_DEVICE_RC_IP_CSUM = 1 << 25,
  IB_DEVICE_RAW_IP_CSUM = 1 << 26,
  IB_DEVICE_MANAGED_FLOW_STEERING = 1 << 29,
  IB_DEVICE_RAW_SCATTER_FCS = 2 ** 34,
  IB_DEVICE_PCI_WRITE_END_PADDING = 2 ** 36,
  IB_DEVICE_FLUSH_GLOBAL = 2 ** 38,
  IB_DEVICE_FLUSH_PERSISTENT = 2 ** 39,
  IB_DEVICE_ATOMIC_WRITE = 2 ** 40,
}

/**
 * Kernel: include/rdma/ib_verbs.h enum ib_kernel_cap_flags - capabilities only kernel ULPs see
 * (`attrs.kernel_cap_flags`). Since Linux 6.0 `IB_DEVICE_LOCAL_DMA_LKEY` and
 * `IB_DEVICE_SG_GAPS_REG` live here as IBK_LOCAL_DMA_LKEY and IBK_SG_GAPS_REG.
 */
export enum ib_kernel_cap_flags {
  /** The device has a per-device lkey usable without registration (`device.local_dma_lkey`). */
  IBK_LOCAL_DMA_LKEY = 1 << 0,
  IBK_INTEGRITY_HANDOVER = 1 << 1,
  IBK_ON_DEMAND_PAGING = 1 << 2,
  /** IB_MR_TYPE_SG_GAPS MRs can register sg lists with gaps. */
  IBK_SG_GAPS_REG = 1 << 3,
  IBK_ALLOW_USER_UNREG = 1 << 4,
  IBK_BLOCK_MULTICAST_LOOPBACK = 1 << 5,
  IBK_UD_TSO = 1 << 6,
  IBK_VIRTUAL_FUNCTION = 1 << 7,
  IBK_RDMA_NETDEV_OPA = 1 << 8,
}

/**
 * ib_device_cap_has - emulator-only: `device_cap_flags & flag` for a u64 flag word, exact for
 * flags above bit 31 (JS `&` truncates to 32 bits).
 */
export function ib_device_cap_has(device_cap_flags: number, flag: number): boolean {
  return Math.floor(device_cap_flags / flag) % 2 === 1;
}

/** Kernel: include/rdma/ib_verbs.h enum ib_atomic_cap */
export enum ib_atomic_cap {
  IB_ATOMIC_NONE = 0,
  IB_ATOMIC_HCA = 1,
  IB_ATOMIC_GLOB = 2,
}

/** Kernel: include/rdma/ib_verbs.h enum ib_cq_creation_flags */
export enum ib_cq_creation_flags {
  IB_CQ_FLAGS_TIMESTAMP_COMPLETION = 1 << 0,
  IB_CQ_FLAGS_IGNORE_OVERRUN = 1 << 1,
}

// ---------------------------------------------------------------------------------------------
// Ports, MTU

/** Kernel: include/rdma/ib_verbs.h enum ib_mtu */
export enum ib_mtu {
  IB_MTU_256 = 1,
  IB_MTU_512 = 2,
  IB_MTU_1024 = 3,
  IB_MTU_2048 = 4,
  IB_MTU_4096 = 5,
}

/**
 * ib_mtu_enum_to_int - an ib_mtu as bytes, -1 for an invalid value.
 * Kernel: include/rdma/ib_verbs.h ib_mtu_enum_to_int()
 * @example
 * ```ts
 * ib_mtu_enum_to_int(ib_mtu.IB_MTU_4096); // 4096
 * ```
 */
export function ib_mtu_enum_to_int(mtu: ib_mtu): number {
  switch (mtu) {
    case ib_mtu.IB_MTU_256: return 256;
    case ib_mtu.IB_MTU_512: return 512;
    case ib_mtu.IB_MTU_1024: return 1024;
    case ib_mtu.IB_MTU_2048: return 2048;
    case ib_mtu.IB_MTU_4096: return 4096;
    default: return -1;
  }
}

/** ib_mtu_int_to_enum - the largest ib_mtu not above `mtu` bytes (IB_MTU_256 minimum). Kernel: include/rdma/ib_verbs.h */
export function ib_mtu_int_to_enum(mtu: number): ib_mtu {
  if (mtu >= 4096) return ib_mtu.IB_MTU_4096;
  if (mtu >= 2048) return ib_mtu.IB_MTU_2048;
  if (mtu >= 1024) return ib_mtu.IB_MTU_1024;
  if (mtu >= 512) return ib_mtu.IB_MTU_512;
  return ib_mtu.IB_MTU_256;
}

/** Kernel: include/rdma/ib_verbs.h enum ib_port_state */
export enum ib_port_state {
  IB_PORT_NOP = 0,
  IB_PORT_DOWN = 1,
  IB_PORT_INIT = 2,
  IB_PORT_ARMED = 3,
  IB_PORT_ACTIVE = 4,
  IB_PORT_ACTIVE_DEFER = 5,
}

/** Kernel: include/rdma/ib_verbs.h enum ib_port_phys_state */
export enum ib_port_phys_state {
  IB_PORT_PHYS_STATE_SLEEP = 1,
  IB_PORT_PHYS_STATE_POLLING = 2,
  IB_PORT_PHYS_STATE_DISABLED = 3,
  IB_PORT_PHYS_STATE_PORT_CONFIGURATION_TRAINING = 4,
  IB_PORT_PHYS_STATE_LINK_UP = 5,
  IB_PORT_PHYS_STATE_LINK_ERROR_RECOVERY = 6,
  IB_PORT_PHYS_STATE_PHY_TEST = 7,
}

/** Kernel: include/rdma/ib_verbs.h enum ib_port_width */
export enum ib_port_width {
  IB_WIDTH_1X = 1,
  IB_WIDTH_2X = 16,
  IB_WIDTH_4X = 2,
  IB_WIDTH_8X = 4,
  IB_WIDTH_12X = 8,
}

/** Kernel: include/rdma/ib_verbs.h enum ib_port_speed */
export enum ib_port_speed {
  IB_SPEED_SDR = 1,
  IB_SPEED_DDR = 2,
  IB_SPEED_QDR = 4,
  IB_SPEED_FDR10 = 8,
  IB_SPEED_FDR = 16,
  IB_SPEED_EDR = 32,
  IB_SPEED_HDR = 64,
  IB_SPEED_NDR = 128,
  IB_SPEED_XDR = 256,
}

/** Kernel: include/rdma/ib_verbs.h RDMA_CORE_CAP_* (port_immutable.core_cap_flags) */
export const RDMA_CORE_CAP_IB_MAD = 0x00000001;
export const RDMA_CORE_CAP_IB_SMI = 0x00000002;
export const RDMA_CORE_CAP_IB_CM = 0x00000004;
export const RDMA_CORE_CAP_IW_CM = 0x00000008;
export const RDMA_CORE_CAP_IB_SA = 0x00000010;
export const RDMA_CORE_CAP_OPA_MAD = 0x00000020;
export const RDMA_CORE_CAP_AF_IB = 0x00001000;
export const RDMA_CORE_CAP_ETH_AH = 0x00002000;
export const RDMA_CORE_CAP_OPA_AH = 0x00004000;
export const RDMA_CORE_CAP_IB_GRH_REQUIRED = 0x00008000;
export const RDMA_CORE_CAP_PROT_IB = 0x00100000;
export const RDMA_CORE_CAP_PROT_ROCE = 0x00200000;
export const RDMA_CORE_CAP_PROT_IWARP = 0x00400000;
export const RDMA_CORE_CAP_PROT_ROCE_UDP_ENCAP = 0x00800000;
export const RDMA_CORE_CAP_PROT_RAW_PACKET = 0x01000000;
export const RDMA_CORE_CAP_PROT_USNIC = 0x02000000;
/** Kernel: RDMA_CORE_PORT_IBA_IB */
export const RDMA_CORE_PORT_IBA_IB =
  RDMA_CORE_CAP_PROT_IB | RDMA_CORE_CAP_IB_MAD | RDMA_CORE_CAP_IB_SMI | RDMA_CORE_CAP_IB_CM | RDMA_CORE_CAP_IB_SA | RDMA_CORE_CAP_AF_IB;
/** Kernel: RDMA_CORE_PORT_IBA_ROCE */
export const RDMA_CORE_PORT_IBA_ROCE =
  RDMA_CORE_CAP_PROT_ROCE | RDMA_CORE_CAP_IB_MAD | RDMA_CORE_CAP_IB_CM | RDMA_CORE_CAP_AF_IB | RDMA_CORE_CAP_ETH_AH;
/** Kernel: RDMA_CORE_PORT_IBA_ROCE_UDP_ENCAP - what rxe's port reports (RoCEv2). */
export const RDMA_CORE_PORT_IBA_ROCE_UDP_ENCAP =
  RDMA_CORE_CAP_PROT_ROCE_UDP_ENCAP | RDMA_CORE_CAP_IB_MAD | RDMA_CORE_CAP_IB_CM | RDMA_CORE_CAP_AF_IB | RDMA_CORE_CAP_ETH_AH;
/** Kernel: RDMA_CORE_PORT_IWARP */
export const RDMA_CORE_PORT_IWARP = RDMA_CORE_CAP_PROT_IWARP | RDMA_CORE_CAP_IW_CM;

// ---------------------------------------------------------------------------------------------
// Async events

/** Kernel: include/rdma/ib_verbs.h enum ib_event_type */
export enum ib_event_type {
  IB_EVENT_CQ_ERR = 0,
  IB_EVENT_QP_FATAL = 1,
  IB_EVENT_QP_REQ_ERR = 2,
  IB_EVENT_QP_ACCESS_ERR = 3,
  IB_EVENT_COMM_EST = 4,
  IB_EVENT_SQ_DRAINED = 5,
  IB_EVENT_PATH_MIG = 6,
  IB_EVENT_PATH_MIG_ERR = 7,
  IB_EVENT_DEVICE_FATAL = 8,
  IB_EVENT_PORT_ACTIVE = 9,
  IB_EVENT_PORT_ERR = 10,
  IB_EVENT_LID_CHANGE = 11,
  IB_EVENT_PKEY_CHANGE = 12,
  IB_EVENT_SM_CHANGE = 13,
  IB_EVENT_SRQ_ERR = 14,
  IB_EVENT_SRQ_LIMIT_REACHED = 15,
  IB_EVENT_QP_LAST_WQE_REACHED = 16,
  IB_EVENT_CLIENT_REREGISTER = 17,
  IB_EVENT_GID_CHANGE = 18,
  IB_EVENT_WQ_FATAL = 19,
}

/**
 * ib_event - an asynchronous event. The kernel's `element` union becomes an object with the one
 * member that applies (cq, qp, srq or port_num).
 * Kernel: include/rdma/ib_verbs.h struct ib_event
 */
export interface ib_event {
  device: ib_device;
  element: { cq?: ib_cq; qp?: ib_qp; srq?: ib_srq; port_num?: u32 };
  event: ib_event_type;
}

/** The QP/CQ/SRQ `event_handler` signature. Kernel: `void (*event_handler)(struct ib_event *, void *)` */
export type ib_event_handler_fn = (event: ib_event, context: unknown) => void;

// ---------------------------------------------------------------------------------------------
// Address handles, GIDs

/** Kernel: include/rdma/ib_verbs.h union ib_gid (raw: 16 bytes, network order). */
export interface ib_gid {
  raw: Uint8Array;
}

/**
 * ipv6_addr_set_v4mapped - the IPv4-mapped IPv6 address ::ffff:a.b.c.d as a GID, which RoCEv2
 * uses for an IPv4 peer (rdma_ip2gid()).
 * Kernel: include/net/ipv6.h ipv6_addr_set_v4mapped(), drivers/infiniband/core/addr.c rdma_ip2gid()
 * @param ip IPv4 address as a u32 (host order value, e.g. 0x0a000001) or a dotted string
 * @example
 * ```ts
 * rdma_ip2gid('10.0.0.1').raw; // 00..00 ff ff 0a 00 00 01
 * ```
 */
export function rdma_ip2gid(ip: number | string): ib_gid {
  const raw = new Uint8Array(16);
  raw[10] = 0xff;
  raw[11] = 0xff;
  if (typeof ip === 'string') {
    const parts = ip.split('.').map((p) => Number(p));
    for (let i = 0; i < 4; i++) raw[12 + i] = (parts[i] ?? 0) & 0xff;
  } else {
    const v = ip >>> 0;
    raw[12] = Math.floor(v / 0x1000000) & 0xff;
    raw[13] = (v >>> 16) & 0xff;
    raw[14] = (v >>> 8) & 0xff;
    raw[15] = v & 0xff;
  }
  return { raw };
}

/** ipv6_addr_v4mapped - true when the GID is ::ffff:a.b.c.d. Kernel: include/net/ipv6.h */
export function ipv6_addr_v4mapped(gid: ib_gid): boolean {
  for (let i = 0; i < 10; i++) if (gid.raw[i] !== 0) return false;
  return gid.raw[10] === 0xff && gid.raw[11] === 0xff;
}

/** Kernel: include/rdma/ib_verbs.h struct ib_global_route */
export interface ib_global_route {
  dgid: ib_gid;
  flow_label: u32;
  sgid_index: u8;
  hop_limit: u8;
  traffic_class: u8;
}

/** Kernel: include/rdma/ib_verbs.h enum ib_ah_flags */
export enum ib_ah_flags {
  IB_AH_GRH = 1,
}

/** Kernel: include/rdma/ib_verbs.h enum rdma_ah_attr_type */
export enum rdma_ah_attr_type {
  RDMA_AH_ATTR_TYPE_UNDEFINED = 0,
  RDMA_AH_ATTR_TYPE_IB = 1,
  RDMA_AH_ATTR_TYPE_ROCE = 2,
  RDMA_AH_ATTR_TYPE_OPA = 3,
}

/** Kernel: include/rdma/ib_verbs.h struct ib_ah_attr (the IB-specific part of rdma_ah_attr) */
export interface ib_ah_attr {
  dlid: u16;
  src_path_bits: u8;
}

/** Kernel: include/rdma/ib_verbs.h struct roce_ah_attr */
export interface roce_ah_attr {
  /** Destination MAC (6 bytes), from neighbour resolution. */
  dmac: Uint8Array;
}

/**
 * rdma_ah_attr - an address vector. For RoCEv2 (`type` RDMA_AH_ATTR_TYPE_ROCE) the GRH is
 * required: `grh.dgid` is the peer's IPv4-mapped GID (`rdma_ip2gid(peer_ip)`) and `roce.dmac` the
 * peer's MAC; `ah_flags` has IB_AH_GRH.
 * Kernel: include/rdma/ib_verbs.h struct rdma_ah_attr
 */
export interface rdma_ah_attr {
  grh: ib_global_route;
  sl: u8;
  static_rate: u8;
  port_num: u32;
  ah_flags: u8;
  type: rdma_ah_attr_type;
  ib?: ib_ah_attr;
  roce?: roce_ah_attr;
}

/**
 * rdma_ah_attr_init - emulator-only: a RoCE address vector to an IPv4 peer (GRH + dmac).
 * @example
 * ```ts
 * const av = rdma_ah_attr_init({ dgid: rdma_ip2gid('10.0.0.2'), dmac: new Uint8Array(6) });
 * ```
 */
export function rdma_ah_attr_init(init: { dgid: ib_gid; dmac: Uint8Array; port_num?: u32; sgid_index?: u8; hop_limit?: u8; traffic_class?: u8; flow_label?: u32; sl?: u8 }): rdma_ah_attr {
  return {
    grh: {
      dgid: init.dgid,
      flow_label: init.flow_label ?? 0,
      sgid_index: init.sgid_index ?? 0,
      hop_limit: init.hop_limit ?? 64,
      traffic_class: init.traffic_class ?? 0,
    },
    sl: init.sl ?? 0,
    static_rate: 0,
    port_num: init.port_num ?? 1,
    ah_flags: ib_ah_flags.IB_AH_GRH,
    type: rdma_ah_attr_type.RDMA_AH_ATTR_TYPE_ROCE,
    roce: { dmac: init.dmac },
  };
}

// ---------------------------------------------------------------------------------------------
// Memory regions

/** Kernel: include/rdma/ib_verbs.h enum ib_mr_type */
export enum ib_mr_type {
  IB_MR_TYPE_MEM_REG = 0,
  IB_MR_TYPE_SG_GAPS = 1,
  IB_MR_TYPE_DM = 2,
  IB_MR_TYPE_USER = 3,
  IB_MR_TYPE_DMA = 4,
  IB_MR_TYPE_INTEGRITY = 5,
}

/** Kernel: include/rdma/ib_verbs.h enum ib_access_flags */
export enum ib_access_flags {
  IB_ACCESS_LOCAL_WRITE = 1 << 0,
  IB_ACCESS_REMOTE_WRITE = 1 << 1,
  IB_ACCESS_REMOTE_READ = 1 << 2,
  IB_ACCESS_REMOTE_ATOMIC = 1 << 3,
  IB_ACCESS_MW_BIND = 1 << 4,
  IB_ZERO_BASED = 1 << 5,
  IB_ACCESS_ON_DEMAND = 1 << 6,
  IB_ACCESS_HUGETLB = 1 << 7,
  IB_ACCESS_FLUSH_GLOBAL = 1 << 8,
  IB_ACCESS_FLUSH_PERSISTENT = 1 << 9,
  IB_ACCESS_RELAXED_ORDERING = 1 << 20,
  /** IB_UVERBS_ACCESS_OPTIONAL_RANGE: bits 20..28 */
  IB_ACCESS_OPTIONAL = ((1 << 29) - 1) & ~((1 << 20) - 1),
  IB_ACCESS_SUPPORTED = ((1 << 10) - 1) | (((1 << 29) - 1) & ~((1 << 20) - 1)),
}

// ---------------------------------------------------------------------------------------------
// Work completions

/** Kernel: include/rdma/ib_verbs.h enum ib_wc_status */
export enum ib_wc_status {
  IB_WC_SUCCESS = 0,
  IB_WC_LOC_LEN_ERR = 1,
  IB_WC_LOC_QP_OP_ERR = 2,
  IB_WC_LOC_EEC_OP_ERR = 3,
  IB_WC_LOC_PROT_ERR = 4,
  IB_WC_WR_FLUSH_ERR = 5,
  IB_WC_MW_BIND_ERR = 6,
  IB_WC_BAD_RESP_ERR = 7,
  IB_WC_LOC_ACCESS_ERR = 8,
  IB_WC_REM_INV_REQ_ERR = 9,
  IB_WC_REM_ACCESS_ERR = 10,
  IB_WC_REM_OP_ERR = 11,
  IB_WC_RETRY_EXC_ERR = 12,
  IB_WC_RNR_RETRY_EXC_ERR = 13,
  IB_WC_LOC_RDD_VIOL_ERR = 14,
  IB_WC_REM_INV_RD_REQ_ERR = 15,
  IB_WC_REM_ABORT_ERR = 16,
  IB_WC_INV_EECN_ERR = 17,
  IB_WC_INV_EEC_STATE_ERR = 18,
  IB_WC_FATAL_ERR = 19,
  IB_WC_RESP_TIMEOUT_ERR = 20,
  IB_WC_GENERAL_ERR = 21,
}

/**
 * Kernel: include/rdma/ib_verbs.h enum ib_wc_opcode (values from IB_UVERBS_WC_*: TSO 7, FLUSH 8,
 * ATOMIC_WRITE 9; REG_MR.. follow ATOMIC_WRITE). `opcode & IB_WC_RECV` tests for a receive.
 */
export enum ib_wc_opcode {
  IB_WC_SEND = 0,
  IB_WC_RDMA_WRITE = 1,
  IB_WC_RDMA_READ = 2,
  IB_WC_COMP_SWAP = 3,
  IB_WC_FETCH_ADD = 4,
  IB_WC_BIND_MW = 5,
  IB_WC_LOCAL_INV = 6,
  IB_WC_LSO = 7,
  IB_WC_FLUSH = 8,
  IB_WC_ATOMIC_WRITE = 9,
  IB_WC_REG_MR = 10,
  IB_WC_MASKED_COMP_SWAP = 11,
  IB_WC_MASKED_FETCH_ADD = 12,
  IB_WC_RECV = 1 << 7,
  IB_WC_RECV_RDMA_WITH_IMM = (1 << 7) + 1,
}

/** Kernel: include/rdma/ib_verbs.h enum ib_wc_flags */
export enum ib_wc_flags {
  IB_WC_GRH = 1 << 0,
  IB_WC_WITH_IMM = 1 << 1,
  IB_WC_WITH_INVALIDATE = 1 << 2,
  IB_WC_IP_CSUM_OK = 1 << 3,
  IB_WC_WITH_SMAC = 1 << 4,
  IB_WC_WITH_VLAN = 1 << 5,
  IB_WC_WITH_NETWORK_HDR_TYPE = 1 << 6,
}

/**
 * ib_cqe - the completion callback a WR carries instead of a wr_id (kernel ULP style).
 * Kernel: include/rdma/ib_verbs.h struct ib_cqe
 */
export interface ib_cqe {
  done(cq: ib_cq, wc: ib_wc): void;
}

/**
 * ib_wc - a work completion. For non-SUCCESS completions only `wr_id`/`wr_cqe`, `status` and
 * `qp` are reliable (IBA 11.4.2.1). `ex.imm_data` is the __be32 as a u32 number (valid with
 * IB_WC_WITH_IMM), `ex.invalidate_rkey` valid with IB_WC_WITH_INVALIDATE.
 * Kernel: include/rdma/ib_verbs.h struct ib_wc
 * Divergence: the kernel's wr_id/wr_cqe union is two fields; a provider copies both from the WR.
 */
export interface ib_wc {
  wr_id: u64_api;
  wr_cqe: ib_cqe | null;
  status: ib_wc_status;
  opcode: ib_wc_opcode;
  vendor_err: u32;
  byte_len: u32;
  qp: ib_qp | null;
  ex: { imm_data: u32; invalidate_rkey: u32 };
  src_qp: u32;
  wc_flags: number;
  pkey_index: u16;
  slid: u16;
  sl: u8;
  dlid_path_bits: u8;
  port_num: u32;
  smac: Uint8Array | null;
  vlan_id: u16;
  network_hdr_type: u8;
}

/**
 * ib_wc_init - emulator-only: the one factory for `ib_wc`; sets every field in one order so all
 * completions share one hidden class. Unset fields are 0 / null.
 * @example
 * ```ts
 * const wc = ib_wc_init({ wr_id: 7, status: ib_wc_status.IB_WC_WR_FLUSH_ERR });
 * ```
 */
export function ib_wc_init(init?: Partial<Omit<ib_wc, 'ex'>> & { ex?: Partial<ib_wc['ex']> }): ib_wc {
  return {
    wr_id: init?.wr_id ?? 0,
    wr_cqe: init?.wr_cqe ?? null,
    status: init?.status ?? ib_wc_status.IB_WC_SUCCESS,
    opcode: init?.opcode ?? ib_wc_opcode.IB_WC_SEND,
    vendor_err: init?.vendor_err ?? 0,
    byte_len: init?.byte_len ?? 0,
    qp: init?.qp ?? null,
    ex: { imm_data: init?.ex?.imm_data ?? 0, invalidate_rkey: init?.ex?.invalidate_rkey ?? 0 },
    src_qp: init?.src_qp ?? 0,
    wc_flags: init?.wc_flags ?? 0,
    pkey_index: init?.pkey_index ?? 0,
    slid: init?.slid ?? 0,
    sl: init?.sl ?? 0,
    dlid_path_bits: init?.dlid_path_bits ?? 0,
    port_num: init?.port_num ?? 0,
    smac: init?.smac ?? null,
    vlan_id: init?.vlan_id ?? 0,
    network_hdr_type: init?.network_hdr_type ?? 0,
  };
}

/** Kernel: include/rdma/ib_verbs.h enum ib_cq_notify_flags */
export enum ib_cq_notify_flags {
  IB_CQ_SOLICITED = 1 << 0,
  IB_CQ_NEXT_COMP = 1 << 1,
  IB_CQ_SOLICITED_MASK = (1 << 0) | (1 << 1),
  IB_CQ_REPORT_MISSED_EVENTS = 1 << 2,
}

/**
 * Kernel: include/rdma/ib_verbs.h enum ib_poll_context - how completions are processed:
 * SOFTIRQ/WORKQUEUE/UNBOUND_WORKQUEUE run a poll task (cq.c) that calls `wc.wr_cqe.done()`;
 * DIRECT means the ULP polls itself (`ib_poll_cq`, `ib_process_cq_direct`).
 */
export enum ib_poll_context {
  IB_POLL_SOFTIRQ = 0,
  IB_POLL_WORKQUEUE = 1,
  IB_POLL_UNBOUND_WORKQUEUE = 2,
  IB_POLL_LAST_POOL_TYPE = 2,
  IB_POLL_DIRECT = 3,
}

/** Kernel: include/rdma/ib_verbs.h struct ib_cq_init_attr */
export interface ib_cq_init_attr {
  cqe: u32;
  comp_vector: u32;
  flags: u32;
}

// ---------------------------------------------------------------------------------------------
// SRQ

/** Kernel: include/rdma/ib_verbs.h enum ib_srq_type */
export enum ib_srq_type {
  IB_SRQT_BASIC = 0,
  IB_SRQT_XRC = 1,
  IB_SRQT_TM = 2,
}

/** Kernel: include/rdma/ib_verbs.h enum ib_srq_attr_mask */
export enum ib_srq_attr_mask {
  IB_SRQ_MAX_WR = 1 << 0,
  IB_SRQ_LIMIT = 1 << 1,
}

/** Kernel: include/rdma/ib_verbs.h struct ib_srq_attr */
export interface ib_srq_attr {
  max_wr: u32;
  max_sge: u32;
  srq_limit: u32;
}

/** Kernel: include/rdma/ib_verbs.h struct ib_srq_init_attr */
export interface ib_srq_init_attr {
  event_handler?: ib_event_handler_fn | null;
  srq_context?: unknown;
  attr: ib_srq_attr;
  srq_type?: ib_srq_type;
  ext?: { cq?: ib_cq | null };
}

// ---------------------------------------------------------------------------------------------
// QP

/** Kernel: include/rdma/ib_verbs.h struct ib_qp_cap */
export interface ib_qp_cap {
  max_send_wr: u32;
  max_recv_wr: u32;
  max_send_sge: u32;
  max_recv_sge: u32;
  max_inline_data: u32;
  /** Max rdma_rw_ctx in flight; ib_create_qp sizes the SQ and MR pool from it (rw.c). */
  max_rdma_ctxs?: u32;
}

/** Kernel: include/rdma/ib_verbs.h enum ib_sig_type */
export enum ib_sig_type {
  IB_SIGNAL_ALL_WR = 0,
  IB_SIGNAL_REQ_WR = 1,
}

/** Kernel: include/rdma/ib_verbs.h enum ib_qp_type */
export enum ib_qp_type {
  IB_QPT_SMI = 0,
  IB_QPT_GSI = 1,
  IB_QPT_RC = 2,
  IB_QPT_UC = 3,
  IB_QPT_UD = 4,
  IB_QPT_RAW_IPV6 = 5,
  IB_QPT_RAW_ETHERTYPE = 6,
  IB_QPT_RAW_PACKET = 8,
  IB_QPT_XRC_INI = 9,
  IB_QPT_XRC_TGT = 10,
  IB_QPT_MAX = 11,
  IB_QPT_DRIVER = 0xff,
}

/** Kernel: include/rdma/ib_verbs.h enum ib_qp_create_flags */
export enum ib_qp_create_flags {
  IB_QP_CREATE_IPOIB_UD_LSO = 1 << 0,
  IB_QP_CREATE_BLOCK_MULTICAST_LOOPBACK = 1 << 1,
  IB_QP_CREATE_CROSS_CHANNEL = 1 << 2,
  IB_QP_CREATE_MANAGED_SEND = 1 << 3,
  IB_QP_CREATE_MANAGED_RECV = 1 << 4,
  IB_QP_CREATE_NETIF_QP = 1 << 5,
  IB_QP_CREATE_INTEGRITY_EN = 1 << 6,
  IB_QP_CREATE_NETDEV_USE = 1 << 7,
  IB_QP_CREATE_SCATTER_FCS = 1 << 8,
  IB_QP_CREATE_CVLAN_STRIPPING = 1 << 9,
  IB_QP_CREATE_SOURCE_QPN = 1 << 10,
  IB_QP_CREATE_PCI_WRITE_END_PADDING = 1 << 11,
}

/** Kernel: include/rdma/ib_verbs.h struct ib_qp_init_attr */
export interface ib_qp_init_attr {
  event_handler?: ib_event_handler_fn | null;
  qp_context?: unknown;
  send_cq: ib_cq | null;
  recv_cq: ib_cq | null;
  srq?: ib_srq | null;
  cap: ib_qp_cap;
  sq_sig_type: ib_sig_type;
  qp_type: ib_qp_type;
  create_flags?: number;
  /** Only needed for special QP types, or when using the RW API. */
  port_num?: u32;
  source_qpn?: u32;
}

/** Kernel: include/rdma/ib_verbs.h enum ib_rnr_timeout (IBA Table 45; value -> ms in the name) */
export enum ib_rnr_timeout {
  IB_RNR_TIMER_655_36 = 0,
  IB_RNR_TIMER_000_01 = 1,
  IB_RNR_TIMER_000_02 = 2,
  IB_RNR_TIMER_000_03 = 3,
  IB_RNR_TIMER_000_04 = 4,
  IB_RNR_TIMER_000_06 = 5,
  IB_RNR_TIMER_000_08 = 6,
  IB_RNR_TIMER_000_12 = 7,
  IB_RNR_TIMER_000_16 = 8,
  IB_RNR_TIMER_000_24 = 9,
  IB_RNR_TIMER_000_32 = 10,
  IB_RNR_TIMER_000_48 = 11,
  IB_RNR_TIMER_000_64 = 12,
  IB_RNR_TIMER_000_96 = 13,
  IB_RNR_TIMER_001_28 = 14,
  IB_RNR_TIMER_001_92 = 15,
  IB_RNR_TIMER_002_56 = 16,
  IB_RNR_TIMER_003_84 = 17,
  IB_RNR_TIMER_005_12 = 18,
  IB_RNR_TIMER_007_68 = 19,
  IB_RNR_TIMER_010_24 = 20,
  IB_RNR_TIMER_015_36 = 21,
  IB_RNR_TIMER_020_48 = 22,
  IB_RNR_TIMER_030_72 = 23,
  IB_RNR_TIMER_040_96 = 24,
  IB_RNR_TIMER_061_44 = 25,
  IB_RNR_TIMER_081_92 = 26,
  IB_RNR_TIMER_122_88 = 27,
  IB_RNR_TIMER_163_84 = 28,
  IB_RNR_TIMER_245_76 = 29,
  IB_RNR_TIMER_327_68 = 30,
  IB_RNR_TIMER_491_52 = 31,
}

/** Kernel: include/rdma/ib_verbs.h enum ib_qp_attr_mask */
export enum ib_qp_attr_mask {
  IB_QP_STATE = 1 << 0,
  IB_QP_CUR_STATE = 1 << 1,
  IB_QP_EN_SQD_ASYNC_NOTIFY = 1 << 2,
  IB_QP_ACCESS_FLAGS = 1 << 3,
  IB_QP_PKEY_INDEX = 1 << 4,
  IB_QP_PORT = 1 << 5,
  IB_QP_QKEY = 1 << 6,
  IB_QP_AV = 1 << 7,
  IB_QP_PATH_MTU = 1 << 8,
  IB_QP_TIMEOUT = 1 << 9,
  IB_QP_RETRY_CNT = 1 << 10,
  IB_QP_RNR_RETRY = 1 << 11,
  IB_QP_RQ_PSN = 1 << 12,
  IB_QP_MAX_QP_RD_ATOMIC = 1 << 13,
  IB_QP_ALT_PATH = 1 << 14,
  IB_QP_MIN_RNR_TIMER = 1 << 15,
  IB_QP_SQ_PSN = 1 << 16,
  IB_QP_MAX_DEST_RD_ATOMIC = 1 << 17,
  IB_QP_PATH_MIG_STATE = 1 << 18,
  IB_QP_CAP = 1 << 19,
  IB_QP_DEST_QPN = 1 << 20,
  IB_QP_RESERVED1 = 1 << 21,
  IB_QP_RESERVED2 = 1 << 22,
  IB_QP_RESERVED3 = 1 << 23,
  IB_QP_RESERVED4 = 1 << 24,
  IB_QP_RATE_LIMIT = 1 << 25,
}

/** Kernel: include/rdma/ib_verbs.h enum ib_qp_state */
export enum ib_qp_state {
  IB_QPS_RESET = 0,
  IB_QPS_INIT = 1,
  IB_QPS_RTR = 2,
  IB_QPS_RTS = 3,
  IB_QPS_SQD = 4,
  IB_QPS_SQE = 5,
  IB_QPS_ERR = 6,
}

/** Kernel: include/rdma/ib_verbs.h enum ib_mig_state */
export enum ib_mig_state {
  IB_MIG_MIGRATED = 0,
  IB_MIG_REARM = 1,
  IB_MIG_ARMED = 2,
}

/** Kernel: include/rdma/ib_verbs.h enum ib_mw_type */
export enum ib_mw_type {
  IB_MW_TYPE_1 = 1,
  IB_MW_TYPE_2 = 2,
}

/**
 * ib_qp_attr - QP attributes for ib_modify_qp/ib_query_qp; only the fields named in the mask
 * are read. All fields are optional in TS (C leaves unread fields as garbage/zero).
 * Kernel: include/rdma/ib_verbs.h struct ib_qp_attr
 */
export interface ib_qp_attr {
  qp_state?: ib_qp_state;
  cur_qp_state?: ib_qp_state;
  path_mtu?: ib_mtu;
  path_mig_state?: ib_mig_state;
  qkey?: u32;
  rq_psn?: u32;
  sq_psn?: u32;
  dest_qp_num?: u32;
  qp_access_flags?: number;
  cap?: ib_qp_cap;
  ah_attr?: rdma_ah_attr;
  alt_ah_attr?: rdma_ah_attr;
  pkey_index?: u16;
  alt_pkey_index?: u16;
  en_sqd_async_notify?: u8;
  sq_draining?: u8;
  max_rd_atomic?: u8;
  max_dest_rd_atomic?: u8;
  min_rnr_timer?: u8;
  port_num?: u32;
  timeout?: u8;
  retry_cnt?: u8;
  rnr_retry?: u8;
  alt_port_num?: u32;
  alt_timeout?: u8;
  rate_limit?: u32;
}

// ---------------------------------------------------------------------------------------------
// Work requests

/**
 * Kernel: include/rdma/ib_verbs.h enum ib_wr_opcode (values from IB_UVERBS_WR_*; REG_MR and
 * REG_MR_INTEGRITY are kernel-only, 0xf0.. reserved for drivers).
 */
export enum ib_wr_opcode {
  IB_WR_RDMA_WRITE = 0,
  IB_WR_RDMA_WRITE_WITH_IMM = 1,
  IB_WR_SEND = 2,
  IB_WR_SEND_WITH_IMM = 3,
  IB_WR_RDMA_READ = 4,
  IB_WR_ATOMIC_CMP_AND_SWP = 5,
  IB_WR_ATOMIC_FETCH_AND_ADD = 6,
  IB_WR_LOCAL_INV = 7,
  IB_WR_BIND_MW = 8,
  IB_WR_SEND_WITH_INV = 9,
  IB_WR_LSO = 10,
  IB_WR_RDMA_READ_WITH_INV = 11,
  IB_WR_MASKED_ATOMIC_CMP_AND_SWP = 12,
  IB_WR_MASKED_ATOMIC_FETCH_AND_ADD = 13,
  IB_WR_FLUSH = 14,
  IB_WR_ATOMIC_WRITE = 15,
  IB_WR_REG_MR = 0x20,
  IB_WR_REG_MR_INTEGRITY = 0x21,
  IB_WR_RESERVED1 = 0xf0,
  IB_WR_RESERVED2 = 0xf1,
  IB_WR_RESERVED3 = 0xf2,
  IB_WR_RESERVED4 = 0xf3,
  IB_WR_RESERVED5 = 0xf4,
  IB_WR_RESERVED6 = 0xf5,
  IB_WR_RESERVED7 = 0xf6,
  IB_WR_RESERVED8 = 0xf7,
  IB_WR_RESERVED9 = 0xf8,
  IB_WR_RESERVED10 = 0xf9,
}

/** Kernel: include/rdma/ib_verbs.h enum ib_send_flags */
export enum ib_send_flags {
  IB_SEND_FENCE = 1 << 0,
  IB_SEND_SIGNALED = 1 << 1,
  IB_SEND_SOLICITED = 1 << 2,
  IB_SEND_INLINE = 1 << 3,
  IB_SEND_IP_CSUM = 1 << 4,
  IB_SEND_RESERVED_START = 1 << 26,
  /** 1 << 31 in C (an int); as a JS number 2^31. */
  IB_SEND_RESERVED_END = 2 ** 31,
}

/**
 * ib_sge - a scatter/gather element. `addr` is a DMA address when `lkey` is the PD's
 * local_dma_lkey, else an address inside the MR [iova, iova+length) (may use the high 32 bits).
 * Kernel: include/rdma/ib_verbs.h struct ib_sge
 */
export interface ib_sge {
  addr: u64_api;
  length: u32;
  lkey: u32;
}

/**
 * ib_send_wr - a send-queue work request (flattened: see the file header).
 * Kernel: include/rdma/ib_verbs.h struct ib_send_wr
 */
export interface ib_send_wr {
  next?: ib_send_wr | null;
  wr_id?: u64_api;
  wr_cqe?: ib_cqe | null;
  sg_list?: ib_sge[];
  /** @default sg_list.length (0 without sg_list) */
  num_sge?: number;
  opcode: ib_wr_opcode;
  send_flags?: number;
  ex?: { imm_data?: u32; invalidate_rkey?: u32 };
}

/** Kernel: include/rdma/ib_verbs.h struct ib_rdma_wr (RDMA WRITE/READ) */
export interface ib_rdma_wr extends ib_send_wr {
  remote_addr: u64_api;
  rkey: u32;
}

/** Kernel: include/rdma/ib_verbs.h struct ib_atomic_wr */
export interface ib_atomic_wr extends ib_send_wr {
  remote_addr: u64_api;
  compare_add: u64_big;
  swap: u64_big;
  compare_add_mask?: u64_big;
  swap_mask?: u64_big;
  rkey: u32;
}

/** Kernel: include/rdma/ib_verbs.h struct ib_ud_wr */
export interface ib_ud_wr extends ib_send_wr {
  ah: ib_ah;
  remote_qpn: u32;
  remote_qkey: u32;
  /** valid for GSI only */
  pkey_index?: u16;
  port_num?: u32;
}

/** Kernel: include/rdma/ib_verbs.h struct ib_reg_wr (FRWR: IB_WR_REG_MR) */
export interface ib_reg_wr extends ib_send_wr {
  mr: ib_mr;
  key: u32;
  access: number;
}

/** Kernel: include/rdma/ib_verbs.h struct ib_recv_wr */
export interface ib_recv_wr {
  next?: ib_recv_wr | null;
  wr_id?: u64_api;
  wr_cqe?: ib_cqe | null;
  sg_list?: ib_sge[];
  /** @default sg_list.length */
  num_sge?: number;
}

/** ib_wr_num_sge - emulator-only: `wr.num_sge` with its default (sg_list length). */
export function ib_wr_num_sge(wr: ib_send_wr | ib_recv_wr): number {
  return wr.num_sge ?? wr.sg_list?.length ?? 0;
}

// ---------------------------------------------------------------------------------------------
// Device and port attributes

/** Kernel: include/rdma/ib_verbs.h struct ib_device_attr (the fields the emulator uses and reports) */
export interface ib_device_attr {
  fw_ver: number;
  sys_image_guid: bigint;
  max_mr_size: number;
  page_size_cap: number;
  vendor_id: u32;
  vendor_part_id: u32;
  hw_ver: u32;
  max_qp: number;
  max_qp_wr: number;
  /** enum ib_device_cap_flags (u64): test with ib_device_cap_has() for bits >= 31. */
  device_cap_flags: number;
  /** enum ib_kernel_cap_flags */
  kernel_cap_flags: number;
  max_send_sge: number;
  max_recv_sge: number;
  max_sge_rd: number;
  max_cq: number;
  max_cqe: number;
  max_mr: number;
  max_pd: number;
  max_qp_rd_atom: number;
  max_ee_rd_atom: number;
  max_res_rd_atom: number;
  max_qp_init_rd_atom: number;
  max_ee_init_rd_atom: number;
  atomic_cap: ib_atomic_cap;
  masked_atomic_cap: ib_atomic_cap;
  max_ee: number;
  max_rdd: number;
  max_mw: number;
  max_raw_ipv6_qp: number;
  max_raw_ethy_qp: number;
  max_mcast_grp: number;
  max_mcast_qp_attach: number;
  max_total_mcast_qp_attach: number;
  max_ah: number;
  max_srq: number;
  max_srq_wr: number;
  max_srq_sge: number;
  max_fast_reg_page_list_len: number;
  max_pi_fast_reg_page_list_len: number;
  max_pkeys: u16;
  local_ca_ack_delay: u8;
  max_sgl_rd: number;
}

/** ib_device_attr_init - emulator-only: an all-zero ib_device_attr with `overrides` applied. */
export function ib_device_attr_init(overrides: Partial<ib_device_attr> = {}): ib_device_attr {
  return {
    fw_ver: 0, sys_image_guid: 0n, max_mr_size: 0, page_size_cap: 0, vendor_id: 0, vendor_part_id: 0, hw_ver: 0,
    max_qp: 0, max_qp_wr: 0, device_cap_flags: 0, kernel_cap_flags: 0, max_send_sge: 0, max_recv_sge: 0,
    max_sge_rd: 0, max_cq: 0, max_cqe: 0, max_mr: 0, max_pd: 0, max_qp_rd_atom: 0, max_ee_rd_atom: 0,
    max_res_rd_atom: 0, max_qp_init_rd_atom: 0, max_ee_init_rd_atom: 0, atomic_cap: ib_atomic_cap.IB_ATOMIC_NONE,
    masked_atomic_cap: ib_atomic_cap.IB_ATOMIC_NONE, max_ee: 0, max_rdd: 0, max_mw: 0, max_raw_ipv6_qp: 0,
    max_raw_ethy_qp: 0, max_mcast_grp: 0, max_mcast_qp_attach: 0, max_total_mcast_qp_attach: 0, max_ah: 0,
    max_srq: 0, max_srq_wr: 0, max_srq_sge: 0, max_fast_reg_page_list_len: 0, max_pi_fast_reg_page_list_len: 0,
    max_pkeys: 0, local_ca_ack_delay: 0, max_sgl_rd: 0,
    ...overrides,
  };
}

/** Kernel: include/rdma/ib_verbs.h struct ib_port_attr */
export interface ib_port_attr {
  subnet_prefix: bigint;
  state: ib_port_state;
  max_mtu: ib_mtu;
  active_mtu: ib_mtu;
  phys_mtu: number;
  gid_tbl_len: number;
  ip_gids: boolean;
  port_cap_flags: u32;
  max_msg_sz: u32;
  bad_pkey_cntr: u32;
  qkey_viol_cntr: u32;
  pkey_tbl_len: u16;
  sm_lid: u32;
  lid: u32;
  lmc: u8;
  max_vl_num: u8;
  sm_sl: u8;
  subnet_timeout: u8;
  init_type_reply: u8;
  active_width: u8;
  active_speed: u16;
  phys_state: u8;
  port_cap_flags2: u16;
}

/** ib_port_attr_init - emulator-only: a DOWN port with zeroed fields and `overrides` applied. */
export function ib_port_attr_init(overrides: Partial<ib_port_attr> = {}): ib_port_attr {
  return {
    subnet_prefix: 0n, state: ib_port_state.IB_PORT_DOWN, max_mtu: ib_mtu.IB_MTU_4096, active_mtu: ib_mtu.IB_MTU_256,
    phys_mtu: 0, gid_tbl_len: 0, ip_gids: false, port_cap_flags: 0, max_msg_sz: 0, bad_pkey_cntr: 0,
    qkey_viol_cntr: 0, pkey_tbl_len: 0, sm_lid: 0, lid: 0, lmc: 0, max_vl_num: 0, sm_sl: 0, subnet_timeout: 0,
    init_type_reply: 0, active_width: 0, active_speed: 0, phys_state: 0, port_cap_flags2: 0,
    ...overrides,
  };
}
