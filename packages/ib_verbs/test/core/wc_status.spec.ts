import { expect } from 'chai';
import { ib_wc_status_msg, ib_event_msg } from '../../src/core/wc_status.js';
import { ib_wc_status, ib_event_type } from '../../src/core/ib_verbs.h.js';

describe('ib_wc_status_msg', () => {
  it("returns the kernel's wc_statuses[] strings", () => {
    expect(ib_wc_status_msg(ib_wc_status.IB_WC_SUCCESS)).to.equal('success');
    expect(ib_wc_status_msg(ib_wc_status.IB_WC_LOC_LEN_ERR)).to.equal('local length error');
    expect(ib_wc_status_msg(ib_wc_status.IB_WC_WR_FLUSH_ERR)).to.equal('WR flushed');
    expect(ib_wc_status_msg(ib_wc_status.IB_WC_MW_BIND_ERR)).to.equal('memory bind operation error');
    expect(ib_wc_status_msg(ib_wc_status.IB_WC_REM_INV_REQ_ERR)).to.equal('remote invalid request error');
    expect(ib_wc_status_msg(ib_wc_status.IB_WC_REM_ACCESS_ERR)).to.equal('remote access error');
    expect(ib_wc_status_msg(ib_wc_status.IB_WC_RETRY_EXC_ERR)).to.equal('transport retry counter exceeded');
    expect(ib_wc_status_msg(ib_wc_status.IB_WC_RNR_RETRY_EXC_ERR)).to.equal('RNR retry counter exceeded');
    expect(ib_wc_status_msg(ib_wc_status.IB_WC_RESP_TIMEOUT_ERR)).to.equal('response timeout error');
    expect(ib_wc_status_msg(ib_wc_status.IB_WC_GENERAL_ERR)).to.equal('general error');
  });
  it("returns 'unrecognized status' for unknown values", () => {
    expect(ib_wc_status_msg(22 as ib_wc_status)).to.equal('unrecognized status');
  });
});

describe('ib_event_msg', () => {
  it("returns the kernel's ib_events[] strings", () => {
    expect(ib_event_msg(ib_event_type.IB_EVENT_CQ_ERR)).to.equal('CQ error');
    expect(ib_event_msg(ib_event_type.IB_EVENT_QP_FATAL)).to.equal('QP fatal error');
    expect(ib_event_msg(ib_event_type.IB_EVENT_COMM_EST)).to.equal('communication established');
    expect(ib_event_msg(ib_event_type.IB_EVENT_GID_CHANGE)).to.equal('GID changed');
    expect(ib_event_msg(99 as ib_event_type)).to.equal('unrecognized event');
  });
});
