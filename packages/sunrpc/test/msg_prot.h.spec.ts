import { expect } from 'chai';
import {
  RPC_CALLHDRSIZE, RPC_FRAGMENT_SIZE_MASK, RPC_LAST_STREAM_FRAGMENT, RPC_MAX_AUTH_SIZE, RPC_MAX_FRAGMENT_SIZE,
  RPC_MAX_HEADER_WITH_AUTH, RPC_MAX_MACHINENAME, RPC_REPHDRSIZE, RPC_VERSION, rpc_accept_stat, rpc_accept_stat_name,
  rpc_auth_flavors, rpc_auth_stat, rpc_auth_stat_name, rpc_msg_type, rpc_reject_stat, rpc_reply_stat,
} from '../src/msg_prot.h.js';

describe('msg_prot.h', () => {
  it('has the kernel values for every enum member (include/linux/sunrpc/msg_prot.h)', () => {
    expect([rpc_auth_flavors.RPC_AUTH_NULL, rpc_auth_flavors.RPC_AUTH_UNIX, rpc_auth_flavors.RPC_AUTH_SHORT,
      rpc_auth_flavors.RPC_AUTH_DES, rpc_auth_flavors.RPC_AUTH_KRB, rpc_auth_flavors.RPC_AUTH_GSS,
      rpc_auth_flavors.RPC_AUTH_TLS, rpc_auth_flavors.RPC_AUTH_MAXFLAVOR, rpc_auth_flavors.RPC_AUTH_GSS_KRB5,
      rpc_auth_flavors.RPC_AUTH_GSS_SPKMP]).to.deep.equal([0, 1, 2, 3, 4, 6, 7, 8, 390003, 390011]);
    expect([rpc_msg_type.RPC_CALL, rpc_msg_type.RPC_REPLY]).to.deep.equal([0, 1]);
    expect([rpc_reply_stat.RPC_MSG_ACCEPTED, rpc_reply_stat.RPC_MSG_DENIED]).to.deep.equal([0, 1]);
    expect([rpc_accept_stat.RPC_SUCCESS, rpc_accept_stat.RPC_PROG_UNAVAIL, rpc_accept_stat.RPC_PROG_MISMATCH,
      rpc_accept_stat.RPC_PROC_UNAVAIL, rpc_accept_stat.RPC_GARBAGE_ARGS, rpc_accept_stat.RPC_SYSTEM_ERR,
      rpc_accept_stat.RPC_DROP_REPLY]).to.deep.equal([0, 1, 2, 3, 4, 5, 60000]);
    expect([rpc_reject_stat.RPC_MISMATCH, rpc_reject_stat.RPC_AUTH_ERROR]).to.deep.equal([0, 1]);
    expect([rpc_auth_stat.RPC_AUTH_OK, rpc_auth_stat.RPC_AUTH_BADCRED, rpc_auth_stat.RPC_AUTH_REJECTEDCRED,
      rpc_auth_stat.RPC_AUTH_BADVERF, rpc_auth_stat.RPC_AUTH_REJECTEDVERF, rpc_auth_stat.RPC_AUTH_TOOWEAK,
      rpc_auth_stat.RPCSEC_GSS_CREDPROBLEM, rpc_auth_stat.RPCSEC_GSS_CTXPROBLEM]).to.deep.equal([0, 1, 2, 3, 4, 5, 13, 14]);
  });

  it('has the kernel constants', () => {
    expect(RPC_VERSION).to.equal(2);
    expect(RPC_MAX_AUTH_SIZE).to.equal(400);
    expect(RPC_MAX_MACHINENAME).to.equal(255);
    expect(RPC_LAST_STREAM_FRAGMENT).to.equal(2 ** 31);
    expect(RPC_FRAGMENT_SIZE_MASK).to.equal(2 ** 31 - 1);
    expect(RPC_MAX_FRAGMENT_SIZE).to.equal(2 ** 31 - 1);
    expect([RPC_CALLHDRSIZE, RPC_REPHDRSIZE, RPC_MAX_HEADER_WITH_AUTH]).to.deep.equal([6, 4, 210]);
  });

  it('names statuses for traces', () => {
    expect(rpc_accept_stat_name(4)).to.equal('RPC_GARBAGE_ARGS');
    expect(rpc_auth_stat_name(13)).to.equal('RPCSEC_GSS_CREDPROBLEM');
    expect(rpc_auth_stat_name(7)).to.equal('UNKNOWN(7)');
  });
});
