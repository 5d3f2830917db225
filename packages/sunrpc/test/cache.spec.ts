import { expect } from 'chai';
import { svc_create, svc_process, svc_rqst_alloc, type svc_rqst } from '../src/svc.js';
import {
  RC_CSUMLEN, RC_DOIT, RC_DONE, RC_INPROG, RC_REPLBUFF, SvcReplyCache, svcCacheCsum, svcCacheLookup, svcCacheRcLine,
} from '../src/cache.js';
import { concat, words } from './_support.js';
import { ECHOPROC_ADD, ECHOPROC_BUMP, ECHOPROC_ECHO, ECHOPROC_SYSERR, bufOf, callBytes, echoProgram, replyWords, type EchoState } from './_svc.js';

const ACC = (xid: number): number[] => [xid, 1, 0, 0, 0];

function rig(maxEntries = 16) {
  const state: EchoState = { counter: 0, calls: [] };
  const drc = new SvcReplyCache({ maxEntries });
  const serv = svc_create(echoProgram(state), { drc });
  const rqstp = svc_rqst_alloc(serv);
  const call = (r: svc_rqst, o: { xid: number; proc: number; addr?: string; port?: number; args?: Uint8Array }) => {
    r.rq_arg = bufOf(callBytes({ xid: o.xid, proc: o.proc }, o.args));
    r.rq_addr = o.addr ?? '192.0.2.1';
    r.rq_port = o.port ?? 700;
    return svc_process(r);
  };
  return { state, drc, serv, rqstp, call };
}

function sent(v: ReturnType<typeof svc_process>): number[] {
  if (!v.send) throw new Error(`dropped: ${v.reason}`);
  return replyWords(v.reply);
}

describe('cache: svcCacheLookup / svcCacheUpdate through svc_process', () => {
  it('answers a retransmitted non-idempotent call from another source port from the cache, without pc_func (RFC 8267)', () => {
    const { rqstp, call, state, drc } = rig();
    expect(sent(call(rqstp, { xid: 7, proc: ECHOPROC_ADD, port: 700, args: words(5) }))).to.deep.equal([...ACC(7), 0, 5, 0xabcd]);
    expect(sent(call(rqstp, { xid: 7, proc: ECHOPROC_ADD, port: 901, args: words(5) }))).to.deep.equal([...ACC(7), 0, 5, 0xabcd]);
    expect(state.calls).to.deep.equal([ECHOPROC_ADD]);
    expect(state.counter).to.equal(5);
    expect(drc.stats).to.include({ rc_hits: 1, rc_misses: 1, rc_nocache: 0 });
    expect(svcCacheRcLine(drc)).to.equal('rc 1 1 0');
  });

  it('replays the cached status word for RC_REPLSTAT', () => {
    const { rqstp, call, state } = rig();
    expect(sent(call(rqstp, { xid: 8, proc: ECHOPROC_BUMP }))).to.deep.equal([...ACC(8), 0, 1]);
    expect(sent(call(rqstp, { xid: 8, proc: ECHOPROC_BUMP }))).to.deep.equal([...ACC(8), 0, 1]);
    expect(state.counter).to.equal(1);
  });

  it('treats different arguments under the same xid as a miss (checksum), and counts a payload miss', () => {
    const { rqstp, call, state, drc } = rig();
    sent(call(rqstp, { xid: 9, proc: ECHOPROC_ADD, args: words(1) }));
    expect(sent(call(rqstp, { xid: 9, proc: ECHOPROC_ADD, args: words(2) }))).to.deep.equal([...ACC(9), 0, 3, 0xabcd]);
    expect(state.calls).to.have.length(2);
    expect(drc.stats).to.include({ rc_hits: 0, rc_misses: 2, payload_misses: 1 });
  });

  it('treats another client address, xid or procedure as a miss', () => {
    const { rqstp, call, state } = rig();
    sent(call(rqstp, { xid: 10, proc: ECHOPROC_ADD, args: words(1) }));
    sent(call(rqstp, { xid: 10, proc: ECHOPROC_ADD, args: words(1), addr: '192.0.2.2' }));
    sent(call(rqstp, { xid: 11, proc: ECHOPROC_ADD, args: words(1) }));
    sent(call(rqstp, { xid: 10, proc: ECHOPROC_BUMP, args: words(1) }));
    expect(state.calls).to.have.length(4);
  });

  it('drops a retransmission that arrives while the first copy is still in pc_func (RC_INPROG)', () => {
    const { rqstp, call, state, serv, drc } = rig();
    const other = svc_rqst_alloc(serv);
    let inner: ReturnType<typeof svc_process> | null = null;
    state.during = () => {
      state.during = undefined;
      expect([...drc.entries.values()][0]!.c_state).to.equal(RC_INPROG);
      inner = call(other, { xid: 12, proc: ECHOPROC_ADD, args: words(4), port: 999 });
    };
    sent(call(rqstp, { xid: 12, proc: ECHOPROC_ADD, args: words(4) }));
    expect(inner).to.deep.equal({ send: false, reason: 'cache-inprog' });
    expect(state.calls).to.have.length(1);
    expect([...drc.entries.values()][0]!.c_state).to.equal(RC_DONE);
  });

  it('does not cache a failed call: a retransmit runs it again', () => {
    const { rqstp, call, state, drc } = rig();
    sent(call(rqstp, { xid: 13, proc: ECHOPROC_SYSERR }));
    sent(call(rqstp, { xid: 13, proc: ECHOPROC_SYSERR }));
    expect(state.calls).to.have.length(2);
    expect(drc.size).to.equal(0);
  });

  it('counts RC_NOCACHE procedures as nocache and keeps no entry', () => {
    const { rqstp, call, drc } = rig();
    sent(call(rqstp, { xid: 14, proc: ECHOPROC_ECHO, args: words(0) }));
    expect(drc.stats.rc_nocache).to.equal(1);
    expect(drc.size).to.equal(0);
  });

  it('evicts the least recently used entry beyond maxEntries; a hit refreshes an entry', () => {
    const { rqstp, call, state, drc } = rig(2);
    sent(call(rqstp, { xid: 1, proc: ECHOPROC_ADD, args: words(1) }));
    sent(call(rqstp, { xid: 2, proc: ECHOPROC_ADD, args: words(1) }));
    sent(call(rqstp, { xid: 1, proc: ECHOPROC_ADD, args: words(1) })); // hit: xid 1 becomes most recent
    sent(call(rqstp, { xid: 3, proc: ECHOPROC_ADD, args: words(1) })); // evicts xid 2
    expect(drc.size).to.equal(2);
    expect(drc.stats.evictions).to.equal(1);
    const before = state.calls.length;
    sent(call(rqstp, { xid: 1, proc: ECHOPROC_ADD, args: words(1) }));
    expect(state.calls.length).to.equal(before);
    sent(call(rqstp, { xid: 2, proc: ECHOPROC_ADD, args: words(1) }));
    expect(state.calls.length).to.equal(before + 1);
  });

  it('never evicts an RC_INPROG entry', () => {
    const drc = new SvcReplyCache({ maxEntries: 1 });
    const mk = (xid: number) => ({
      rq_xid: xid, rq_addr: 'a', rq_prog: 1, rq_vers: 1, rq_proc: 1, rq_arg: bufOf(words(xid)),
      rq_res_stream: svc_rqst_alloc(svc_create([], { drc: null, bufsize: 64 })).rq_res_stream, rq_cacherep: null,
    });
    expect(svcCacheLookup(drc, mk(1), { cachetype: RC_REPLBUFF, start: 0, len: 4 })).to.equal(RC_DOIT);
    expect(svcCacheLookup(drc, mk(2), { cachetype: RC_REPLBUFF, start: 0, len: 4 })).to.equal(RC_DOIT);
    expect(drc.size).to.equal(2);
    expect(drc.stats.evictions).to.equal(0);
  });
});

describe('cache: svcCacheCsum', () => {
  it('is CRC-32 over at most RC_CSUMLEN bytes from start', () => {
    const ascii = new TextEncoder().encode('123456789');
    expect(svcCacheCsum(bufOf(concat(words(0), ascii)), 4, 9)).to.equal(0xcbf43926);
    const a = new Uint8Array(RC_CSUMLEN + 8);
    const b = a.slice();
    b[RC_CSUMLEN + 4] = 1;
    expect(svcCacheCsum(bufOf(a), 0, a.length)).to.equal(svcCacheCsum(bufOf(b), 0, b.length));
    b[RC_CSUMLEN - 1] = 1;
    expect(svcCacheCsum(bufOf(a), 0, a.length)).to.not.equal(svcCacheCsum(bufOf(b), 0, b.length));
  });
});
