import { expect } from 'chai';
import { ib_modify_qp_is_ok, ib_qp_state_name } from '../../src/core/qp_state_table.js';
import { ib_qp_state, ib_qp_type, ib_qp_attr_mask as M } from '../../src/core/ib_verbs.h.js';

const S = ib_qp_state;
const ALL_STATES = [S.IB_QPS_RESET, S.IB_QPS_INIT, S.IB_QPS_RTR, S.IB_QPS_RTS, S.IB_QPS_SQD, S.IB_QPS_SQE, S.IB_QPS_ERR];
const ALL_BITS: number[] = [];
for (let b = 0; b <= 25; b++) if (b < 21 || b === 25) ALL_BITS.push(1 << b);

interface Expect {
  req: number;
  opt: number;
}
type Table = Partial<Record<ib_qp_state, Partial<Record<ib_qp_state, Expect>>>>;
const e = (req = 0, opt = 0): Expect => ({ req, opt });

// IBA 11.2.5.2 / verbs.c, written out independently of the implementation.
const RC: Table = {
  [S.IB_QPS_RESET]: {
    [S.IB_QPS_RESET]: e(),
    [S.IB_QPS_ERR]: e(),
    [S.IB_QPS_INIT]: e(M.IB_QP_PKEY_INDEX | M.IB_QP_PORT | M.IB_QP_ACCESS_FLAGS),
  },
  [S.IB_QPS_INIT]: {
    [S.IB_QPS_RESET]: e(),
    [S.IB_QPS_ERR]: e(),
    [S.IB_QPS_INIT]: e(0, M.IB_QP_PKEY_INDEX | M.IB_QP_PORT | M.IB_QP_ACCESS_FLAGS),
    [S.IB_QPS_RTR]: e(
      M.IB_QP_AV | M.IB_QP_PATH_MTU | M.IB_QP_DEST_QPN | M.IB_QP_RQ_PSN | M.IB_QP_MAX_DEST_RD_ATOMIC | M.IB_QP_MIN_RNR_TIMER,
      M.IB_QP_ALT_PATH | M.IB_QP_ACCESS_FLAGS | M.IB_QP_PKEY_INDEX,
    ),
  },
  [S.IB_QPS_RTR]: {
    [S.IB_QPS_RESET]: e(),
    [S.IB_QPS_ERR]: e(),
    [S.IB_QPS_RTS]: e(
      M.IB_QP_TIMEOUT | M.IB_QP_RETRY_CNT | M.IB_QP_RNR_RETRY | M.IB_QP_SQ_PSN | M.IB_QP_MAX_QP_RD_ATOMIC,
      M.IB_QP_CUR_STATE | M.IB_QP_ALT_PATH | M.IB_QP_ACCESS_FLAGS | M.IB_QP_MIN_RNR_TIMER | M.IB_QP_PATH_MIG_STATE,
    ),
  },
  [S.IB_QPS_RTS]: {
    [S.IB_QPS_RESET]: e(),
    [S.IB_QPS_ERR]: e(),
    [S.IB_QPS_RTS]: e(0, M.IB_QP_CUR_STATE | M.IB_QP_ACCESS_FLAGS | M.IB_QP_ALT_PATH | M.IB_QP_PATH_MIG_STATE | M.IB_QP_MIN_RNR_TIMER),
    [S.IB_QPS_SQD]: e(0, M.IB_QP_EN_SQD_ASYNC_NOTIFY),
  },
  [S.IB_QPS_SQD]: {
    [S.IB_QPS_RESET]: e(),
    [S.IB_QPS_ERR]: e(),
    [S.IB_QPS_RTS]: e(0, M.IB_QP_CUR_STATE | M.IB_QP_ALT_PATH | M.IB_QP_ACCESS_FLAGS | M.IB_QP_MIN_RNR_TIMER | M.IB_QP_PATH_MIG_STATE),
    [S.IB_QPS_SQD]: e(
      0,
      M.IB_QP_PORT | M.IB_QP_AV | M.IB_QP_TIMEOUT | M.IB_QP_RETRY_CNT | M.IB_QP_RNR_RETRY | M.IB_QP_MAX_QP_RD_ATOMIC |
        M.IB_QP_MAX_DEST_RD_ATOMIC | M.IB_QP_ALT_PATH | M.IB_QP_ACCESS_FLAGS | M.IB_QP_PKEY_INDEX | M.IB_QP_MIN_RNR_TIMER |
        M.IB_QP_PATH_MIG_STATE,
    ),
  },
  [S.IB_QPS_SQE]: {
    [S.IB_QPS_RESET]: e(),
    [S.IB_QPS_ERR]: e(),
    [S.IB_QPS_RTS]: e(),
  },
  [S.IB_QPS_ERR]: {
    [S.IB_QPS_RESET]: e(),
    [S.IB_QPS_ERR]: e(),
  },
};

const UD: Table = {
  [S.IB_QPS_RESET]: {
    [S.IB_QPS_RESET]: e(),
    [S.IB_QPS_ERR]: e(),
    [S.IB_QPS_INIT]: e(M.IB_QP_PKEY_INDEX | M.IB_QP_PORT | M.IB_QP_QKEY),
  },
  [S.IB_QPS_INIT]: {
    [S.IB_QPS_RESET]: e(),
    [S.IB_QPS_ERR]: e(),
    [S.IB_QPS_INIT]: e(0, M.IB_QP_PKEY_INDEX | M.IB_QP_PORT | M.IB_QP_QKEY),
    [S.IB_QPS_RTR]: e(0, M.IB_QP_PKEY_INDEX | M.IB_QP_QKEY),
  },
  [S.IB_QPS_RTR]: {
    [S.IB_QPS_RESET]: e(),
    [S.IB_QPS_ERR]: e(),
    [S.IB_QPS_RTS]: e(M.IB_QP_SQ_PSN, M.IB_QP_CUR_STATE | M.IB_QP_QKEY),
  },
  [S.IB_QPS_RTS]: {
    [S.IB_QPS_RESET]: e(),
    [S.IB_QPS_ERR]: e(),
    [S.IB_QPS_RTS]: e(0, M.IB_QP_CUR_STATE | M.IB_QP_QKEY),
    [S.IB_QPS_SQD]: e(0, M.IB_QP_EN_SQD_ASYNC_NOTIFY),
  },
  [S.IB_QPS_SQD]: {
    [S.IB_QPS_RESET]: e(),
    [S.IB_QPS_ERR]: e(),
    [S.IB_QPS_RTS]: e(0, M.IB_QP_CUR_STATE | M.IB_QP_QKEY),
    [S.IB_QPS_SQD]: e(0, M.IB_QP_PKEY_INDEX | M.IB_QP_QKEY),
  },
  [S.IB_QPS_SQE]: {
    [S.IB_QPS_RESET]: e(),
    [S.IB_QPS_ERR]: e(),
    [S.IB_QPS_RTS]: e(0, M.IB_QP_CUR_STATE | M.IB_QP_QKEY),
  },
  [S.IB_QPS_ERR]: {
    [S.IB_QPS_RESET]: e(),
    [S.IB_QPS_ERR]: e(),
  },
};

function bits(mask: number): number[] {
  return ALL_BITS.filter((b) => (mask & b) !== 0);
}

function checkType(name: string, type: ib_qp_type, table: Table): void {
  describe(`ib_modify_qp_is_ok: ${name}`, () => {
    for (const cur of ALL_STATES) {
      for (const next of ALL_STATES) {
        const t = table[cur]?.[next];
        const edge = `${ib_qp_state_name(cur)} -> ${ib_qp_state_name(next)}`;
        if (t === undefined) {
          it(`rejects ${edge} (illegal transition)`, () => {
            expect(ib_modify_qp_is_ok(cur, next, type, M.IB_QP_STATE)).to.equal(false);
            // even with every attribute of every other transition
            expect(ib_modify_qp_is_ok(cur, next, type, 0x3ffffff)).to.equal(false);
          });
          continue;
        }
        it(`accepts ${edge} with exactly the required attributes`, () => {
          expect(ib_modify_qp_is_ok(cur, next, type, M.IB_QP_STATE | t.req)).to.equal(true);
          expect(ib_modify_qp_is_ok(cur, next, type, M.IB_QP_STATE | t.req | t.opt), 'with all optional').to.equal(true);
        });
        if (t.req) {
          it(`rejects ${edge} when any required attribute is missing`, () => {
            for (const b of bits(t.req)) {
              expect(ib_modify_qp_is_ok(cur, next, type, M.IB_QP_STATE | (t.req & ~b)), `without 0x${b.toString(16)}`).to.equal(false);
            }
          });
        }
        it(`accepts each optional and rejects each other attribute on ${edge}`, () => {
          for (const b of ALL_BITS) {
            if (b === M.IB_QP_STATE || t.req & b) continue;
            const ok = ib_modify_qp_is_ok(cur, next, type, M.IB_QP_STATE | t.req | b);
            expect(ok, `bit 0x${b.toString(16)}`).to.equal((t.opt & b) !== 0);
          }
        });
      }
    }
  });
}

checkType('RC', ib_qp_type.IB_QPT_RC, RC);
checkType('UD', ib_qp_type.IB_QPT_UD, UD);

describe('ib_modify_qp_is_ok: other types and rules', () => {
  it('UC RESET -> INIT needs PKEY_INDEX | PORT | ACCESS_FLAGS, INIT -> RTR needs AV | PATH_MTU | DEST_QPN | RQ_PSN', () => {
    const uc = ib_qp_type.IB_QPT_UC;
    expect(ib_modify_qp_is_ok(S.IB_QPS_RESET, S.IB_QPS_INIT, uc, M.IB_QP_STATE | M.IB_QP_PKEY_INDEX | M.IB_QP_PORT | M.IB_QP_ACCESS_FLAGS)).to.equal(true);
    expect(ib_modify_qp_is_ok(S.IB_QPS_INIT, S.IB_QPS_RTR, uc, M.IB_QP_STATE | M.IB_QP_AV | M.IB_QP_PATH_MTU | M.IB_QP_DEST_QPN | M.IB_QP_RQ_PSN)).to.equal(true);
    expect(ib_modify_qp_is_ok(S.IB_QPS_INIT, S.IB_QPS_RTR, uc, M.IB_QP_STATE | M.IB_QP_AV | M.IB_QP_PATH_MTU | M.IB_QP_DEST_QPN | M.IB_QP_RQ_PSN | M.IB_QP_MAX_DEST_RD_ATOMIC)).to.equal(false);
    expect(ib_modify_qp_is_ok(S.IB_QPS_RTR, S.IB_QPS_RTS, uc, M.IB_QP_STATE | M.IB_QP_SQ_PSN)).to.equal(true);
  });
  it('GSI RESET -> INIT needs PKEY_INDEX | QKEY (no PORT)', () => {
    const gsi = ib_qp_type.IB_QPT_GSI;
    expect(ib_modify_qp_is_ok(S.IB_QPS_RESET, S.IB_QPS_INIT, gsi, M.IB_QP_STATE | M.IB_QP_PKEY_INDEX | M.IB_QP_QKEY)).to.equal(true);
    expect(ib_modify_qp_is_ok(S.IB_QPS_RESET, S.IB_QPS_INIT, gsi, M.IB_QP_STATE | M.IB_QP_PKEY_INDEX | M.IB_QP_QKEY | M.IB_QP_PORT)).to.equal(false);
    expect(ib_modify_qp_is_ok(S.IB_QPS_RTR, S.IB_QPS_RTS, gsi, M.IB_QP_STATE | M.IB_QP_SQ_PSN)).to.equal(true);
  });
  it('accepts IB_QP_CUR_STATE only from RTR, RTS, SQD and SQE', () => {
    const rc = ib_qp_type.IB_QPT_RC;
    expect(ib_modify_qp_is_ok(S.IB_QPS_INIT, S.IB_QPS_ERR, rc, M.IB_QP_STATE | M.IB_QP_CUR_STATE)).to.equal(false);
    expect(ib_modify_qp_is_ok(S.IB_QPS_RTS, S.IB_QPS_RTS, rc, M.IB_QP_STATE | M.IB_QP_CUR_STATE)).to.equal(true);
  });
  it('rejects states outside RESET..ERR', () => {
    expect(ib_modify_qp_is_ok(7 as ib_qp_state, S.IB_QPS_ERR, ib_qp_type.IB_QPT_RC, M.IB_QP_STATE)).to.equal(false);
    expect(ib_modify_qp_is_ok(S.IB_QPS_RESET, -1 as ib_qp_state, ib_qp_type.IB_QPT_RC, M.IB_QP_STATE)).to.equal(false);
  });
});
