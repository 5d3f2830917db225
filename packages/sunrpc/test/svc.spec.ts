import { expect } from 'chai';
import fc from 'fast-check';
import { svc_create, svc_process, svc_rqst_alloc, type svc_rqst, type svc_serv } from '../src/svc.js';
import { svc_auth_status } from '../src/svcauth.h.js';
import { rpc_auth_stat } from '../src/msg_prot.h.js';
import { authunix_create } from '../src/auth_unix.js';
import { rpc_encode_header } from '../src/rpc_msg.js';
import { concat, encodeWith, fcParams, words } from './_support.js';
import {
  ECHO_PROG, ECHOPROC_BADENC, ECHOPROC_DROP, ECHOPROC_ECHO, ECHOPROC_NULL, ECHOPROC_SYSERR, ECHOPROC_TOOWEAK,
  bufOf, callBytes, echoProgram, replyWords, type CallInit, type EchoState,
} from './_svc.js';

const XID = 0x1234;
/** xid, REPLY, MSG_ACCEPTED, AUTH_NONE verifier. */
const ACC = [XID, 1, 0, 0, 0];

function rig(): { serv: svc_serv; rqstp: svc_rqst; state: EchoState; run: (init: CallInit, args?: Uint8Array) => ReturnType<typeof svc_process> } {
  const state: EchoState = { counter: 0, calls: [] };
  const serv = svc_create(echoProgram(state));
  const rqstp = svc_rqst_alloc(serv);
  const run = (init: CallInit, args?: Uint8Array): ReturnType<typeof svc_process> => {
    rqstp.rq_arg = bufOf(callBytes(init, args));
    rqstp.rq_addr = '192.0.2.1';
    return svc_process(rqstp);
  };
  return { serv, rqstp, state, run };
}

function sent(v: ReturnType<typeof svc_process>): number[] {
  if (!v.send) throw new Error(`dropped: ${v.reason}`);
  return replyWords(v.reply);
}

/** AUTH_SYS credential body: stamp, machinename 'host', uid, gid, gids. */
const unixCred = (uid: number, gids: number[]): Uint8Array => words(0, 4, 0x686f7374, uid, 100, gids.length, ...gids);

describe('svc_process', () => {
  it('answers a NULL call with MSG_ACCEPTED / SUCCESS and no results (RFC 5531 §9)', () => {
    const { run, state, serv } = rig();
    expect(sent(run({ proc: ECHOPROC_NULL }))).to.deep.equal([...ACC, 0]);
    expect(state.calls).to.deep.equal([0]);
    expect(serv.sv_stats.rpccnt).to.equal(1);
    expect(serv.sv_programs[0]!.pg_vers[1]!.vs_count![0]).to.equal(1);
  });

  it('runs a registered echo program: pc_decode, pc_func, pc_encode', () => {
    const { run } = rig();
    const args = words(5, 0x68656c6c, 0x6f000000);
    expect(sent(run({ proc: ECHOPROC_ECHO }, args))).to.deep.equal([...ACC, 0, 5, 0x68656c6c, 0x6f000000]);
  });

  it('answers an unknown program with PROG_UNAVAIL', () => {
    const { run, serv } = rig();
    expect(sent(run({ prog: 100003 }))).to.deep.equal([...ACC, 1]);
    expect(serv.sv_stats.rpcbadfmt).to.equal(1);
  });

  it('answers an unknown version with PROG_MISMATCH and the low / high versions', () => {
    const { run } = rig();
    expect(sent(run({ vers: 3 }))).to.deep.equal([...ACC, 2, 1, 2]);
    expect(sent(run({ vers: 0 }))).to.deep.equal([...ACC, 2, 1, 2]);
    expect(sent(run({ vers: 0xffffffff }))).to.deep.equal([...ACC, 2, 1, 2]);
  });

  it('answers a procedure past vs_nproc with PROC_UNAVAIL', () => {
    const { run } = rig();
    expect(sent(run({ proc: 99 }))).to.deep.equal([...ACC, 3]);
  });

  it('answers arguments pc_decode rejects with GARBAGE_ARGS', () => {
    const { run, state } = rig();
    expect(sent(run({ proc: ECHOPROC_ECHO }, words(100)))).to.deep.equal([...ACC, 4]);
    expect(state.calls).to.deep.equal([]);
  });

  it('answers with the accept_stat pc_func returns, discarding results (SYSTEM_ERR)', () => {
    const { run } = rig();
    expect(sent(run({ proc: ECHOPROC_SYSERR }))).to.deep.equal([...ACC, 5]);
  });

  it('answers SYSTEM_ERR when pc_encode fails', () => {
    const { run } = rig();
    expect(sent(run({ proc: ECHOPROC_BADENC }))).to.deep.equal([...ACC, 5]);
  });

  it('answers rpcvers other than 2 with MSG_DENIED / RPC_MISMATCH 2..2', () => {
    const { run, serv } = rig();
    expect(sent(run({ rpcvers: 3 }))).to.deep.equal([XID, 1, 1, 0, 2, 2]);
    expect(sent(run({ rpcvers: 1, prog: 7 }))).to.deep.equal([XID, 1, 1, 0, 2, 2]);
    expect(serv.sv_stats.rpcbadfmt).to.equal(2);
  });

  it('drops a message that is a reply, and a header shorter than six words', () => {
    const { rqstp, serv } = rig();
    rqstp.rq_arg = bufOf(words(XID, 1, 0, 0, 0, 0, 0));
    expect(svc_process(rqstp)).to.deep.equal({ send: false, reason: 'bad-direction' });
    expect(serv.sv_stats.rpcbadfmt).to.equal(1);
    for (const n of [0, 1, 2, 5]) {
      rqstp.rq_arg = bufOf(words(XID, 0, 2, ECHO_PROG, 1, 0).subarray(0, 4 * n));
      expect(svc_process(rqstp)).to.deep.equal({ send: false, reason: 'short-header' });
    }
  });

  it('drops when pc_func returns RPC_DROP_REPLY', () => {
    const { run } = rig();
    expect(run({ proc: ECHOPROC_DROP })).to.deep.equal({ send: false, reason: 'drop-reply' });
  });

  it('answers a missing credential with GARBAGE_ARGS', () => {
    const { rqstp } = rig();
    rqstp.rq_arg = bufOf(words(XID, 0, 2, ECHO_PROG, 1, 0));
    expect(sent(svc_process(rqstp))).to.deep.equal([...ACC, 4]);
  });

  describe('AUTH_SYS end to end', () => {
    it('accepts a call from authunix_create() and fills rq_cred', () => {
      const { rqstp, state } = rig();
      const auth = authunix_create({ machinename: 'client1', uid: 1000, gid: 1000, gids: [20, 10] });
      const { bytes } = encodeWith((xdr) => rpc_encode_header(xdr, { xid: XID, prog: ECHO_PROG, vers: 2, proc: ECHOPROC_NULL }, auth));
      rqstp.rq_arg = bufOf(bytes);
      expect(sent(svc_process(rqstp))).to.deep.equal([...ACC, 0]);
      expect(rqstp.rq_cred.cr_uid).to.equal(1000);
      expect(rqstp.rq_cred.cr_group_info).to.deep.equal([10, 20]);
      expect(state.calls).to.deep.equal([0]);
    });

    it('denies more than 16 groups with AUTH_ERROR / AUTH_BADCRED', () => {
      const { run, serv, state } = rig();
      const gids = Array.from({ length: 17 }, (_, i) => i);
      expect(sent(run({ credFlavor: 1, cred: unixCred(0, gids) }))).to.deep.equal([XID, 1, 1, 1, rpc_auth_stat.RPC_AUTH_BADCRED]);
      expect(serv.sv_stats.rpcbadauth).to.equal(1);
      expect(state.calls).to.deep.equal([]);
    });

    it('denies a non-AUTH_NONE verifier with AUTH_ERROR / AUTH_BADVERF', () => {
      const { run } = rig();
      expect(sent(run({ credFlavor: 1, cred: unixCred(0, []), verfFlavor: 1, verf: words(1) })))
        .to.deep.equal([XID, 1, 1, 1, rpc_auth_stat.RPC_AUTH_BADVERF]);
    });

    it('denies an unsupported flavor with AUTH_BADCRED, before looking up the program', () => {
      const { run } = rig();
      expect(sent(run({ prog: 42, credFlavor: 6, cred: words(1) }))).to.deep.equal([XID, 1, 1, 1, rpc_auth_stat.RPC_AUTH_BADCRED]);
    });

    it('lets pg_authenticate reject a caller (AUTH_TOOWEAK for uid 0)', () => {
      const state: EchoState = { counter: 0, calls: [] };
      const prog = echoProgram(state);
      prog.pg_authenticate = (r) => {
        if (r.rq_cred.cr_uid !== 0) return svc_auth_status.SVC_OK;
        r.rq_auth_stat = rpc_auth_stat.RPC_AUTH_TOOWEAK;
        return svc_auth_status.SVC_DENIED;
      };
      const rqstp = svc_rqst_alloc(svc_create(prog));
      rqstp.rq_arg = bufOf(callBytes({ credFlavor: 1, cred: unixCred(0, []) }));
      expect(sent(svc_process(rqstp))).to.deep.equal([XID, 1, 1, 1, rpc_auth_stat.RPC_AUTH_TOOWEAK]);
      rqstp.rq_arg = bufOf(callBytes({ credFlavor: 1, cred: unixCred(1000, []) }));
      expect(sent(svc_process(rqstp))).to.deep.equal([...ACC, 0]);
      expect(state.calls).to.deep.equal([0]);
    });

    it('answers AUTH_ERROR when the procedure sets rq_auth_stat', () => {
      const { run } = rig();
      expect(sent(run({ proc: ECHOPROC_TOOWEAK }))).to.deep.equal([XID, 1, 1, 1, rpc_auth_stat.RPC_AUTH_TOOWEAK]);
    });
  });

  it('never throws and always sends a well-formed reply or drops, for any bytes after a valid xid', () => {
    const { rqstp } = rig();
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), fc.nat(8), (b, proc) => {
      const raw = concat(words(XID, 0, 2, ECHO_PROG, 1, proc), b.map((x) => x & 3));
      rqstp.rq_arg = bufOf(raw);
      const v = svc_process(rqstp);
      if (v.send) {
        const w = replyWords(v.reply);
        expect(w.slice(0, 2)).to.deep.equal([XID, 1]);
        expect([0, 1]).to.include(w[2]);
      }
    }), fcParams);
  });
});
