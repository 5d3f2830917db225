/**
 * mad.spec - the MAD header and the IBA CM message layouts (ib_mad.h.ts), and the MAD layer's
 * QP1 (mad.ts).
 */
import { expect } from 'chai';
import { SeededRandom } from '@rdmaemu/sim-core';
import {
  IBA_GET, IBA_SET, IBA_GET64, IBA_SET64, IBA_GET_MEM, IBA_SET_MEM, IB_MGMT_MAD_SIZE, IB_MGMT_MAD_HDR, IB_MGMT_BASE_VERSION,
  IB_MGMT_CLASS_CM, IB_CM_CLASS_VERSION, IB_MGMT_METHOD_SEND, IB_QP1_QKEY, CM_REQ_ATTR_ID, CM_MRA_ATTR_ID, CM_REJ_ATTR_ID,
  CM_REP_ATTR_ID, CM_RTU_ATTR_ID, CM_DREQ_ATTR_ID, CM_DREP_ATTR_ID, cm_msg_layouts, ib_mad_hdr_fields, ib_mad_hdr_get,
  ib_mad_hdr_set, cm_format_mad_hdr, CM_REQ_SERVICE_ID, CM_REQ_LOCAL_CA_GUID, CM_REQ_LOCAL_QPN, CM_REQ_RESPONDER_RESOURCES,
  CM_REQ_INITIATOR_DEPTH, CM_REQ_REMOTE_CM_RESPONSE_TIMEOUT, CM_REQ_LOCAL_CM_RESPONSE_TIMEOUT, CM_REQ_RETRY_COUNT,
  CM_REQ_RNR_RETRY_COUNT, CM_REQ_MAX_CM_RETRIES, CM_REQ_PATH_PACKET_PAYLOAD_MTU, CM_REQ_PRIMARY_LOCAL_PORT_LID,
  CM_REQ_PRIMARY_REMOTE_PORT_LID, CM_REQ_PRIMARY_LOCAL_PORT_GID, CM_REQ_PRIMARY_REMOTE_PORT_GID, CM_REQ_PRIMARY_HOP_LIMIT,
  CM_REQ_PRIMARY_FLOW_LABEL, CM_REQ_PRIMARY_LOCAL_ACK_TIMEOUT, CM_REQ_STARTING_PSN, CM_REQ_PRIVATE_DATA, CM_REJ_REASON,
  CM_REP_RNR_RETRY_COUNT, CM_REP_SRQ, CM_REQ_PARTITION_KEY, type iba_field,
} from '../../src/core/ib_mad.h.js';
import { ib_get_mad_port, IB_MAD_QP_RECV_SIZE } from '../../src/core/mad.js';
import { ib_query_qp } from '../../src/core/verbs.js';
import { ib_qp_state, ib_qp_type, rdma_ip2gid } from '../../src/core/ib_verbs.h.js';
import { cmaBed, cmaUnload } from './_cma_bed.js';

const seed = Number(process.env['RDMAEMU_SEED'] ?? 0x5eed);

describe('ib_mad.h: MAD header and IBTA vol1 ch. 12 layouts', () => {
  it('has the kernel constants', () => {
    expect([IB_MGMT_BASE_VERSION, IB_MGMT_CLASS_CM, IB_CM_CLASS_VERSION, IB_MGMT_METHOD_SEND]).to.deep.equal([1, 7, 2, 3]);
    expect([IB_MGMT_MAD_SIZE, IB_MGMT_MAD_HDR, IB_QP1_QKEY]).to.deep.equal([256, 24, 0x80010000]);
    expect([CM_REQ_ATTR_ID, CM_MRA_ATTR_ID, CM_REJ_ATTR_ID, CM_REP_ATTR_ID, CM_RTU_ATTR_ID, CM_DREQ_ATTR_ID, CM_DREP_ATTR_ID])
      .to.deep.equal([0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16]);
  });

  const all: [string, readonly iba_field[]][] = [['ib_mad_hdr', ib_mad_hdr_fields],
    ...Object.entries(cm_msg_layouts).map(([k, v]) => [`attr 0x${Number(k).toString(16)}`, v] as [string, readonly iba_field[]])];
  for (const [name, fields] of all) {
    it(`${name}: fields lie in the MAD, in order, without overlap`, () => {
      let end = 0;
      for (const f of fields) {
        const start = f.byte * 8 + f.bit;
        expect(start, f.name).to.be.at.least(end);
        end = start + f.bits;
        expect(end, f.name).to.be.at.most(IB_MGMT_MAD_SIZE * 8);
      }
    });
  }

  it('private data fields end exactly at byte 256 with the kernel sizes (REQ 92, REP 196, REJ 148, RTU 224, DREQ 220, DREP 224)', () => {
    const sizes: Record<number, number> = { [CM_REQ_ATTR_ID]: 92, [CM_REP_ATTR_ID]: 196, [CM_REJ_ATTR_ID]: 148, [CM_RTU_ATTR_ID]: 224,
      [CM_DREQ_ATTR_ID]: 220, [CM_DREP_ATTR_ID]: 224, [CM_MRA_ATTR_ID]: 222 };
    for (const [attr, n] of Object.entries(sizes)) {
      const pd = cm_msg_layouts[Number(attr)]!.at(-1)!;
      expect(pd.bits / 8, pd.name).to.equal(n);
      expect(pd.byte + pd.bits / 8, pd.name).to.equal(256);
    }
  });

  it(`IBA_SET/IBA_GET round-trip every field with random values and leave the other bits alone (seed ${seed})`, () => {
    const rnd = new SeededRandom(seed);
    for (const [, fields] of all) {
      for (let round = 0; round < 20; round++) {
        const mad = new Uint8Array(IB_MGMT_MAD_SIZE);
        for (let i = 0; i < mad.length; i++) mad[i] = rnd.nextU32() & 0xff;
        for (const f of fields) {
          const before = mad.slice();
          if (f.bits === 64) {
            const v = (BigInt(rnd.nextU32()) << 32n) | BigInt(rnd.nextU32());
            IBA_SET64(f, mad, v);
            expect(IBA_GET64(f, mad)).to.equal(v);
          } else if (f.bits > 32) {
            const v = new Uint8Array(f.bits / 8).map(() => rnd.nextU32() & 0xff);
            IBA_SET_MEM(f, mad, v);
            expect(Array.from(IBA_GET_MEM(f, mad))).to.deep.equal(Array.from(v));
          } else {
            const v = rnd.nextU32() % 2 ** f.bits;
            IBA_SET(f, mad, v);
            expect(IBA_GET(f, mad), f.name).to.equal(v);
          }
          for (let b = 0; b < IB_MGMT_MAD_SIZE * 8; b++) {
            if (b >= f.byte * 8 + f.bit && b < f.byte * 8 + f.bit + f.bits) continue;
            const bit = (x: Uint8Array): number => (x[b >> 3]! >> (7 - (b & 7))) & 1;
            if (bit(before) !== bit(mad)) expect.fail(`${f.name} changed bit ${b}`);
          }
        }
      }
    }
  });

  it('ib_mad_hdr_get / cm_format_mad_hdr: base 1, class 7, version 2, method 3, attribute, TID', () => {
    const mad = new Uint8Array(IB_MGMT_MAD_SIZE);
    cm_format_mad_hdr(mad, CM_REQ_ATTR_ID, 0x00000002deadbeefn);
    expect(Array.from(mad.subarray(0, 24))).to.deep.equal([1, 7, 2, 3, 0, 0, 0, 0, 0, 0, 0, 2, 0xde, 0xad, 0xbe, 0xef, 0, 0x10, 0, 0, 0, 0, 0, 0]);
    const h = ib_mad_hdr_get(mad);
    expect(h.tid).to.equal(0x00000002deadbeefn);
    const copy = new Uint8Array(IB_MGMT_MAD_SIZE);
    ib_mad_hdr_set(copy, h);
    expect(Array.from(copy)).to.deep.equal(Array.from(mad));
  });

  it('lays out the ConnectRequest Linux 6.1 sends (LINUX-PEER.md) byte for byte', () => {
    const m = new Uint8Array(IB_MGMT_MAD_SIZE);
    IBA_SET64(CM_REQ_SERVICE_ID, m, 0x0000000001064e51n);
    IBA_SET64(CM_REQ_LOCAL_CA_GUID, m, 0x505400fffe123456n);
    IBA_SET(CM_REQ_LOCAL_QPN, m, 0x11);
    IBA_SET(CM_REQ_RESPONDER_RESOURCES, m, 0x80);
    IBA_SET(CM_REQ_INITIATOR_DEPTH, m, 0);
    IBA_SET(CM_REQ_REMOTE_CM_RESPONSE_TIMEOUT, m, 0x14);
    IBA_SET(CM_REQ_STARTING_PSN, m, 0x9c3fb5);
    IBA_SET(CM_REQ_LOCAL_CM_RESPONSE_TIMEOUT, m, 0x14);
    IBA_SET(CM_REQ_RETRY_COUNT, m, 6);
    IBA_SET(CM_REQ_PARTITION_KEY, m, 0xffff);
    IBA_SET(CM_REQ_PATH_PACKET_PAYLOAD_MTU, m, 3);
    IBA_SET(CM_REQ_RNR_RETRY_COUNT, m, 0);
    IBA_SET(CM_REQ_MAX_CM_RETRIES, m, 15);
    IBA_SET(CM_REQ_PRIMARY_LOCAL_PORT_LID, m, 0xffff);
    IBA_SET(CM_REQ_PRIMARY_REMOTE_PORT_LID, m, 0xffff);
    IBA_SET_MEM(CM_REQ_PRIMARY_LOCAL_PORT_GID, m, rdma_ip2gid('192.168.77.2').raw);
    IBA_SET_MEM(CM_REQ_PRIMARY_REMOTE_PORT_GID, m, rdma_ip2gid('192.168.77.1').raw);
    IBA_SET(CM_REQ_PRIMARY_FLOW_LABEL, m, (0xa49b * 31 + 20049) % 0x100000);
    IBA_SET(CM_REQ_PRIMARY_HOP_LIMIT, m, 64);
    IBA_SET(CM_REQ_PRIMARY_LOCAL_ACK_TIMEOUT, m, 0x13);
    const r = 24;
    expect(Array.from(m.subarray(r + 8, r + 16))).to.deep.equal([0, 0, 0, 0, 1, 6, 0x4e, 0x51]);
    expect(Array.from(m.subarray(r + 16, r + 24))).to.deep.equal([0x50, 0x54, 0x00, 0xff, 0xfe, 0x12, 0x34, 0x56]);
    expect(Array.from(m.subarray(r + 32, r + 36))).to.deep.equal([0, 0, 0x11, 0x80]);
    expect(m[r + 43]).to.equal(0x14 << 3); // response timeout, transport type RC (0), no e2e flow control
    expect(Array.from(m.subarray(r + 44, r + 48))).to.deep.equal([0x9c, 0x3f, 0xb5, (0x14 << 3) | 6]);
    expect(Array.from(m.subarray(r + 48, r + 56))).to.deep.equal([0xff, 0xff, 0x30, 0xf0, 0xff, 0xff, 0xff, 0xff]);
    expect(Array.from(m.subarray(r + 66, r + 72))).to.deep.equal([0xff, 0xff, 192, 168, 77, 2]);
    expect(Array.from(m.subarray(r + 82, r + 88))).to.deep.equal([0xff, 0xff, 192, 168, 77, 1]);
    expect(Array.from(m.subarray(r + 88, r + 91))).to.deep.equal([0x43, 0xd1, 0x60]); // the "0x43d..." flow label
    expect(m[r + 93]).to.equal(64);
    expect(m[r + 95]).to.equal(0x13 << 3);
    expect(CM_REQ_PRIVATE_DATA.byte).to.equal(24 + 140);
  });

  it('places single-bit and sub-byte fields as ibta_vol1_c12.h does (REJ reason, REP RNR retry / SRQ)', () => {
    const m = new Uint8Array(IB_MGMT_MAD_SIZE);
    IBA_SET(CM_REJ_REASON, m, 28);
    expect(Array.from(m.subarray(24 + 10, 24 + 12))).to.deep.equal([0, 28]);
    const p = new Uint8Array(IB_MGMT_MAD_SIZE);
    IBA_SET(CM_REP_RNR_RETRY_COUNT, p, 7);
    IBA_SET(CM_REP_SRQ, p, 1);
    expect(p[24 + 27]).to.equal(0xf0);
    expect(CM_REQ_PARTITION_KEY.byte).to.equal(72);
  });
});

describe('mad: QP1 per port (ib_mad_port_open)', () => {
  after(() => cmaUnload());
  it('creates the GSI QP (qp_num 1, Q_Key IB_QP1_QKEY, RTS) with receive buffers posted on every registered rxe device', () => {
    const bed = cmaBed(3);
    try {
      for (const h of [bed.a, bed.b]) {
        const pp = ib_get_mad_port(h.dev, 1);
        expect(pp, h.dev.name).to.not.equal(null);
        expect(pp!.qp.qp_num).to.equal(1);
        expect(pp!.qp.qp_type).to.equal(ib_qp_type.IB_QPT_GSI);
        const { attr } = ib_query_qp(pp!.qp, 0);
        expect(attr.qp_state).to.equal(ib_qp_state.IB_QPS_RTS);
        expect(attr.qkey).to.equal(IB_QP1_QKEY);
        expect(IB_MAD_QP_RECV_SIZE).to.equal(512);
      }
    } finally {
      bed.close();
    }
    expect(ib_get_mad_port(bed.a.dev, 1)).to.equal(null);
  });
});
