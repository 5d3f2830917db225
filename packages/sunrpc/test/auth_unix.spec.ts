import { expect } from 'chai';
import fc from 'fast-check';
import { errno, isKernelError } from '@rdmaemu/sim-core';
import { xdr_stream_decode_u32 } from '@rdmaemu/xdr_buf';
import { rpc_auth_flavors, rpc_auth_stat } from '../src/msg_prot.h.js';
import { authunix_create, svcauth_unix_accept, unx_validate } from '../src/auth_unix.js';
import { svc_auth_status, svc_cred, type SvcAuthRqst } from '../src/svcauth.h.js';
import { concat, decoder, encodeWith, fcParams, words } from './_support.js';

const rqst = (): SvcAuthRqst => ({ rq_proc: 1, rq_cred: new svc_cred(), rq_auth_stat: rpc_auth_stat.RPC_AUTH_OK });
/** The AUTH_SYS credential body after the flavor word, and a verifier. */
function cred(opts: { name?: number; nameLen?: number; ngids?: number; gids?: number[]; verf?: number[] } = {}): Uint8Array {
  const nameLen = opts.nameLen ?? 4;
  const gids = opts.gids ?? [];
  return concat(words(0 /* ignored length */, 0 /* stamp */, nameLen), new Uint8Array(Math.ceil(Math.min(nameLen, 300) / 4) * 4).fill(0x61),
    words(1000, 100, opts.ngids ?? gids.length, ...gids), words(...(opts.verf ?? [0, 0])));
}

describe('authunix_create / unx_marshal', () => {
  it('truncates the group list to UNX_NGROUPS, as the kernel does', () => {
    const auth = authunix_create({ machinename: 'm', uid: 1, gid: 2, gids: Array.from({ length: 20 }, (_, i) => i) });
    expect(auth.uc_gids.length).to.equal(16);
  });
  it('refuses a machinename over 255 bytes and ids that are not u32', () => {
    expect(() => authunix_create({ machinename: 'x'.repeat(256), uid: 0, gid: 0 })).to.throw().that.satisfies((e: unknown) => isKernelError(e, 'EINVAL'));
    expect(() => authunix_create({ machinename: 'x', uid: -1, gid: 0 })).to.throw().that.satisfies((e: unknown) => isKernelError(e, 'EINVAL'));
  });
  it('returns -EMSGSIZE when the credential does not fit', () => {
    const auth = authunix_create({ machinename: 'host', uid: 1, gid: 2 });
    expect(encodeWith((x) => auth.marshal(x), 20).rc).to.equal(-errno.EMSGSIZE);
  });
  it('round-trips through svcauth_unix_accept for any identity (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 255 }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }),
      fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 16 }), (name, uid, gid, gids) => {
        const auth = authunix_create({ machinename: name, uid, gid, gids });
        const { rc, bytes } = encodeWith((x) => auth.marshal(x));
        expect(rc).to.equal(0);
        const xdr = decoder(bytes);
                expect(xdr_stream_decode_u32(xdr)).to.equal(1); // the flavor word, consumed by svc_authenticate
        const r = rqst();
        expect(svcauth_unix_accept(xdr, r)).to.equal(svc_auth_status.SVC_OK);
        expect(r.rq_cred.cr_uid).to.equal(uid);
        expect(r.rq_cred.cr_gid).to.equal(gid);
        expect(r.rq_cred.cr_group_info).to.deep.equal([...gids].sort((a, b) => a - b));
        expect(r.rq_cred.cr_flavor).to.equal(rpc_auth_flavors.RPC_AUTH_UNIX);
      }), fcParams);
  });
});

describe('unx_validate', () => {
  const auth = () => authunix_create({ machinename: 'm', uid: 0, gid: 0 });
  it('accepts AUTH_NONE, AUTH_SYS and AUTH_SHORT verifiers up to 400 bytes', () => {
    for (const f of [0, 1, 2]) expect(unx_validate(auth(), decoder(words(f, 0)))).to.equal(0);
    expect(unx_validate(auth(), decoder(concat(words(2, 400), new Uint8Array(400))))).to.equal(0);
  });
  it('returns -EIO for another flavor, a giant or a truncated verifier', () => {
    expect(unx_validate(auth(), decoder(words(6, 0)))).to.equal(-errno.EIO);
    expect(unx_validate(auth(), decoder(concat(words(1, 404), new Uint8Array(404))))).to.equal(-errno.EIO);
    expect(unx_validate(auth(), decoder(words(1, 8, 0)))).to.equal(-errno.EIO);
    expect(unx_validate(auth(), decoder(words(1)))).to.equal(-errno.EIO);
  });
});

describe('svcauth_unix_accept', () => {
  it('accepts 16 groups', () => {
    expect(svcauth_unix_accept(decoder(cred({ gids: Array.from({ length: 16 }, (_, i) => i) })), rqst())).to.equal(svc_auth_status.SVC_OK);
  });
  it('denies more than UNX_NGROUPS groups: AUTH_BADCRED', () => {
    const r = rqst();
    expect(svcauth_unix_accept(decoder(cred({ gids: Array.from({ length: 17 }, (_, i) => i) })), r)).to.equal(svc_auth_status.SVC_DENIED);
    expect(r.rq_auth_stat).to.equal(rpc_auth_stat.RPC_AUTH_BADCRED);
    const r2 = rqst(); // the count alone decides, before the groups are read
    expect(svcauth_unix_accept(decoder(cred({ ngids: 0xffffffff })), r2)).to.equal(svc_auth_status.SVC_DENIED);
    expect(r2.rq_auth_stat).to.equal(rpc_auth_stat.RPC_AUTH_BADCRED);
  });
  it('denies a verifier that is not an empty AUTH_NONE: AUTH_BADVERF', () => {
    for (const verf of [[1, 0], [0, 4, 0]]) {
      const r = rqst();
      expect(svcauth_unix_accept(decoder(cred({ verf })), r)).to.equal(svc_auth_status.SVC_DENIED);
      expect(r.rq_auth_stat).to.equal(rpc_auth_stat.RPC_AUTH_BADVERF);
    }
  });
  it('treats a machinename over 255 bytes, an oversized verifier and every truncation as SVC_GARBAGE', () => {
    expect(svcauth_unix_accept(decoder(cred({ nameLen: 256 })), rqst())).to.equal(svc_auth_status.SVC_GARBAGE);
    expect(svcauth_unix_accept(decoder(cred({ verf: [0, 404] })), rqst())).to.equal(svc_auth_status.SVC_GARBAGE);
    const full = cred({ gids: [1, 2, 3] });
    for (let n = 0; n < full.length; n += 4) {
      expect(svcauth_unix_accept(decoder(full.subarray(0, n)), rqst()), `at ${n}`).to.equal(svc_auth_status.SVC_GARBAGE);
    }
  });
});
