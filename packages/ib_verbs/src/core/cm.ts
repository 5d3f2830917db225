/**
 * cm - the InfiniBand Communication Manager: connection establishment and release with REQ,
 * MRA, REJ, REP, RTU, DREQ and DREP MADs on QP1 (IBA chapter 12).
 *
 * Kernel: drivers/infiniband/core/cm.c, drivers/infiniband/core/cm_msgs.h,
 *         drivers/infiniband/core/cm_trace.h, include/rdma/ib_cm.h
 *
 * Operation
 * ---------
 * `ib_cm_init()` (module load) loads the MAD layer and registers the "cm" ib_client; its add()
 * registers a MAD agent for class IB_MGMT_CLASS_CM version 2 on QP1 of every port. A connection
 * is an `ib_cm_id` on each side with a local communication ID (`local_id`, random-looking, from
 * a cyclic index XOR a random operand) and the peer's (`remote_id`). Every MAD carries both; the
 * receiver finds its id by local_id and checks remote_id (`cm_acquire_id`).
 *
 * Sends that expect an answer (REQ, REP, DREQ) are retransmitted by the MAD layer every
 * `timeout_ms` up to `max_cm_retries` times, same TID:
 *   REQ:  timeout = 2 × cm_convert_to_ms(packet_life_time) + cm_convert_to_ms(remote_cm_response_timeout)
 *   REP, DREQ on the passive side: cm_convert_to_ms(the REQ's local_cm_response_timeout)
 * where cm_convert_to_ms(t) = 2^max(t-8, 0) ms approximates 4.096 µs × 2^t. When the retries run
 * out the send completes with IB_WC_RESP_TIMEOUT_ERR and the id gets IB_CM_REQ_ERROR /
 * IB_CM_REP_ERROR / IB_CM_DREQ_ERROR. An MRA stretches the wait by its service timeout.
 *
 * A REQ for a service ID nobody listens on is answered with REJ reason
 * IB_CM_REJ_INVALID_SERVICE_ID (cm_issue_rej); a REQ reusing the remote QPN of a live
 * connection with REJ IB_CM_REJ_STALE_CONN. A released connection spends
 * cm_convert_to_ms(av.timeout) in TIMEWAIT, then the id gets IB_CM_TIMEWAIT_EXIT and is IDLE.
 *
 * States (enum ib_cm_state), active side on the left, passive on the right:
 *
 *   IDLE ─ib_send_cm_req─► REQ_SENT ──REP──► REP_RCVD ─ib_send_cm_rtu─► ESTABLISHED
 *                            │ └MRA─► MRA_REQ_RCVD
 *                            └─REJ / retries out─► IDLE
 *   LISTEN ··REQ··► (new id) REQ_RCVD ─ib_send_cm_rep─► REP_SENT ──RTU──► ESTABLISHED
 *                            └ib_send_cm_mra─► MRA_REQ_SENT
 *   ESTABLISHED ─ib_send_cm_dreq─► DREQ_SENT ──DREP / retries out──► TIMEWAIT ─► IDLE
 *   ESTABLISHED ──DREQ──► DREQ_RCVD ─ib_send_cm_drep─► TIMEWAIT ─(timewait)─► IDLE
 *
 * Events are delivered to `cm_handler(cm_id, event)` synchronously from the MAD receive (the
 * kernel queues a work item per MAD on cm.wq; ordering per id is the same). A non-zero return
 * destroys the id, as in the kernel.
 *
 * Divergence: no LAP/APR, no SIDR, no alternate paths, no port counters; the CA GUID of a device
 * with node_guid 0 is derived from its netdev's MAC (EUI-64, as rxe does).
 */
import { KernelError, defineTracepoint, isKernelError } from '@rdmaemu/sim-core';
import type { u8, u16, u32 } from '@rdmaemu/sim-core';
import {
  ib_access_flags, ib_qp_attr_mask, ib_qp_state, ib_qp_type, ib_wc_status, ib_mtu, ib_event_type, rdma_ah_attr_init,
  type ib_gid, type ib_qp_attr, type rdma_ah_attr,
} from './ib_verbs.h.js';
import { ib_register_client, ib_unregister_client, ib_set_client_data, ib_get_client_data, ib_device_get_netdev,
  type ib_client, type ib_device } from './device.js';
import { rdma_create_ah, rdma_destroy_ah } from './verbs.js';
import { ib_wc_status_msg } from './wc_status.js';
import {
  CM_DREP_ATTR_ID, CM_DREP_LOCAL_COMM_ID, CM_DREP_PRIVATE_DATA, CM_DREP_REMOTE_COMM_ID, CM_DREQ_ATTR_ID,
  CM_DREQ_LOCAL_COMM_ID, CM_DREQ_PRIVATE_DATA, CM_DREQ_REMOTE_COMM_ID, CM_DREQ_REMOTE_QPN_EECN, CM_MRA_ATTR_ID,
  CM_MRA_LOCAL_COMM_ID, CM_MRA_MESSAGE_MRAED, CM_MRA_PRIVATE_DATA, CM_MRA_REMOTE_COMM_ID, CM_MRA_SERVICE_TIMEOUT,
  CM_REJ_ARI, CM_REJ_ATTR_ID, CM_REJ_LOCAL_COMM_ID, CM_REJ_MESSAGE_REJECTED, CM_REJ_PRIVATE_DATA, CM_REJ_REASON,
  CM_REJ_REJECTED_INFO_LENGTH, CM_REJ_REMOTE_COMM_ID, CM_REP_ATTR_ID, CM_REP_END_TO_END_FLOW_CONTROL,
  CM_REP_FAILOVER_ACCEPTED, CM_REP_INITIATOR_DEPTH, CM_REP_LOCAL_CA_GUID, CM_REP_LOCAL_COMM_ID, CM_REP_LOCAL_Q_KEY,
  CM_REP_LOCAL_QPN, CM_REP_PRIVATE_DATA, CM_REP_REMOTE_COMM_ID, CM_REP_RESPONDER_RESOURCES, CM_REP_RNR_RETRY_COUNT,
  CM_REP_SRQ, CM_REP_STARTING_PSN, CM_REP_TARGET_ACK_DELAY, CM_REQ_ATTR_ID, CM_REQ_END_TO_END_FLOW_CONTROL,
  CM_REQ_INITIATOR_DEPTH, CM_REQ_LOCAL_CA_GUID, CM_REQ_LOCAL_CM_RESPONSE_TIMEOUT, CM_REQ_LOCAL_COMM_ID,
  CM_REQ_LOCAL_Q_KEY, CM_REQ_LOCAL_QPN, CM_REQ_MAX_CM_RETRIES, CM_REQ_PARTITION_KEY, CM_REQ_PATH_PACKET_PAYLOAD_MTU,
  CM_REQ_PRIMARY_FLOW_LABEL, CM_REQ_PRIMARY_HOP_LIMIT, CM_REQ_PRIMARY_LOCAL_ACK_TIMEOUT, CM_REQ_PRIMARY_LOCAL_PORT_GID,
  CM_REQ_PRIMARY_LOCAL_PORT_LID, CM_REQ_PRIMARY_PACKET_RATE, CM_REQ_PRIMARY_REMOTE_PORT_GID,
  CM_REQ_PRIMARY_REMOTE_PORT_LID, CM_REQ_PRIMARY_SL, CM_REQ_PRIMARY_SUBNET_LOCAL, CM_REQ_PRIMARY_TRAFFIC_CLASS,
  CM_REQ_PRIVATE_DATA, CM_REQ_REMOTE_CM_RESPONSE_TIMEOUT, CM_REQ_RESPONDER_RESOURCES, CM_REQ_RETRY_COUNT,
  CM_REQ_RNR_RETRY_COUNT, CM_REQ_SERVICE_ID, CM_REQ_SRQ, CM_REQ_STARTING_PSN, CM_REQ_TRANSPORT_SERVICE_TYPE,
  CM_RTU_ATTR_ID, CM_RTU_LOCAL_COMM_ID, CM_RTU_PRIVATE_DATA, CM_RTU_REMOTE_COMM_ID, IB_CM_CLASS_VERSION,
  IB_MAD_ATTR_ID, IB_MAD_TID, IB_MGMT_BASE_VERSION, IB_MGMT_CLASS_CM, IB_MGMT_MAD_DATA, IB_MGMT_MAD_HDR,
  IBA_GET, IBA_GET64, IBA_GET_MEM_PTR, IBA_SET, IBA_SET64, IBA_SET_MEM, cm_format_mad_hdr,
} from './ib_mad.h.js';
import {
  ib_cancel_mad, ib_create_ah_from_wc, ib_create_send_mad, ib_free_send_mad, ib_init_ah_attr_from_wc, ib_mad_init,
  ib_modify_mad, ib_post_send_mad, ib_register_mad_agent, ib_unregister_mad_agent, type ib_mad_agent,
  type ib_mad_recv_wc, type ib_mad_send_buf, type ib_mad_send_wc,
} from './mad.js';

// ---------------------------------------------------------------------------------------------
// include/rdma/ib_cm.h

/** Kernel: include/rdma/ib_cm.h enum ib_cm_state */
export enum ib_cm_state {
  IB_CM_IDLE = 0,
  IB_CM_LISTEN = 1,
  IB_CM_REQ_SENT = 2,
  IB_CM_REQ_RCVD = 3,
  IB_CM_MRA_REQ_SENT = 4,
  IB_CM_MRA_REQ_RCVD = 5,
  IB_CM_REP_SENT = 6,
  IB_CM_REP_RCVD = 7,
  IB_CM_MRA_REP_SENT = 8,
  IB_CM_MRA_REP_RCVD = 9,
  IB_CM_ESTABLISHED = 10,
  IB_CM_DREQ_SENT = 11,
  IB_CM_DREQ_RCVD = 12,
  IB_CM_TIMEWAIT = 13,
  IB_CM_SIDR_REQ_SENT = 14,
  IB_CM_SIDR_REQ_RCVD = 15,
}

/** ib_cm_state names as cm_trace.h show_ib_cm_state prints them. */
export const ib_cm_state_name: readonly string[] = [
  'IDLE', 'LISTEN', 'REQ_SENT', 'REQ_RCVD', 'MRA_REQ_SENT', 'MRA_REQ_RCVD', 'REP_SENT', 'REP_RCVD', 'MRA_REP_SENT',
  'MRA_REP_RCVD', 'ESTABLISHED', 'DREQ_SENT', 'DREQ_RCVD', 'TIMEWAIT', 'SIDR_REQ_SENT', 'SIDR_REQ_RCVD',
];

/** Kernel: include/rdma/ib_cm.h enum ib_cm_lap_state */
export enum ib_cm_lap_state {
  IB_CM_LAP_UNINIT = 0,
  IB_CM_LAP_IDLE = 1,
  IB_CM_LAP_SENT = 2,
  IB_CM_LAP_RCVD = 3,
  IB_CM_MRA_LAP_SENT = 4,
  IB_CM_MRA_LAP_RCVD = 5,
}
const ib_cm_lap_state_name: readonly string[] = ['LAP_UNINIT', 'LAP_IDLE', 'LAP_SENT', 'LAP_RCVD', 'MRA_LAP_SENT', 'MRA_LAP_RCVD'];

/** Kernel: include/rdma/ib_cm.h enum ib_cm_event_type */
export enum ib_cm_event_type {
  IB_CM_REQ_ERROR = 0,
  IB_CM_REQ_RECEIVED = 1,
  IB_CM_REP_ERROR = 2,
  IB_CM_REP_RECEIVED = 3,
  IB_CM_RTU_RECEIVED = 4,
  IB_CM_USER_ESTABLISHED = 5,
  IB_CM_DREQ_ERROR = 6,
  IB_CM_DREQ_RECEIVED = 7,
  IB_CM_DREP_RECEIVED = 8,
  IB_CM_TIMEWAIT_EXIT = 9,
  IB_CM_MRA_RECEIVED = 10,
  IB_CM_REJ_RECEIVED = 11,
  IB_CM_LAP_ERROR = 12,
  IB_CM_LAP_RECEIVED = 13,
  IB_CM_APR_RECEIVED = 14,
  IB_CM_SIDR_REQ_ERROR = 15,
  IB_CM_SIDR_REQ_RECEIVED = 16,
  IB_CM_SIDR_REP_RECEIVED = 17,
}

/** IB CM event names as include/trace/misc/rdma.h rdma_show_ib_cm_event prints them. */
export const ib_cm_event_name: readonly string[] = [
  'REQ_ERROR', 'REQ_RECEIVED', 'REP_ERROR', 'REP_RECEIVED', 'RTU_RECEIVED', 'USER_ESTABLISHED', 'DREQ_ERROR',
  'DREQ_RECEIVED', 'DREP_RECEIVED', 'TIMEWAIT_EXIT', 'MRA_RECEIVED', 'REJ_RECEIVED', 'LAP_ERROR', 'LAP_RECEIVED',
  'APR_RECEIVED', 'SIDR_REQ_ERROR', 'SIDR_REQ_RECEIVED', 'SIDR_REP_RECEIVED',
];

/** Kernel: include/rdma/ib_cm.h enum ib_cm_data_size (IBA Tables 106-120 private data lengths). */
export enum ib_cm_data_size {
  IB_CM_REQ_PRIVATE_DATA_SIZE = 92,
  IB_CM_MRA_PRIVATE_DATA_SIZE = 222,
  IB_CM_REJ_PRIVATE_DATA_SIZE = 148,
  IB_CM_REP_PRIVATE_DATA_SIZE = 196,
  IB_CM_RTU_PRIVATE_DATA_SIZE = 224,
  IB_CM_DREQ_PRIVATE_DATA_SIZE = 220,
  IB_CM_DREP_PRIVATE_DATA_SIZE = 224,
  IB_CM_REJ_ARI_LENGTH = 72,
  IB_CM_LAP_PRIVATE_DATA_SIZE = 168,
  IB_CM_APR_PRIVATE_DATA_SIZE = 148,
  IB_CM_APR_INFO_LENGTH = 72,
  IB_CM_SIDR_REQ_PRIVATE_DATA_SIZE = 216,
  IB_CM_SIDR_REP_PRIVATE_DATA_SIZE = 136,
  IB_CM_SIDR_REP_INFO_LENGTH = 72,
}
export const IB_CM_REQ_PRIVATE_DATA_SIZE = ib_cm_data_size.IB_CM_REQ_PRIVATE_DATA_SIZE;
export const IB_CM_MRA_PRIVATE_DATA_SIZE = ib_cm_data_size.IB_CM_MRA_PRIVATE_DATA_SIZE;
export const IB_CM_REJ_PRIVATE_DATA_SIZE = ib_cm_data_size.IB_CM_REJ_PRIVATE_DATA_SIZE;
export const IB_CM_REP_PRIVATE_DATA_SIZE = ib_cm_data_size.IB_CM_REP_PRIVATE_DATA_SIZE;
export const IB_CM_RTU_PRIVATE_DATA_SIZE = ib_cm_data_size.IB_CM_RTU_PRIVATE_DATA_SIZE;
export const IB_CM_DREQ_PRIVATE_DATA_SIZE = ib_cm_data_size.IB_CM_DREQ_PRIVATE_DATA_SIZE;
export const IB_CM_DREP_PRIVATE_DATA_SIZE = ib_cm_data_size.IB_CM_DREP_PRIVATE_DATA_SIZE;
export const IB_CM_REJ_ARI_LENGTH = ib_cm_data_size.IB_CM_REJ_ARI_LENGTH;

/** Kernel: include/rdma/ib_cm.h enum ib_cm_rej_reason (IBA Table 109) */
export enum ib_cm_rej_reason {
  IB_CM_REJ_NO_QP = 1,
  IB_CM_REJ_NO_EEC = 2,
  IB_CM_REJ_NO_RESOURCES = 3,
  IB_CM_REJ_TIMEOUT = 4,
  IB_CM_REJ_UNSUPPORTED = 5,
  IB_CM_REJ_INVALID_COMM_ID = 6,
  IB_CM_REJ_INVALID_COMM_INSTANCE = 7,
  IB_CM_REJ_INVALID_SERVICE_ID = 8,
  IB_CM_REJ_INVALID_TRANSPORT_TYPE = 9,
  IB_CM_REJ_STALE_CONN = 10,
  IB_CM_REJ_RDC_NOT_EXIST = 11,
  IB_CM_REJ_INVALID_GID = 12,
  IB_CM_REJ_INVALID_LID = 13,
  IB_CM_REJ_INVALID_SL = 14,
  IB_CM_REJ_INVALID_TRAFFIC_CLASS = 15,
  IB_CM_REJ_INVALID_HOP_LIMIT = 16,
  IB_CM_REJ_INVALID_PACKET_RATE = 17,
  IB_CM_REJ_INVALID_ALT_GID = 18,
  IB_CM_REJ_INVALID_ALT_LID = 19,
  IB_CM_REJ_INVALID_ALT_SL = 20,
  IB_CM_REJ_INVALID_ALT_TRAFFIC_CLASS = 21,
  IB_CM_REJ_INVALID_ALT_HOP_LIMIT = 22,
  IB_CM_REJ_INVALID_ALT_PACKET_RATE = 23,
  IB_CM_REJ_PORT_CM_REDIRECT = 24,
  IB_CM_REJ_PORT_REDIRECT = 25,
  IB_CM_REJ_INVALID_MTU = 26,
  IB_CM_REJ_INSUFFICIENT_RESP_RESOURCES = 27,
  IB_CM_REJ_CONSUMER_DEFINED = 28,
  IB_CM_REJ_INVALID_RNR_RETRY = 29,
  IB_CM_REJ_DUPLICATE_LOCAL_COMM_ID = 30,
  IB_CM_REJ_INVALID_CLASS_VERSION = 31,
  IB_CM_REJ_INVALID_FLOW_LABEL = 32,
  IB_CM_REJ_INVALID_ALT_FLOW_LABEL = 33,
  IB_CM_REJ_VENDOR_OPTION_NOT_SUPPORTED = 35,
}

const ibcm_rej_reason_strs: Readonly<Record<number, string>> = {
  1: 'no QP', 2: 'no EEC', 3: 'no resources', 4: 'timeout', 5: 'unsupported', 6: 'invalid comm ID',
  7: 'invalid comm instance', 8: 'invalid service ID', 9: 'invalid transport type', 10: 'stale conn',
  11: 'RDC not exist', 12: 'invalid GID', 13: 'invalid LID', 14: 'invalid SL', 15: 'invalid traffic class',
  16: 'invalid hop limit', 17: 'invalid packet rate', 18: 'invalid alt GID', 19: 'invalid alt LID', 20: 'invalid alt SL',
  21: 'invalid alt traffic class', 22: 'invalid alt hop limit', 23: 'invalid alt packet rate', 24: 'port CM redirect',
  25: 'port redirect', 26: 'invalid MTU', 27: 'insufficient resp resources', 28: 'consumer defined',
  29: 'invalid RNR retry', 30: 'duplicate local comm ID', 31: 'invalid class version', 32: 'invalid flow label',
  33: 'invalid alt flow label', 35: 'vendor option is not supported',
};

/**
 * ibcm_reject_msg - the text of a REJ reason.
 * Kernel: drivers/infiniband/core/cm.c ibcm_reject_msg()
 * @example
 * ```ts
 * ibcm_reject_msg(8); // 'invalid service ID'
 * ```
 */
export function ibcm_reject_msg(reason: number): string {
  return ibcm_rej_reason_strs[reason] ?? 'unrecognized reason';
}

/** Kernel: drivers/infiniband/core/cm_msgs.h enum cm_msg_response (the MRAed / rejected message). */
export enum cm_msg_response {
  CM_MSG_RESPONSE_REQ = 0x0,
  CM_MSG_RESPONSE_REP = 0x1,
  CM_MSG_RESPONSE_OTHER = 0x2,
}

/** Kernel: include/rdma/ib_cm.h IB_CM_MRA_FLAG_DELAY - send the MRA only after a duplicate. */
export const IB_CM_MRA_FLAG_DELAY = 0x80;
/** Kernel: include/rdma/ib_cm.h IB_CMA_SERVICE_ID / IB_CMA_SERVICE_ID_MASK (host order). */
export const IB_CMA_SERVICE_ID = 0x0000000001000000n;
export const IB_CMA_SERVICE_ID_MASK = 0xffffffffff000000n;
/** Kernel: include/rdma/ib_cm.h IB_CM_ASSIGN_SERVICE_ID / IB_SERVICE_ID_AGN_MASK. */
export const IB_CM_ASSIGN_SERVICE_ID = 0x0200000000000000n;
export const IB_SERVICE_ID_AGN_MASK = 0xff00000000000000n;
/** Kernel: include/rdma/ib_verbs.h IB_LID_PERMISSIVE. */
export const IB_LID_PERMISSIVE = 0xffff;

/**
 * sa_path_rec - the path a connection uses (the fields the CM reads and writes).
 * Kernel: include/rdma/ib_sa.h struct sa_path_rec (+ roce.dmac)
 * Divergence: GIDs as ib_gid, service_id as bigint host order, the RoCE dmac inline.
 */
export interface sa_path_rec {
  dgid: ib_gid;
  sgid: ib_gid;
  dmac: Uint8Array | null;
  flow_label: u32;
  hop_limit: u8;
  traffic_class: u8;
  reversible: number;
  pkey: u16;
  sl: u8;
  mtu: ib_mtu;
  rate: u8;
  packet_life_time: u8;
  service_id: bigint;
}

/** Kernel: include/rdma/ib_cm.h struct ib_cm_req_param */
export interface ib_cm_req_param {
  primary_path: sa_path_rec;
  alternate_path?: sa_path_rec | null;
  service_id: bigint;
  qp_num: u32;
  qp_type: ib_qp_type;
  starting_psn: u32;
  private_data?: Uint8Array | null;
  private_data_len?: u8;
  responder_resources: u8;
  initiator_depth: u8;
  remote_cm_response_timeout: u8;
  flow_control: u8;
  local_cm_response_timeout: u8;
  retry_count: u8;
  rnr_retry_count: u8;
  max_cm_retries: u8;
  srq: u8;
}

/** Kernel: include/rdma/ib_cm.h struct ib_cm_rep_param */
export interface ib_cm_rep_param {
  qp_num: u32;
  starting_psn: u32;
  private_data?: Uint8Array | null;
  private_data_len?: u8;
  responder_resources: u8;
  initiator_depth: u8;
  failover_accepted: u8;
  flow_control: u8;
  rnr_retry_count: u8;
  srq: u8;
}

/** Kernel: include/rdma/ib_cm.h struct ib_cm_req_event_param */
export interface ib_cm_req_event_param {
  listen_id: ib_cm_id;
  bth_pkey: u16;
  port: u8;
  primary_path: sa_path_rec;
  alternate_path: sa_path_rec | null;
  remote_ca_guid: bigint;
  remote_qkey: u32;
  remote_qpn: u32;
  qp_type: ib_qp_type;
  starting_psn: u32;
  responder_resources: u8;
  initiator_depth: u8;
  local_cm_response_timeout: u8;
  flow_control: u8;
  remote_cm_response_timeout: u8;
  retry_count: u8;
  rnr_retry_count: u8;
  srq: u8;
}

/** Kernel: include/rdma/ib_cm.h struct ib_cm_rep_event_param */
export interface ib_cm_rep_event_param {
  remote_ca_guid: bigint;
  remote_qkey: u32;
  remote_qpn: u32;
  starting_psn: u32;
  responder_resources: u8;
  initiator_depth: u8;
  target_ack_delay: u8;
  failover_accepted: u8;
  flow_control: u8;
  rnr_retry_count: u8;
  srq: u8;
}

/** Kernel: include/rdma/ib_cm.h struct ib_cm_rej_event_param */
export interface ib_cm_rej_event_param {
  reason: ib_cm_rej_reason;
  ari: Uint8Array;
  ari_length: u8;
}

/**
 * ib_cm_event - a CM event.
 * Kernel: include/rdma/ib_cm.h struct ib_cm_event
 * Divergence: the param union is an object with the member for the event set.
 */
export interface ib_cm_event {
  event: ib_cm_event_type;
  param: {
    req_rcvd?: ib_cm_req_event_param;
    rep_rcvd?: ib_cm_rep_event_param;
    rej_rcvd?: ib_cm_rej_event_param;
    mra_rcvd?: { service_timeout: u8 };
    send_status?: ib_wc_status;
  };
  /** The message's private data field (a view of the received MAD), or null. */
  private_data: Uint8Array | null;
}

/** Kernel: include/rdma/ib_cm.h ib_cm_handler */
export type ib_cm_handler = (cm_id: ib_cm_id, event: ib_cm_event) => number;

/** Kernel: drivers/infiniband/core/cm.c struct cm_port */
interface cm_port {
  cm_dev: cm_device;
  mad_agent: ib_mad_agent | null;
  port_num: u32;
}

/** Kernel: drivers/infiniband/core/cm.c struct cm_device */
interface cm_device {
  ib_device: ib_device;
  ack_delay: u8;
  going_down: boolean;
  port: cm_port[];
}

/** Kernel: drivers/infiniband/core/cm.c struct cm_av */
interface cm_av {
  port: cm_port | null;
  ah_attr: rdma_ah_attr | null;
  pkey_index: u16;
  timeout: u8;
}

/** Kernel: drivers/infiniband/core/cm.c struct cm_timewait_info */
interface cm_timewait_info {
  local_id: u32;
  remote_id: u32;
  remote_ca_guid: bigint;
  remote_qpn: u32;
  inserted_remote_id: boolean;
  inserted_remote_qp: boolean;
}

/**
 * ib_cm_id - a communication identifier.
 * Kernel: include/rdma/ib_cm.h struct ib_cm_id (+ cm.c struct cm_id_private: the private
 * fields are below the public ones)
 * Divergence: local_id/remote_id are u32 host-order values of the wire fields.
 */
export class ib_cm_id {
  cm_handler: ib_cm_handler | null;
  context: unknown;
  readonly device: ib_device;
  service_id = 0n;
  service_mask = 0n;
  state = ib_cm_state.IB_CM_IDLE;
  lap_state = ib_cm_lap_state.IB_CM_LAP_UNINIT;
  local_id: u32 = 0;
  remote_id: u32 = 0;
  remote_cm_qpn: u32 = 1;
  // cm_id_private
  /** @internal the MAD awaiting an answer (REQ, REP, DREQ). */
  msg: ib_mad_send_buf | null = null;
  /** @internal */
  timewait_info: cm_timewait_info | null = null;
  /** @internal */
  av: cm_av = { port: null, ah_attr: null, pkey_index: 0, timeout: 0 };
  /** @internal saved private data (for duplicate answers) */
  private_data: Uint8Array | null = null;
  tid = 0n;
  local_qpn: u32 = 0;
  remote_qpn: u32 = 0;
  qp_type: ib_qp_type = ib_qp_type.IB_QPT_RC;
  sq_psn: u32 = 0;
  rq_psn: u32 = 0;
  timeout_ms = 0;
  path_mtu: ib_mtu = ib_mtu.IB_MTU_1024;
  pkey: u16 = 0xffff;
  max_cm_retries: u8 = 0;
  responder_resources: u8 = 0;
  initiator_depth: u8 = 0;
  retry_count: u8 = 0;
  rnr_retry_count: u8 = 0;
  service_timeout: u8 = 0;
  target_ack_delay: u8 = 0;
  /** @internal the TIMEWAIT timer */
  timewait_timer: { cancel(): boolean } | null = null;
  /** @internal listen table membership */
  listening = false;
  /** @internal id destroyed */
  destroyed = false;
  constructor(device: ib_device, cm_handler: ib_cm_handler | null, context: unknown) {
    this.device = device;
    this.cm_handler = cm_handler;
    this.context = context;
  }
}

// ---------------------------------------------------------------------------------------------
// Global state (struct ib_cm cm)

const cm = {
  devices: [] as cm_device[],
  listeners: [] as ib_cm_id[],
  local_id_table: new Map<number, ib_cm_id>(),
  local_id_next: 0,
  random_id_operand: 0,
  random_set: false,
  remote_id_table: new Map<string, cm_timewait_info>(),
  remote_qp_table: new Map<string, cm_timewait_info>(),
};

const cm_client: ib_client = { name: 'cm', add: cm_add_one, remove: cm_remove_one };
let cm_loaded = false;

// ---------------------------------------------------------------------------------------------
// Tracepoints (drivers/infiniband/core/cm_trace.h, system ib_cma)

interface icm_id_fields { local_id: u32; remote_id: u32; state: ib_cm_state; lap_state: ib_cm_lap_state }
const icm_id_printk = (f: icm_id_fields): string =>
  `local_id=${f.local_id} remote_id=${f.remote_id} state=${ib_cm_state_name[f.state]} lap_state=${ib_cm_lap_state_name[f.lap_state]}`;
function icm_id_event(name: string) {
  return defineTracepoint<icm_id_fields>('ib_cma', name, icm_id_printk);
}
/** Kernel: cm_trace.h icm_send_req ... (icm_id_class) */
export const trace_icm_send_req = icm_id_event('icm_send_req');
export const trace_icm_send_rep = icm_id_event('icm_send_rep');
export const trace_icm_send_rtu = icm_id_event('icm_send_rtu');
export const trace_icm_send_mra = icm_id_event('icm_send_mra');
export const trace_icm_send_dreq = icm_id_event('icm_send_dreq');
export const trace_icm_send_drep = icm_id_event('icm_send_drep');
export const trace_icm_send_dup_req = icm_id_event('icm_send_dup_req');
export const trace_icm_no_listener_err = icm_id_event('icm_no_listener_err');
/** Kernel: cm_trace.h icm_send_rej */
export const trace_icm_send_rej = defineTracepoint<{ local_id: u32; remote_id: u32; state: ib_cm_state; reason: number }>(
  'ib_cma', 'icm_send_rej',
  (f) => `local_id=${f.local_id} remote_id=${f.remote_id} state=${ib_cm_state_name[f.state]} reason=${rej_reason_sym(f.reason)}`);
/** Kernel: cm_trace.h icm_staleconn_err (icm_local_class) */
export const trace_icm_staleconn_err = defineTracepoint<{ local_id: u32; remote_id: u32 }>(
  'ib_cma', 'icm_staleconn_err', (f) => `local_id=${f.local_id} remote_id=${f.remote_id}`);
/** Kernel: cm_trace.h icm_mad_send_err */
export const trace_icm_mad_send_err = defineTracepoint<{ state: ib_cm_state; wc_status: ib_wc_status }>(
  'ib_cma', 'icm_mad_send_err', (f) => `state=${ib_cm_state_name[f.state]} completion status=${ib_wc_status_msg(f.wc_status)}`);

function rej_reason_sym(reason: number): string {
  const n = ib_cm_rej_reason[reason];
  return n === undefined ? String(reason) : n.replace(/^IB_CM_/, '');
}

function trace_id(tp: ReturnType<typeof icm_id_event>, id: ib_cm_id): void {
  if (tp.enabled) tp.emit({ local_id: id.local_id, remote_id: id.remote_id, state: id.state, lap_state: id.lap_state });
}

// ---------------------------------------------------------------------------------------------
// Module load, devices

/**
 * ib_cm_init - load the IB CM: the MAD layer, then the "cm" client (a CM MAD agent on QP1 of
 * every port of every device). Idempotent.
 * Kernel: drivers/infiniband/core/cm.c ib_cm_init()
 * @example
 * ```ts
 * ib_cm_init();
 * ```
 */
export function ib_cm_init(): void {
  if (cm_loaded) return;
  ib_mad_init();
  cm_loaded = true;
  ib_register_client(cm_client);
}

/**
 * ib_cm_cleanup - unload the IB CM (agents unregistered; timewait timers cancelled).
 * Kernel: drivers/infiniband/core/cm.c ib_cm_cleanup()
 */
export function ib_cm_cleanup(): void {
  if (!cm_loaded) return;
  cm_loaded = false;
  ib_unregister_client(cm_client);
}

/** Kernel: cm.c cm_add_one() */
function cm_add_one(ib_dev: ib_device): void {
  if (!cm.random_set) {
    cm.random_id_operand = ib_dev.clock.random.nextU32() >>> 0;
    cm.random_set = true;
  }
  const cm_dev: cm_device = { ib_device: ib_dev, ack_delay: ib_dev.attrs.local_ca_ack_delay ?? 0, going_down: false, port: [] };
  for (let p = 1; p <= ib_dev.phys_port_cnt; p++) {
    const port: cm_port = { cm_dev, mad_agent: null, port_num: p };
    try {
      port.mad_agent = ib_register_mad_agent(ib_dev, p, ib_qp_type.IB_QPT_GSI,
        { mgmt_class: IB_MGMT_CLASS_CM, mgmt_class_version: IB_CM_CLASS_VERSION }, 0, cm_send_handler, cm_recv_handler, port, 0);
    } catch (e) {
      // no QP1 on this port (the MAD layer could not open it): the port has no CM
      if (!isKernelError(e)) throw e;
    }
    cm_dev.port[p - 1] = port;
  }
  ib_set_client_data(ib_dev, cm_client, cm_dev);
  cm.devices.push(cm_dev);
}

/** Kernel: cm.c cm_remove_one() */
function cm_remove_one(ib_dev: ib_device, client_data: unknown): void {
  const cm_dev = client_data as cm_device | null;
  if (!cm_dev) return;
  cm_dev.going_down = true;
  for (const id of [...cm.local_id_table.values()]) {
    if (id.device === ib_dev) {
      id.timewait_timer?.cancel();
      id.timewait_timer = null;
    }
  }
  for (const port of cm_dev.port) {
    if (port?.mad_agent) {
      ib_unregister_mad_agent(port.mad_agent);
      port.mad_agent = null;
    }
  }
  const i = cm.devices.indexOf(cm_dev);
  if (i >= 0) cm.devices.splice(i, 1);
}

function cm_dev_of(dev: ib_device): cm_device | null {
  return (ib_get_client_data(dev, cm_client) as cm_device | null) ?? null;
}

/**
 * cm_node_guid - the CA GUID the CM puts in REQ/REP: the device's node_guid, or for a device
 * without one the EUI-64 of its netdev's MAC (rxe: addrconf_addr_eui48()).
 * Kernel: cm.c uses cm_id_priv->id.device->node_guid; drivers/infiniband/sw/rxe/rxe.c rxe_init_device_param()
 */
export function cm_node_guid(dev: ib_device): bigint {
  if (dev.node_guid !== 0n) return dev.node_guid;
  const nd = ib_device_get_netdev(dev, 1) as { dev_addr?: Uint8Array } | null;
  const mac = nd?.dev_addr;
  if (!mac || mac.length !== 6) return 0n;
  const b = [mac[0]! ^ 2, mac[1]!, mac[2]!, 0xff, 0xfe, mac[3]!, mac[4]!, mac[5]!];
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Helpers

/**
 * cm_convert_to_ms - approximate 4.096 µs × 2^iba_time in ms: 2^max(iba_time - 8, 0).
 * Kernel: drivers/infiniband/core/cm.c cm_convert_to_ms()
 * @example
 * ```ts
 * cm_convert_to_ms(20); // 4096
 * ```
 */
export function cm_convert_to_ms(iba_time: number): number {
  return 2 ** Math.max(iba_time - 8, 0);
}

/**
 * cm_ack_timeout - the local ACK timeout from the CA ack delay and the packet life time:
 * 4.096 µs × 2^ack_timeout ≈ 4.096 µs × 2^ack_delay + 2 × 4.096 µs × 2^life_time.
 * Kernel: drivers/infiniband/core/cm.c cm_ack_timeout()
 */
export function cm_ack_timeout(ca_ack_delay: u8, packet_life_time: u8): u8 {
  let ack_timeout = packet_life_time + 1;
  if (ack_timeout >= ca_ack_delay) ack_timeout += ca_ack_delay >= ack_timeout - 1 ? 1 : 0;
  else ack_timeout = ca_ack_delay + (ack_timeout >= ca_ack_delay - 1 ? 1 : 0);
  return Math.min(31, ack_timeout);
}

function cm_alloc_id_priv(device: ib_device, cm_handler: ib_cm_handler | null, context: unknown): ib_cm_id {
  const id = new ib_cm_id(device, cm_handler, context);
  let idx = cm.local_id_next;
  for (let n = 0; n < 0x1_0000_0000; n++) {
    const lid = (idx ^ cm.random_id_operand) >>> 0;
    if (!cm.local_id_table.has(lid)) break;
    idx = (idx + 1) >>> 0;
  }
  cm.local_id_next = (idx + 1) >>> 0;
  id.local_id = (idx ^ cm.random_id_operand) >>> 0;
  return id;
}

function cm_finalize_id(id: ib_cm_id): void {
  cm.local_id_table.set(id.local_id, id);
}

function cm_acquire_id(local_id: u32, remote_id: u32): ib_cm_id | null {
  const id = cm.local_id_table.get(local_id >>> 0);
  if (id === undefined || id.remote_id !== (remote_id >>> 0) || id.destroyed) return null;
  return id;
}

function rid_key(remote_id: u32, guid: bigint): string {
  return `${remote_id}:${guid}`;
}

function cm_insert_remote_id(tw: cm_timewait_info): cm_timewait_info | null {
  const k = rid_key(tw.remote_id, tw.remote_ca_guid);
  const cur = cm.remote_id_table.get(k);
  if (cur !== undefined) return cur;
  cm.remote_id_table.set(k, tw);
  tw.inserted_remote_id = true;
  return null;
}

function cm_insert_remote_qpn(tw: cm_timewait_info): cm_timewait_info | null {
  const k = rid_key(tw.remote_qpn, tw.remote_ca_guid);
  const cur = cm.remote_qp_table.get(k);
  if (cur !== undefined) return cur;
  cm.remote_qp_table.set(k, tw);
  tw.inserted_remote_qp = true;
  return null;
}

function cm_cleanup_timewait(tw: cm_timewait_info): void {
  if (tw.inserted_remote_id) {
    const k = rid_key(tw.remote_id, tw.remote_ca_guid);
    if (cm.remote_id_table.get(k) === tw) cm.remote_id_table.delete(k);
    tw.inserted_remote_id = false;
  }
  if (tw.inserted_remote_qp) {
    const k = rid_key(tw.remote_qpn, tw.remote_ca_guid);
    if (cm.remote_qp_table.get(k) === tw) cm.remote_qp_table.delete(k);
    tw.inserted_remote_qp = false;
  }
}

function cm_create_timewait_info(local_id: u32): cm_timewait_info {
  return { local_id, remote_id: 0, remote_ca_guid: 0n, remote_qpn: 0, inserted_remote_id: false, inserted_remote_qp: false };
}

/** Kernel: cm.c cm_enter_timewait() */
function cm_enter_timewait(id: ib_cm_id): void {
  const cm_dev = cm_dev_of(id.device);
  if (id.timewait_info) cm_cleanup_timewait(id.timewait_info);
  id.state = ib_cm_state.IB_CM_TIMEWAIT;
  const tw = id.timewait_info ?? cm_create_timewait_info(id.local_id);
  tw.remote_id = id.remote_id;
  tw.remote_qpn = id.remote_qpn;
  id.timewait_info = null;
  if (!cm_dev || cm_dev.going_down) return;
  const wait_ms = cm_convert_to_ms(id.av.timeout);
  id.timewait_timer?.cancel();
  id.timewait_timer = id.device.clock.schedule(() => cm_timewait_handler(tw), wait_ms * 1_000_000, 'cm timewait');
}

/** Kernel: cm.c cm_timewait_handler() */
function cm_timewait_handler(tw: cm_timewait_info): void {
  const id = cm_acquire_id(tw.local_id, tw.remote_id);
  if (id === null) return;
  id.timewait_timer = null;
  if (id.state !== ib_cm_state.IB_CM_TIMEWAIT || id.remote_qpn !== tw.remote_qpn) return;
  id.state = ib_cm_state.IB_CM_IDLE;
  cm_process_work(id, { event: ib_cm_event_type.IB_CM_TIMEWAIT_EXIT, param: {}, private_data: null });
}

/** Kernel: cm.c cm_reset_to_idle() */
function cm_reset_to_idle(id: ib_cm_id): void {
  id.state = ib_cm_state.IB_CM_IDLE;
  if (id.timewait_info) {
    cm_cleanup_timewait(id.timewait_info);
    id.timewait_info = null;
  }
}

/** Kernel: cm.c cm_process_work() - deliver an event; a non-zero return destroys the id. */
function cm_process_work(id: ib_cm_id, event: ib_cm_event): void {
  if (id.cm_handler === null) return;
  const ret = id.cm_handler(id, event);
  if (ret) cm_destroy_id(id, ret);
}

function cm_form_tid(id: ib_cm_id): bigint {
  const agent = id.av.port?.mad_agent;
  const hi = BigInt(agent?.hi_tid ?? 0);
  return (hi << 32n) | BigInt(id.local_id >>> 0);
}

/** Kernel: cm.c cm_alloc_msg() */
function cm_alloc_msg(id: ib_cm_id): ib_mad_send_buf {
  const port = id.av.port;
  const agent = port?.mad_agent ?? null;
  if (port === null || agent === null || id.av.ah_attr === null) throw new KernelError('ENODEV', `cm: id ${id.local_id}: no valid CM port`);
  const ah = rdma_create_ah(agent.qp.pd, id.av.ah_attr);
  let m: ib_mad_send_buf;
  try {
    m = ib_create_send_mad(agent, id.remote_cm_qpn, id.av.pkey_index, 0, IB_MGMT_MAD_HDR, IB_MGMT_MAD_DATA, 0, IB_MGMT_BASE_VERSION);
  } catch (e) {
    rdma_destroy_ah(ah);
    throw e;
  }
  m.ah = ah;
  m.retries = id.max_cm_retries;
  m.context[0] = id;
  return m;
}

/** Kernel: cm.c cm_alloc_response_msg() - a message answering a received MAD (AH from the wc). */
function cm_alloc_response_msg(port: cm_port, mad_recv_wc: ib_mad_recv_wc): ib_mad_send_buf {
  const agent = port.mad_agent;
  if (agent === null) throw new KernelError('ENODEV', 'cm: port has no MAD agent');
  const m = ib_create_send_mad(agent, 1, mad_recv_wc.wc.pkey_index, 0, IB_MGMT_MAD_HDR, IB_MGMT_MAD_DATA, 0, IB_MGMT_BASE_VERSION);
  m.ah = ib_create_ah_from_wc(agent.qp.pd, mad_recv_wc.wc, mad_recv_wc.recv_buf.grh, port.port_num);
  return m;
}

/** Kernel: cm.c cm_free_msg() */
function cm_free_msg(msg: ib_mad_send_buf): void {
  if (msg.ah) {
    rdma_destroy_ah(msg.ah);
    msg.ah = null;
  }
  ib_free_send_mad(msg);
}

function post_or_free(msg: ib_mad_send_buf): void {
  try {
    ib_post_send_mad(msg);
  } catch (e) {
    cm_free_msg(msg);
    throw e;
  }
}

/** Kernel: cm.c cm_init_av_by_path() */
function cm_init_av_by_path(path: sa_path_rec, av: cm_av, id: ib_cm_id): void {
  const cm_dev = cm_dev_of(id.device);
  if (cm_dev === null || cm_dev.going_down) throw new KernelError('EINVAL', `cm: ${id.device.name}: no CM device`);
  const port = cm_dev.port[0]!;
  av.port = port;
  av.pkey_index = 0;
  av.ah_attr = rdma_ah_attr_init({
    dgid: path.dgid, dmac: path.dmac ?? new Uint8Array(6), port_num: port.port_num, hop_limit: path.hop_limit,
    traffic_class: path.traffic_class, flow_label: path.flow_label, sl: path.sl,
  });
  av.timeout = path.packet_life_time + 1;
}

function copy_pd(pd: Uint8Array | null | undefined, len: number | undefined): Uint8Array | null {
  if (!pd) return null;
  const n = len ?? pd.length;
  return n ? pd.slice(0, n) : null;
}

// ---------------------------------------------------------------------------------------------
// Public API

/**
 * ib_create_cm_id - allocate a communication identifier.
 * Kernel: drivers/infiniband/core/cm.c ib_create_cm_id()
 * @example
 * ```ts
 * const cm_id = ib_create_cm_id(dev, (id, ev) => 0, ctx);
 * ```
 */
export function ib_create_cm_id(device: ib_device, cm_handler: ib_cm_handler, context: unknown): ib_cm_id {
  const id = cm_alloc_id_priv(device, cm_handler, context);
  cm_finalize_id(id);
  return id;
}

/**
 * ib_destroy_cm_id - destroy an id; depending on its state the peer is told (REJ TIMEOUT for a
 * pending REQ, REJ CONSUMER_DEFINED for an unanswered one, DREQ when established, DREP when a DREQ
 * was received).
 * Kernel: drivers/infiniband/core/cm.c ib_destroy_cm_id() / cm_destroy_id()
 */
export function ib_destroy_cm_id(cm_id: ib_cm_id): void {
  cm_destroy_id(cm_id, 0);
}

function cm_destroy_id(id: ib_cm_id, err: number): void {
  if (id.destroyed) return;
  for (;;) {
    switch (id.state) {
      case ib_cm_state.IB_CM_LISTEN: {
        const i = cm.listeners.indexOf(id);
        if (i >= 0) cm.listeners.splice(i, 1);
        id.listening = false;
        break;
      }
      case ib_cm_state.IB_CM_REQ_SENT:
      case ib_cm_state.IB_CM_MRA_REQ_RCVD: {
        ib_cancel_mad(id.msg);
        const guid = new Uint8Array(8);
        IBA_SET64({ name: 'guid', byte: 0, bit: 0, bits: 64 }, guid, cm_node_guid(id.device));
        try_send(() => ib_send_cm_rej(id, ib_cm_rej_reason.IB_CM_REJ_TIMEOUT, guid, 8, null, 0));
        break;
      }
      case ib_cm_state.IB_CM_REQ_RCVD:
        if (err === -12 /* -ENOMEM */) cm_reset_to_idle(id);
        else try_send(() => ib_send_cm_rej(id, ib_cm_rej_reason.IB_CM_REJ_CONSUMER_DEFINED, null, 0, null, 0));
        break;
      case ib_cm_state.IB_CM_REP_SENT:
      case ib_cm_state.IB_CM_MRA_REP_RCVD:
        ib_cancel_mad(id.msg);
        try_send(() => ib_send_cm_rej(id, ib_cm_rej_reason.IB_CM_REJ_CONSUMER_DEFINED, null, 0, null, 0));
        break;
      case ib_cm_state.IB_CM_MRA_REQ_SENT:
      case ib_cm_state.IB_CM_REP_RCVD:
      case ib_cm_state.IB_CM_MRA_REP_SENT:
        try_send(() => ib_send_cm_rej(id, ib_cm_rej_reason.IB_CM_REJ_CONSUMER_DEFINED, null, 0, null, 0));
        break;
      case ib_cm_state.IB_CM_ESTABLISHED:
        if (try_send(() => ib_send_cm_dreq(id, null, 0))) continue; // retest: now DREQ_SENT
        cm_enter_timewait(id);
        break;
      case ib_cm_state.IB_CM_DREQ_SENT:
        ib_cancel_mad(id.msg);
        cm_enter_timewait(id);
        break;
      case ib_cm_state.IB_CM_DREQ_RCVD:
        try_send(() => ib_send_cm_drep(id, null, 0));
        break;
      default:
        break;
    }
    break;
  }
  if (id.timewait_info) {
    cm_cleanup_timewait(id.timewait_info);
    id.timewait_info = null;
  }
  id.destroyed = true;
  id.cm_handler = null;
  cm.local_id_table.delete(id.local_id);
  // The TIMEWAIT timer keeps running in the kernel but finds no id; cancel it here.
  id.timewait_timer?.cancel();
  id.timewait_timer = null;
}

function try_send(fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (isKernelError(e)) return false;
    throw e;
  }
}

/**
 * ib_cm_listen - listen for REQs whose service ID matches `service_id` under `service_mask`
 * (0 = exact) on the id's device.
 * Kernel: drivers/infiniband/core/cm.c ib_cm_listen()
 * @throws KernelError EINVAL if the id is not IDLE or the service ID is in the assigned range;
 *         EBUSY if another id on the device listens on a matching service ID
 */
export function ib_cm_listen(cm_id: ib_cm_id, service_id: bigint, service_mask: bigint): void {
  if (cm_id.state !== ib_cm_state.IB_CM_IDLE) throw new KernelError('EINVAL', `cm: id ${cm_id.local_id}: listen in state ${ib_cm_state_name[cm_id.state]}`);
  const mask = service_mask ? BigInt.asUintN(64, service_mask) : 0xffffffffffffffffn;
  const sid = BigInt.asUintN(64, service_id) & mask;
  if ((sid & IB_SERVICE_ID_AGN_MASK) === IB_CM_ASSIGN_SERVICE_ID && sid !== IB_CM_ASSIGN_SERVICE_ID) {
    throw new KernelError('EINVAL', `cm: service id 0x${sid.toString(16)} in the assigned range`);
  }
  for (const l of cm.listeners) {
    if ((l.service_mask & sid) === (mask & l.service_id) && l.device === cm_id.device) {
      throw new KernelError('EBUSY', `cm: service id 0x${sid.toString(16)} already listened on ${cm_id.device.name}`);
    }
  }
  cm_id.service_id = sid;
  cm_id.service_mask = mask;
  cm_id.state = ib_cm_state.IB_CM_LISTEN;
  cm_id.listening = true;
  cm.listeners.push(cm_id);
}

function cm_find_listen(device: ib_device, service_id: bigint): ib_cm_id | null {
  for (const l of cm.listeners) {
    if ((l.service_mask & service_id) === l.service_id && l.device === device) return l;
  }
  return null;
}

/** Kernel: cm.c cm_req_set_qp_type() - IBA transport service type (RC 0, UC 1, XRC 3). */
function cm_req_set_qp_type(mad: Uint8Array, qp_type: ib_qp_type): void {
  const t = qp_type === ib_qp_type.IB_QPT_UC ? 1 : qp_type === ib_qp_type.IB_QPT_XRC_INI ? 3 : 0;
  IBA_SET(CM_REQ_TRANSPORT_SERVICE_TYPE, mad, t);
}

function cm_req_get_qp_type(mad: Uint8Array): ib_qp_type {
  const t = IBA_GET(CM_REQ_TRANSPORT_SERVICE_TYPE, mad);
  return t === 1 ? ib_qp_type.IB_QPT_UC : t === 3 ? ib_qp_type.IB_QPT_XRC_TGT : ib_qp_type.IB_QPT_RC;
}

/**
 * cm_format_req - encode a REQ.
 * Kernel: drivers/infiniband/core/cm.c cm_format_req()
 */
export function cm_format_req(mad: Uint8Array, id: ib_cm_id, param: ib_cm_req_param): void {
  const pri = param.primary_path;
  const cm_dev = cm_dev_of(id.device);
  cm_format_mad_hdr(mad, CM_REQ_ATTR_ID, cm_form_tid(id));
  IBA_SET(CM_REQ_LOCAL_COMM_ID, mad, id.local_id);
  IBA_SET64(CM_REQ_SERVICE_ID, mad, param.service_id);
  IBA_SET64(CM_REQ_LOCAL_CA_GUID, mad, cm_node_guid(id.device));
  IBA_SET(CM_REQ_LOCAL_QPN, mad, param.qp_num);
  IBA_SET(CM_REQ_INITIATOR_DEPTH, mad, param.initiator_depth);
  IBA_SET(CM_REQ_REMOTE_CM_RESPONSE_TIMEOUT, mad, param.remote_cm_response_timeout);
  cm_req_set_qp_type(mad, param.qp_type);
  IBA_SET(CM_REQ_END_TO_END_FLOW_CONTROL, mad, param.flow_control);
  IBA_SET(CM_REQ_STARTING_PSN, mad, param.starting_psn);
  IBA_SET(CM_REQ_LOCAL_CM_RESPONSE_TIMEOUT, mad, param.local_cm_response_timeout);
  IBA_SET(CM_REQ_PARTITION_KEY, mad, pri.pkey);
  IBA_SET(CM_REQ_PATH_PACKET_PAYLOAD_MTU, mad, pri.mtu);
  IBA_SET(CM_REQ_MAX_CM_RETRIES, mad, param.max_cm_retries);
  if (param.qp_type !== ib_qp_type.IB_QPT_XRC_INI) {
    IBA_SET(CM_REQ_RESPONDER_RESOURCES, mad, param.responder_resources);
    IBA_SET(CM_REQ_RETRY_COUNT, mad, param.retry_count);
    IBA_SET(CM_REQ_RNR_RETRY_COUNT, mad, param.rnr_retry_count);
    IBA_SET(CM_REQ_SRQ, mad, param.srq);
  }
  IBA_SET_MEM(CM_REQ_PRIMARY_LOCAL_PORT_GID, mad, pri.sgid.raw, 16);
  IBA_SET_MEM(CM_REQ_PRIMARY_REMOTE_PORT_GID, mad, pri.dgid.raw, 16);
  // RoCE (hop_limit > 1): the LIDs are not known, the permissive LID is sent.
  IBA_SET(CM_REQ_PRIMARY_LOCAL_PORT_LID, mad, IB_LID_PERMISSIVE);
  IBA_SET(CM_REQ_PRIMARY_REMOTE_PORT_LID, mad, IB_LID_PERMISSIVE);
  IBA_SET(CM_REQ_PRIMARY_FLOW_LABEL, mad, pri.flow_label);
  IBA_SET(CM_REQ_PRIMARY_PACKET_RATE, mad, pri.rate);
  IBA_SET(CM_REQ_PRIMARY_TRAFFIC_CLASS, mad, pri.traffic_class);
  IBA_SET(CM_REQ_PRIMARY_HOP_LIMIT, mad, pri.hop_limit);
  IBA_SET(CM_REQ_PRIMARY_SL, mad, pri.sl);
  IBA_SET(CM_REQ_PRIMARY_SUBNET_LOCAL, mad, pri.hop_limit <= 1 ? 1 : 0);
  IBA_SET(CM_REQ_PRIMARY_LOCAL_ACK_TIMEOUT, mad, cm_ack_timeout(cm_dev?.ack_delay ?? 0, pri.packet_life_time));
  if (param.private_data && param.private_data_len) {
    IBA_SET_MEM(CM_REQ_PRIVATE_DATA, mad, param.private_data, param.private_data_len);
  }
}

/**
 * ib_send_cm_req - send a connection request (REQ) and wait for REP/REJ/MRA.
 * Kernel: drivers/infiniband/core/cm.c ib_send_cm_req()
 * @throws KernelError EINVAL for a non-RC/UC type, private data > 92 bytes, an id not IDLE or no
 *         CM port for the path; errors of the MAD layer
 */
export function ib_send_cm_req(cm_id: ib_cm_id, param: ib_cm_req_param): void {
  if (param.qp_type !== ib_qp_type.IB_QPT_RC && param.qp_type !== ib_qp_type.IB_QPT_UC && param.qp_type !== ib_qp_type.IB_QPT_XRC_INI) {
    throw new KernelError('EINVAL', `ib_send_cm_req: qp type ${param.qp_type}`);
  }
  const pdl = param.private_data_len ?? param.private_data?.length ?? 0;
  if (param.private_data && pdl > IB_CM_REQ_PRIVATE_DATA_SIZE) {
    throw new KernelError('EINVAL', `ib_send_cm_req: private_data_len ${pdl} > ${IB_CM_REQ_PRIVATE_DATA_SIZE}`);
  }
  if (cm_id.state !== ib_cm_state.IB_CM_IDLE || cm_id.timewait_info) {
    throw new KernelError('EINVAL', `ib_send_cm_req: id ${cm_id.local_id} in state ${ib_cm_state_name[cm_id.state]}`);
  }
  cm_id.timewait_info = cm_create_timewait_info(cm_id.local_id);
  try {
    cm_init_av_by_path(param.primary_path, cm_id.av, cm_id);
  } catch (e) {
    cm_id.timewait_info = null;
    throw e;
  }
  cm_id.service_id = param.service_id;
  cm_id.service_mask = 0xffffffffffffffffn;
  cm_id.timeout_ms = cm_convert_to_ms(param.primary_path.packet_life_time) * 2 + cm_convert_to_ms(param.remote_cm_response_timeout);
  cm_id.max_cm_retries = param.max_cm_retries;
  cm_id.initiator_depth = param.initiator_depth;
  cm_id.responder_resources = param.responder_resources;
  cm_id.retry_count = param.retry_count;
  cm_id.path_mtu = param.primary_path.mtu;
  cm_id.pkey = param.primary_path.pkey;
  cm_id.qp_type = param.qp_type;
  const msg = cm_alloc_msg(cm_id);
  cm_format_req(msg.mad, cm_id, { ...param, private_data_len: pdl });
  cm_id.tid = IBA_GET64(IB_MAD_TID, msg.mad);
  msg.timeout_ms = cm_id.timeout_ms;
  msg.context[1] = ib_cm_state.IB_CM_REQ_SENT;
  cm_id.local_qpn = IBA_GET(CM_REQ_LOCAL_QPN, msg.mad);
  cm_id.rq_psn = IBA_GET(CM_REQ_STARTING_PSN, msg.mad);
  trace_id(trace_icm_send_req, cm_id);
  try {
    post_or_free(msg);
  } catch (e) {
    cm_id.timewait_info = null;
    throw e;
  }
  cm_id.state = ib_cm_state.IB_CM_REQ_SENT;
  cm_id.msg = msg;
}

/** Kernel: cm.c cm_issue_rej() - a REJ answering a MAD with no id. */
function cm_issue_rej(port: cm_port, mad_recv_wc: ib_mad_recv_wc, reason: ib_cm_rej_reason, msg_rejected: cm_msg_response,
  ari: Uint8Array | null, ari_length: number): void {
  let msg: ib_mad_send_buf;
  try {
    msg = cm_alloc_response_msg(port, mad_recv_wc);
  } catch {
    return;
  }
  const rcv = mad_recv_wc.recv_buf.mad;
  const rej = msg.mad;
  cm_format_mad_hdr(rej, CM_REJ_ATTR_ID, IBA_GET64(IB_MAD_TID, rcv));
  IBA_SET(CM_REJ_REMOTE_COMM_ID, rej, IBA_GET(CM_REJ_LOCAL_COMM_ID, rcv));
  IBA_SET(CM_REJ_LOCAL_COMM_ID, rej, IBA_GET(CM_REJ_REMOTE_COMM_ID, rcv));
  IBA_SET(CM_REJ_MESSAGE_REJECTED, rej, msg_rejected);
  IBA_SET(CM_REJ_REASON, rej, reason);
  if (ari && ari_length) {
    IBA_SET(CM_REJ_REJECTED_INFO_LENGTH, rej, ari_length);
    IBA_SET_MEM(CM_REJ_ARI, rej, ari, ari_length);
  }
  try_send(() => post_or_free(msg));
}

/**
 * cm_format_rej - encode a REJ from an id.
 * Kernel: drivers/infiniband/core/cm.c cm_format_rej()
 */
function cm_format_rej(mad: Uint8Array, id: ib_cm_id, reason: ib_cm_rej_reason, ari: Uint8Array | null, ari_length: number,
  private_data: Uint8Array | null, private_data_len: number): void {
  cm_format_mad_hdr(mad, CM_REJ_ATTR_ID, id.tid);
  IBA_SET(CM_REJ_REMOTE_COMM_ID, mad, id.remote_id);
  switch (id.state) {
    case ib_cm_state.IB_CM_REQ_RCVD:
      IBA_SET(CM_REJ_LOCAL_COMM_ID, mad, 0);
      IBA_SET(CM_REJ_MESSAGE_REJECTED, mad, cm_msg_response.CM_MSG_RESPONSE_REQ);
      break;
    case ib_cm_state.IB_CM_MRA_REQ_SENT:
      IBA_SET(CM_REJ_LOCAL_COMM_ID, mad, id.local_id);
      IBA_SET(CM_REJ_MESSAGE_REJECTED, mad, cm_msg_response.CM_MSG_RESPONSE_REQ);
      break;
    case ib_cm_state.IB_CM_REP_RCVD:
    case ib_cm_state.IB_CM_MRA_REP_SENT:
      IBA_SET(CM_REJ_LOCAL_COMM_ID, mad, id.local_id);
      IBA_SET(CM_REJ_MESSAGE_REJECTED, mad, cm_msg_response.CM_MSG_RESPONSE_REP);
      break;
    default:
      IBA_SET(CM_REJ_LOCAL_COMM_ID, mad, id.local_id);
      IBA_SET(CM_REJ_MESSAGE_REJECTED, mad, cm_msg_response.CM_MSG_RESPONSE_OTHER);
      break;
  }
  IBA_SET(CM_REJ_REASON, mad, reason);
  if (ari && ari_length) {
    IBA_SET(CM_REJ_REJECTED_INFO_LENGTH, mad, ari_length);
    IBA_SET_MEM(CM_REJ_ARI, mad, ari, ari_length);
  }
  if (private_data && private_data_len) IBA_SET_MEM(CM_REJ_PRIVATE_DATA, mad, private_data, private_data_len);
}

/**
 * ib_send_cm_rej - reject a connection (REQ or REP stage).
 * Kernel: drivers/infiniband/core/cm.c ib_send_cm_rej()
 * @throws KernelError EINVAL for private data > 148 bytes, ARI > 72 bytes, or an id in a state
 *         with nothing to reject
 */
export function ib_send_cm_rej(cm_id: ib_cm_id, reason: ib_cm_rej_reason, ari: Uint8Array | null, ari_length: u8,
  private_data: Uint8Array | null, private_data_len: u8): void {
  if ((private_data && private_data_len > IB_CM_REJ_PRIVATE_DATA_SIZE) || (ari && ari_length > IB_CM_REJ_ARI_LENGTH)) {
    throw new KernelError('EINVAL', `ib_send_cm_rej: private_data_len ${private_data_len} / ari_length ${ari_length} too long`);
  }
  let msg: ib_mad_send_buf;
  switch (cm_id.state) {
    case ib_cm_state.IB_CM_REQ_SENT:
    case ib_cm_state.IB_CM_MRA_REQ_RCVD:
    case ib_cm_state.IB_CM_REQ_RCVD:
    case ib_cm_state.IB_CM_MRA_REQ_SENT:
    case ib_cm_state.IB_CM_REP_RCVD:
    case ib_cm_state.IB_CM_MRA_REP_SENT:
      msg = cm_alloc_msg(cm_id);
      cm_format_rej(msg.mad, cm_id, reason, ari, ari_length, private_data, private_data_len);
      if (trace_icm_send_rej.enabled) {
        trace_icm_send_rej.emit({ local_id: cm_id.local_id, remote_id: cm_id.remote_id, state: cm_id.state, reason });
      }
      cm_reset_to_idle(cm_id);
      break;
    case ib_cm_state.IB_CM_REP_SENT:
    case ib_cm_state.IB_CM_MRA_REP_RCVD:
      msg = cm_alloc_msg(cm_id);
      cm_format_rej(msg.mad, cm_id, reason, ari, ari_length, private_data, private_data_len);
      if (trace_icm_send_rej.enabled) {
        trace_icm_send_rej.emit({ local_id: cm_id.local_id, remote_id: cm_id.remote_id, state: cm_id.state, reason });
      }
      cm_enter_timewait(cm_id);
      break;
    default:
      throw new KernelError('EINVAL', `ib_send_cm_rej: id ${cm_id.local_id} in state ${ib_cm_state_name[cm_id.state]}`);
  }
  post_or_free(msg);
}

/** Kernel: cm.c cm_format_rep() */
function cm_format_rep(mad: Uint8Array, id: ib_cm_id, param: ib_cm_rep_param): void {
  const cm_dev = cm_dev_of(id.device);
  cm_format_mad_hdr(mad, CM_REP_ATTR_ID, id.tid);
  IBA_SET(CM_REP_LOCAL_COMM_ID, mad, id.local_id);
  IBA_SET(CM_REP_REMOTE_COMM_ID, mad, id.remote_id);
  IBA_SET(CM_REP_STARTING_PSN, mad, param.starting_psn);
  IBA_SET(CM_REP_RESPONDER_RESOURCES, mad, param.responder_resources);
  IBA_SET(CM_REP_TARGET_ACK_DELAY, mad, cm_dev?.ack_delay ?? 0);
  IBA_SET(CM_REP_FAILOVER_ACCEPTED, mad, param.failover_accepted);
  IBA_SET(CM_REP_RNR_RETRY_COUNT, mad, param.rnr_retry_count);
  IBA_SET64(CM_REP_LOCAL_CA_GUID, mad, cm_node_guid(id.device));
  IBA_SET(CM_REP_INITIATOR_DEPTH, mad, param.initiator_depth);
  IBA_SET(CM_REP_END_TO_END_FLOW_CONTROL, mad, param.flow_control);
  IBA_SET(CM_REP_SRQ, mad, param.srq);
  IBA_SET(CM_REP_LOCAL_QPN, mad, param.qp_num);
  const n = param.private_data_len ?? param.private_data?.length ?? 0;
  if (param.private_data && n) IBA_SET_MEM(CM_REP_PRIVATE_DATA, mad, param.private_data, n);
}

/**
 * ib_send_cm_rep - accept a REQ: send a REP and wait for the RTU.
 * Kernel: drivers/infiniband/core/cm.c ib_send_cm_rep()
 * @throws KernelError EINVAL for private data > 196 bytes or an id not in REQ_RCVD / MRA_REQ_SENT
 */
export function ib_send_cm_rep(cm_id: ib_cm_id, param: ib_cm_rep_param): void {
  const n = param.private_data_len ?? param.private_data?.length ?? 0;
  if (param.private_data && n > IB_CM_REP_PRIVATE_DATA_SIZE) {
    throw new KernelError('EINVAL', `ib_send_cm_rep: private_data_len ${n} > ${IB_CM_REP_PRIVATE_DATA_SIZE}`);
  }
  if (cm_id.state !== ib_cm_state.IB_CM_REQ_RCVD && cm_id.state !== ib_cm_state.IB_CM_MRA_REQ_SENT) {
    throw new KernelError('EINVAL', `ib_send_cm_rep: id ${cm_id.local_id} in state ${ib_cm_state_name[cm_id.state]}`);
  }
  const msg = cm_alloc_msg(cm_id);
  cm_format_rep(msg.mad, cm_id, param);
  msg.timeout_ms = cm_id.timeout_ms;
  msg.context[1] = ib_cm_state.IB_CM_REP_SENT;
  trace_id(trace_icm_send_rep, cm_id);
  post_or_free(msg);
  cm_id.state = ib_cm_state.IB_CM_REP_SENT;
  cm_id.msg = msg;
  cm_id.initiator_depth = param.initiator_depth;
  cm_id.responder_resources = param.responder_resources;
  cm_id.rq_psn = IBA_GET(CM_REP_STARTING_PSN, msg.mad);
  cm_id.local_qpn = param.qp_num & 0xffffff;
}

function cm_format_rtu(mad: Uint8Array, id: ib_cm_id, private_data: Uint8Array | null, len: number): void {
  cm_format_mad_hdr(mad, CM_RTU_ATTR_ID, id.tid);
  IBA_SET(CM_RTU_LOCAL_COMM_ID, mad, id.local_id);
  IBA_SET(CM_RTU_REMOTE_COMM_ID, mad, id.remote_id);
  if (private_data && len) IBA_SET_MEM(CM_RTU_PRIVATE_DATA, mad, private_data, len);
}

/**
 * ib_send_cm_rtu - complete the handshake after a REP: send RTU, the id is ESTABLISHED.
 * Kernel: drivers/infiniband/core/cm.c ib_send_cm_rtu()
 * @throws KernelError EINVAL for private data > 224 bytes or an id not in REP_RCVD / MRA_REP_SENT
 */
export function ib_send_cm_rtu(cm_id: ib_cm_id, private_data: Uint8Array | null, private_data_len: u8): void {
  if (private_data && private_data_len > IB_CM_RTU_PRIVATE_DATA_SIZE) throw new KernelError('EINVAL', 'ib_send_cm_rtu: private data too long');
  if (cm_id.state !== ib_cm_state.IB_CM_REP_RCVD && cm_id.state !== ib_cm_state.IB_CM_MRA_REP_SENT) {
    throw new KernelError('EINVAL', `ib_send_cm_rtu: id ${cm_id.local_id} in state ${ib_cm_state_name[cm_id.state]}`);
  }
  const msg = cm_alloc_msg(cm_id);
  cm_format_rtu(msg.mad, cm_id, private_data, private_data_len);
  trace_id(trace_icm_send_rtu, cm_id);
  post_or_free(msg);
  cm_id.state = ib_cm_state.IB_CM_ESTABLISHED;
  cm_id.private_data = copy_pd(private_data, private_data_len);
}

function cm_format_mra(mad: Uint8Array, id: ib_cm_id, msg_mraed: cm_msg_response, service_timeout: u8,
  private_data: Uint8Array | null, len: number): void {
  cm_format_mad_hdr(mad, CM_MRA_ATTR_ID, id.tid);
  IBA_SET(CM_MRA_MESSAGE_MRAED, mad, msg_mraed);
  IBA_SET(CM_MRA_LOCAL_COMM_ID, mad, id.local_id);
  IBA_SET(CM_MRA_REMOTE_COMM_ID, mad, id.remote_id);
  IBA_SET(CM_MRA_SERVICE_TIMEOUT, mad, service_timeout);
  if (private_data && len) IBA_SET_MEM(CM_MRA_PRIVATE_DATA, mad, private_data, len);
}

/**
 * ib_send_cm_mra - acknowledge a REQ/REP that will take time to answer. With
 * IB_CM_MRA_FLAG_DELAY in `service_timeout` the MRA is only sent when a duplicate arrives.
 * Kernel: drivers/infiniband/core/cm.c ib_send_cm_mra()
 * @throws KernelError EINVAL for private data > 222 bytes or an id in REQ_RCVD / REP_RCVD
 */
export function ib_send_cm_mra(cm_id: ib_cm_id, service_timeout: u8, private_data: Uint8Array | null, private_data_len: u8): void {
  if (private_data && private_data_len > IB_CM_MRA_PRIVATE_DATA_SIZE) throw new KernelError('EINVAL', 'ib_send_cm_mra: private data too long');
  let new_state: ib_cm_state;
  let resp: cm_msg_response;
  switch (cm_id.state) {
    case ib_cm_state.IB_CM_REQ_RCVD:
      new_state = ib_cm_state.IB_CM_MRA_REQ_SENT;
      resp = cm_msg_response.CM_MSG_RESPONSE_REQ;
      break;
    case ib_cm_state.IB_CM_REP_RCVD:
      new_state = ib_cm_state.IB_CM_MRA_REP_SENT;
      resp = cm_msg_response.CM_MSG_RESPONSE_REP;
      break;
    default:
      throw new KernelError('EINVAL', `ib_send_cm_mra: id ${cm_id.local_id} in state ${ib_cm_state_name[cm_id.state]}`);
  }
  if (!(service_timeout & IB_CM_MRA_FLAG_DELAY)) {
    const msg = cm_alloc_msg(cm_id);
    cm_format_mra(msg.mad, cm_id, resp, service_timeout, private_data, private_data_len);
    trace_id(trace_icm_send_mra, cm_id);
    post_or_free(msg);
  }
  cm_id.state = new_state;
  cm_id.service_timeout = service_timeout;
  cm_id.private_data = copy_pd(private_data, private_data_len);
}

function cm_format_dreq(mad: Uint8Array, id: ib_cm_id, private_data: Uint8Array | null, len: number): void {
  cm_format_mad_hdr(mad, CM_DREQ_ATTR_ID, cm_form_tid(id));
  IBA_SET(CM_DREQ_LOCAL_COMM_ID, mad, id.local_id);
  IBA_SET(CM_DREQ_REMOTE_COMM_ID, mad, id.remote_id);
  IBA_SET(CM_DREQ_REMOTE_QPN_EECN, mad, id.remote_qpn);
  if (private_data && len) IBA_SET_MEM(CM_DREQ_PRIVATE_DATA, mad, private_data, len);
}

/**
 * ib_send_cm_dreq - start releasing an established connection (DREQ, waits for DREP).
 * Kernel: drivers/infiniband/core/cm.c ib_send_cm_dreq()
 * @throws KernelError EINVAL for private data > 220 bytes or an id not ESTABLISHED
 */
export function ib_send_cm_dreq(cm_id: ib_cm_id, private_data: Uint8Array | null, private_data_len: u8): void {
  if (private_data && private_data_len > IB_CM_DREQ_PRIVATE_DATA_SIZE) throw new KernelError('EINVAL', 'ib_send_cm_dreq: private data too long');
  if (cm_id.state !== ib_cm_state.IB_CM_ESTABLISHED) {
    throw new KernelError('EINVAL', `ib_send_cm_dreq: id ${cm_id.local_id} in state ${ib_cm_state_name[cm_id.state]}`);
  }
  let msg: ib_mad_send_buf;
  try {
    msg = cm_alloc_msg(cm_id);
  } catch (e) {
    cm_enter_timewait(cm_id);
    throw e;
  }
  cm_format_dreq(msg.mad, cm_id, private_data, private_data_len);
  msg.timeout_ms = cm_id.timeout_ms;
  msg.context[1] = ib_cm_state.IB_CM_DREQ_SENT;
  trace_id(trace_icm_send_dreq, cm_id);
  try {
    post_or_free(msg);
  } catch (e) {
    cm_enter_timewait(cm_id);
    throw e;
  }
  cm_id.state = ib_cm_state.IB_CM_DREQ_SENT;
  cm_id.msg = msg;
}

function cm_format_drep(mad: Uint8Array, id: ib_cm_id, private_data: Uint8Array | null, len: number): void {
  cm_format_mad_hdr(mad, CM_DREP_ATTR_ID, id.tid);
  IBA_SET(CM_DREP_LOCAL_COMM_ID, mad, id.local_id);
  IBA_SET(CM_DREP_REMOTE_COMM_ID, mad, id.remote_id);
  if (private_data && len) IBA_SET_MEM(CM_DREP_PRIVATE_DATA, mad, private_data, len);
}

/**
 * ib_send_cm_drep - answer a DREQ; the id enters TIMEWAIT even if the DREP cannot be sent.
 * Kernel: drivers/infiniband/core/cm.c ib_send_cm_drep()
 * @throws KernelError EINVAL for private data > 224 bytes or an id not in DREQ_RCVD
 */
export function ib_send_cm_drep(cm_id: ib_cm_id, private_data: Uint8Array | null, private_data_len: u8): void {
  if (private_data && private_data_len > IB_CM_DREP_PRIVATE_DATA_SIZE) throw new KernelError('EINVAL', 'ib_send_cm_drep: private data too long');
  if (cm_id.state !== ib_cm_state.IB_CM_DREQ_RCVD) {
    throw new KernelError('EINVAL', `ib_send_cm_drep: id ${cm_id.local_id} in state ${ib_cm_state_name[cm_id.state]}`);
  }
  cm_id.private_data = copy_pd(private_data, private_data_len);
  cm_enter_timewait(cm_id);
  const msg = cm_alloc_msg(cm_id);
  cm_format_drep(msg.mad, cm_id, private_data, private_data_len);
  trace_id(trace_icm_send_drep, cm_id);
  post_or_free(msg);
}

/**
 * ib_cm_notify - tell the CM about a QP event: IB_EVENT_COMM_EST (data arrived before the RTU)
 * moves a REP_SENT id to ESTABLISHED and delivers IB_CM_USER_ESTABLISHED.
 * Kernel: drivers/infiniband/core/cm.c ib_cm_notify() / cm_establish()
 * @throws KernelError EISCONN if already established; EINVAL otherwise
 */
export function ib_cm_notify(cm_id: ib_cm_id, event: ib_event_type): void {
  if (event !== ib_event_type.IB_EVENT_COMM_EST) throw new KernelError('EINVAL', `ib_cm_notify: event ${event}`);
  switch (cm_id.state) {
    case ib_cm_state.IB_CM_REP_SENT:
    case ib_cm_state.IB_CM_MRA_REP_RCVD:
      cm_id.state = ib_cm_state.IB_CM_ESTABLISHED;
      break;
    case ib_cm_state.IB_CM_ESTABLISHED:
      throw new KernelError('EISCONN', `ib_cm_notify: id ${cm_id.local_id} established`);
    default:
      throw new KernelError('EINVAL', `ib_cm_notify: id ${cm_id.local_id} in state ${ib_cm_state_name[cm_id.state]}`);
  }
  const local_id = cm_id.local_id;
  const remote_id = cm_id.remote_id;
  cm_id.device.clock.schedule(() => {
    const id = cm_acquire_id(local_id, remote_id);
    if (id === null || id.state !== ib_cm_state.IB_CM_ESTABLISHED) return;
    ib_cancel_mad(id.msg);
    cm_process_work(id, { event: ib_cm_event_type.IB_CM_USER_ESTABLISHED, param: {}, private_data: null });
  }, 0, 'cm_establish');
}

/**
 * ib_cm_init_qp_attr - the attributes (and mask) to move the connection's QP to
 * `qp_attr.qp_state` (INIT, RTR or RTS) from what the handshake negotiated.
 * Kernel: drivers/infiniband/core/cm.c ib_cm_init_qp_attr() / cm_init_qp_init_attr() /
 *         cm_init_qp_rtr_attr() / cm_init_qp_rts_attr()
 * Divergence: returns the mask (the kernel's out-parameter).
 * @throws KernelError EINVAL for another target state or an id in a state without the data
 */
export function ib_cm_init_qp_attr(cm_id: ib_cm_id, qp_attr: ib_qp_attr): number {
  const S = ib_cm_state;
  const M = ib_qp_attr_mask;
  const st = cm_id.state;
  const connecting = st === S.IB_CM_REQ_RCVD || st === S.IB_CM_MRA_REQ_SENT || st === S.IB_CM_REP_RCVD ||
    st === S.IB_CM_MRA_REP_SENT || st === S.IB_CM_REP_SENT || st === S.IB_CM_MRA_REP_RCVD || st === S.IB_CM_ESTABLISHED;
  const rc = cm_id.qp_type === ib_qp_type.IB_QPT_RC;
  switch (qp_attr.qp_state) {
    case ib_qp_state.IB_QPS_INIT: {
      if (!connecting && st !== S.IB_CM_REQ_SENT && st !== S.IB_CM_MRA_REQ_RCVD) break;
      qp_attr.qp_access_flags = ib_access_flags.IB_ACCESS_REMOTE_WRITE;
      if (cm_id.responder_resources) {
        qp_attr.qp_access_flags |= ib_access_flags.IB_ACCESS_REMOTE_READ | ib_access_flags.IB_ACCESS_REMOTE_ATOMIC;
      }
      qp_attr.pkey_index = cm_id.av.pkey_index;
      qp_attr.port_num = cm_id.av.port?.port_num ?? 1;
      return M.IB_QP_STATE | M.IB_QP_ACCESS_FLAGS | M.IB_QP_PKEY_INDEX | M.IB_QP_PORT;
    }
    case ib_qp_state.IB_QPS_RTR: {
      if (!connecting || cm_id.av.ah_attr === null) break;
      let mask = M.IB_QP_STATE | M.IB_QP_AV | M.IB_QP_PATH_MTU | M.IB_QP_DEST_QPN | M.IB_QP_RQ_PSN;
      qp_attr.ah_attr = cm_id.av.ah_attr;
      qp_attr.path_mtu = cm_id.path_mtu;
      qp_attr.dest_qp_num = cm_id.remote_qpn;
      qp_attr.rq_psn = cm_id.rq_psn;
      if (rc) {
        mask |= M.IB_QP_MAX_DEST_RD_ATOMIC | M.IB_QP_MIN_RNR_TIMER;
        qp_attr.max_dest_rd_atomic = cm_id.responder_resources;
        qp_attr.min_rnr_timer = 0;
      }
      return mask;
    }
    case ib_qp_state.IB_QPS_RTS: {
      if (!connecting) break;
      let mask = M.IB_QP_STATE | M.IB_QP_SQ_PSN;
      qp_attr.sq_psn = cm_id.sq_psn;
      if (rc) {
        mask |= M.IB_QP_TIMEOUT | M.IB_QP_RETRY_CNT | M.IB_QP_RNR_RETRY | M.IB_QP_MAX_QP_RD_ATOMIC;
        qp_attr.timeout = cm_id.av.timeout;
        qp_attr.retry_cnt = cm_id.retry_count;
        qp_attr.rnr_retry = cm_id.rnr_retry_count;
        qp_attr.max_rd_atomic = cm_id.initiator_depth;
      }
      return mask;
    }
    default:
      break;
  }
  throw new KernelError('EINVAL', `ib_cm_init_qp_attr: id ${cm_id.local_id} state ${ib_cm_state_name[st]} -> qp state ${qp_attr.qp_state}`);
}

// ---------------------------------------------------------------------------------------------
// MAD handlers

/** Kernel: cm.c cm_send_handler() / cm_process_send_error() */
function cm_send_handler(_agent: ib_mad_agent, wc: ib_mad_send_wc): void {
  const msg = wc.send_buf;
  const status = wc.status;
  if (status === ib_wc_status.IB_WC_SUCCESS || status === ib_wc_status.IB_WC_WR_FLUSH_ERR || !msg.context[0] || msg.context[1] === null) {
    cm_free_msg(msg);
    return;
  }
  const id = msg.context[0] as ib_cm_id;
  const state = msg.context[1] as ib_cm_state;
  cm_free_msg(msg);
  if (msg !== id.msg || state !== id.state || id.destroyed) return;
  if (trace_icm_mad_send_err.enabled) trace_icm_mad_send_err.emit({ state, wc_status: status });
  let event: ib_cm_event_type;
  switch (state) {
    case ib_cm_state.IB_CM_REQ_SENT:
    case ib_cm_state.IB_CM_MRA_REQ_RCVD:
      cm_reset_to_idle(id);
      event = ib_cm_event_type.IB_CM_REQ_ERROR;
      break;
    case ib_cm_state.IB_CM_REP_SENT:
    case ib_cm_state.IB_CM_MRA_REP_RCVD:
      cm_reset_to_idle(id);
      event = ib_cm_event_type.IB_CM_REP_ERROR;
      break;
    case ib_cm_state.IB_CM_DREQ_SENT:
      cm_enter_timewait(id);
      event = ib_cm_event_type.IB_CM_DREQ_ERROR;
      break;
    default:
      return;
  }
  id.msg = null;
  cm_process_work(id, { event, param: { send_status: status }, private_data: null });
}

/** Kernel: cm.c cm_recv_handler() / cm_work_handler() */
function cm_recv_handler(agent: ib_mad_agent, _send_buf: ib_mad_send_buf | null, mad_recv_wc: ib_mad_recv_wc): void {
  const port = agent.context as cm_port;
  if (port.cm_dev.going_down) return;
  const attr_id = IBA_GET(IB_MAD_ATTR_ID, mad_recv_wc.recv_buf.mad);
  switch (attr_id) {
    case CM_REQ_ATTR_ID: cm_req_handler(port, mad_recv_wc); break;
    case CM_MRA_ATTR_ID: cm_mra_handler(mad_recv_wc); break;
    case CM_REJ_ATTR_ID: cm_rej_handler(mad_recv_wc); break;
    case CM_REP_ATTR_ID: cm_rep_handler(port, mad_recv_wc); break;
    case CM_RTU_ATTR_ID: cm_rtu_handler(mad_recv_wc); break;
    case CM_DREQ_ATTR_ID: cm_dreq_handler(port, mad_recv_wc); break;
    case CM_DREP_ATTR_ID: cm_drep_handler(mad_recv_wc); break;
    default: break;
  }
}

function gid_of(raw: Uint8Array): ib_gid {
  return { raw: raw.slice() };
}

/** Kernel: cm.c cm_format_paths_from_req() (primary path only). */
function cm_format_path_from_req(mad: Uint8Array, smac: Uint8Array | null): sa_path_rec {
  let plt = IBA_GET(CM_REQ_PRIMARY_LOCAL_ACK_TIMEOUT, mad);
  plt -= plt > 0 ? 1 : 0;
  return {
    dgid: gid_of(IBA_GET_MEM_PTR(CM_REQ_PRIMARY_LOCAL_PORT_GID, mad)),
    sgid: gid_of(IBA_GET_MEM_PTR(CM_REQ_PRIMARY_REMOTE_PORT_GID, mad)),
    dmac: smac,
    flow_label: IBA_GET(CM_REQ_PRIMARY_FLOW_LABEL, mad),
    hop_limit: IBA_GET(CM_REQ_PRIMARY_HOP_LIMIT, mad),
    traffic_class: IBA_GET(CM_REQ_PRIMARY_TRAFFIC_CLASS, mad),
    reversible: 1,
    pkey: IBA_GET(CM_REQ_PARTITION_KEY, mad),
    sl: IBA_GET(CM_REQ_PRIMARY_SL, mad),
    mtu: IBA_GET(CM_REQ_PATH_PACKET_PAYLOAD_MTU, mad),
    rate: IBA_GET(CM_REQ_PRIMARY_PACKET_RATE, mad),
    packet_life_time: plt,
    service_id: IBA_GET64(CM_REQ_SERVICE_ID, mad),
  };
}

/** Kernel: cm.c cm_dup_req_handler() */
function cm_dup_req_handler(port: cm_port, mad_recv_wc: ib_mad_recv_wc, id: ib_cm_id): void {
  if (id.state === ib_cm_state.IB_CM_REQ_RCVD) return;
  let msg: ib_mad_send_buf;
  try {
    msg = cm_alloc_response_msg(port, mad_recv_wc);
  } catch {
    return;
  }
  switch (id.state) {
    case ib_cm_state.IB_CM_MRA_REQ_SENT:
      cm_format_mra(msg.mad, id, cm_msg_response.CM_MSG_RESPONSE_REQ, id.service_timeout, id.private_data, id.private_data?.length ?? 0);
      break;
    case ib_cm_state.IB_CM_TIMEWAIT:
      cm_format_rej(msg.mad, id, ib_cm_rej_reason.IB_CM_REJ_STALE_CONN, null, 0, null, 0);
      break;
    default:
      cm_free_msg(msg);
      return;
  }
  trace_id(trace_icm_send_dup_req, id);
  try_send(() => post_or_free(msg));
}

/** Kernel: cm.c cm_req_handler() / cm_match_req() / cm_format_req_event() */
function cm_req_handler(port: cm_port, mad_recv_wc: ib_mad_recv_wc): void {
  const mad = mad_recv_wc.recv_buf.mad;
  const id = cm_alloc_id_priv(port.cm_dev.ib_device, null, null);
  id.remote_id = IBA_GET(CM_REQ_LOCAL_COMM_ID, mad);
  id.service_id = IBA_GET64(CM_REQ_SERVICE_ID, mad);
  id.service_mask = 0xffffffffffffffffn;
  id.tid = IBA_GET64(IB_MAD_TID, mad);
  id.timeout_ms = cm_convert_to_ms(IBA_GET(CM_REQ_LOCAL_CM_RESPONSE_TIMEOUT, mad));
  id.max_cm_retries = IBA_GET(CM_REQ_MAX_CM_RETRIES, mad);
  id.remote_qpn = IBA_GET(CM_REQ_LOCAL_QPN, mad);
  id.initiator_depth = IBA_GET(CM_REQ_RESPONDER_RESOURCES, mad);
  id.responder_resources = IBA_GET(CM_REQ_INITIATOR_DEPTH, mad);
  id.path_mtu = IBA_GET(CM_REQ_PATH_PACKET_PAYLOAD_MTU, mad);
  id.pkey = IBA_GET(CM_REQ_PARTITION_KEY, mad);
  id.sq_psn = IBA_GET(CM_REQ_STARTING_PSN, mad);
  id.retry_count = IBA_GET(CM_REQ_RETRY_COUNT, mad);
  id.rnr_retry_count = IBA_GET(CM_REQ_RNR_RETRY_COUNT, mad);
  id.qp_type = cm_req_get_qp_type(mad);
  id.av.port = port;
  id.av.pkey_index = mad_recv_wc.wc.pkey_index;
  try {
    id.av.ah_attr = ib_init_ah_attr_from_wc(port.cm_dev.ib_device, port.port_num, mad_recv_wc.wc, mad_recv_wc.recv_buf.grh);
  } catch {
    return;
  }
  const tw = cm_create_timewait_info(id.local_id);
  tw.remote_id = id.remote_id;
  tw.remote_ca_guid = IBA_GET64(CM_REQ_LOCAL_CA_GUID, mad);
  tw.remote_qpn = id.remote_qpn;
  id.timewait_info = tw;
  id.state = ib_cm_state.IB_CM_REQ_RCVD;

  // cm_match_req: duplicate REQ?
  const dup = cm_insert_remote_id(tw);
  if (dup !== null) {
    const cur = cm_acquire_id(dup.local_id, dup.remote_id);
    if (cur !== null) cm_dup_req_handler(port, mad_recv_wc, cur);
    return;
  }
  // stale connection?
  const stale = cm_insert_remote_qpn(tw);
  if (stale !== null) {
    cm_cleanup_timewait(tw);
    const cur = cm_acquire_id(stale.local_id, stale.remote_id);
    if (trace_icm_staleconn_err.enabled) trace_icm_staleconn_err.emit({ local_id: id.local_id, remote_id: id.remote_id });
    cm_issue_rej(port, mad_recv_wc, ib_cm_rej_reason.IB_CM_REJ_STALE_CONN, cm_msg_response.CM_MSG_RESPONSE_REQ, null, 0);
    if (cur !== null) try_send(() => ib_send_cm_dreq(cur, null, 0));
    return;
  }
  const listen = cm_find_listen(id.device, id.service_id);
  if (listen === null) {
    cm_cleanup_timewait(tw);
    trace_id(trace_icm_no_listener_err, id);
    cm_issue_rej(port, mad_recv_wc, ib_cm_rej_reason.IB_CM_REJ_INVALID_SERVICE_ID, cm_msg_response.CM_MSG_RESPONSE_REQ, null, 0);
    return;
  }
  const path = cm_format_path_from_req(mad, mad_recv_wc.wc.smac);
  path.hop_limit = id.av.ah_attr.grh.hop_limit;
  try {
    cm_init_av_by_path(path, id.av, id);
  } catch {
    cm_cleanup_timewait(tw);
    return;
  }
  id.cm_handler = listen.cm_handler;
  id.context = listen.context;
  const req_rcvd: ib_cm_req_event_param = {
    listen_id: listen,
    bth_pkey: 0xffff,
    port: port.port_num,
    primary_path: path,
    alternate_path: null,
    remote_ca_guid: IBA_GET64(CM_REQ_LOCAL_CA_GUID, mad),
    remote_qkey: IBA_GET(CM_REQ_LOCAL_Q_KEY, mad),
    remote_qpn: IBA_GET(CM_REQ_LOCAL_QPN, mad),
    qp_type: id.qp_type,
    starting_psn: IBA_GET(CM_REQ_STARTING_PSN, mad),
    responder_resources: IBA_GET(CM_REQ_INITIATOR_DEPTH, mad),
    initiator_depth: IBA_GET(CM_REQ_RESPONDER_RESOURCES, mad),
    local_cm_response_timeout: IBA_GET(CM_REQ_REMOTE_CM_RESPONSE_TIMEOUT, mad),
    flow_control: IBA_GET(CM_REQ_END_TO_END_FLOW_CONTROL, mad),
    remote_cm_response_timeout: IBA_GET(CM_REQ_LOCAL_CM_RESPONSE_TIMEOUT, mad),
    retry_count: IBA_GET(CM_REQ_RETRY_COUNT, mad),
    rnr_retry_count: IBA_GET(CM_REQ_RNR_RETRY_COUNT, mad),
    srq: IBA_GET(CM_REQ_SRQ, mad),
  };
  cm_finalize_id(id);
  cm_process_work(id, { event: ib_cm_event_type.IB_CM_REQ_RECEIVED, param: { req_rcvd }, private_data: IBA_GET_MEM_PTR(CM_REQ_PRIVATE_DATA, mad) });
}

/** Kernel: cm.c cm_dup_rep_handler() */
function cm_dup_rep_handler(port: cm_port, mad_recv_wc: ib_mad_recv_wc): void {
  const mad = mad_recv_wc.recv_buf.mad;
  const id = cm_acquire_id(IBA_GET(CM_REP_REMOTE_COMM_ID, mad), IBA_GET(CM_REP_LOCAL_COMM_ID, mad));
  if (id === null) return;
  let msg: ib_mad_send_buf;
  try {
    msg = cm_alloc_response_msg(port, mad_recv_wc);
  } catch {
    return;
  }
  if (id.state === ib_cm_state.IB_CM_ESTABLISHED) {
    cm_format_rtu(msg.mad, id, id.private_data, id.private_data?.length ?? 0);
  } else if (id.state === ib_cm_state.IB_CM_MRA_REP_SENT) {
    cm_format_mra(msg.mad, id, cm_msg_response.CM_MSG_RESPONSE_REP, id.service_timeout, id.private_data, id.private_data?.length ?? 0);
  } else {
    cm_free_msg(msg);
    return;
  }
  try_send(() => post_or_free(msg));
}

/** Kernel: cm.c cm_rep_handler() / cm_format_rep_event() */
function cm_rep_handler(port: cm_port, mad_recv_wc: ib_mad_recv_wc): void {
  const mad = mad_recv_wc.recv_buf.mad;
  const id = cm_acquire_id(IBA_GET(CM_REP_REMOTE_COMM_ID, mad), 0);
  if (id === null) {
    cm_dup_rep_handler(port, mad_recv_wc);
    return;
  }
  if (id.state !== ib_cm_state.IB_CM_REQ_SENT && id.state !== ib_cm_state.IB_CM_MRA_REQ_RCVD) return;
  const tw = id.timewait_info ?? cm_create_timewait_info(id.local_id);
  id.timewait_info = tw;
  tw.remote_id = IBA_GET(CM_REP_LOCAL_COMM_ID, mad);
  tw.remote_ca_guid = IBA_GET64(CM_REP_LOCAL_CA_GUID, mad);
  tw.remote_qpn = IBA_GET(CM_REP_LOCAL_QPN, mad);
  if (cm_insert_remote_id(tw) !== null) return;
  const stale = cm_insert_remote_qpn(tw);
  if (stale !== null) {
    const k = rid_key(tw.remote_id, tw.remote_ca_guid);
    if (cm.remote_id_table.get(k) === tw) cm.remote_id_table.delete(k);
    tw.inserted_remote_id = false;
    const cur = cm_acquire_id(stale.local_id, stale.remote_id);
    if (trace_icm_staleconn_err.enabled) trace_icm_staleconn_err.emit({ local_id: id.local_id, remote_id: tw.remote_id });
    cm_issue_rej(port, mad_recv_wc, ib_cm_rej_reason.IB_CM_REJ_STALE_CONN, cm_msg_response.CM_MSG_RESPONSE_REP, null, 0);
    if (cur !== null) try_send(() => ib_send_cm_dreq(cur, null, 0));
    return;
  }
  id.state = ib_cm_state.IB_CM_REP_RCVD;
  id.remote_id = tw.remote_id;
  id.remote_qpn = tw.remote_qpn;
  id.initiator_depth = IBA_GET(CM_REP_RESPONDER_RESOURCES, mad);
  id.responder_resources = IBA_GET(CM_REP_INITIATOR_DEPTH, mad);
  id.sq_psn = IBA_GET(CM_REP_STARTING_PSN, mad);
  id.rnr_retry_count = IBA_GET(CM_REP_RNR_RETRY_COUNT, mad);
  id.target_ack_delay = IBA_GET(CM_REP_TARGET_ACK_DELAY, mad);
  id.av.timeout = cm_ack_timeout(id.target_ack_delay, id.av.timeout - 1);
  ib_cancel_mad(id.msg);
  id.msg = null;
  const rep_rcvd: ib_cm_rep_event_param = {
    remote_ca_guid: tw.remote_ca_guid,
    remote_qkey: IBA_GET(CM_REP_LOCAL_Q_KEY, mad),
    remote_qpn: tw.remote_qpn,
    starting_psn: IBA_GET(CM_REP_STARTING_PSN, mad),
    responder_resources: IBA_GET(CM_REP_INITIATOR_DEPTH, mad),
    initiator_depth: IBA_GET(CM_REP_RESPONDER_RESOURCES, mad),
    target_ack_delay: IBA_GET(CM_REP_TARGET_ACK_DELAY, mad),
    failover_accepted: IBA_GET(CM_REP_FAILOVER_ACCEPTED, mad),
    flow_control: IBA_GET(CM_REP_END_TO_END_FLOW_CONTROL, mad),
    rnr_retry_count: IBA_GET(CM_REP_RNR_RETRY_COUNT, mad),
    srq: IBA_GET(CM_REP_SRQ, mad),
  };
  cm_process_work(id, { event: ib_cm_event_type.IB_CM_REP_RECEIVED, param: { rep_rcvd }, private_data: IBA_GET_MEM_PTR(CM_REP_PRIVATE_DATA, mad) });
}

/** Kernel: cm.c cm_rtu_handler() */
function cm_rtu_handler(mad_recv_wc: ib_mad_recv_wc): void {
  const mad = mad_recv_wc.recv_buf.mad;
  const id = cm_acquire_id(IBA_GET(CM_RTU_REMOTE_COMM_ID, mad), IBA_GET(CM_RTU_LOCAL_COMM_ID, mad));
  if (id === null) return;
  if (id.state !== ib_cm_state.IB_CM_REP_SENT && id.state !== ib_cm_state.IB_CM_MRA_REP_RCVD) return;
  id.state = ib_cm_state.IB_CM_ESTABLISHED;
  ib_cancel_mad(id.msg);
  id.msg = null;
  cm_process_work(id, { event: ib_cm_event_type.IB_CM_RTU_RECEIVED, param: {}, private_data: IBA_GET_MEM_PTR(CM_RTU_PRIVATE_DATA, mad) });
}

/** Kernel: cm.c cm_issue_drep() */
function cm_issue_drep(port: cm_port, mad_recv_wc: ib_mad_recv_wc): void {
  let msg: ib_mad_send_buf;
  try {
    msg = cm_alloc_response_msg(port, mad_recv_wc);
  } catch {
    return;
  }
  const dreq = mad_recv_wc.recv_buf.mad;
  cm_format_mad_hdr(msg.mad, CM_DREP_ATTR_ID, IBA_GET64(IB_MAD_TID, dreq));
  IBA_SET(CM_DREP_REMOTE_COMM_ID, msg.mad, IBA_GET(CM_DREQ_LOCAL_COMM_ID, dreq));
  IBA_SET(CM_DREP_LOCAL_COMM_ID, msg.mad, IBA_GET(CM_DREQ_REMOTE_COMM_ID, dreq));
  try_send(() => post_or_free(msg));
}

/** Kernel: cm.c cm_dreq_handler() */
function cm_dreq_handler(port: cm_port, mad_recv_wc: ib_mad_recv_wc): void {
  const mad = mad_recv_wc.recv_buf.mad;
  const id = cm_acquire_id(IBA_GET(CM_DREQ_REMOTE_COMM_ID, mad), IBA_GET(CM_DREQ_LOCAL_COMM_ID, mad));
  if (id === null) {
    cm_issue_drep(port, mad_recv_wc);
    return;
  }
  if (id.local_qpn !== IBA_GET(CM_DREQ_REMOTE_QPN_EECN, mad)) return;
  switch (id.state) {
    case ib_cm_state.IB_CM_REP_SENT:
    case ib_cm_state.IB_CM_DREQ_SENT:
      ib_cancel_mad(id.msg);
      id.msg = null;
      break;
    case ib_cm_state.IB_CM_ESTABLISHED:
    case ib_cm_state.IB_CM_MRA_REP_RCVD:
      break;
    case ib_cm_state.IB_CM_TIMEWAIT: {
      let msg: ib_mad_send_buf;
      try {
        msg = cm_alloc_response_msg(port, mad_recv_wc);
      } catch {
        return;
      }
      cm_format_drep(msg.mad, id, id.private_data, id.private_data?.length ?? 0);
      try_send(() => post_or_free(msg));
      return;
    }
    default:
      return;
  }
  id.state = ib_cm_state.IB_CM_DREQ_RCVD;
  id.tid = IBA_GET64(IB_MAD_TID, mad);
  cm_process_work(id, { event: ib_cm_event_type.IB_CM_DREQ_RECEIVED, param: {}, private_data: IBA_GET_MEM_PTR(CM_DREQ_PRIVATE_DATA, mad) });
}

/** Kernel: cm.c cm_drep_handler() */
function cm_drep_handler(mad_recv_wc: ib_mad_recv_wc): void {
  const mad = mad_recv_wc.recv_buf.mad;
  const id = cm_acquire_id(IBA_GET(CM_DREP_REMOTE_COMM_ID, mad), IBA_GET(CM_DREP_LOCAL_COMM_ID, mad));
  if (id === null) return;
  if (id.state !== ib_cm_state.IB_CM_DREQ_SENT && id.state !== ib_cm_state.IB_CM_DREQ_RCVD) return;
  cm_enter_timewait(id);
  ib_cancel_mad(id.msg);
  id.msg = null;
  cm_process_work(id, { event: ib_cm_event_type.IB_CM_DREP_RECEIVED, param: {}, private_data: IBA_GET_MEM_PTR(CM_DREP_PRIVATE_DATA, mad) });
}

/** Kernel: cm.c cm_acquire_rejected_id() */
function cm_acquire_rejected_id(mad: Uint8Array): ib_cm_id | null {
  const remote_id = IBA_GET(CM_REJ_LOCAL_COMM_ID, mad);
  if (IBA_GET(CM_REJ_REASON, mad) === ib_cm_rej_reason.IB_CM_REJ_TIMEOUT) {
    const ari = IBA_GET_MEM_PTR(CM_REJ_ARI, mad);
    let guid = 0n;
    for (let i = 0; i < 8; i++) guid = (guid << 8n) | BigInt(ari[i]!);
    const tw = cm.remote_id_table.get(rid_key(remote_id, guid));
    if (tw === undefined) return null;
    return cm_acquire_id(tw.local_id, remote_id);
  }
  if (IBA_GET(CM_REJ_MESSAGE_REJECTED, mad) === cm_msg_response.CM_MSG_RESPONSE_REQ) {
    return cm_acquire_id(IBA_GET(CM_REJ_REMOTE_COMM_ID, mad), 0);
  }
  return cm_acquire_id(IBA_GET(CM_REJ_REMOTE_COMM_ID, mad), remote_id);
}

/** Kernel: cm.c cm_rej_handler() / cm_format_rej_event() */
function cm_rej_handler(mad_recv_wc: ib_mad_recv_wc): void {
  const mad = mad_recv_wc.recv_buf.mad;
  const id = cm_acquire_rejected_id(mad);
  if (id === null) return;
  const reason = IBA_GET(CM_REJ_REASON, mad) as ib_cm_rej_reason;
  const S = ib_cm_state;
  const st = id.state;
  if (st === S.IB_CM_REQ_SENT || st === S.IB_CM_MRA_REQ_RCVD || st === S.IB_CM_REP_SENT || st === S.IB_CM_MRA_REP_RCVD ||
      st === S.IB_CM_REQ_RCVD || st === S.IB_CM_MRA_REQ_SENT) {
    if (st !== S.IB_CM_REQ_RCVD && st !== S.IB_CM_MRA_REQ_SENT) {
      ib_cancel_mad(id.msg);
      id.msg = null;
    }
    if (reason === ib_cm_rej_reason.IB_CM_REJ_STALE_CONN) cm_enter_timewait(id);
    else cm_reset_to_idle(id);
  } else if (st === S.IB_CM_DREQ_SENT || st === S.IB_CM_REP_RCVD || st === S.IB_CM_MRA_REP_SENT || st === S.IB_CM_ESTABLISHED) {
    if (st === S.IB_CM_DREQ_SENT) {
      ib_cancel_mad(id.msg);
      id.msg = null;
    }
    cm_enter_timewait(id);
  } else {
    return;
  }
  const rej_rcvd: ib_cm_rej_event_param = {
    reason,
    ari: IBA_GET_MEM_PTR(CM_REJ_ARI, mad),
    ari_length: IBA_GET(CM_REJ_REJECTED_INFO_LENGTH, mad),
  };
  cm_process_work(id, { event: ib_cm_event_type.IB_CM_REJ_RECEIVED, param: { rej_rcvd }, private_data: IBA_GET_MEM_PTR(CM_REJ_PRIVATE_DATA, mad) });
}

/** Kernel: cm.c cm_mra_handler() / cm_acquire_mraed_id() */
function cm_mra_handler(mad_recv_wc: ib_mad_recv_wc): void {
  const mad = mad_recv_wc.recv_buf.mad;
  const mraed = IBA_GET(CM_MRA_MESSAGE_MRAED, mad);
  let id: ib_cm_id | null;
  if (mraed === cm_msg_response.CM_MSG_RESPONSE_REQ) id = cm_acquire_id(IBA_GET(CM_MRA_REMOTE_COMM_ID, mad), 0);
  else if (mraed === cm_msg_response.CM_MSG_RESPONSE_REP || mraed === cm_msg_response.CM_MSG_RESPONSE_OTHER) {
    id = cm_acquire_id(IBA_GET(CM_MRA_REMOTE_COMM_ID, mad), IBA_GET(CM_MRA_LOCAL_COMM_ID, mad));
  } else id = null;
  if (id === null || id.msg === null) return;
  const service_timeout = IBA_GET(CM_MRA_SERVICE_TIMEOUT, mad);
  const timeout = cm_convert_to_ms(service_timeout) + cm_convert_to_ms(id.av.timeout);
  if (id.state === ib_cm_state.IB_CM_REQ_SENT && mraed === cm_msg_response.CM_MSG_RESPONSE_REQ) {
    if (!try_send(() => ib_modify_mad(id.msg!, timeout))) return;
    id.state = ib_cm_state.IB_CM_MRA_REQ_RCVD;
  } else if (id.state === ib_cm_state.IB_CM_REP_SENT && mraed === cm_msg_response.CM_MSG_RESPONSE_REP) {
    if (!try_send(() => ib_modify_mad(id.msg!, timeout))) return;
    id.state = ib_cm_state.IB_CM_MRA_REP_RCVD;
  } else {
    return;
  }
  id.msg.context[1] = id.state;
  cm_process_work(id, { event: ib_cm_event_type.IB_CM_MRA_RECEIVED, param: { mra_rcvd: { service_timeout } }, private_data: IBA_GET_MEM_PTR(CM_MRA_PRIVATE_DATA, mad) });
}

/** Emulator-only: ids currently known to the CM (tests check for leaks). */
export function ibCmIdCount(): number {
  return cm.local_id_table.size;
}

