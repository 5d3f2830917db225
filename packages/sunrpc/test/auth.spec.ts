import { expect } from 'chai';
import { errno } from '@rdmaemu/sim-core';
import { OpaqueAuth, UNX_CALLSLACK, UNX_MAXNODENAME, UNX_NGROUPS, rpcauth_checkverf, rpcauth_marshcred, xdr_stream_decode_opaque_auth, xdr_stream_encode_opaque_auth } from '../src/auth.js';
import { null_auth } from '../src/auth_null.js';
import { decoder, encodeWith, words } from './_support.js';

describe('auth', () => {
  it('has the auth.h limits', () => {
    expect([UNX_MAXNODENAME, UNX_NGROUPS, UNX_CALLSLACK]).to.deep.equal([64, 16, 37]);
  });
  it('rpcauth_marshcred / rpcauth_checkverf call the auth', () => {
    expect(encodeWith((x) => rpcauth_marshcred(null_auth, x)).bytes).to.deep.equal(words(0, 0, 0, 0));
    expect(rpcauth_checkverf(null_auth, decoder(words(0, 0)))).to.equal(0);
  });
  it('xdr_stream_encode_opaque_auth / xdr_stream_decode_opaque_auth round-trip and bound the body', () => {
    const { rc, bytes } = encodeWith((x) => xdr_stream_encode_opaque_auth(x, 1, new Uint8Array([1, 2, 3])));
    expect(rc).to.equal(12);
    expect(bytes).to.deep.equal(new Uint8Array([0, 0, 0, 1, 0, 0, 0, 3, 1, 2, 3, 0]));
    const a = new OpaqueAuth();
    expect(xdr_stream_decode_opaque_auth(decoder(bytes), a)).to.equal(12);
    expect([a.flavor, [...a.body]]).to.deep.equal([1, [1, 2, 3]]);
    expect(encodeWith((x) => xdr_stream_encode_opaque_auth(x, 1, new Uint8Array(401))).rc).to.equal(-errno.EMSGSIZE);
    expect(xdr_stream_decode_opaque_auth(decoder(words(1, 404, ...new Array(101).fill(0))), a)).to.equal(-errno.EMSGSIZE);
    expect(xdr_stream_decode_opaque_auth(decoder(words(1, 8, 0)), a)).to.equal(-errno.EBADMSG);
  });
});
