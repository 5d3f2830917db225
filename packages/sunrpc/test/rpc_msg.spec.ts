import { expect } from 'chai';
import fc from 'fast-check';
import * as jx from '@stellar/js-xdr';
import { errno } from '@rdmaemu/sim-core';
import { rpc_accept_stat, rpc_auth_flavors, rpc_auth_stat, rpc_reject_stat, rpc_reply_stat } from '../src/msg_prot.h.js';
import { null_auth } from '../src/auth_null.js';
import { authunix_create } from '../src/auth_unix.js';
import {
  RpcCallHeader, RpcReplyHeader, rpc_decode_header, rpc_encode_header, rpcDecodeCallHeader, rpcDecodeReplyHeader,
  rpcEncodeCallHeader, rpcEncodeReplyHeader, svcDecodeCallHeader,
} from '../src/rpc_msg.js';
import { concat, decoder, encodeWith, fcParams, words } from './_support.js';

// RFC 5531 §9 in @stellar/js-xdr, as an independent encoder.
const u32 = jx.uint32();
const opaque_auth = jx.struct('opaque_auth', { flavor: u32, body: jx.varOpaque(400) });
const mismatch_info = jx.struct('mismatch_info', { low: u32, high: u32 });
const call_body = jx.struct('call_body', { rpcvers: u32, prog: u32, vers: u32, proc: u32, cred: opaque_auth, verf: opaque_auth });
const reply_data = jx.union('reply_data', {
  switchOn: u32,
  cases: [jx.case('SUCCESS', 0, jx.void()), jx.case('PROG_MISMATCH', 2, jx.field('mismatch_info', mismatch_info))],
  defaultArm: jx.void(),
});
const accepted_reply = jx.struct('accepted_reply', { verf: opaque_auth, reply_data });
const rejected_reply = jx.union('rejected_reply', {
  switchOn: u32,
  cases: [jx.case('RPC_MISMATCH', 0, jx.field('mismatch_info', mismatch_info)), jx.case('AUTH_ERROR', 1, jx.field('stat', u32))],
});
const reply_body = jx.union('reply_body', {
  switchOn: u32,
  cases: [jx.case('MSG_ACCEPTED', 0, jx.field('areply', accepted_reply)), jx.case('MSG_DENIED', 1, jx.field('rreply', rejected_reply))],
});
const rpc_msg = jx.struct('rpc_msg', {
  xid: u32,
  body: jx.union('msg_body', {
    switchOn: u32,
    cases: [jx.case('CALL', 0, jx.field('cbody', call_body)), jx.case('REPLY', 1, jx.field('rbody', reply_body))],
  }),
});

const arbU32 = fc.integer({ min: 0, max: 0xffffffff });
const arbAuth = fc.record({ flavor: arbU32, body: fc.uint8Array({ maxLength: 400 }) });
const arbCall = fc.record({ xid: arbU32, rpcvers: arbU32, prog: arbU32, vers: arbU32, proc: arbU32, cred: arbAuth, verf: arbAuth });
const arbAccept = fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 5), fc.integer({ min: 6, max: 59999 }));
const arbReply = fc.oneof(
  fc.record({ kind: fc.constant('accepted' as const), xid: arbU32, verf: arbAuth, accept: arbAccept, low: arbU32, high: arbU32 }),
  fc.record({ kind: fc.constant('mismatch' as const), xid: arbU32, low: arbU32, high: arbU32 }),
  fc.record({ kind: fc.constant('auth' as const), xid: arbU32, stat: fc.constantFrom(1, 2, 3, 4, 5, 13, 14) }),
);
type ReplyCase = typeof arbReply extends fc.Arbitrary<infer T> ? T : never;

function toHeader(r: ReplyCase): RpcReplyHeader {
  const h = new RpcReplyHeader();
  h.xid = r.xid;
  if (r.kind === 'accepted') {
    h.replyStat = rpc_reply_stat.RPC_MSG_ACCEPTED;
    h.verfFlavor = r.verf.flavor; h.verf = r.verf.body; h.acceptStat = r.accept; h.mismatchLow = r.low; h.mismatchHigh = r.high;
  } else if (r.kind === 'mismatch') {
    h.replyStat = rpc_reply_stat.RPC_MSG_DENIED; h.rejectStat = rpc_reject_stat.RPC_MISMATCH; h.mismatchLow = r.low; h.mismatchHigh = r.high;
  } else {
    h.replyStat = rpc_reply_stat.RPC_MSG_DENIED; h.rejectStat = rpc_reject_stat.RPC_AUTH_ERROR; h.authStat = r.stat;
  }
  return h;
}

function toJx(r: ReplyCase): unknown {
  let rbody: unknown;
  if (r.kind === 'accepted') {
    const reply_data = r.accept === 2 ? { type: 2, mismatch_info: { low: r.low, high: r.high } } : { type: r.accept };
    rbody = { type: 0, areply: { verf: r.verf, reply_data } };
  } else if (r.kind === 'mismatch') {
    rbody = { type: 1, rreply: { type: 0, mismatch_info: { low: r.low, high: r.high } } };
  } else {
    rbody = { type: 1, rreply: { type: 1, stat: r.stat } };
  }
  return { xid: r.xid, body: { type: 1, rbody } };
}

describe('rpc_msg: call header', () => {
  it('encodes a NULL call with AUTH_NONE as exactly 40 bytes (RFC 5531 §9, §A.1)', () => {
    const { rc, bytes } = encodeWith((xdr) => rpc_encode_header(xdr, { xid: 0x12345678, prog: 100003, vers: 3, proc: 0 }, null_auth));
    expect(rc).to.equal(0);
    expect(bytes).to.deep.equal(words(
      0x12345678, // xid
      0, // CALL
      2, // rpcvers
      100003, // prog (NFS)
      3, // vers
      0, // proc NULL
      0, 0, // cred: AUTH_NONE, length 0
      0, 0, // verf: AUTH_NONE, length 0
    ));
    expect(bytes.length).to.equal(40);
  });

  it('encodes an AUTH_SYS credential as RFC 5531 §A.2 lays it out', () => {
    const auth = authunix_create({ machinename: 'host1', uid: 1000, gid: 100, gids: [10, 20], stamp: 0x55 });
    const { rc, bytes } = encodeWith((xdr) => rpc_encode_header(xdr, { xid: 1, prog: 100005, vers: 3, proc: 1 }, auth));
    expect(rc).to.equal(0);
    expect(bytes).to.deep.equal(concat(
      words(1, 0, 2, 100005, 3, 1),
      words(1, 36, 0x55, 5), new Uint8Array([0x68, 0x6f, 0x73, 0x74, 0x31, 0, 0, 0]), // flavor, len, stamp, "host1"
      words(1000, 100, 2, 10, 20), // uid, gid, gids<2>
      words(0, 0), // verf AUTH_NONE
    ));
  });

  it('returns -EMSGSIZE when the buffer is too small', () => {
    expect(encodeWith((xdr) => rpc_encode_header(xdr, { xid: 1, prog: 1, vers: 1, proc: 1 }, null_auth), 36).rc).to.equal(-errno.EMSGSIZE);
    expect(encodeWith((xdr) => rpc_encode_header(xdr, { xid: 1, prog: 1, vers: 1, proc: 1 }, null_auth), 20).rc).to.equal(-errno.EMSGSIZE);
  });

  it('round-trips any call header and matches @stellar/js-xdr byte for byte', () => {
    fc.assert(fc.property(arbCall, (c) => {
      const h = new RpcCallHeader();
      Object.assign(h, { xid: c.xid, rpcvers: c.rpcvers, prog: c.prog, vers: c.vers, proc: c.proc,
        credFlavor: c.cred.flavor, cred: c.cred.body, verfFlavor: c.verf.flavor, verf: c.verf.body });
      const { rc, bytes } = encodeWith((xdr) => rpcEncodeCallHeader(xdr, h));
      expect(rc).to.equal(0);
      const theirs = rpc_msg.encode({ xid: c.xid, body: { type: 0, cbody: { rpcvers: c.rpcvers, prog: c.prog, vers: c.vers, proc: c.proc, cred: c.cred, verf: c.verf } } } as never);
      expect(bytes).to.deep.equal(theirs);
      const d = new RpcCallHeader();
      expect(rpcDecodeCallHeader(decoder(theirs), d)).to.equal(0);
      expect({ ...d, cred: [...d.cred], verf: [...d.verf] }).to.deep.equal({ ...h, cred: [...h.cred], verf: [...h.verf] });
    }), fcParams);
  });

  it('svcDecodeCallHeader stops at the credential and refuses a REPLY', () => {
    const xdr = decoder(words(9, 0, 2, 7, 1, 3, 0xaa));
    const h = new RpcCallHeader();
    expect(svcDecodeCallHeader(xdr, h)).to.equal(0);
    expect([h.xid, h.rpcvers, h.prog, h.vers, h.proc]).to.deep.equal([9, 2, 7, 1, 3]);
    expect(svcDecodeCallHeader(decoder(words(9, 1, 2, 7, 1, 3)), h)).to.equal(-errno.EBADMSG);
    expect(svcDecodeCallHeader(decoder(words(9, 0, 2, 7, 1)), h)).to.equal(-errno.EBADMSG);
  });
});

describe('rpc_msg: reply header', () => {
  it('round-trips every reply status and matches @stellar/js-xdr byte for byte', () => {
    fc.assert(fc.property(arbReply, (r) => {
      const h = toHeader(r);
      const { rc, bytes } = encodeWith((xdr) => rpcEncodeReplyHeader(xdr, h));
      expect(rc).to.equal(0);
      const theirs = rpc_msg.encode(toJx(r) as never);
      expect(bytes).to.deep.equal(theirs);
      const d = new RpcReplyHeader();
      expect(rpcDecodeReplyHeader(decoder(theirs), d)).to.equal(0);
      expect(d.xid).to.equal(r.xid);
      expect(d.replyStat).to.equal(h.replyStat);
      if (r.kind === 'accepted') {
        expect([d.verfFlavor, [...d.verf], d.acceptStat]).to.deep.equal([r.verf.flavor, [...r.verf.body], r.accept]);
        if (r.accept === 2) expect([d.mismatchLow, d.mismatchHigh]).to.deep.equal([r.low, r.high]);
      } else if (r.kind === 'mismatch') {
        expect([d.rejectStat, d.mismatchLow, d.mismatchHigh]).to.deep.equal([0, r.low, r.high]);
      } else {
        expect([d.rejectStat, d.authStat]).to.deep.equal([1, r.stat]);
      }
    }), fcParams);
  });

  it('spells each status as RFC 5531 does', () => {
    const enc = (f: (h: RpcReplyHeader) => void) => { const h = new RpcReplyHeader(); h.xid = 5; f(h); return encodeWith((x) => rpcEncodeReplyHeader(x, h)).bytes; };
    expect(enc(() => {})).to.deep.equal(words(5, 1, 0, 0, 0, 0));
    expect(enc((h) => { h.acceptStat = rpc_accept_stat.RPC_PROG_MISMATCH; h.mismatchLow = 2; h.mismatchHigh = 4; })).to.deep.equal(words(5, 1, 0, 0, 0, 2, 2, 4));
    expect(enc((h) => { h.acceptStat = rpc_accept_stat.RPC_GARBAGE_ARGS; })).to.deep.equal(words(5, 1, 0, 0, 0, 4));
    expect(enc((h) => { h.replyStat = 1; h.rejectStat = 0; h.mismatchLow = 2; h.mismatchHigh = 2; })).to.deep.equal(words(5, 1, 1, 0, 2, 2));
    expect(enc((h) => { h.replyStat = 1; h.rejectStat = 1; h.authStat = rpc_auth_stat.RPC_AUTH_TOOWEAK; })).to.deep.equal(words(5, 1, 1, 1, 5));
  });

  it('refuses to encode statuses with no wire form', () => {
    const h = new RpcReplyHeader();
    h.acceptStat = rpc_accept_stat.RPC_DROP_REPLY;
    expect(encodeWith((x) => rpcEncodeReplyHeader(x, h)).rc).to.equal(-errno.EMSGSIZE);
    h.replyStat = 1; h.rejectStat = 7 as rpc_reject_stat;
    expect(encodeWith((x) => rpcEncodeReplyHeader(x, h)).rc).to.equal(-errno.EMSGSIZE);
  });
});

describe('rpc_decode_header', () => {
  const E = errno;
  const accepted = (stat: number, ...extra: number[]) => words(1, 1, 0, 0, 0, stat, ...extra);
  const denied = (...w: number[]) => words(1, 1, 1, ...w);
  const cases: [string, Uint8Array, number, number][] = [
    // name, reply, result with retries left, result with no retries left
    ['SUCCESS', accepted(0), 0, 0],
    ['PROG_UNAVAIL', accepted(1), -E.EPFNOSUPPORT, -E.EPFNOSUPPORT],
    ['PROG_MISMATCH', accepted(2, 2, 3), -E.EPROTONOSUPPORT, -E.EPROTONOSUPPORT],
    ['PROC_UNAVAIL', accepted(3), -E.EOPNOTSUPP, -E.EOPNOTSUPP],
    ['GARBAGE_ARGS', accepted(4), -E.EAGAIN, -E.EIO],
    ['SYSTEM_ERR', accepted(5), -E.EAGAIN, -E.EIO],
    ['unknown accept_stat', accepted(6), -E.EAGAIN, -E.EIO],
    ['RPC_MISMATCH', denied(0, 2, 2), -E.EPROTONOSUPPORT, -E.EPROTONOSUPPORT],
    ['AUTH_BADCRED', denied(1, 1), -E.EAGAIN, -E.EACCES],
    ['AUTH_REJECTEDCRED', denied(1, 2), -E.EKEYREJECTED, -E.EACCES],
    ['AUTH_BADVERF', denied(1, 3), -E.EAGAIN, -E.EACCES],
    ['AUTH_REJECTEDVERF', denied(1, 4), -E.EKEYREJECTED, -E.EACCES],
    ['AUTH_TOOWEAK', denied(1, 5), -E.EACCES, -E.EACCES],
    ['RPCSEC_GSS_CREDPROBLEM', denied(1, 13), -E.EKEYREJECTED, -E.EACCES],
    ['RPCSEC_GSS_CTXPROBLEM', denied(1, 14), -E.EKEYREJECTED, -E.EACCES],
    ['unknown auth_stat', denied(1, 7), -E.EAGAIN, -E.EIO],
    ['unknown reject_stat', denied(2), -E.EAGAIN, -E.EIO],
    ['a CALL, not a REPLY', words(1, 0, 0, 0, 0, 0), -E.EAGAIN, -E.EIO],
    ['a bad verifier', words(1, 1, 0, 1, 0, 0), -E.EAGAIN, -E.EIO],
    ['a truncated header', words(1, 1), -E.EAGAIN, -E.EIO],
  ];
  for (const [name, reply, withRetry, exhausted] of cases) {
    it(`maps ${name} as net/sunrpc/clnt.c does`, () => {
      const t1 = { tk_garb_retry: 2, tk_cred_retry: 2 };
      expect(rpc_decode_header(decoder(reply), reply.length, t1, null_auth)).to.equal(withRetry);
      const t0 = { tk_garb_retry: 0, tk_cred_retry: 0 };
      expect(rpc_decode_header(decoder(reply), reply.length, t0, null_auth)).to.equal(exhausted);
    });
  }

  it('consumes tk_garb_retry and tk_cred_retry', () => {
    const t = { tk_garb_retry: 1, tk_cred_retry: 1 };
    expect(rpc_decode_header(decoder(accepted(4)), 24, t, null_auth)).to.equal(-E.EAGAIN);
    expect(rpc_decode_header(decoder(accepted(4)), 24, t, null_auth)).to.equal(-E.EIO);
    expect(rpc_decode_header(decoder(denied(1, 2)), 20, t, null_auth)).to.equal(-E.EKEYREJECTED);
    expect(rpc_decode_header(decoder(denied(1, 2)), 20, t, null_auth)).to.equal(-E.EACCES);
    expect(t).to.deep.equal({ tk_garb_retry: 0, tk_cred_retry: 0 });
  });

  it('treats a length that is not a multiple of 4 as unparsable', () => {
    const t = { tk_garb_retry: 0, tk_cred_retry: 0 };
    expect(rpc_decode_header(decoder(accepted(0)), 25, t, null_auth)).to.equal(-E.EIO);
  });

  it('leaves the stream at the results on SUCCESS, past an AUTH_SYS verifier', () => {
    const auth = authunix_create({ machinename: 'h', uid: 0, gid: 0 });
    const reply = concat(words(1, 1, 0, 1, 8, 7, 7, 0), words(0xfeed));
    const xdr = decoder(reply);
    expect(rpc_decode_header(xdr, reply.length, { tk_garb_retry: 0, tk_cred_retry: 0 }, auth)).to.equal(0);
    expect(auth.au_rslack).to.equal(4);
    expect(xdr.view[xdr.p + 2]).to.equal(0xfe);
  });
});

describe('rpc_msg: truncation and garbage (fuzz)', () => {
  const allowed = new Set([0, -errno.EAGAIN, -errno.EKEYREJECTED, -errno.EIO, -errno.EACCES, -errno.EPFNOSUPPORT, -errno.EPROTONOSUPPORT, -errno.EOPNOTSUPP]);
  it('every truncation of a valid header decodes to -EBADMSG, never a throw', () => {
    fc.assert(fc.property(arbReply, arbCall, (r, c) => {
      const reply = rpc_msg.encode(toJx(r) as never);
      for (let n = 0; n < reply.length; n += 4) expect(rpcDecodeReplyHeader(decoder(reply.subarray(0, n)), new RpcReplyHeader())).to.equal(-errno.EBADMSG);
      const call = rpc_msg.encode({ xid: c.xid, body: { type: 0, cbody: { ...c } } } as never);
      for (let n = 0; n < call.length; n += 4) expect(rpcDecodeCallHeader(decoder(call.subarray(0, n)), new RpcCallHeader())).to.equal(-errno.EBADMSG);
    }), { ...fcParams, numRuns: 100 });
  });

  it('random bytes give only documented results', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 96 }), fc.boolean(), (b, small) => {
      const bytes = small ? b.map((x) => x & 3) : b; // small values reach the deep arms
      const rr = rpcDecodeReplyHeader(decoder(bytes), new RpcReplyHeader());
      expect([0, -errno.EBADMSG]).to.include(rr);
      const rc = rpcDecodeCallHeader(decoder(bytes), new RpcCallHeader());
      expect([0, -errno.EBADMSG]).to.include(rc);
      const st = rpc_decode_header(decoder(bytes), bytes.length, { tk_garb_retry: 1, tk_cred_retry: 1 }, null_auth);
      expect(allowed.has(st), `status ${st}`).to.equal(true);
    }), { ...fcParams, numRuns: 2000 });
  });
});
