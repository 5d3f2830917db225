import { expect } from 'chai';
import { IS_ERR_VALUE, MAX_ERRNO, errno, errnoName, type ErrnoCode } from '../src/errno.js';

describe('errno', () => {
  it('has the kernel values of errno-base.h, errno.h and linux/errno.h', () => {
    const expected: Partial<Record<ErrnoCode, number>> = {
      EPERM: 1, ENOENT: 2, EIO: 5, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, EBUSY: 16,
      EEXIST: 17, ENODEV: 19, EINVAL: 22, ENOSPC: 28, EPIPE: 32, ERANGE: 34, ENOSYS: 38,
      EPROTO: 71, EBADMSG: 74, EOVERFLOW: 75, EMSGSIZE: 90, EOPNOTSUPP: 95, EADDRINUSE: 98,
      ENETUNREACH: 101, ECONNABORTED: 103, ECONNRESET: 104, ENOBUFS: 105, EISCONN: 106,
      ENOTCONN: 107, ESHUTDOWN: 108, ETIMEDOUT: 110, ECONNREFUSED: 111, EHOSTUNREACH: 113,
      EALREADY: 114, EINPROGRESS: 115, ESTALE: 116, EREMOTEIO: 121, EDQUOT: 122, ECANCELED: 125,
      EKEYEXPIRED: 127, ERESTARTSYS: 512, EBADCOOKIE: 523, ENOTSUPP: 524, ETOOSMALL: 525,
      ESERVERFAULT: 526, EBADTYPE: 527, EJUKEBOX: 528, EIOCBQUEUED: 529,
    };
    for (const [code, value] of Object.entries(expected)) {
      expect(errno[code as ErrnoCode], code).to.equal(value);
    }
  });

  it('gives every name a distinct value', () => {
    const values = Object.values(errno);
    expect(new Set(values).size).to.equal(values.length);
  });
});

describe('errnoName', () => {
  it('names an errno value, ignoring the sign', () => {
    expect(errnoName(12)).to.equal('ENOMEM');
    expect(errnoName(-22)).to.equal('EINVAL');
    expect(errnoName(121)).to.equal('EREMOTEIO');
    expect(errnoName(-524)).to.equal('ENOTSUPP');
  });

  it('round-trips every code', () => {
    for (const [code, value] of Object.entries(errno)) expect(errnoName(value)).to.equal(code);
  });

  it('returns undefined for 0 and unknown values', () => {
    expect(errnoName(0)).to.equal(undefined);
    expect(errnoName(4000)).to.equal(undefined);
  });
});

describe('IS_ERR_VALUE', () => {
  it('is true for -MAX_ERRNO..-1 only', () => {
    expect(MAX_ERRNO).to.equal(4095);
    expect(IS_ERR_VALUE(-1)).to.equal(true);
    expect(IS_ERR_VALUE(-errno.ENOMEM)).to.equal(true);
    expect(IS_ERR_VALUE(-4095)).to.equal(true);
    expect(IS_ERR_VALUE(-4096)).to.equal(false);
    expect(IS_ERR_VALUE(0)).to.equal(false);
    expect(IS_ERR_VALUE(12)).to.equal(false);
  });
});
