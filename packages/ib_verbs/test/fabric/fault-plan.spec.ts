import { expect } from 'chai';
import { Subject, asyncScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { SeededRandom, SimClock, seedFromEnv, formatSeed } from '@rdmaemu/sim-core';
import { corrupt, corruptFrame, drop, duplicate, faultPlanOperator, isEmptyFaultPlan, reorder } from '../../src/fabric/fault-plan.js';
import { frameBytes, type Frame } from '../../src/fabric/frame.js';
import { net_device } from '../../src/fabric/netdev.js';
import { macFromIpv4 } from '../../src/fabric/ether.js';
import { testFrame } from './_nic.js';

const SEED = seedFromEnv();

/** A SeededRandom stand-in that returns scripted draws from next() (and int() -> lo). */
function scripted(draws: number[]): SeededRandom {
  let i = 0;
  return {
    next: () => draws[i++ % draws.length]!,
    int: (lo: number) => lo,
  } as unknown as SeededRandom;
}

function marbles(fn: (helpers: Parameters<Parameters<TestScheduler['run']>[0]>[0]) => void): void {
  new TestScheduler((actual, expected) => {
    expect(actual).to.deep.equal(expected);
  }).run(fn);
}

const devA = new net_device({ name: 'a', ip: '10.0.0.1', dev_addr: macFromIpv4(0x0a000001) });
const devB = new net_device({ name: 'b', ip: '10.0.0.2', dev_addr: macFromIpv4(0x0a000002) });

describe('fault-plan', () => {
  describe('drop', () => {
    it('discards exactly the values whose draw is below p (marbles)', () => {
      marbles(({ cold, expectObservable }) => {
        const src = cold('a-b-c-d|');
        expectObservable(src.pipe(drop(0.5, { random: scripted([0.9, 0.1, 0.7, 0.2]) }))).toBe('a---c--|');
      });
    });

    it('passes everything at p = 0 and nothing at p = 1 (marbles)', () => {
      marbles(({ cold, expectObservable }) => {
        expectObservable(cold('a-b|').pipe(drop(0, { random: new SeededRandom(SEED) }))).toBe('a-b|');
        expectObservable(cold('a-b|').pipe(drop(1, { random: new SeededRandom(SEED) }))).toBe('---|');
      });
    });

    it('rejects a probability outside [0, 1]', () => {
      expect(() => drop(1.5, { random: new SeededRandom(1) })).to.throw(/probability/);
    });
  });

  describe('duplicate', () => {
    it('emits a value twice, back to back, when its draw is below p (marbles)', () => {
      marbles(({ cold, expectObservable }) => {
        const src = cold('a---b---c---|');
        expectObservable(src.pipe(duplicate(0.5, { random: scripted([0.1, 0.9, 0.3]) }))).toBe('(aa)b---(cc)|');
      });
    });
  });

  describe('reorder', () => {
    it('holds a value back so later values overtake it (marbles)', () => {
      marbles(({ cold, expectObservable }) => {
        const src = cold('a-b-c|');
        const op = reorder<string>(0.5, { minDelayNs: 3e6, maxDelayNs: 3e6 }, { random: scripted([0.1, 0.9, 0.9]), scheduler: asyncScheduler });
        expectObservable(src.pipe(op)).toBe('--bac|');
      });
    });

    it('waits for held values before completing (marbles)', () => {
      marbles(({ cold, expectObservable }) => {
        const src = cold('a|');
        const op = reorder<string>(1, { minDelayNs: 4e6, maxDelayNs: 4e6 }, { random: new SeededRandom(SEED), scheduler: asyncScheduler });
        expectObservable(src.pipe(op)).toBe('----(a|)');
      });
    });

    it('holds frames on the SimClock scheduler for exact ns delays', () => {
      const clock = new SimClock({ seed: 1 });
      const input = new Subject<string>();
      const seen: string[] = [];
      const random = scripted([0.1, 0.9, 0.9]);
      const sub = input
        .pipe(reorder<string>(0.5, { minDelayNs: 1500, maxDelayNs: 1500 }, { random, scheduler: clock.scheduler }))
        .subscribe((v) => seen.push(`${v}@${clock.ktime_get()}`));
      input.next('a');
      clock.schedule(() => input.next('b'), 1000, 'b');
      clock.schedule(() => input.next('c'), 2000, 'c');
      clock.runUntilIdle();
      sub.unsubscribe();
      expect(seen).to.deep.equal(['b@1000', 'a@1500', 'c@2000']);
    });

    it('draws delays within [min, max] ns with a real generator', () => {
      const clock = new SimClock({ seed: 1 });
      const input = new Subject<number>();
      const times: number[] = [];
      const sub = input
        .pipe(reorder<number>(1, { minDelayNs: 100, maxDelayNs: 900 }, { random: new SeededRandom(SEED), scheduler: clock.scheduler }))
        .subscribe(() => times.push(clock.ktime_get()));
      for (let i = 0; i < 50; i++) input.next(i);
      clock.runUntilIdle();
      sub.unsubscribe();
      expect(times, formatSeed(SEED)).to.have.length(50);
      expect(times.every((t) => t >= 100 && t <= 900 && Number.isInteger(t)), formatSeed(SEED)).to.equal(true);
    });
  });

  describe('corrupt', () => {
    const frame = testFrame(devA, devB, 100);
    const orig = Array.from(frameBytes(frame));

    it('replaces a frame by a corrupted copy when its draw is below p (marbles)', () => {
      new TestScheduler((actual, expected) => {
        const show = (ms: { frame: number; notification: { kind: string; value?: unknown } }[]) =>
          ms.map((m) => [m.frame, m.notification.kind, m.notification.value === undefined ? '' : sameAsOrig(m.notification.value as Frame)]);
        expect(show(actual as never)).to.deep.equal(show(expected as never));
      }).run(({ cold, expectObservable }) => {
        const src = cold('f-f-f|', { f: frame });
        const bad = corruptFrame(frame, new SeededRandom(3));
        expectObservable(src.pipe(corrupt(0.5, { random: scripted([0.9, 0.1, 0.9]) }))).toBe('f-x-f|', { f: frame, x: bad });
      });
      function sameAsOrig(f: Frame): string {
        return Array.from(frameBytes(f)).join() === orig.join() ? 'intact' : 'corrupted';
      }
    });

    it('flips exactly one bit, after the UDP header and never in BTH resv8a, in a copy', () => {
      const rng = new SeededRandom(SEED);
      const why = formatSeed(SEED);
      const hits = new Set<number>();
      for (let i = 0; i < 2000; i++) {
        const bad = frameBytes(corruptFrame(frame, rng));
        let diffs = 0;
        for (let j = 0; j < orig.length; j++) {
          const x = bad[j]! ^ orig[j]!;
          if (x === 0) continue;
          diffs++;
          expect(x & (x - 1), why).to.equal(0); // a single bit
          expect(j, why).to.be.at.least(42);
          expect(j, why).to.not.equal(46);
          hits.add(j);
        }
        expect(diffs, why).to.equal(1);
      }
      expect(Array.from(frameBytes(frame))).to.deep.equal(orig); // sender's buffers untouched
      expect(hits.size, why).to.be.greaterThan(100); // spread over the IB part, ICRC included
    });

    it('copies a materialized frame before flipping (never writes the input)', () => {
      const bytes = frameBytes(frame).slice();
      const f = { hdr: bytes, payload: [], len: bytes.length };
      const before = Array.from(bytes);
      corruptFrame(f, new SeededRandom(1));
      expect(Array.from(bytes)).to.deep.equal(before);
    });
  });

  describe('faultPlanOperator', () => {
    function run(plan: Parameters<typeof faultPlanOperator>[0], n: number): number[] {
      const clock = new SimClock({ seed: 1 });
      const input = new Subject<Frame>();
      const out: number[] = [];
      const sub = input
        .pipe(faultPlanOperator(plan, { random: new SeededRandom(999), scheduler: clock.scheduler }))
        .subscribe((f) => out.push(f.hdr[53]! + (f.payload.length === 0 ? 1000 : 0)));
      for (let i = 0; i < n; i++) input.next(testFrame(devA, devB, 8, i));
      clock.runUntilIdle();
      sub.unsubscribe();
      return out;
    }

    it('is deterministic for a seed: same seed, same drops, duplicates, reorders and corruptions', () => {
      const plan = { drop: 0.2, duplicate: 0.1, reorder: { p: 0.1, maxDelayNs: 50 }, corrupt: 0.1, seed: SEED };
      const why = formatSeed(SEED);
      const first = run(plan, 200);
      expect(run(plan, 200), why).to.deep.equal(first);
      expect(run({ ...plan, seed: (SEED + 1) >>> 0 }, 200), why).to.not.deep.equal(first);
    });

    it('keeps each fault independent: adding one does not change another\'s decisions', () => {
      const dropsOnly = run({ drop: 0.3, seed: 5 }, 200);
      const withDup = run({ drop: 0.3, duplicate: 0.5, seed: 5 }, 200);
      expect(withDup.length).to.be.greaterThan(dropsOnly.length);
      expect(withDup.filter((t, i) => i === 0 || t !== withDup[i - 1])).to.deep.equal(dropsOnly);
    });

    it('is the identity for an empty plan', () => {
      expect(isEmptyFaultPlan({ seed: 1 })).to.equal(true);
      expect(isEmptyFaultPlan({ reorder: { p: 0 } })).to.equal(true);
      expect(isEmptyFaultPlan({ drop: 0.1 })).to.equal(false);
      expect(run({}, 5)).to.deep.equal([0, 1, 2, 3, 4]);
    });
  });
});
