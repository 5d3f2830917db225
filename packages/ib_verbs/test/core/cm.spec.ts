/**
 * cm.spec - the IB CM (cm.ts): timeout arithmetic, reject reasons, and REQ/REP/REJ exchanges
 * driven directly through ib_cm_* on two emulated hosts.
 */
import { expect } from 'chai';
import {
  cm_convert_to_ms, cm_ack_timeout, ibcm_reject_msg, ib_cm_rej_reason as R, ib_cm_state, ib_cm_event_type as CE,
  ib_create_cm_id, ib_destroy_cm_id, ib_cm_listen, ib_send_cm_req, ib_send_cm_rep, ib_send_cm_rtu, ib_send_cm_rej,
  IB_CM_REQ_PRIVATE_DATA_SIZE, IB_CM_REP_PRIVATE_DATA_SIZE, IB_CM_REJ_PRIVATE_DATA_SIZE, IB_CM_RTU_PRIVATE_DATA_SIZE,
  IB_CM_DREQ_PRIVATE_DATA_SIZE, IB_CM_DREP_PRIVATE_DATA_SIZE, ibCmIdCount, type ib_cm_event, type ib_cm_id, type sa_path_rec,
} from '../../src/core/cm.js';
import { ib_mtu, ib_qp_type, rdma_ip2gid } from '../../src/core/ib_verbs.h.js';
import { cmaBed, cmaUnload, run, type CmaBed } from './_cma_bed.js';
import { ib_cm_init } from '../../src/core/cm.js';

function path(src: string, dst: string, plt = 18): sa_path_rec {
  return { sgid: rdma_ip2gid(src), dgid: rdma_ip2gid(dst), dmac: null, flow_label: 0, hop_limit: 64, traffic_class: 0,
    reversible: 1, pkey: 0xffff, sl: 0, mtu: ib_mtu.IB_MTU_1024, rate: 0, packet_life_time: plt, service_id: 0n };
}

describe('cm (drivers/infiniband/core/cm.c)', () => {
  it('cm_convert_to_ms approximates 4.096 µs × 2^t as 2^(t-8) ms', () => {
    expect([0, 8, 9, 18, 20, 24].map(cm_convert_to_ms)).to.deep.equal([1, 1, 2, 1024, 4096, 65536]);
  });

  it('cm_ack_timeout combines the CA ack delay and twice the packet life time (rxe 15, life 18 -> 19)', () => {
    expect(cm_ack_timeout(15, 18)).to.equal(19);
    expect(cm_ack_timeout(15, 16)).to.equal(17);
    expect(cm_ack_timeout(20, 10)).to.equal(20);
    expect(cm_ack_timeout(0, 31)).to.equal(31);
  });

  it('has the kernel reject reasons, texts and private data sizes', () => {
    expect([R.IB_CM_REJ_TIMEOUT, R.IB_CM_REJ_INVALID_SERVICE_ID, R.IB_CM_REJ_STALE_CONN, R.IB_CM_REJ_CONSUMER_DEFINED,
      R.IB_CM_REJ_VENDOR_OPTION_NOT_SUPPORTED]).to.deep.equal([4, 8, 10, 28, 35]);
    expect(ibcm_reject_msg(8)).to.equal('invalid service ID');
    expect(ibcm_reject_msg(10)).to.equal('stale conn');
    expect(ibcm_reject_msg(28)).to.equal('consumer defined');
    expect(ibcm_reject_msg(34)).to.equal('unrecognized reason');
    expect([IB_CM_REQ_PRIVATE_DATA_SIZE, IB_CM_REP_PRIVATE_DATA_SIZE, IB_CM_REJ_PRIVATE_DATA_SIZE, IB_CM_RTU_PRIVATE_DATA_SIZE,
      IB_CM_DREQ_PRIVATE_DATA_SIZE, IB_CM_DREP_PRIVATE_DATA_SIZE]).to.deep.equal([92, 196, 148, 224, 220, 224]);
    expect(ib_cm_state.IB_CM_TIMEWAIT).to.equal(13);
  });

  describe('on the fabric', () => {
    let bed: CmaBed;
    beforeEach(() => { ib_cm_init(); bed = cmaBed(7); });
    afterEach(() => bed.close());
    after(() => cmaUnload());

    function req(id: ib_cm_id, sid: bigint, over: Partial<Parameters<typeof ib_send_cm_req>[1]> = {}) {
      ib_send_cm_req(id, {
        primary_path: path('10.0.0.1', '10.0.0.2'), service_id: sid, qp_num: 0x123, qp_type: ib_qp_type.IB_QPT_RC,
        starting_psn: 0x100, private_data: new Uint8Array([1, 2, 3]), private_data_len: 3, responder_resources: 4,
        initiator_depth: 2, remote_cm_response_timeout: 20, flow_control: 0, local_cm_response_timeout: 20, retry_count: 7,
        rnr_retry_count: 7, max_cm_retries: 15, srq: 0, ...over,
      });
    }

    it('answers a REQ for a service nobody listens on with REJ IB_CM_REJ_INVALID_SERVICE_ID', () => {
      const evs: ib_cm_event[] = [];
      const id = ib_create_cm_id(bed.a.dev, (_i, e) => { evs.push(e); return 0; }, null);
      req(id, 0x1234n);
      expect(id.state).to.equal(ib_cm_state.IB_CM_REQ_SENT);
      run(bed.clock, 10, () => evs.length > 0);
      expect(evs.map((e) => CE[e.event])).to.deep.equal(['IB_CM_REJ_RECEIVED']);
      expect(evs[0]!.param.rej_rcvd!.reason).to.equal(R.IB_CM_REJ_INVALID_SERVICE_ID);
      expect(id.state).to.equal(ib_cm_state.IB_CM_IDLE);
      ib_destroy_cm_id(id);
    });

    it('answers a REQ whose service ID matches no listener (another service is listened on) with REJ IB_CM_REJ_INVALID_SERVICE_ID', () => {
      const sevs: ib_cm_event[] = [];
      const lid = ib_create_cm_id(bed.b.dev, (_i, e) => { sevs.push(e); return 0; }, 'L');
      ib_cm_listen(lid, 0x1064e51n, 0n);
      const evs: ib_cm_event[] = [];
      const id = ib_create_cm_id(bed.a.dev, (_i, e) => { evs.push(e); return 0; }, null);
      req(id, 0x1064e52n);
      run(bed.clock, 10, () => evs.length > 0);
      expect(evs.map((e) => CE[e.event])).to.deep.equal(['IB_CM_REJ_RECEIVED']);
      expect(evs[0]!.param.rej_rcvd!.reason).to.equal(R.IB_CM_REJ_INVALID_SERVICE_ID);
      expect(sevs, 'the listener on another service sees nothing').to.deep.equal([]);
      ib_destroy_cm_id(id);
      ib_destroy_cm_id(lid);
    });

    it('runs REQ -> REP -> RTU: REQ_RECEIVED with the REQ fields swapped to the receiver\'s view, REP_RECEIVED, RTU_RECEIVED', () => {
      const sevs: ib_cm_event[] = [];
      const conns: ib_cm_id[] = [];
      const lid = ib_create_cm_id(bed.b.dev, (i, e) => { sevs.push(e); conns.push(i); return 0; }, 'L');
      ib_cm_listen(lid, 0x1064e51n, 0n);
      expect(() => ib_cm_listen(ib_create_cm_id(bed.b.dev, () => 0, null), 0x1064e51n, 0n)).to.throw().with.property('code', 'EBUSY');
      const cevs: ib_cm_event[] = [];
      const id = ib_create_cm_id(bed.a.dev, (_i, e) => { cevs.push(e); return 0; }, null);
      req(id, 0x1064e51n);
      run(bed.clock, 10, () => sevs.length > 0);
      const r = sevs[0]!.param.req_rcvd!;
      expect(CE[sevs[0]!.event]).to.equal('IB_CM_REQ_RECEIVED');
      expect([r.remote_qpn, r.starting_psn, r.responder_resources, r.initiator_depth, r.retry_count]).to.deep.equal([0x123, 0x100, 2, 4, 7]);
      expect(Array.from(sevs[0]!.private_data!.subarray(0, 4))).to.deep.equal([1, 2, 3, 0]);
      const conn = conns[0]!;
      expect(conn.state).to.equal(ib_cm_state.IB_CM_REQ_RCVD);
      expect(conn.context).to.equal('L');
      ib_send_cm_rep(conn, { qp_num: 0x456, starting_psn: 0x200, private_data: new Uint8Array([9]), private_data_len: 1,
        responder_resources: 2, initiator_depth: 4, failover_accepted: 0, flow_control: 0, rnr_retry_count: 7, srq: 0 });
      run(bed.clock, 10, () => cevs.length > 0);
      expect(CE[cevs[0]!.event]).to.equal('IB_CM_REP_RECEIVED');
      expect(cevs[0]!.param.rep_rcvd!.remote_qpn).to.equal(0x456);
      expect(id.state).to.equal(ib_cm_state.IB_CM_REP_RCVD);
      ib_send_cm_rtu(id, null, 0);
      run(bed.clock, 10, () => sevs.length > 1);
      expect(CE[sevs[1]!.event]).to.equal('IB_CM_RTU_RECEIVED');
      expect([id.state, conn.state]).to.deep.equal([ib_cm_state.IB_CM_ESTABLISHED, ib_cm_state.IB_CM_ESTABLISHED]);
      const n = ibCmIdCount();
      ib_destroy_cm_id(id); // sends a DREQ
      run(bed.clock, 10, () => sevs.length > 2);
      expect(CE[sevs[2]!.event]).to.equal('IB_CM_DREQ_RECEIVED');
      ib_destroy_cm_id(conn);
      ib_destroy_cm_id(lid);
      expect(ibCmIdCount()).to.be.below(n);
    });

    it('retransmits the REQ every 2 × 2^(plt-8) + 2^(remote_cm_response_timeout-8) ms, then IB_CM_REQ_ERROR', () => {
      bed.fabric.setLinkUp('server', false);
      const evs: ib_cm_event[] = [];
      const id = ib_create_cm_id(bed.a.dev, (_i, e) => { evs.push(e); return 0; }, null);
      const t0 = bed.clock.ktime_get();
      req(id, 0x99n, { primary_path: path('10.0.0.1', '10.0.0.2', 10), remote_cm_response_timeout: 12, max_cm_retries: 2 });
      run(bed.clock, 1000, () => evs.length > 0);
      expect(CE[evs[0]!.event]).to.equal('IB_CM_REQ_ERROR');
      // 3 tries × (2 × 4 + 16) ms
      expect((bed.clock.ktime_get() - t0) / 1e6).to.be.within(72, 73);
      expect(id.state).to.equal(ib_cm_state.IB_CM_IDLE);
      ib_destroy_cm_id(id);
    });

    it('delivers a consumer REJ with its private data', () => {
      const conns: ib_cm_id[] = [];
      const lid = ib_create_cm_id(bed.b.dev, (i) => { conns.push(i); return 0; }, null);
      ib_cm_listen(lid, 0x77n, 0n);
      const evs: ib_cm_event[] = [];
      const id = ib_create_cm_id(bed.a.dev, (_i, e) => { evs.push(e); return 0; }, null);
      req(id, 0x77n);
      run(bed.clock, 10, () => conns.length > 0);
      ib_send_cm_rej(conns[0]!, R.IB_CM_REJ_CONSUMER_DEFINED, null, 0, new Uint8Array([0xab, 0xcd]), 2);
      run(bed.clock, 10, () => evs.length > 0);
      expect(evs[0]!.param.rej_rcvd!.reason).to.equal(28);
      expect(Array.from(evs[0]!.private_data!.subarray(0, 2))).to.deep.equal([0xab, 0xcd]);
      ib_destroy_cm_id(conns[0]!);
      ib_destroy_cm_id(id);
      ib_destroy_cm_id(lid);
    });
  });
});
