import { expect } from 'chai';
import { KernelBug, setStrict } from '../src/kernel-error.js';
import { SimClock } from '../src/sim-clock.js';
import {
  HZ,
  MAX_JIFFY_OFFSET,
  TICK_NSEC,
  add_timer,
  del_timer,
  del_timer_sync,
  get_jiffies_64,
  jiffies_to_msecs,
  jiffies_to_usecs,
  mod_timer,
  msecs_to_jiffies,
  nsecs_to_jiffies,
  time_after,
  time_after_eq,
  time_before,
  time_before_eq,
  timer_delete,
  timer_delete_sync,
  timer_list,
  timer_pending,
  timer_setup,
  usecs_to_jiffies,
} from '../src/timer.js';
import { setTraceClock } from '../src/tracepoint.js';

function setup(startNs = 0): { clock: SimClock; t: timer_list; fired: number[] } {
  const clock = new SimClock({ seed: 1, startNs, traceClock: false });
  const t = new timer_list(clock);
  const fired: number[] = [];
  timer_setup(t, () => fired.push(clock.ktime_get()), 0);
  return { clock, t, fired };
}

describe('timer_setup', () => {
  it('sets the callback and flags and leaves the timer idle', () => {
    const clock = new SimClock({ seed: 1, traceClock: false });
    const t = new timer_list(clock);
    const fn = (): void => {};
    timer_setup(t, fn, 0x80000);
    expect(t.function).to.equal(fn);
    expect(t.flags).to.equal(0x80000);
    expect(timer_pending(t)).to.equal(false);
  });
});

describe('mod_timer', () => {
  afterEach(() => setStrict(true));

  it('returns 0 when the timer was idle and 1 when it was pending', () => {
    const { clock, t } = setup();
    expect(mod_timer(t, clock.jiffies + 10)).to.equal(0);
    expect(mod_timer(t, clock.jiffies + 20)).to.equal(1);
    expect(mod_timer(t, clock.jiffies + 20)).to.equal(1);
    clock.runUntilIdle();
    expect(mod_timer(t, clock.jiffies + 1)).to.equal(0);
  });

  it('fires when jiffies reaches expires, at expires * TICK_NSEC', () => {
    const { clock, t, fired } = setup(500_000);
    mod_timer(t, 3);
    clock.advanceNs(3 * TICK_NSEC - 500_000 - 1);
    expect(fired).to.deep.equal([]);
    clock.advanceNs(1);
    expect(fired).to.deep.equal([3_000_000]);
    expect(clock.jiffies).to.equal(3);
  });

  it('replaces the expiry of a pending timer', () => {
    const { clock, t, fired } = setup();
    mod_timer(t, 10);
    mod_timer(t, 5);
    clock.runUntilIdle();
    expect(fired).to.deep.equal([5 * TICK_NSEC]);
  });

  it('keeps a pending timer\'s FIFO place when expires is unchanged', () => {
    const clock = new SimClock({ seed: 1, traceClock: false });
    const order: string[] = [];
    const a = new timer_list(clock);
    const b = new timer_list(clock);
    timer_setup(a, () => order.push('a'), 0);
    timer_setup(b, () => order.push('b'), 0);
    mod_timer(a, 5);
    mod_timer(b, 5);
    mod_timer(a, 5);
    clock.runUntilIdle();
    expect(order).to.deep.equal(['a', 'b']);
  });

  it('fires at the current instant when expires is in the past', () => {
    const { clock, t, fired } = setup(10 * TICK_NSEC);
    mod_timer(t, 2);
    clock.flush();
    expect(fired).to.deep.equal([10 * TICK_NSEC]);
  });

  it('lets the callback re-arm its own timer', () => {
    const clock = new SimClock({ seed: 1, traceClock: false });
    const t = new timer_list(clock);
    const at: number[] = [];
    timer_setup(t, (self) => {
      at.push(clock.jiffies);
      expect(timer_pending(self)).to.equal(false);
      if (at.length < 3) expect(mod_timer(self, clock.jiffies + 100)).to.equal(0);
    }, 0);
    mod_timer(t, 100);
    clock.runUntilIdle();
    expect(at).to.deep.equal([100, 200, 300]);
  });

  it('throws KernelBug in strict mode when timer_setup() was not called', () => {
    const clock = new SimClock({ seed: 1, traceClock: false });
    expect(() => mod_timer(new timer_list(clock), 1)).to.throw(KernelBug, /timer_setup/);
  });

  it('returns 0 without arming when not strict and timer_setup() was not called', () => {
    setStrict(false);
    const clock = new SimClock({ seed: 1, traceClock: false });
    const t = new timer_list(clock);
    expect(mod_timer(t, 1)).to.equal(0);
    expect(timer_pending(t)).to.equal(false);
  });

  it('labels the clock event with the callback name', () => {
    const clock = new SimClock({ seed: 1, maxEvents: 5, traceClock: false });
    const t = new timer_list(clock);
    timer_setup(t, function xprt_init_autodisconnect(self) { mod_timer(self, clock.jiffies + 1); }, 0);
    mod_timer(t, 1);
    expect(() => clock.runUntilIdle()).to.throw(KernelBug, /looping work 'xprt_init_autodisconnect'/);
    del_timer(t);
  });
});

describe('add_timer', () => {
  afterEach(() => setStrict(true));

  it('arms an idle timer at its expires field', () => {
    const { clock, t, fired } = setup();
    t.expires = 7;
    add_timer(t);
    clock.runUntilIdle();
    expect(fired).to.deep.equal([7 * TICK_NSEC]);
  });

  it('throws KernelBug in strict mode when the timer is already pending', () => {
    const { t } = setup();
    mod_timer(t, 7);
    expect(() => add_timer(t)).to.throw(KernelBug, /already pending/);
  });
});

describe('del_timer', () => {
  it('returns 1 for a pending timer and stops it from firing', () => {
    const { clock, t, fired } = setup();
    mod_timer(t, 5);
    expect(del_timer(t)).to.equal(1);
    expect(timer_pending(t)).to.equal(false);
    clock.runUntilIdle();
    expect(fired).to.deep.equal([]);
  });

  it('returns 0 for an idle, a fired and a never-armed timer', () => {
    const { clock, t } = setup();
    expect(del_timer(t)).to.equal(0);
    mod_timer(t, 1);
    clock.runUntilIdle();
    expect(del_timer(t)).to.equal(0);
  });

  it('has the aliases timer_delete, del_timer_sync and timer_delete_sync', () => {
    for (const fn of [timer_delete, del_timer_sync, timer_delete_sync]) {
      const { t } = setup();
      mod_timer(t, 5);
      expect(fn(t)).to.equal(1);
      expect(fn(t)).to.equal(0);
    }
  });
});

describe('timer_pending', () => {
  it('is true while armed and false after expiry', () => {
    const { clock, t } = setup();
    expect(timer_pending(t)).to.equal(false);
    mod_timer(t, 1);
    expect(timer_pending(t)).to.equal(true);
    clock.tick(1);
    expect(timer_pending(t)).to.equal(false);
  });
});

describe('jiffies.h conversions', () => {
  afterEach(() => setTraceClock(null));

  it('uses HZ = 1000, one jiffy per millisecond', () => {
    expect(HZ).to.equal(1000);
    expect(TICK_NSEC).to.equal(1_000_000);
    expect(get_jiffies_64(new SimClock({ seed: 1, startNs: 7_999_999 }))).to.equal(7);
  });

  it('converts msecs_to_jiffies and usecs_to_jiffies rounding up, negatives to MAX_JIFFY_OFFSET', () => {
    expect(msecs_to_jiffies(60_000)).to.equal(60_000);
    expect(msecs_to_jiffies(0.5)).to.equal(1);
    expect(usecs_to_jiffies(1)).to.equal(1);
    expect(usecs_to_jiffies(2_000)).to.equal(2);
    expect(usecs_to_jiffies(2_001)).to.equal(3);
    expect(msecs_to_jiffies(-1)).to.equal(MAX_JIFFY_OFFSET);
    expect(usecs_to_jiffies(-1)).to.equal(MAX_JIFFY_OFFSET);
  });

  it('converts nsecs_to_jiffies rounding down, and jiffies back to msecs and usecs', () => {
    expect(nsecs_to_jiffies(1_999_999)).to.equal(1);
    expect(jiffies_to_msecs(250)).to.equal(250);
    expect(jiffies_to_usecs(2)).to.equal(2_000);
  });

  it('compares jiffies with time_after, time_before and their _eq forms', () => {
    expect(time_after(11, 10)).to.equal(true);
    expect(time_after(10, 10)).to.equal(false);
    expect(time_before(9, 10)).to.equal(true);
    expect(time_after_eq(10, 10)).to.equal(true);
    expect(time_before_eq(10, 10)).to.equal(true);
    expect(time_before_eq(11, 10)).to.equal(false);
  });
});
