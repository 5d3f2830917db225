import { expect } from 'chai';
import { CounterSet, formatCounters } from '../src/counters.js';
import { KernelBug } from '../src/kernel-error.js';

const RXE = ['sent_pkts', 'rcvd_pkts', 'rdma_sends'] as const;

describe('CounterSet', () => {
  it('starts at zero and counts with inc(key, n = 1)', () => {
    const c = new CounterSet(RXE);
    expect(c.get('sent_pkts')).to.equal(0);
    c.inc('sent_pkts');
    c.inc('sent_pkts', 4);
    expect(c.get('sent_pkts')).to.equal(5);
    c.set('rcvd_pkts', 9);
    expect(c.get('rcvd_pkts')).to.equal(9);
  });

  it('snapshots in key order and resets to zero', () => {
    const c = new CounterSet(RXE);
    c.inc('rdma_sends', 2);
    const snap = c.snapshot();
    expect(Object.keys(snap)).to.deep.equal([...RXE]);
    expect(snap).to.deep.equal({ sent_pkts: 0, rcvd_pkts: 0, rdma_sends: 2 });
    c.reset();
    expect(c.snapshot()).to.deep.equal({ sent_pkts: 0, rcvd_pkts: 0, rdma_sends: 0 });
    expect(snap.rdma_sends).to.equal(2);
  });

  it('diffs against an earlier snapshot', () => {
    const c = new CounterSet(RXE);
    c.inc('sent_pkts', 10);
    const before = c.snapshot();
    c.inc('sent_pkts', 3);
    c.inc('rcvd_pkts');
    expect(c.diff(before)).to.deep.equal({ sent_pkts: 3, rcvd_pkts: 1, rdma_sends: 0 });
    expect(c.diff({})).to.deep.equal(c.snapshot());
  });

  it('stays exact above 2^32', () => {
    const c = new CounterSet(['bytes'] as const);
    c.inc('bytes', 2 ** 40);
    c.inc('bytes');
    expect(c.get('bytes')).to.equal(2 ** 40 + 1);
  });

  it('throws KernelBug for an unknown or duplicate key', () => {
    const c = new CounterSet(RXE);
    expect(() => c.inc('nope' as 'sent_pkts')).to.throw(KernelBug, /unknown key 'nope'/);
    expect(() => new CounterSet(['a', 'a'])).to.throw(KernelBug, /duplicate key 'a'/);
  });
});

describe('formatCounters', () => {
  const c = new CounterSet(RXE);
  c.inc('sent_pkts', 10);
  c.inc('rcvd_pkts', 9);

  it('prints name: value lines by default', () => {
    expect(formatCounters(c)).to.equal('sent_pkts: 10\nrcvd_pkts: 9\nrdma_sends: 0');
  });

  it('prints an aligned two-column table', () => {
    expect(formatCounters(c, { style: 'table' })).to.equal(
      'sent_pkts   10\n' +
      'rcvd_pkts    9\n' +
      'rdma_sends   0');
  });

  it('prints sysfs hw_counters paths as grep . dir/* does, skipping zeros on request', () => {
    expect(formatCounters(c, { style: 'sysfs', dir: '/sys/class/infiniband/rxe0/ports/1/hw_counters/', skipZero: true }))
      .to.equal(
        '/sys/class/infiniband/rxe0/ports/1/hw_counters/sent_pkts:10\n' +
        '/sys/class/infiniband/rxe0/ports/1/hw_counters/rcvd_pkts:9');
  });

  it('accepts a plain snapshot and prints an empty string for no counters', () => {
    expect(formatCounters({ a: 1 })).to.equal('a: 1');
    expect(formatCounters({}, { style: 'table' })).to.equal('');
  });
});
