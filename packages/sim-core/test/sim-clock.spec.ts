import { expect } from 'chai';
import { Subject, delay, interval, observeOn, of, take, timer } from 'rxjs';
import { isKernelBug, KernelBug } from '../src/kernel-error.js';
import { SeededRandom } from '../src/seeded-random.js';
import { SimClock, ktime_get, ktime_get_ns, ktime_to_ms, ktime_to_us } from '../src/sim-clock.js';
import { getTraceClock, setTraceClock } from '../src/tracepoint.js';

describe('SimClock', () => {
  afterEach(() => setTraceClock(null));

  it('starts at startNs and reads ktime_get in ns, now() in ms and jiffies at HZ=1000', () => {
    const clock = new SimClock({ seed: 1, startNs: 2_500_000 });
    expect(clock.ktime_get()).to.equal(2_500_000);
    expect(clock.now()).to.equal(2.5);
    expect(clock.jiffies).to.equal(2);
    expect(clock.mode).to.equal('virtual');
  });

  it('runs events due at the same nanosecond FIFO, in scheduling order', () => {
    const clock = new SimClock({ seed: 1 });
    const order: string[] = [];
    clock.schedule(() => order.push('b1'), 10);
    clock.schedule(() => order.push('a'), 5);
    clock.schedule(() => order.push('b2'), 10);
    clock.schedule(() => order.push('b3'), 10);
    clock.schedule(() => order.push('z'), 0);
    clock.runUntilIdle();
    expect(order).to.deep.equal(['z', 'a', 'b1', 'b2', 'b3']);
  });

  it('keeps FIFO order for work scheduled at the current instant by running work', () => {
    const clock = new SimClock({ seed: 1 });
    const order: string[] = [];
    clock.schedule(() => {
      order.push('first');
      clock.schedule(() => order.push('queued-by-first'), 0);
    }, 0);
    clock.schedule(() => order.push('second'), 0);
    clock.flush();
    expect(order).to.deep.equal(['first', 'second', 'queued-by-first']);
  });

  it('resolves single nanoseconds', () => {
    const clock = new SimClock({ seed: 1 });
    const at: number[] = [];
    clock.schedule(() => at.push(clock.ktime_get()), 1);
    clock.schedule(() => at.push(clock.ktime_get()), 2);
    expect(clock.advanceNs(1)).to.equal(1);
    expect(at).to.deep.equal([1]);
    expect(clock.pending).to.equal(1);
    clock.advanceNs(1);
    expect(at).to.deep.equal([1, 2]);
  });

  it('sets the clock to each event\'s due time before running it, and to the target afterwards', () => {
    const clock = new SimClock({ seed: 1 });
    const at: number[] = [];
    clock.schedule(() => at.push(clock.ktime_get()), 300_000);
    clock.schedule(() => at.push(clock.ktime_get()), 700_000);
    expect(clock.tick(1)).to.equal(2);
    expect(at).to.deep.equal([300_000, 700_000]);
    expect(clock.ktime_get()).to.equal(1_000_000);
  });

  it('cancels a scheduled event and reports whether it was pending', () => {
    const clock = new SimClock({ seed: 1 });
    let ran = false;
    const ev = clock.schedule(() => { ran = true; }, 100, 'rto');
    expect(ev.pending).to.equal(true);
    expect(ev.label).to.equal('rto');
    expect(ev.dueNs).to.equal(100);
    expect(ev.cancel()).to.equal(true);
    expect(ev.cancel()).to.equal(false);
    clock.runUntilIdle();
    expect(ran).to.equal(false);
    expect(clock.pending).to.equal(0);
  });

  it('moves a rescheduled event behind events already due at its new instant', () => {
    const clock = new SimClock({ seed: 1 });
    const order: string[] = [];
    const ev = clock.schedule(() => order.push('moved'), 10);
    clock.schedule(() => order.push('other'), 20);
    ev.reschedule(20);
    clock.runUntilIdle();
    expect(order).to.deep.equal(['other', 'moved']);
    expect(clock.ktime_get()).to.equal(20);
  });

  it('uses the function name as the default label', () => {
    const clock = new SimClock({ seed: 1 });
    expect(clock.schedule(function rxe_requester() {}, 1).label).to.equal('rxe_requester');
    expect(clock.schedule(() => {}, 1).label).to.equal('anonymous');
  });

  it('clamps negative delays to now and rounds fractional nanoseconds', () => {
    const clock = new SimClock({ seed: 1, startNs: 100 });
    expect(clock.schedule(() => {}, -50).dueNs).to.equal(100);
    expect(clock.schedule(() => {}, 1.6).dueNs).to.equal(102);
    expect(() => clock.schedule(() => {}, NaN)).to.throw(KernelBug);
  });

  it('runs only work due now on flush(), without advancing time', () => {
    const clock = new SimClock({ seed: 1 });
    clock.schedule(() => {}, 0);
    clock.schedule(() => {}, 1);
    expect(clock.flush()).to.equal(1);
    expect(clock.ktime_get()).to.equal(0);
    expect(clock.pending).to.equal(1);
  });

  it('runs everything on runUntilIdle() and stops at the last event\'s time', () => {
    const clock = new SimClock({ seed: 1 });
    clock.schedule(() => clock.schedule(() => {}, 5e9), 1e9);
    expect(clock.runUntilIdle()).to.equal(2);
    expect(clock.ktime_get()).to.equal(6e9);
    expect(clock.pending).to.equal(0);
  });

  it('throws KernelBug naming the looping work when the event budget is exceeded', () => {
    const clock = new SimClock({ seed: 1, maxEvents: 1000 });
    const ev = clock.createEvent(() => ev.reschedule(10), 'rxe_requester');
    ev.reschedule(0);
    clock.schedule(function rxe_completer() {}, 5);
    let err: unknown;
    try {
      clock.runUntilIdle();
    } catch (e) {
      err = e;
    }
    expect(isKernelBug(err)).to.equal(true);
    const message = (err as Error).message;
    expect(message).to.match(/event budget exceeded: 1000 events in one runUntilIdle\(\)/);
    expect(message).to.include("looping work 'rxe_requester' (999 of the last 1000 events)");
    expect(message).to.include('rxe_completer x1');
    expect(message).to.include("next event 'rxe_requester'");
    // The clock stays usable: the pending event is still queued.
    expect(clock.pending).to.equal(1);
    ev.cancel();
  });

  it('counts the event budget per run call', () => {
    const clock = new SimClock({ seed: 1, maxEvents: 3 });
    for (let i = 0; i < 3; i++) clock.schedule(() => {}, i);
    expect(clock.runUntilIdle()).to.equal(3);
    for (let i = 0; i < 3; i++) clock.schedule(() => {}, i);
    expect(clock.runUntilIdle()).to.equal(3);
  });

  it('throws KernelBug when a run call is re-entered from scheduled work', () => {
    const clock = new SimClock({ seed: 1 });
    clock.schedule(() => clock.tick(1), 0);
    expect(() => clock.flush()).to.throw(KernelBug, /tick\(\) called from scheduled work/);
  });

  it('propagates an exception from work and stays at that event\'s time', () => {
    const clock = new SimClock({ seed: 1 });
    clock.schedule(() => { throw new Error('boom'); }, 10);
    clock.schedule(() => {}, 20);
    expect(() => clock.advanceNs(100)).to.throw('boom');
    expect(clock.ktime_get()).to.equal(10);
    expect(clock.pending).to.equal(1);
  });

  it('seeds clock.random from the seed', () => {
    const clock = new SimClock({ seed: 1234 });
    expect(clock.seed).to.equal(1234);
    expect(clock.random.nextU32()).to.equal(new SeededRandom(1234).nextU32());
  });

  it('installs itself as the trace clock unless traceClock is false, and uninstalls on close()', () => {
    const a = new SimClock({ seed: 1 });
    expect(getTraceClock()).to.equal(a);
    const b = new SimClock({ seed: 1, traceClock: false });
    expect(getTraceClock()).to.equal(a);
    b.close();
    expect(getTraceClock()).to.equal(a);
    a.close();
    expect(getTraceClock()).to.equal(null);
  });

  it('cancels pending events on close() and rejects new ones', () => {
    const clock = new SimClock({ seed: 1 });
    const ev = clock.schedule(() => {}, 10);
    clock.close();
    expect(clock.closed).to.equal(true);
    expect(ev.pending).to.equal(false);
    expect(clock.pending).to.equal(0);
    expect(() => clock.schedule(() => {}, 1)).to.throw(KernelBug, /after close/);
  });

  it('rejects a non-positive maxEvents and a negative startNs', () => {
    expect(() => new SimClock({ seed: 1, maxEvents: 0 })).to.throw(KernelBug);
    expect(() => new SimClock({ seed: 1, startNs: -1 })).to.throw(KernelBug);
  });
});

describe('SimClock: scheduler', () => {
  afterEach(() => setTraceClock(null));

  it('advances RxJS timer() with the clock', () => {
    const clock = new SimClock({ seed: 1 });
    const fired: number[] = [];
    timer(5, clock.scheduler).subscribe(() => fired.push(clock.ktime_get()));
    clock.tick(4);
    expect(fired).to.deep.equal([]);
    clock.tick(1);
    expect(fired).to.deep.equal([5_000_000]);
    expect(clock.pending).to.equal(0);
  });

  it('delays values with delay() by sub-millisecond amounts at ns resolution', () => {
    const clock = new SimClock({ seed: 1 });
    const got: [number, number][] = [];
    of(1, 2).pipe(delay(0.0015, clock.scheduler)).subscribe((v) => got.push([v, clock.ktime_get()]));
    clock.advanceNs(1_499);
    expect(got).to.deep.equal([]);
    clock.advanceNs(1);
    expect(got).to.deep.equal([[1, 1_500], [2, 1_500]]);
  });

  it('reports scheduler.now() in ms, equal to clock.now()', () => {
    const clock = new SimClock({ seed: 1 });
    clock.advanceNs(1_234_567);
    expect(clock.scheduler.now()).to.equal(1.234567);
    expect(clock.scheduler.now()).to.equal(clock.now());
  });

  it('runs periodic interval() actions at each period', () => {
    const clock = new SimClock({ seed: 1 });
    const at: number[] = [];
    interval(2, clock.scheduler).pipe(take(3)).subscribe(() => at.push(clock.now()));
    clock.runUntilIdle();
    expect(at).to.deep.equal([2, 4, 6]);
  });

  it('interleaves RxJS actions FIFO with schedule() at the same instant', () => {
    const clock = new SimClock({ seed: 1 });
    const order: string[] = [];
    clock.schedule(() => order.push('schedule-1'), 1_000_000);
    timer(1, clock.scheduler).subscribe(() => order.push('rxjs'));
    clock.schedule(() => order.push('schedule-2'), 1_000_000);
    clock.tick(1);
    expect(order).to.deep.equal(['schedule-1', 'rxjs', 'schedule-2']);
  });

  it('delivers observeOn() values at the current instant after already-queued work', () => {
    const clock = new SimClock({ seed: 1 });
    const order: string[] = [];
    const s = new Subject<string>();
    s.pipe(observeOn(clock.scheduler)).subscribe((v) => order.push(v));
    clock.schedule(() => order.push('earlier'), 0);
    s.next('x');
    expect(order).to.deep.equal([]);
    clock.flush();
    expect(order).to.deep.equal(['earlier', 'x']);
    expect(clock.ktime_get()).to.equal(0);
  });

  it('cancels the pending action when the subscription is unsubscribed', () => {
    const clock = new SimClock({ seed: 1 });
    let fired = false;
    const sub = timer(5, clock.scheduler).subscribe(() => { fired = true; });
    expect(clock.pending).to.equal(1);
    sub.unsubscribe();
    expect(clock.pending).to.equal(0);
    clock.runUntilIdle();
    expect(fired).to.equal(false);
  });
});

describe('SimClock: real mode', () => {
  afterEach(() => setTraceClock(null));

  it('refuses tick, advanceNs, runUntilIdle and flush', () => {
    const clock = new SimClock({ seed: 1, mode: 'real', traceClock: false });
    try {
      expect(() => clock.tick(1)).to.throw(KernelBug, /virtual time/);
      expect(() => clock.advanceNs(1)).to.throw(KernelBug, /virtual time/);
      expect(() => clock.runUntilIdle()).to.throw(KernelBug, /virtual time/);
      expect(() => clock.flush()).to.throw(KernelBug, /virtual time/);
    } finally {
      clock.close();
    }
  });

  it('reads monotonic host time from startNs and runs scheduled work on the event loop', async () => {
    const clock = new SimClock({ seed: 1, mode: 'real', startNs: 1e9, traceClock: false });
    try {
      const t0 = clock.ktime_get();
      expect(t0).to.be.at.least(1e9);
      const ranAt = await new Promise<number>((resolve) => {
        clock.schedule(() => resolve(clock.ktime_get()), 0);
        expect(clock.pending).to.equal(1);
      });
      expect(ranAt).to.be.at.least(t0);
      expect(clock.pending).to.equal(0);
      const ev = clock.schedule(() => {}, 1e9);
      expect(ev.cancel()).to.equal(true);
      expect(clock.pending).to.equal(0);
    } finally {
      clock.close();
    }
  });
});

describe('ktime_get', () => {
  afterEach(() => setTraceClock(null));

  it('returns the clock\'s time in ns, as the method does', () => {
    const clock = new SimClock({ seed: 1, startNs: 42 });
    expect(ktime_get(clock)).to.equal(42);
    expect(ktime_get_ns(clock)).to.equal(42);
  });

  it('converts with ktime_to_us and ktime_to_ms by truncation', () => {
    expect(ktime_to_us(1_999)).to.equal(1);
    expect(ktime_to_ms(2_999_999)).to.equal(2);
  });
});
