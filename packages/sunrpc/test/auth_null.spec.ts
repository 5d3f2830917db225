import { expect } from 'chai';
import { errno } from '@rdmaemu/sim-core';
import { rpc_auth_flavors, rpc_auth_stat } from '../src/msg_prot.h.js';
import { nul_marshal, nul_validate, null_auth, svcauth_null_accept } from '../src/auth_null.js';
import { INVALID_GID, INVALID_UID, svc_auth_status, svc_cred, type SvcAuthRqst } from '../src/svcauth.h.js';
import { decoder, encodeWith, words } from './_support.js';

const rqst = (): SvcAuthRqst => ({ rq_proc: 0, rq_cred: new svc_cred(), rq_auth_stat: rpc_auth_stat.RPC_AUTH_OK });

describe('auth_null', () => {
  it('nul_marshal writes two empty AUTH_NONE items (RFC 5531 §A.1)', () => {
    expect(encodeWith(nul_marshal).bytes).to.deep.equal(words(0, 0, 0, 0));
    expect(encodeWith(nul_marshal, 12).rc).to.equal(-errno.EMSGSIZE);
    expect(null_auth.au_flavor).to.equal(rpc_auth_flavors.RPC_AUTH_NULL);
  });

  it('nul_validate accepts only an empty AUTH_NONE verifier', () => {
    expect(nul_validate(decoder(words(0, 0)))).to.equal(0);
    expect(nul_validate(decoder(words(1, 0)))).to.equal(-errno.EIO);
    expect(nul_validate(decoder(words(0, 4, 0)))).to.equal(-errno.EIO);
    expect(nul_validate(decoder(words(0)))).to.equal(-errno.EIO);
  });
});

describe('svcauth_null_accept', () => {
  it('accepts an empty credential with an empty AUTH_NONE verifier and acts as nobody', () => {
    const r = rqst();
    expect(svcauth_null_accept(decoder(words(0, 0, 0)), r)).to.equal(svc_auth_status.SVC_OK);
    expect([r.rq_cred.cr_uid, r.rq_cred.cr_gid, r.rq_cred.cr_group_info]).to.deep.equal([INVALID_UID, INVALID_GID, []]);
  });
  it('denies a credential with a body: AUTH_BADCRED', () => {
    const r = rqst();
    expect(svcauth_null_accept(decoder(words(4, 0, 0, 0)), r)).to.equal(svc_auth_status.SVC_DENIED);
    expect(r.rq_auth_stat).to.equal(rpc_auth_stat.RPC_AUTH_BADCRED);
  });
  it('denies a verifier of another flavor or with a body: AUTH_BADVERF', () => {
    for (const w of [words(0, 1, 0), words(0, 0, 4, 0)]) {
      const r = rqst();
      expect(svcauth_null_accept(decoder(w), r)).to.equal(svc_auth_status.SVC_DENIED);
      expect(r.rq_auth_stat).to.equal(rpc_auth_stat.RPC_AUTH_BADVERF);
    }
  });
  it('reports truncation or an oversized verifier as SVC_GARBAGE', () => {
    for (const w of [words(), words(0), words(0, 0), words(0, 0, 8, 0), words(0, 0, 404)]) {
      expect(svcauth_null_accept(decoder(w), rqst())).to.equal(svc_auth_status.SVC_GARBAGE);
    }
  });
});
