import { expect } from 'chai';
import { KernelBug, setStrict } from '../src/kernel-error.js';
import { SimClock } from '../src/sim-clock.js';
import { TICK_NSEC } from '../src/timer.js';
import {
  INIT_DELAYED_WORK,
  INIT_WORK,
  alloc_workqueue,
  cancel_delayed_work,
  cancel_delayed_work_sync,
  cancel_work,
  cancel_work_sync,
  delayed_work,
  delayed_work_pending,
  destroy_workqueue,
  mod_delayed_work,
  queue_delayed_work,
  queue_work,
  work_pending,
  work_struct,
} from '../src/workqueue.js';

function newClock(): SimClock {
  return new SimClock({ seed: 1, traceClock: false });
}

function work(fn: () => void): work_struct {
  const w = new work_struct();
  INIT_WORK(w, fn);
  return w;
}

describe('INIT_WORK', () => {
  it('sets the work function and leaves the work idle', () => {
    const w = new work_struct();
    const fn = (): void => {};
    INIT_WORK(w, fn);
    expect(w.func).to.equal(fn);
    expect(work_pending(w)).to.equal(false);
  });
});

describe('queue_work', () => {
  afterEach(() => setStrict(true));

  it('returns true when it queues the work and false when the work is already pending', () => {
    const clock = newClock();
    const w = work(() => {});
    expect(queue_work(clock, w)).to.equal(true);
    expect(work_pending(w)).to.equal(true);
    expect(queue_work(clock, w)).to.equal(false);
    expect(clock.flush()).to.equal(1);
    expect(work_pending(w)).to.equal(false);
    expect(queue_work(clock, w)).to.equal(true);
  });

  it('runs the work at the current time after already-queued work, FIFO', () => {
    const clock = newClock();
    const order: string[] = [];
    clock.schedule(() => order.push('scheduled-before'), 0);
    queue_work(clock, work(() => order.push('w1')));
    queue_work(clock, work(() => order.push('w2')));
    clock.schedule(() => order.push('scheduled-after'), 0);
    clock.flush();
    expect(order).to.deep.equal(['scheduled-before', 'w1', 'w2', 'scheduled-after']);
    expect(clock.ktime_get()).to.equal(0);
  });

  it('clears PENDING before the function runs, so the work can queue itself again', () => {
    const clock = newClock();
    let runs = 0;
    const w = new work_struct();
    INIT_WORK(w, (self) => {
      expect(work_pending(self)).to.equal(false);
      if (++runs < 3) expect(queue_work(clock, self)).to.equal(true);
    });
    queue_work(clock, w);
    expect(clock.flush()).to.equal(3);
  });

  it('counts pending items on an allocated workqueue', () => {
    const clock = newClock();
    const wq = alloc_workqueue(clock, 'xprtiod');
    expect(wq.name).to.equal('xprtiod');
    const a = work(() => {});
    const b = work(() => {});
    queue_work(wq, a);
    queue_work(wq, b);
    expect(wq.nr_pending).to.equal(2);
    cancel_work(b);
    expect(wq.nr_pending).to.equal(1);
    clock.flush();
    expect(wq.nr_pending).to.equal(0);
  });

  it('throws KernelBug in strict mode when INIT_WORK() was not called', () => {
    expect(() => queue_work(newClock(), new work_struct())).to.throw(KernelBug, /INIT_WORK/);
  });

  it('returns false when not strict and INIT_WORK() was not called', () => {
    setStrict(false);
    const w = new work_struct();
    expect(queue_work(newClock(), w)).to.equal(false);
    expect(work_pending(w)).to.equal(false);
  });
});

describe('queue_delayed_work', () => {
  it('queues the work after delay jiffies and keeps it pending meanwhile', () => {
    const clock = newClock();
    const at: number[] = [];
    const dw = new delayed_work();
    INIT_DELAYED_WORK(dw, () => at.push(clock.ktime_get()));
    expect(queue_delayed_work(clock, dw, 5)).to.equal(true);
    expect(delayed_work_pending(dw)).to.equal(true);
    expect(queue_delayed_work(clock, dw, 1)).to.equal(false);
    clock.tick(4);
    expect(at).to.deep.equal([]);
    clock.tick(1);
    expect(at).to.deep.equal([5 * TICK_NSEC]);
    expect(delayed_work_pending(dw)).to.equal(false);
  });

  it('queues at once when the delay is 0', () => {
    const clock = newClock();
    let ran = false;
    const dw = new delayed_work();
    INIT_DELAYED_WORK(dw, () => { ran = true; });
    queue_delayed_work(clock, dw, 0);
    clock.flush();
    expect(ran).to.equal(true);
  });

  it('runs after work already queued for the instant its timer fires', () => {
    const clock = newClock();
    const order: string[] = [];
    clock.schedule(() => order.push('at-2ms'), 2 * TICK_NSEC);
    const dw = new delayed_work();
    INIT_DELAYED_WORK(dw, () => order.push('delayed'));
    queue_delayed_work(clock, dw, 2);
    clock.tick(2);
    expect(order).to.deep.equal(['at-2ms', 'delayed']);
  });

  it('tracks a workqueue\'s pending count across the timer and queued phases', () => {
    const clock = newClock();
    const wq = alloc_workqueue(clock, 'rpciod');
    const dw = new delayed_work();
    INIT_DELAYED_WORK(dw, () => {});
    queue_delayed_work(wq, dw, 3);
    expect(wq.nr_pending).to.equal(1);
    clock.tick(3);
    expect(wq.nr_pending).to.equal(0);
  });
});

describe('mod_delayed_work', () => {
  it('returns false when the work was idle and true when it re-arms a pending work', () => {
    const clock = newClock();
    const at: number[] = [];
    const dw = new delayed_work();
    INIT_DELAYED_WORK(dw, () => at.push(clock.jiffies));
    expect(mod_delayed_work(clock, dw, 10)).to.equal(false);
    clock.tick(5);
    expect(mod_delayed_work(clock, dw, 10)).to.equal(true);
    clock.runUntilIdle();
    expect(at).to.deep.equal([15]);
  });
});

describe('cancel_work_sync', () => {
  it('returns true and prevents the run when the work was pending, false when idle', () => {
    const clock = newClock();
    let ran = false;
    const w = work(() => { ran = true; });
    expect(cancel_work_sync(w)).to.equal(false);
    queue_work(clock, w);
    expect(cancel_work_sync(w)).to.equal(true);
    expect(work_pending(w)).to.equal(false);
    clock.flush();
    expect(ran).to.equal(false);
    expect(cancel_work(w)).to.equal(false);
  });
});

describe('cancel_delayed_work_sync', () => {
  it('cancels a delayed work on its timer', () => {
    const clock = newClock();
    let ran = false;
    const dw = new delayed_work();
    INIT_DELAYED_WORK(dw, () => { ran = true; });
    queue_delayed_work(clock, dw, 5);
    expect(cancel_delayed_work_sync(dw)).to.equal(true);
    clock.runUntilIdle();
    expect(ran).to.equal(false);
    expect(clock.pending).to.equal(0);
  });

  it('cancels a delayed work whose timer fired but which has not run yet', () => {
    const clock = newClock();
    let ran = false;
    const dw = new delayed_work();
    INIT_DELAYED_WORK(dw, () => { ran = true; });
    queue_delayed_work(clock, dw, 5);
    // A timer due at the same instant, scheduled later, runs after the delay timer and cancels
    // the work it queued.
    clock.schedule(() => expect(cancel_delayed_work(dw)).to.equal(true), 5 * TICK_NSEC);
    clock.runUntilIdle();
    expect(ran).to.equal(false);
    expect(cancel_delayed_work(dw)).to.equal(false);
  });
});

describe('destroy_workqueue', () => {
  afterEach(() => setStrict(true));

  it('lets already-queued work run, in order', () => {
    const clock = newClock();
    const wq = alloc_workqueue(clock, 'svcrdma');
    const order: string[] = [];
    queue_work(wq, work(() => order.push('a')));
    queue_work(wq, work(() => order.push('b')));
    destroy_workqueue(wq);
    clock.flush();
    expect(order).to.deep.equal(['a', 'b']);
  });

  it('allows chained work queued by the workqueue\'s own running work', () => {
    const clock = newClock();
    const wq = alloc_workqueue(clock, 'svcrdma');
    const chained = work(() => {});
    queue_work(wq, work(() => expect(queue_work(wq, chained)).to.equal(true)));
    destroy_workqueue(wq);
    expect(clock.flush()).to.equal(2);
  });

  it('makes later queue_work a KernelBug in strict mode, and false otherwise', () => {
    const clock = newClock();
    const wq = alloc_workqueue(clock, 'svcrdma');
    destroy_workqueue(wq);
    expect(() => queue_work(wq, work(() => {}))).to.throw(KernelBug, /svcrdma is destroyed/);
    setStrict(false);
    expect(queue_work(wq, work(() => {}))).to.equal(false);
  });
});
