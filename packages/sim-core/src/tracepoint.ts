/**
 * tracepoint - kernel-named trace events as Observables, printed in ftrace's text format.
 *
 * Kernel: include/linux/tracepoint.h, include/trace/events/*.h (TRACE_EVENT, TP_printk),
 *         kernel/trace/trace_output.c (trace_print_context: the line prefix),
 *         kernel/trace/trace_events.c (ftrace_set_clr_event: `system:event` matching)
 *
 * Operation: a module defines each event once, at load time, with
 * `defineTracepoint<Fields>(system, name, printk)`; `printk` is the TP_printk body. Call sites
 * emit with `tp.emit({ ... })`, guarding expensive field construction with `if (tp.enabled)`.
 * A tracepoint is enabled exactly while something subscribes to its `events$` (the equivalent of
 * writing 1 to `/sys/kernel/tracing/events/<system>/<event>/enable`). With no subscriber `emit`
 * is a single boolean test: no timestamp, no allocation, `printk` not called (the static-key
 * behaviour of a disabled kernel tracepoint).
 *
 * When enabled, `emit` reads the time from the trace clock, formats the line once and delivers
 * one `TraceEvent` synchronously to every subscriber, so a merged stream (`traceEvents$`) sees
 * events in emission order. The line follows trace_print_context() of current kernels:
 *
 * ```
 *          rdmaemu-0       [000] .....     0.000123: xprtrdma_marshal: task:00000001@00000000 ...
 * ```
 *
 * that is `%16s-%-7d [%03d] ..... %5lu.%06lu: <name>: <printk>`; comm is `rdmaemu` and pid 0
 * unless `setTraceTask()` changes them, the CPU is always 000 and the irq-flags column always
 * `.....`.
 *
 * Trace clock: a process-wide `TraceClock` (anything with `ktime_get(): number` in ns). Every
 * `SimClock` installs itself on construction (the most recently constructed clock wins, and
 * `clock.close()` uninstalls it), and `setTraceClock()` overrides that; with no clock the
 * timestamp is 0. One simulation runs one clock, so "the latest clock" is the running one.
 *
 * Registry: `system:name` is unique. Defining it again with the same printk (same function, or
 * the same source text, as when a module is evaluated twice) returns the existing tracepoint;
 * a different printk throws KernelBug, since two meanings for one event name would make traces
 * lie. `traceEvents$(filter)` merges every matching tracepoint, including ones defined after
 * the subscription starts.
 *
 * Filters follow ftrace's set_event: `'rpcrdma:*'`, `'rpcrdma:xprtrdma_*'`, `'*:svcrdma_wc_*'`,
 * and a bare word (`'rpcrdma'`, `'xprtrdma_marshal'`), which matches either the system or the
 * event name. `*` and `?` glob; an array matches any of its patterns; a function decides itself.
 */
import { Observable, Subscription, type Subscriber } from 'rxjs';
import { KernelBug } from './kernel-error.js';

/**
 * TraceClock - where trace timestamps come from: `ktime_get()` in nanoseconds.
 *
 * `SimClock` implements it.
 */
export interface TraceClock {
  ktime_get(): number;
}

/**
 * TraceEvent - one emitted trace event.
 *
 * `text` is the complete ftrace line (see the file header); `ts_ns` the trace clock's
 * `ktime_get()` at emission.
 */
export interface TraceEvent<T extends object = object> {
  readonly system: string;
  readonly name: string;
  readonly ts_ns: number;
  readonly fields: T;
  readonly text: string;
}

/**
 * Tracepoint - a defined trace event; obtain one with `defineTracepoint()`.
 *
 * Kernel: include/linux/tracepoint.h struct tracepoint, trace_<name>(), trace_<name>_enabled()
 */
export interface Tracepoint<T extends object> {
  readonly system: string;
  readonly name: string;
  /** True only while at least one subscriber listens (`trace_<name>_enabled()`). */
  readonly enabled: boolean;
  /** Emit an event (`trace_<name>(...)`); a no-op when disabled. */
  emit(fields: T): void;
  /** The events of this tracepoint; subscribing enables it. Never completes. */
  readonly events$: Observable<TraceEvent<T>>;
  /** The TP_printk body: fields to the text after `<name>: `. */
  readonly printk: (fields: T) => string;
}

/**
 * TraceFilter - which tracepoints a merged stream or recorder covers (see the file header).
 */
export type TraceFilter = string | readonly string[] | ((tp: Tracepoint<object>) => boolean);

let traceClock: TraceClock | null = null;
let traceComm = 'rdmaemu';
let tracePid = 0;

/**
 * setTraceClock - install the clock trace timestamps are read from; returns the previous one.
 *
 * `SimClock` calls this from its constructor (unless `traceClock: false`); call it yourself to
 * pin a specific clock, or with `null` to stamp every event 0.
 * @example Pin the clock of the simulation under test
 * ```ts
 * import { SimClock, setTraceClock } from '@rdmaemu/sim-core';
 * const clock = new SimClock({ seed: 1, traceClock: false });
 * const previous = setTraceClock(clock);
 * try { clock.runUntilIdle(); } finally { setTraceClock(previous); }
 * ```
 */
export function setTraceClock(clock: TraceClock | null): TraceClock | null {
  const previous = traceClock;
  traceClock = clock;
  return previous;
}

/** getTraceClock - the clock trace timestamps are currently read from, or null. */
export function getTraceClock(): TraceClock | null {
  return traceClock;
}

/**
 * setTraceTask - set the `<comm>-<pid>` that prefixes every trace line.
 *
 * comm is cut to 15 characters, as TASK_COMM_LEN (16, with the NUL) does.
 * @default comm 'rdmaemu', pid 0
 * @example Label a server process
 * ```ts
 * import { setTraceTask } from '@rdmaemu/sim-core';
 * setTraceTask('nfsd', 1234);
 * ```
 */
export function setTraceTask(comm: string, pid = 0): void {
  traceComm = comm.slice(0, 15);
  tracePid = pid;
}

/**
 * formatTraceLine - format one ftrace text line: `%16s-%-7d [000] ..... %5lu.%06lu: name: body`.
 *
 * Kernel: kernel/trace/trace_output.c trace_print_context()
 * @example Usage
 * ```ts
 * import { formatTraceLine } from '@rdmaemu/sim-core';
 * formatTraceLine(1_500_123_456, 'svcrdma_post_send', 'cq.id=1 cid=4');
 * // '         rdmaemu-0       [000] .....     1.500123: svcrdma_post_send: cq.id=1 cid=4'
 * ```
 */
export function formatTraceLine(ts_ns: number, name: string, body: string, comm = traceComm, pid = tracePid): string {
  const secs = Math.floor(ts_ns / 1e9);
  const usecs = Math.floor((ts_ns - secs * 1e9) / 1e3);
  return `${comm.padStart(16)}-${String(pid).padEnd(7)} [000] ..... ${String(secs).padStart(5)}.` +
    `${String(usecs).padStart(6, '0')}: ${name}: ${body}`;
}

class TracepointImpl<T extends object> implements Tracepoint<T> {
  readonly system: string;
  readonly name: string;
  readonly printk: (fields: T) => string;
  readonly events$: Observable<TraceEvent<T>>;
  #enabled = false;
  #observers: Subscriber<TraceEvent<T>>[] = [];

  constructor(system: string, name: string, printk: (fields: T) => string) {
    this.system = system;
    this.name = name;
    this.printk = printk;
    this.events$ = new Observable<TraceEvent<T>>((subscriber) => {
      this.#observers.push(subscriber);
      this.#enabled = true;
      return () => {
        const i = this.#observers.indexOf(subscriber);
        if (i >= 0) this.#observers.splice(i, 1);
        this.#enabled = this.#observers.length > 0;
      };
    });
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  emit(fields: T): void {
    if (!this.#enabled) return;
    const ts_ns = traceClock === null ? 0 : traceClock.ktime_get();
    const event: TraceEvent<T> = {
      system: this.system,
      name: this.name,
      ts_ns,
      fields,
      text: formatTraceLine(ts_ns, this.name, this.printk(fields)),
    };
    const observers = this.#observers;
    if (observers.length === 1) {
      observers[0]!.next(event);
    } else {
      for (const o of observers.slice()) o.next(event);
    }
  }
}

const registry = new Map<string, TracepointImpl<object>>();
const definitionListeners = new Set<(tp: TracepointImpl<object>) => void>();
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * defineTracepoint - define (or look up) the trace event `system:name` with its TP_printk body.
 *
 * Kernel: include/linux/tracepoint.h TRACE_EVENT(), DEFINE_EVENT()
 *
 * Define at module scope, once; keep the printk text identical to the kernel's TP_printk so
 * traces compare line for line (`reference/OBSERVABILITY.md`).
 * @param system the TRACE_SYSTEM (`rpcrdma`, `sunrpc`, `rdma_core`, ...)
 * @param name the event name (`xprtrdma_marshal`)
 * @param printk the TP_printk body; called only when the tracepoint is enabled
 * @returns the tracepoint; the existing one if `system:name` was defined with the same printk
 * @throws KernelBug if system or name is not a C identifier, or `system:name` exists with a
 *         different printk
 * @example Define and emit
 * ```ts
 * import { defineTracepoint } from '@rdmaemu/sim-core';
 * const trace_svcrdma_post_send = defineTracepoint<{ cq_id: number; cid: number }>(
 *   'rpcrdma', 'svcrdma_post_send', (f) => `cq.id=${f.cq_id} cid=${f.cid}`);
 * if (trace_svcrdma_post_send.enabled) trace_svcrdma_post_send.emit({ cq_id: 1, cid: 4 });
 * ```
 */
export function defineTracepoint<T extends object>(
  system: string,
  name: string,
  printk: (fields: T) => string,
): Tracepoint<T> {
  if (!NAME_RE.test(system) || !NAME_RE.test(name)) {
    throw new KernelBug(`tracepoint ${system}:${name}: system and name must be C identifiers`);
  }
  const key = `${system}:${name}`;
  const existing = registry.get(key) as TracepointImpl<T> | undefined;
  if (existing !== undefined) {
    if (existing.printk === printk || existing.printk.toString() === printk.toString()) return existing;
    throw new KernelBug(`tracepoint ${key}: already defined with a different printk`);
  }
  const tp = new TracepointImpl<T>(system, name, printk);
  registry.set(key, tp as unknown as TracepointImpl<object>);
  for (const listener of [...definitionListeners]) listener(tp as unknown as TracepointImpl<object>);
  return tp;
}

/**
 * tracepoint - look up a defined tracepoint by system and name.
 * @returns the tracepoint, or undefined when no module defined it (yet)
 * @example Usage
 * ```ts
 * import { tracepoint } from '@rdmaemu/sim-core';
 * const tp = tracepoint('rpcrdma', 'xprtrdma_marshal');
 * ```
 */
export function tracepoint(system: string, name: string): Tracepoint<object> | undefined {
  return registry.get(`${system}:${name}`);
}

/**
 * allTracepoints - every defined tracepoint, in definition order (like `available_events`).
 * @example Usage
 * ```ts
 * import { allTracepoints } from '@rdmaemu/sim-core';
 * for (const tp of allTracepoints()) console.log(`${tp.system}:${tp.name}`);
 * ```
 */
export function allTracepoints(): readonly Tracepoint<object>[] {
  return [...registry.values()];
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

function compileFilter(filter: TraceFilter | undefined): (tp: Tracepoint<object>) => boolean {
  if (filter === undefined) return () => true;
  if (typeof filter === 'function') return filter;
  const patterns = typeof filter === 'string' ? [filter] : filter;
  const tests = patterns.map((p): ((tp: Tracepoint<object>) => boolean) => {
    const colon = p.indexOf(':');
    if (colon < 0) {
      const re = globToRegExp(p);
      return (tp) => re.test(tp.system) || re.test(tp.name);
    }
    const sys = colon === 0 ? /^.*$/ : globToRegExp(p.slice(0, colon));
    const ev = colon === p.length - 1 ? /^.*$/ : globToRegExp(p.slice(colon + 1));
    return (tp) => sys.test(tp.system) && ev.test(tp.name);
  });
  return (tp) => tests.some((t) => t(tp));
}

/**
 * traceEvents$ - every matching tracepoint's events merged into one stream, in emission order.
 *
 * Subscribing enables all matching tracepoints, including ones defined later; unsubscribing
 * disables those nobody else listens to. Never completes.
 * @param filter which tracepoints (see `TraceFilter`); all when omitted
 * @example Print the client's RPC-over-RDMA events
 * ```ts
 * import { traceEvents$ } from '@rdmaemu/sim-core';
 * const sub = traceEvents$('rpcrdma:xprtrdma_*').subscribe((e) => console.log(e.text));
 * sub.unsubscribe();
 * ```
 */
export function traceEvents$(filter?: TraceFilter): Observable<TraceEvent<object>> {
  const matches = compileFilter(filter);
  return new Observable<TraceEvent<object>>((subscriber) => {
    const inner = new Subscription();
    const attached = new Set<TracepointImpl<object>>();
    const attach = (tp: TracepointImpl<object>): void => {
      if (attached.has(tp) || !matches(tp)) return;
      attached.add(tp);
      inner.add(tp.events$.subscribe({ next: (e) => subscriber.next(e) }));
    };
    for (const tp of registry.values()) attach(tp);
    definitionListeners.add(attach);
    return () => {
      definitionListeners.delete(attach);
      inner.unsubscribe();
    };
  });
}

/**
 * TraceRecorder - collects trace events for assertions (the emulator's `trace-cmd record`).
 *
 * Create with `recordTrace()`; call `stop()` when done (the recorder keeps its tracepoints
 * enabled until then).
 */
export class TraceRecorder {
  /** The events recorded so far, in emission order. */
  readonly events: TraceEvent<object>[] = [];
  #sub: Subscription;

  constructor(filter?: TraceFilter) {
    this.#sub = traceEvents$(filter).subscribe((e) => this.events.push(e));
  }

  /** lines - the recorded events as ftrace text lines. */
  lines(): string[] {
    return this.events.map((e) => e.text);
  }

  /** names - the recorded event names, in order. */
  names(): string[] {
    return this.events.map((e) => e.name);
  }

  /**
   * expectSequence - assert that `names` occur in this order (other events may come between).
   *
   * Each entry matches an event by `name` or by `system:name`.
   * @throws Error (name `AssertionError`) listing the expected sequence, what matched, and the
   *         events seen, when the sequence is not a subsequence of the recording
   */
  expectSequence(names: readonly string[]): void {
    const matched: string[] = [];
    let at = 0;
    for (const want of names) {
      let found = -1;
      for (let i = at; i < this.events.length; i++) {
        const e = this.events[i]!;
        if (e.name === want || `${e.system}:${e.name}` === want) {
          found = i;
          break;
        }
      }
      if (found < 0) {
        const seen = this.events.map((e) => e.name);
        const shown = seen.length > 200 ? [...seen.slice(0, 200), `... ${seen.length - 200} more`] : seen;
        const err = new Error(
          `trace: expected sequence [${names.join(', ')}]: '${want}' not seen` +
            (matched.length > 0 ? ` after ${matched[matched.length - 1]}` : '') +
            `; matched [${matched.join(', ')}]; seen ${seen.length} events: [${shown.join(', ')}]`,
        );
        err.name = 'AssertionError';
        throw err;
      }
      matched.push(`${want}@${found}`);
      at = found + 1;
    }
  }

  /** clear - drop the events recorded so far and keep recording. */
  clear(): void {
    this.events.length = 0;
  }

  /** stop - stop recording; the events stay readable. */
  stop(): void {
    this.#sub.unsubscribe();
  }

  /** Whether `stop()` has been called. */
  get stopped(): boolean {
    return this.#sub.closed;
  }
}

/**
 * recordTrace - start recording the matching tracepoints; see `TraceRecorder`.
 * @param filter which tracepoints (see `TraceFilter`); all when omitted
 * @example Assert an order of events
 * ```ts
 * import { recordTrace } from '@rdmaemu/sim-core';
 * const trace = recordTrace('rpcrdma:*');
 * try {
 *   // ... run the workload ...
 *   trace.expectSequence([]);   // e.g. ['xprtrdma_marshal', 'xprtrdma_post_send', 'xprtrdma_reply']
 * } finally {
 *   trace.stop();
 * }
 * ```
 */
export function recordTrace(filter?: TraceFilter): TraceRecorder {
  return new TraceRecorder(filter);
}
