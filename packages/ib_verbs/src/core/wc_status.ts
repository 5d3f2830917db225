/**
 * wc_status - the kernel's text for work-completion statuses and async events.
 *
 * Kernel: drivers/infiniband/core/verbs.c wc_statuses[], ib_wc_status_msg(), ib_events[],
 * ib_event_msg()
 *
 * Operation: table lookups; an unknown value gives the kernel's "unrecognized status" /
 * "unrecognized event". The strings are exactly the kernel's, so log lines match dmesg.
 */
import { ib_wc_status, ib_event_type } from './ib_verbs.h.js';

const wc_statuses: readonly string[] = [
  /* IB_WC_SUCCESS */ 'success',
  /* IB_WC_LOC_LEN_ERR */ 'local length error',
  /* IB_WC_LOC_QP_OP_ERR */ 'local QP operation error',
  /* IB_WC_LOC_EEC_OP_ERR */ 'local EE context operation error',
  /* IB_WC_LOC_PROT_ERR */ 'local protection error',
  /* IB_WC_WR_FLUSH_ERR */ 'WR flushed',
  /* IB_WC_MW_BIND_ERR */ 'memory bind operation error',
  /* IB_WC_BAD_RESP_ERR */ 'bad response error',
  /* IB_WC_LOC_ACCESS_ERR */ 'local access error',
  /* IB_WC_REM_INV_REQ_ERR */ 'remote invalid request error',
  /* IB_WC_REM_ACCESS_ERR */ 'remote access error',
  /* IB_WC_REM_OP_ERR */ 'remote operation error',
  /* IB_WC_RETRY_EXC_ERR */ 'transport retry counter exceeded',
  /* IB_WC_RNR_RETRY_EXC_ERR */ 'RNR retry counter exceeded',
  /* IB_WC_LOC_RDD_VIOL_ERR */ 'local RDD violation error',
  /* IB_WC_REM_INV_RD_REQ_ERR */ 'remote invalid RD request',
  /* IB_WC_REM_ABORT_ERR */ 'operation aborted',
  /* IB_WC_INV_EECN_ERR */ 'invalid EE context number',
  /* IB_WC_INV_EEC_STATE_ERR */ 'invalid EE context state',
  /* IB_WC_FATAL_ERR */ 'fatal error',
  /* IB_WC_RESP_TIMEOUT_ERR */ 'response timeout error',
  /* IB_WC_GENERAL_ERR */ 'general error',
];

/**
 * ib_wc_status_msg - the kernel's text for a completion status.
 * Kernel: drivers/infiniband/core/verbs.c ib_wc_status_msg()
 * @example
 * ```ts
 * ib_wc_status_msg(ib_wc_status.IB_WC_WR_FLUSH_ERR); // 'WR flushed'
 * ```
 */
export function ib_wc_status_msg(status: ib_wc_status): string {
  return wc_statuses[status] ?? 'unrecognized status';
}

const ib_events: readonly string[] = [
  /* IB_EVENT_CQ_ERR */ 'CQ error',
  /* IB_EVENT_QP_FATAL */ 'QP fatal error',
  /* IB_EVENT_QP_REQ_ERR */ 'QP request error',
  /* IB_EVENT_QP_ACCESS_ERR */ 'QP access error',
  /* IB_EVENT_COMM_EST */ 'communication established',
  /* IB_EVENT_SQ_DRAINED */ 'send queue drained',
  /* IB_EVENT_PATH_MIG */ 'path migration successful',
  /* IB_EVENT_PATH_MIG_ERR */ 'path migration error',
  /* IB_EVENT_DEVICE_FATAL */ 'device fatal error',
  /* IB_EVENT_PORT_ACTIVE */ 'port active',
  /* IB_EVENT_PORT_ERR */ 'port error',
  /* IB_EVENT_LID_CHANGE */ 'LID change',
  /* IB_EVENT_PKEY_CHANGE */ 'P_key change',
  /* IB_EVENT_SM_CHANGE */ 'SM change',
  /* IB_EVENT_SRQ_ERR */ 'SRQ error',
  /* IB_EVENT_SRQ_LIMIT_REACHED */ 'SRQ limit reached',
  /* IB_EVENT_QP_LAST_WQE_REACHED */ 'last WQE reached',
  /* IB_EVENT_CLIENT_REREGISTER */ 'client reregister',
  /* IB_EVENT_GID_CHANGE */ 'GID changed',
];

/**
 * ib_event_msg - the kernel's text for an async event type.
 * Kernel: drivers/infiniband/core/verbs.c ib_event_msg()
 * @example
 * ```ts
 * ib_event_msg(ib_event_type.IB_EVENT_QP_FATAL); // 'QP fatal error'
 * ```
 */
export function ib_event_msg(event: ib_event_type): string {
  return ib_events[event] ?? 'unrecognized event';
}
