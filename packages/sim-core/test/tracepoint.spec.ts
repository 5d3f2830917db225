import { expect } from 'chai';
import { KernelBug } from '../src/kernel-error.js';
import { SimClock } from '../src/sim-clock.js';
import {
  allTracepoints,
  defineTracepoint,
  formatTraceLine,
  recordTrace,
  setTraceClock,
  setTraceTask,
  traceEvents$,
  tracepoint,
  type TraceClock,
  type TraceEvent,
} from '../src/tracepoint.js';

/** Tracepoints live in a process-wide registry; give each test its own system name. */
let n = 0;
function sys(): string {
  return `tptest${++n}`;
}

/** A trace clock that counts how often it is read. */
function countingClock(ns = 0): TraceClock & { reads: number } {
  return {
    reads: 0,
    ktime_get() {
      this.reads++;
      return ns;
    },
  };
}

describe('defineTracepoint', () => {
  afterEach(() => setTraceClock(null));

  it('is enabled only while something subscribes', () => {
    const tp = defineTracepoint<{ x: number }>(sys(), 'ev', (f) => `x=${f.x}`);
    expect(tp.enabled).to.equal(false);
    const s1 = tp.events$.subscribe();
    const s2 = tp.events$.subscribe();
    expect(tp.enabled).to.equal(true);
    s1.unsubscribe();
    expect(tp.enabled).to.equal(true);
    s2.unsubscribe();
    expect(tp.enabled).to.equal(false);
  });

  it('does nothing on emit with no subscriber: printk not called, clock not read', () => {
    let printkCalls = 0;
    const clock = countingClock();
    setTraceClock(clock);
    const tp = defineTracepoint<{ x: number }>(sys(), 'ev', (f) => {
      printkCalls++;
      return `x=${f.x}`;
    });
    for (let i = 0; i < 100; i++) tp.emit({ x: i });
    expect(printkCalls).to.equal(0);
    expect(clock.reads).to.equal(0);
    const sub = tp.events$.subscribe();
    tp.emit({ x: 1 });
    sub.unsubscribe();
    expect(printkCalls).to.equal(1);
    expect(clock.reads).to.equal(1);
  });

  it('delivers an event with system, name, fields, timestamp and the ftrace line', () => {
    const system = sys();
    const clock = new SimClock({ seed: 1, startNs: 1_500_123_456 });
    const tp = defineTracepoint<{ cq_id: number; cid: number }>(
      system, 'svcrdma_post_send', (f) => `cq.id=${f.cq_id} cid=${f.cid}`);
    const got: TraceEvent<{ cq_id: number; cid: number }>[] = [];
    const sub = tp.events$.subscribe((e) => got.push(e));
    tp.emit({ cq_id: 1, cid: 4 });
    sub.unsubscribe();
    clock.close();
    expect(got).to.have.length(1);
    expect(got[0]).to.deep.include({ system, name: 'svcrdma_post_send', ts_ns: 1_500_123_456 });
    expect(got[0]!.fields).to.deep.equal({ cq_id: 1, cid: 4 });
    expect(got[0]!.text).to.equal(
      '         rdmaemu-0       [000] .....     1.500123: svcrdma_post_send: cq.id=1 cid=4');
  });

  it('stamps events 0 when no trace clock is installed', () => {
    setTraceClock(null);
    const tp = defineTracepoint<object>(sys(), 'ev', () => '');
    const got: number[] = [];
    const sub = tp.events$.subscribe((e) => got.push(e.ts_ns));
    tp.emit({});
    sub.unsubscribe();
    expect(got).to.deep.equal([0]);
  });

  it('returns the existing tracepoint when defined again with the same printk', () => {
    const system = sys();
    const printk = (f: { a: number }): string => `a=${f.a}`;
    const a = defineTracepoint(system, 'ev', printk);
    expect(defineTracepoint(system, 'ev', printk)).to.equal(a);
    expect(defineTracepoint<{ a: number }>(system, 'ev', (f: { a: number }): string => `a=${f.a}`)).to.equal(a);
  });

  it('throws KernelBug when defined again with a different printk', () => {
    const system = sys();
    defineTracepoint<{ a: number }>(system, 'ev', (f) => `a=${f.a}`);
    expect(() => defineTracepoint<{ a: number }>(system, 'ev', (f) => `A=${f.a}`))
      .to.throw(KernelBug, /already defined with a different printk/);
  });

  it('throws KernelBug for names that are not C identifiers', () => {
    expect(() => defineTracepoint('rpc rdma', 'ev', () => '')).to.throw(KernelBug);
    expect(() => defineTracepoint(sys(), 'ev:x', () => '')).to.throw(KernelBug);
  });
});

describe('tracepoint', () => {
  it('looks up a defined tracepoint, and lists it in allTracepoints()', () => {
    const system = sys();
    const tp = defineTracepoint(system, 'ev', () => '');
    expect(tracepoint(system, 'ev')).to.equal(tp);
    expect(tracepoint(system, 'missing')).to.equal(undefined);
    expect(allTracepoints()).to.include(tp);
  });
});

describe('setTraceTask', () => {
  afterEach(() => setTraceTask('rdmaemu', 0));

  it('changes the comm-pid prefix, cutting comm to 15 characters', () => {
    const tp = defineTracepoint(sys(), 'ev', () => 'x');
    setTraceTask('kworker/u8:2-with-a-long-name', 1234);
    const lines: string[] = [];
    const sub = tp.events$.subscribe((e) => lines.push(e.text));
    tp.emit({});
    sub.unsubscribe();
    expect(lines[0]).to.equal(' kworker/u8:2-wi-1234    [000] .....     0.000000: ev: x');
  });
});

describe('formatTraceLine', () => {
  it('pads seconds to 5 columns and microseconds to 6 digits, truncating ns', () => {
    expect(formatTraceLine(0, 'ev', 'b', 'c', 7)).to.equal('               c-7       [000] .....     0.000000: ev: b');
    expect(formatTraceLine(123_456_789_999_999, 'ev', 'b', 'c', 7))
      .to.equal('               c-7       [000] ..... 123456.789999: ev: b');
  });
});

describe('traceEvents$', () => {
  it('merges matching tracepoints in emission order and enables them while subscribed', () => {
    const system = sys();
    const a = defineTracepoint(system, 'xprtrdma_marshal', () => 'a');
    const b = defineTracepoint(system, 'xprtrdma_reply', () => 'b');
    const other = defineTracepoint(sys(), 'xprtrdma_marshal', () => 'o');
    const names: string[] = [];
    const sub = traceEvents$(`${system}:*`).subscribe((e) => names.push(e.name));
    expect([a.enabled, b.enabled, other.enabled]).to.deep.equal([true, true, false]);
    b.emit({});
    a.emit({});
    other.emit({});
    b.emit({});
    sub.unsubscribe();
    expect(names).to.deep.equal(['xprtrdma_reply', 'xprtrdma_marshal', 'xprtrdma_reply']);
    expect([a.enabled, b.enabled]).to.deep.equal([false, false]);
  });

  it('matches filters the way ftrace set_event does', () => {
    const s1 = sys();
    const s2 = sys();
    const tps = [
      defineTracepoint(s1, 'svcrdma_wc_receive', () => ''),
      defineTracepoint(s1, 'svcrdma_post_send', () => ''),
      defineTracepoint(s2, 'svcrdma_wc_receive', () => ''),
      defineTracepoint(s2, 'rpc_task_begin', () => ''),
    ];
    const enabledBy = (filter: Parameters<typeof traceEvents$>[0]): boolean[] => {
      const sub = traceEvents$(filter).subscribe();
      const on = tps.map((tp) => tp.enabled);
      sub.unsubscribe();
      return on;
    };
    expect(enabledBy(s1)).to.deep.equal([true, true, false, false]);                        // bare system
    expect(enabledBy('svcrdma_wc_receive')).to.deep.equal([true, false, true, false]);      // bare event
    expect(enabledBy(`${s2}:svcrdma_*`)).to.deep.equal([false, false, true, false]);       // system:glob
    expect(enabledBy(`:rpc_task_begin`)).to.deep.equal([false, false, false, true]);        // any system
    expect(enabledBy([`${s1}:svcrdma_post_send`, `${s2}:rpc_*`])).to.deep.equal([false, true, false, true]);
    expect(enabledBy((tp) => tp.name.endsWith('_receive') && tp.system === s1))
      .to.deep.equal([true, false, false, false]);
  });

  it('includes tracepoints defined after the subscription started', () => {
    const system = sys();
    const names: string[] = [];
    const sub = traceEvents$(`${system}:*`).subscribe((e) => names.push(e.name));
    const late = defineTracepoint(system, 'late', () => '');
    expect(late.enabled).to.equal(true);
    late.emit({});
    sub.unsubscribe();
    expect(late.enabled).to.equal(false);
    expect(names).to.deep.equal(['late']);
  });
});

describe('recordTrace', () => {
  afterEach(() => setTraceClock(null));

  function fixture(): { system: string; emit: (name: string) => void } {
    const system = sys();
    const tps = new Map(['marshal', 'post_send', 'wc_send', 'reply'].map((name) =>
      [name, defineTracepoint<{ xid: number }>(system, name, (f) => `xid=0x${f.xid.toString(16).padStart(8, '0')}`)]));
    return { system, emit: (name) => tps.get(name)!.emit({ xid: 0x1234 }) };
  }

  it('records events, their names and their ftrace lines in order', () => {
    const { system, emit } = fixture();
    const clock = new SimClock({ seed: 1 });
    const trace = recordTrace(`${system}:*`);
    emit('marshal');
    clock.advanceNs(2_000);
    emit('reply');
    trace.stop();
    emit('post_send');
    clock.close();
    expect(trace.stopped).to.equal(true);
    expect(trace.names()).to.deep.equal(['marshal', 'reply']);
    expect(trace.lines()).to.deep.equal([
      '         rdmaemu-0       [000] .....     0.000000: marshal: xid=0x00001234',
      '         rdmaemu-0       [000] .....     0.000002: reply: xid=0x00001234',
    ]);
  });

  it('passes expectSequence for an in-order subsequence, by name or system:name', () => {
    const { system, emit } = fixture();
    const trace = recordTrace(system);
    for (const name of ['marshal', 'post_send', 'wc_send', 'marshal', 'reply']) emit(name);
    trace.stop();
    trace.expectSequence(['marshal', 'wc_send', 'reply']);
    trace.expectSequence([`${system}:post_send`, 'marshal', 'reply']);
    trace.expectSequence([]);
  });

  it('fails expectSequence when an event is missing or out of order, listing what was seen', () => {
    const { emit, system } = fixture();
    const trace = recordTrace(system);
    for (const name of ['marshal', 'reply', 'post_send']) emit(name);
    trace.stop();
    expect(() => trace.expectSequence(['marshal', 'post_send', 'reply'])).to.throw(
      "trace: expected sequence [marshal, post_send, reply]: 'reply' not seen after post_send@2; " +
        'matched [marshal@0, post_send@2]; seen 3 events: [marshal, reply, post_send]');
    expect(() => trace.expectSequence(['wc_send'])).to.throw(/'wc_send' not seen; matched \[\]/);
  });

  it('keeps recording after clear()', () => {
    const { emit, system } = fixture();
    const trace = recordTrace(system);
    emit('marshal');
    trace.clear();
    emit('reply');
    trace.stop();
    expect(trace.names()).to.deep.equal(['reply']);
  });
});
