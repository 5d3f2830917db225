import { expect } from 'chai';
import {
  BUG_ON,
  KernelBug,
  KernelError,
  WARN,
  WARN_ON,
  isKernelBug,
  isKernelError,
  isStrict,
  resetWarnings,
  setStrict,
  warnings,
} from '../src/kernel-error.js';

describe('KernelError', () => {
  it('carries code, errno and the -errno the C function would return', () => {
    const err = new KernelError('ENOMEM', 'qp 17: sq full (max_send_wr=64)');
    expect(err).to.be.an.instanceOf(Error);
    expect(err.name).to.equal('KernelError');
    expect(err.code).to.equal('ENOMEM');
    expect(err.errno).to.equal(12);
    expect(err.negative).to.equal(-12);
    expect(err.message).to.equal('qp 17: sq full (max_send_wr=64) (ENOMEM)');
  });

  it('copies context fields onto the error', () => {
    const bad_wr = { wr_id: 7n };
    const err = new KernelError('ENOMEM', 'qp 1: sq full', { bad_wr });
    expect((err as KernelError & { bad_wr: unknown }).bad_wr).to.equal(bad_wr);
  });
});

describe('isKernelError', () => {
  it('recognises a KernelError, optionally by code', () => {
    const err = new KernelError('ENOTCONN', 'xprt 1: not connected');
    expect(isKernelError(err)).to.equal(true);
    expect(isKernelError(err, 'ENOTCONN')).to.equal(true);
    expect(isKernelError(err, 'ENOMEM')).to.equal(false);
  });

  it('uses the Symbol.for brand, so an error from another copy of the package passes', () => {
    // What a second copy of sim-core would construct: a different class, the same global symbol.
    const foreign = Object.assign(new Error('x (EINVAL)'), {
      [Symbol.for('rdmaemu.KernelError')]: true,
      code: 'EINVAL',
      errno: 22,
    });
    expect(foreign instanceof KernelError).to.equal(false);
    expect(isKernelError(foreign)).to.equal(true);
    expect(isKernelError(foreign, 'EINVAL')).to.equal(true);
  });

  it('rejects plain errors, look-alikes without the brand, and non-objects', () => {
    expect(isKernelError(new Error('ENOMEM'))).to.equal(false);
    expect(isKernelError({ code: 'ENOMEM', errno: 12 })).to.equal(false);
    expect(isKernelError({ [Symbol('rdmaemu.KernelError')]: true, code: 'ENOMEM' })).to.equal(false);
    expect(isKernelError(null)).to.equal(false);
    expect(isKernelError(undefined)).to.equal(false);
    expect(isKernelError('ENOMEM')).to.equal(false);
    expect(isKernelError(new KernelBug('x'))).to.equal(false);
  });
});

describe('isKernelBug', () => {
  it('recognises KernelBug by its brand and nothing else', () => {
    const bug = new KernelBug('kernel BUG at rxe_comp.c');
    expect(bug.name).to.equal('KernelBug');
    expect(isKernelBug(bug)).to.equal(true);
    expect(isKernelBug({ [Symbol.for('rdmaemu.KernelBug')]: true })).to.equal(true);
    expect(isKernelBug(new KernelError('EINVAL', 'x'))).to.equal(false);
    expect(isKernelBug(new Error('x'))).to.equal(false);
    expect(isKernelBug(null)).to.equal(false);
  });
});

describe('BUG_ON', () => {
  afterEach(() => setStrict(true));

  it('throws KernelBug when the condition holds, in strict and non-strict mode', () => {
    expect(() => BUG_ON(true, 'kernel BUG at mm/slab.c')).to.throw(KernelBug, 'kernel BUG at mm/slab.c');
    setStrict(false);
    expect(() => BUG_ON(true)).to.throw(KernelBug, 'kernel BUG');
  });

  it('does nothing when the condition is false', () => {
    expect(() => BUG_ON(false)).to.not.throw();
  });
});

describe('WARN', () => {
  beforeEach(() => resetWarnings());
  afterEach(() => {
    setStrict(true);
    resetWarnings();
  });

  it('is strict by default', () => {
    expect(isStrict()).to.equal(true);
  });

  it('throws KernelBug in strict mode, prefixed WARNING:', () => {
    expect(() => WARN(true, 'ib_dealloc_pd: pd has users')).to.throw(KernelBug, 'WARNING: ib_dealloc_pd: pd has users');
    expect(warnings().count).to.equal(1);
  });

  it('logs, counts and returns true when not strict', () => {
    setStrict(false);
    expect(WARN(true, 'first')).to.equal(true);
    expect(WARN_ON(true)).to.equal(true);
    expect(warnings().count).to.equal(2);
    expect(warnings().log).to.deep.equal(['first', 'WARN_ON']);
  });

  it('returns false and records nothing when the condition is false', () => {
    expect(WARN(false, 'never')).to.equal(false);
    expect(WARN_ON(false)).to.equal(false);
    expect(warnings().count).to.equal(0);
  });

  it('clears the log and count with resetWarnings()', () => {
    setStrict(false);
    WARN(true, 'x');
    resetWarnings();
    expect(warnings()).to.deep.equal({ count: 0, log: [] });
  });
});
