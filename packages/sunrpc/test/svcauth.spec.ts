import { expect } from 'chai';
import fc from 'fast-check';
import { rpc_auth_stat } from '../src/msg_prot.h.js';
import { svc_authenticate } from '../src/svcauth.js';
import { svc_auth_status, svc_cred, type SvcAuthRqst } from '../src/svcauth.h.js';
import { decoder, fcParams, words } from './_support.js';

const rqst = (): SvcAuthRqst => ({ rq_proc: 0, rq_cred: new svc_cred(), rq_auth_stat: rpc_auth_stat.RPC_AUTH_OK });

describe('svc_authenticate', () => {
  it('dispatches AUTH_NONE and AUTH_SYS', () => {
    expect(svc_authenticate(decoder(words(0, 0, 0, 0)), rqst())).to.equal(svc_auth_status.SVC_OK);
    expect(svc_authenticate(decoder(words(1, 24, 0, 0, 5, 6, 0, 0, 0)), rqst())).to.equal(svc_auth_status.SVC_OK);
  });
  it('denies unsupported flavors with AUTH_BADCRED (AUTH_SHORT, AUTH_DH, RPCSEC_GSS, AUTH_TLS)', () => {
    for (const f of [2, 3, 6, 7, 390003]) {
      const r = rqst();
      expect(svc_authenticate(decoder(words(f, 0, 0, 0)), r)).to.equal(svc_auth_status.SVC_DENIED);
      expect(r.rq_auth_stat).to.equal(rpc_auth_stat.RPC_AUTH_BADCRED);
    }
  });
  it('reports a missing flavor as SVC_GARBAGE', () => {
    expect(svc_authenticate(decoder(words()), rqst())).to.equal(svc_auth_status.SVC_GARBAGE);
  });
  it('never throws on garbage, and sets rq_auth_stat only when denying', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
      const r = rqst();
      const st = svc_authenticate(decoder(b.map((x) => x & 1)), r);
      expect([svc_auth_status.SVC_OK, svc_auth_status.SVC_GARBAGE, svc_auth_status.SVC_DENIED]).to.include(st);
      if (st !== svc_auth_status.SVC_DENIED) expect(r.rq_auth_stat).to.equal(rpc_auth_stat.RPC_AUTH_OK);
      else expect([rpc_auth_stat.RPC_AUTH_BADCRED, rpc_auth_stat.RPC_AUTH_BADVERF]).to.include(r.rq_auth_stat);
    }), { ...fcParams, numRuns: 2000 });
  });
});
