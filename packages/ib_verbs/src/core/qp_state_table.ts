/**
 * qp_state_table - the legal QP state transitions and, per transition and QP type, the
 * attributes `ib_modify_qp` must (required) and may (optional) carry.
 *
 * Kernel: drivers/infiniband/core/verbs.c qp_state_table[], ib_modify_qp_is_ok()
 * Spec: IBA 11.2.5 (Modify QP), IBA 10.3.1 (QP state diagram)
 *
 * Operation
 * ---------
 * A provider's `modify_qp` calls `ib_modify_qp_is_ok(cur, next, type, mask)` (cur is
 * `attr.cur_qp_state` when the mask has IB_QP_CUR_STATE, else the QP's own state) and fails the
 * verb with EINVAL when it returns false. A transition is ok when it is in the table, the mask
 * holds every required attribute, and holds nothing besides IB_QP_STATE, the required and the
 * optional ones. IB_QP_CUR_STATE is only accepted from RTR, RTS, SQD and SQE.
 *
 * State diagram (valid edges; every state may also go to RESET and ERR):
 *
 *   RESET -> INIT -> RTR -> RTS <-> SQD
 *            INIT -> INIT   RTS -> RTS, SQD -> SQD, SQE -> RTS
 *   RESET -> RESET, ERR -> RESET/ERR
 *
 * Invariants: table entries hold masks below 2^26, so plain `&`/`|` is exact.
 */
import { ib_qp_state, ib_qp_type, ib_qp_attr_mask } from './ib_verbs.h.js';

const {
  IB_QP_STATE, IB_QP_CUR_STATE, IB_QP_EN_SQD_ASYNC_NOTIFY, IB_QP_ACCESS_FLAGS, IB_QP_PKEY_INDEX, IB_QP_PORT, IB_QP_QKEY,
  IB_QP_AV, IB_QP_PATH_MTU, IB_QP_TIMEOUT, IB_QP_RETRY_CNT, IB_QP_RNR_RETRY, IB_QP_RQ_PSN, IB_QP_MAX_QP_RD_ATOMIC,
  IB_QP_ALT_PATH, IB_QP_MIN_RNR_TIMER, IB_QP_SQ_PSN, IB_QP_MAX_DEST_RD_ATOMIC, IB_QP_PATH_MIG_STATE, IB_QP_DEST_QPN,
  IB_QP_RATE_LIMIT,
} = ib_qp_attr_mask;
const { IB_QPT_SMI, IB_QPT_GSI, IB_QPT_RC, IB_QPT_UC, IB_QPT_UD, IB_QPT_RAW_PACKET, IB_QPT_XRC_INI, IB_QPT_XRC_TGT } = ib_qp_type;
const { IB_QPS_RESET, IB_QPS_INIT, IB_QPS_RTR, IB_QPS_RTS, IB_QPS_SQD, IB_QPS_SQE, IB_QPS_ERR } = ib_qp_state;

/** Per-QP-type attribute masks of one transition (absent type = 0). */
export type qp_type_masks = Partial<Record<ib_qp_type, number>>;

/** qp_state_transition - one table entry. Kernel: verbs.c qp_state_table[cur][next] */
export interface qp_state_transition {
  valid: boolean;
  req_param: qp_type_masks;
  opt_param: qp_type_masks;
}

const valid = (req_param: qp_type_masks = {}, opt_param: qp_type_masks = {}): qp_state_transition => ({ valid: true, req_param, opt_param });
const INVALID: qp_state_transition = Object.freeze({ valid: false, req_param: {}, opt_param: {} }) as qp_state_transition;

const RC_RTR_REQ = IB_QP_AV | IB_QP_PATH_MTU | IB_QP_DEST_QPN | IB_QP_RQ_PSN | IB_QP_MAX_DEST_RD_ATOMIC | IB_QP_MIN_RNR_TIMER;
const UC_RTR_REQ = IB_QP_AV | IB_QP_PATH_MTU | IB_QP_DEST_QPN | IB_QP_RQ_PSN;
const RC_RTS_REQ = IB_QP_TIMEOUT | IB_QP_RETRY_CNT | IB_QP_RNR_RETRY | IB_QP_SQ_PSN | IB_QP_MAX_QP_RD_ATOMIC;
const CONN_INIT = IB_QP_PKEY_INDEX | IB_QP_PORT | IB_QP_ACCESS_FLAGS;
const CONN_RTR_OPT = IB_QP_ALT_PATH | IB_QP_ACCESS_FLAGS | IB_QP_PKEY_INDEX;
const UC_RTS_OPT = IB_QP_CUR_STATE | IB_QP_ALT_PATH | IB_QP_ACCESS_FLAGS | IB_QP_PATH_MIG_STATE;
const RC_RTS_OPT = UC_RTS_OPT | IB_QP_MIN_RNR_TIMER;
const DGRAM_RTS_OPT = IB_QP_CUR_STATE | IB_QP_QKEY;

function row(entries: Partial<Record<ib_qp_state, qp_state_transition>>): qp_state_transition[] {
  const r: qp_state_transition[] = [];
  for (let s = IB_QPS_RESET; s <= IB_QPS_ERR; s++) r.push(entries[s as ib_qp_state] ?? INVALID);
  return r;
}

/**
 * qp_state_table - `qp_state_table[cur][next]`.
 * Kernel: drivers/infiniband/core/verbs.c qp_state_table (Linux 6.x, incl. RESET -> ERR)
 */
export const qp_state_table: readonly (readonly qp_state_transition[])[] = [
  // IB_QPS_RESET
  row({
    [IB_QPS_RESET]: valid(),
    [IB_QPS_ERR]: valid(),
    [IB_QPS_INIT]: valid({
      [IB_QPT_UD]: IB_QP_PKEY_INDEX | IB_QP_PORT | IB_QP_QKEY,
      [IB_QPT_RAW_PACKET]: IB_QP_PORT,
      [IB_QPT_UC]: CONN_INIT,
      [IB_QPT_RC]: CONN_INIT,
      [IB_QPT_XRC_INI]: CONN_INIT,
      [IB_QPT_XRC_TGT]: CONN_INIT,
      [IB_QPT_SMI]: IB_QP_PKEY_INDEX | IB_QP_QKEY,
      [IB_QPT_GSI]: IB_QP_PKEY_INDEX | IB_QP_QKEY,
    }),
  }),
  // IB_QPS_INIT
  row({
    [IB_QPS_RESET]: valid(),
    [IB_QPS_ERR]: valid(),
    [IB_QPS_INIT]: valid({}, {
      [IB_QPT_UD]: IB_QP_PKEY_INDEX | IB_QP_PORT | IB_QP_QKEY,
      [IB_QPT_UC]: CONN_INIT,
      [IB_QPT_RC]: CONN_INIT,
      [IB_QPT_XRC_INI]: CONN_INIT,
      [IB_QPT_XRC_TGT]: CONN_INIT,
      [IB_QPT_SMI]: IB_QP_PKEY_INDEX | IB_QP_QKEY,
      [IB_QPT_GSI]: IB_QP_PKEY_INDEX | IB_QP_QKEY,
    }),
    [IB_QPS_RTR]: valid(
      {
        [IB_QPT_UC]: UC_RTR_REQ,
        [IB_QPT_RC]: RC_RTR_REQ,
        [IB_QPT_XRC_INI]: UC_RTR_REQ,
        [IB_QPT_XRC_TGT]: RC_RTR_REQ,
      },
      {
        [IB_QPT_UD]: IB_QP_PKEY_INDEX | IB_QP_QKEY,
        [IB_QPT_UC]: CONN_RTR_OPT,
        [IB_QPT_RC]: CONN_RTR_OPT,
        [IB_QPT_XRC_INI]: CONN_RTR_OPT,
        [IB_QPT_XRC_TGT]: CONN_RTR_OPT,
        [IB_QPT_SMI]: IB_QP_PKEY_INDEX | IB_QP_QKEY,
        [IB_QPT_GSI]: IB_QP_PKEY_INDEX | IB_QP_QKEY,
      },
    ),
  }),
  // IB_QPS_RTR
  row({
    [IB_QPS_RESET]: valid(),
    [IB_QPS_ERR]: valid(),
    [IB_QPS_RTS]: valid(
      {
        [IB_QPT_UD]: IB_QP_SQ_PSN,
        [IB_QPT_UC]: IB_QP_SQ_PSN,
        [IB_QPT_RC]: RC_RTS_REQ,
        [IB_QPT_XRC_INI]: RC_RTS_REQ,
        [IB_QPT_XRC_TGT]: IB_QP_TIMEOUT | IB_QP_SQ_PSN,
        [IB_QPT_SMI]: IB_QP_SQ_PSN,
        [IB_QPT_GSI]: IB_QP_SQ_PSN,
      },
      {
        [IB_QPT_UD]: DGRAM_RTS_OPT,
        [IB_QPT_UC]: UC_RTS_OPT,
        [IB_QPT_RC]: RC_RTS_OPT,
        [IB_QPT_XRC_INI]: UC_RTS_OPT,
        [IB_QPT_XRC_TGT]: RC_RTS_OPT,
        [IB_QPT_SMI]: DGRAM_RTS_OPT,
        [IB_QPT_GSI]: DGRAM_RTS_OPT,
        [IB_QPT_RAW_PACKET]: IB_QP_RATE_LIMIT,
      },
    ),
  }),
  // IB_QPS_RTS
  row({
    [IB_QPS_RESET]: valid(),
    [IB_QPS_ERR]: valid(),
    [IB_QPS_RTS]: valid({}, {
      [IB_QPT_UD]: DGRAM_RTS_OPT,
      [IB_QPT_UC]: UC_RTS_OPT,
      [IB_QPT_RC]: RC_RTS_OPT,
      [IB_QPT_XRC_INI]: UC_RTS_OPT,
      [IB_QPT_XRC_TGT]: RC_RTS_OPT,
      [IB_QPT_SMI]: DGRAM_RTS_OPT,
      [IB_QPT_GSI]: DGRAM_RTS_OPT,
      [IB_QPT_RAW_PACKET]: IB_QP_RATE_LIMIT,
    }),
    [IB_QPS_SQD]: valid({}, {
      [IB_QPT_UD]: IB_QP_EN_SQD_ASYNC_NOTIFY,
      [IB_QPT_UC]: IB_QP_EN_SQD_ASYNC_NOTIFY,
      [IB_QPT_RC]: IB_QP_EN_SQD_ASYNC_NOTIFY,
      [IB_QPT_XRC_INI]: IB_QP_EN_SQD_ASYNC_NOTIFY,
      [IB_QPT_XRC_TGT]: IB_QP_EN_SQD_ASYNC_NOTIFY,
      [IB_QPT_SMI]: IB_QP_EN_SQD_ASYNC_NOTIFY,
      [IB_QPT_GSI]: IB_QP_EN_SQD_ASYNC_NOTIFY,
    }),
  }),
  // IB_QPS_SQD
  row({
    [IB_QPS_RESET]: valid(),
    [IB_QPS_ERR]: valid(),
    [IB_QPS_RTS]: valid({}, {
      [IB_QPT_UD]: DGRAM_RTS_OPT,
      [IB_QPT_UC]: UC_RTS_OPT,
      [IB_QPT_RC]: RC_RTS_OPT,
      [IB_QPT_XRC_INI]: UC_RTS_OPT,
      [IB_QPT_XRC_TGT]: RC_RTS_OPT,
      [IB_QPT_SMI]: DGRAM_RTS_OPT,
      [IB_QPT_GSI]: DGRAM_RTS_OPT,
    }),
    [IB_QPS_SQD]: valid({}, {
      [IB_QPT_UD]: IB_QP_PKEY_INDEX | IB_QP_QKEY,
      [IB_QPT_UC]: IB_QP_AV | IB_QP_ALT_PATH | IB_QP_ACCESS_FLAGS | IB_QP_PKEY_INDEX | IB_QP_PATH_MIG_STATE,
      [IB_QPT_RC]:
        IB_QP_PORT | IB_QP_AV | IB_QP_TIMEOUT | IB_QP_RETRY_CNT | IB_QP_RNR_RETRY | IB_QP_MAX_QP_RD_ATOMIC |
        IB_QP_MAX_DEST_RD_ATOMIC | IB_QP_ALT_PATH | IB_QP_ACCESS_FLAGS | IB_QP_PKEY_INDEX | IB_QP_MIN_RNR_TIMER |
        IB_QP_PATH_MIG_STATE,
      [IB_QPT_XRC_INI]:
        IB_QP_PORT | IB_QP_AV | IB_QP_TIMEOUT | IB_QP_RETRY_CNT | IB_QP_RNR_RETRY | IB_QP_MAX_QP_RD_ATOMIC |
        IB_QP_ALT_PATH | IB_QP_ACCESS_FLAGS | IB_QP_PKEY_INDEX | IB_QP_PATH_MIG_STATE,
      [IB_QPT_XRC_TGT]:
        IB_QP_PORT | IB_QP_AV | IB_QP_TIMEOUT | IB_QP_MAX_DEST_RD_ATOMIC | IB_QP_ALT_PATH | IB_QP_ACCESS_FLAGS |
        IB_QP_PKEY_INDEX | IB_QP_MIN_RNR_TIMER | IB_QP_PATH_MIG_STATE,
      [IB_QPT_SMI]: IB_QP_PKEY_INDEX | IB_QP_QKEY,
      [IB_QPT_GSI]: IB_QP_PKEY_INDEX | IB_QP_QKEY,
    }),
  }),
  // IB_QPS_SQE
  row({
    [IB_QPS_RESET]: valid(),
    [IB_QPS_ERR]: valid(),
    [IB_QPS_RTS]: valid({}, {
      [IB_QPT_UD]: DGRAM_RTS_OPT,
      [IB_QPT_UC]: IB_QP_CUR_STATE | IB_QP_ACCESS_FLAGS,
      [IB_QPT_SMI]: DGRAM_RTS_OPT,
      [IB_QPT_GSI]: DGRAM_RTS_OPT,
    }),
  }),
  // IB_QPS_ERR
  row({
    [IB_QPS_RESET]: valid(),
    [IB_QPS_ERR]: valid(),
  }),
];

/**
 * ib_modify_qp_is_ok - check a requested QP state transition and its attribute mask.
 *
 * True when cur_state -> next_state is a legal transition for `type`, the mask holds every
 * required attribute of that transition and nothing but IB_QP_STATE, required and optional
 * attributes, and IB_QP_CUR_STATE (if present) is used from RTR, RTS, SQD or SQE.
 *
 * Kernel: drivers/infiniband/core/verbs.c ib_modify_qp_is_ok()
 * Spec: IBA 11.2.5.2, table 91 (QP state transition properties)
 * @param cur_state the current state (attr.cur_qp_state if the mask has IB_QP_CUR_STATE)
 * @param next_state the requested state (attr.qp_state; = cur_state when IB_QP_STATE is absent)
 * @param type the QP type
 * @param mask the ib_qp_attr_mask bits supplied
 * @returns whether the modify is allowed
 * @example RC: RESET -> INIT needs PKEY_INDEX, PORT and ACCESS_FLAGS
 * ```ts
 * ib_modify_qp_is_ok(ib_qp_state.IB_QPS_RESET, ib_qp_state.IB_QPS_INIT, ib_qp_type.IB_QPT_RC,
 *   ib_qp_attr_mask.IB_QP_STATE | ib_qp_attr_mask.IB_QP_PKEY_INDEX | ib_qp_attr_mask.IB_QP_PORT |
 *   ib_qp_attr_mask.IB_QP_ACCESS_FLAGS); // true
 * ```
 */
export function ib_modify_qp_is_ok(cur_state: ib_qp_state, next_state: ib_qp_state, type: ib_qp_type, mask: number): boolean {
  if (!(cur_state >= IB_QPS_RESET && cur_state <= IB_QPS_ERR) || !(next_state >= IB_QPS_RESET && next_state <= IB_QPS_ERR)) return false;
  if (
    mask & IB_QP_CUR_STATE &&
    cur_state !== IB_QPS_RTR && cur_state !== IB_QPS_RTS && cur_state !== IB_QPS_SQD && cur_state !== IB_QPS_SQE
  ) {
    return false;
  }
  const t = qp_state_table[cur_state]![next_state]!;
  if (!t.valid) return false;
  const req_param = t.req_param[type] ?? 0;
  const opt_param = t.opt_param[type] ?? 0;
  if ((mask & req_param) !== req_param) return false;
  if (mask & ~(req_param | opt_param | IB_QP_STATE)) return false;
  return true;
}

/** ib_qp_state_name - emulator-only: 'RESET', 'INIT', ... for logs and test names. */
export function ib_qp_state_name(state: ib_qp_state): string {
  return (ib_qp_state[state] ?? `state ${state}`).replace('IB_QPS_', '');
}
