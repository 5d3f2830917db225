/**
 * pcap - a packet capture tap: every frame a link (direction), a host or the whole fabric carries,
 * written as a classic libpcap file that Wireshark / tshark decode as RoCEv2.
 *
 * Kernel: - (emulator-only; the role of tcpdump on an rxe netdev, net/packet/af_packet.c). File
 *         format: libpcap "classic" (pcap-savefile(5)), LINKTYPE_ETHERNET (1), nanosecond
 *         variant (magic 0xa1b23c4d).
 *
 * Operation: `pcapTap(target, init)` subscribes to the fabric's public tap streams and writes one
 * record per frame, stamped with the SimClock's virtual time (ns since the clock started, so
 * the capture starts at 1970-01-01 00:00:00 UTC):
 *
 *   target               stream(s)                                  each frame appears
 *   Fabric, 'tx'         fabric.tap$, host -> switch directions     once, when its host sends it
 *   Fabric, 'all'        fabric.tap$, every direction               twice (host->switch, switch->host)
 *   FabricHost           link.aToB.tx$ + link.bToA.delivered$       as `tcpdump -i eth0` on that host
 *   Link                 aToB.tx$ + bToA.tx$                        once per direction, at transmit
 *   LinkDirection        tx$                                        once, at transmit
 *
 * Transmit-side taps see frames before the link's MTU check and fault plan (as a capture on the
 * sender would): a frame the link then drops or corrupts is recorded as sent. A host tap's receive
 * side records what was delivered (after faults: duplicates twice, corrupted frames with their
 * flipped bit, so they fail the ICRC check in Wireshark's eyes too).
 *
 * Subscribing is what turns the tap on: the links only materialize tap records while someone
 * observes `tap$` / `tx$` / `delivered$`, and a fast path that bypasses the streams when nobody taps
 * must keep honouring that (the public streams are the contract; this file never reaches into a
 * link's internals). `close()` unsubscribes.
 *
 * Memory: each frame is copied straight from its scatter-gather views (`frameCopyOut`, no
 * `frameBytes` allocation) into one preallocated buffer (`bufferBytes`, default 256 KiB);
 * when the next record does not fit, the buffer is written out with `fs.writeSync` (file) or
 * handed to the sink as a fresh copy. Memory stays bounded however long the capture runs;
 * only the memory-only mode (no `file`, no `sink`) keeps everything, for tests. Writes are
 * synchronous: no Promise, no timer, so capturing never perturbs virtual time. Frames must be
 * copied at tap time anyway: their payload views are only valid until delivery.
 *
 * Reading a capture: `tshark -2 -r FILE` (two-pass, so RPC-over-RDMA replies are reassembled
 * with their RDMA-written data); `tshark -2 -r FILE -V` for every field; `wireshark FILE` (UDP port
 * 4791 decodes as InfiniBand/RoCEv2 by default; tshark/Wireshark do not check the ICRC).
 * Useful fields: `infiniband.bth.opcode`, `infiniband.bth.destqp`, `infiniband.bth.psn`,
 * `infiniband.reth.{va,r_key,dmalen}`, `infiniband.aeth.*`.
 *
 * Invariants: records are appended in tap order, which is virtual-time order (every tap runs
 * synchronously at the clock's current time); caplen = min(len, snaplen), origlen = len; a closed
 * tap writes nothing more. An I/O error while capturing stops the capture and is thrown by the
 * next `flush()` / `close()` (never from inside the tap: the fabric's data path must not see it).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Observable, Subscription } from 'rxjs';
import { KernelError, type SimClock } from '@rdmaemu/sim-core';
import { type Frame, frameCopyOut } from './frame.js';
import { type Link, LinkDirection } from './link.js';
import type { Fabric, FabricHost } from './fabric.js';

/** Classic pcap magic, microsecond timestamps (written in native = little-endian order here). */
export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
/** Classic pcap magic, nanosecond timestamps. */
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
/** LINKTYPE_ETHERNET (IEEE 802.3). tshark rejects LINKTYPE_INFINIBAND (247) for RoCE: ORACLES.md §1. */
export const LINKTYPE_ETHERNET = 1;
/** Default snapshot length: 65535, tcpdump's classic maximum; RoCE frames (MTU 4200) are never cut. */
export const PCAP_SNAPLEN_DEFAULT = 65535;
/** Size of the file header (struct pcap_file_header). */
export const PCAP_FILE_HDR_LEN = 24;
/** Size of a record header (struct pcap_sf_pkthdr: ts_sec, ts_frac, caplen, len). */
export const PCAP_REC_HDR_LEN = 16;
/** Default write buffer: 256 KiB (about 60 full-MTU frames per write). */
export const PCAP_BUFFER_DEFAULT = 256 * 1024;

/** PcapTarget - what a tap attaches to. */
export type PcapTarget = Fabric | FabricHost | Link | LinkDirection;

/**
 * PcapTapInit - options for `pcapTap()` / `PcapWriter`. Give `file` or `sink`, or neither for a
 * memory-only capture (`tap.contents()`).
 */
export interface PcapTapInit {
  /** Path of the capture file (created or truncated). @default none */
  file?: string;
  /**
   * Receives the capture in chunks (file header first), each a fresh Uint8Array the sink may
   * keep. @default none
   */
  sink?: (bytes: Uint8Array) => void;
  /**
   * The clock that stamps records. Required for a `Link` / `LinkDirection` target (they do not
   * expose theirs). @default the fabric's / host's clock
   */
  clock?: SimClock;
  /**
   * Fabric targets only: `'tx'` records each frame once, on its sender's link (host -> switch);
   * `'all'` records every link direction (each frame twice). @default 'tx'
   */
  directions?: 'tx' | 'all';
  /** Bytes kept per record at most. @default PCAP_SNAPLEN_DEFAULT (65535) */
  snaplen?: number;
  /** Nanosecond timestamps (magic 0xa1b23c4d); false = microseconds (0xa1b2c3d4). @default true */
  nanoseconds?: boolean;
  /** Write buffer size, bytes (at least 4096). @default PCAP_BUFFER_DEFAULT (256 KiB) */
  bufferBytes?: number;
}

/**
 * PcapWriter - the libpcap file format on a bounded buffer: file header, then `writeFrame()`
 * records. Used by `pcapTap()`; usable directly for frames from elsewhere.
 *
 * Emulator-only.
 * @example A one-frame capture in memory
 * ```ts
 * const w = new PcapWriter({});
 * w.writeFrame(frameFromBytes(new Uint8Array(60)), 1500);
 * w.close();
 * console.assert(w.contents().length === 24 + 16 + 60);
 * ```
 */
export class PcapWriter {
  /** Records written. */
  frames = 0;
  /** Bytes produced, headers included. */
  bytes = 0;
  /** Frames cut to `snaplen`. */
  truncated = 0;
  readonly snaplen: number;
  readonly nanoseconds: boolean;
  readonly file: string | null;

  readonly #buf: Uint8Array;
  readonly #dv: DataView;
  #used = 0;
  #fd: number | null = null;
  readonly #sink: ((bytes: Uint8Array) => void) | null;
  readonly #chunks: Uint8Array[] | null;
  #closed = false;
  #error: unknown = null;

  /**
   * @throws KernelError EINVAL for a bad snaplen / bufferBytes, or both `file` and `sink`
   * @throws KernelError EIO if the file cannot be created (the cause is attached)
   */
  constructor(init: PcapTapInit) {
    const snaplen = init.snaplen ?? PCAP_SNAPLEN_DEFAULT;
    if (!Number.isInteger(snaplen) || snaplen < 1 || snaplen > 0x7fffffff) {
      throw new KernelError('EINVAL', `pcap: snaplen ${snaplen} invalid`);
    }
    const size = init.bufferBytes ?? PCAP_BUFFER_DEFAULT;
    if (!Number.isInteger(size) || size < 4096) throw new KernelError('EINVAL', `pcap: bufferBytes ${size} invalid (>= 4096)`);
    if (init.file !== undefined && init.sink !== undefined) throw new KernelError('EINVAL', 'pcap: give file or sink, not both');
    this.snaplen = snaplen;
    this.nanoseconds = init.nanoseconds ?? true;
    this.file = init.file ?? null;
    this.#buf = new Uint8Array(size);
    this.#dv = new DataView(this.#buf.buffer);
    this.#sink = init.sink ?? null;
    this.#chunks = init.file === undefined && init.sink === undefined ? [] : null;
    if (init.file !== undefined) {
      try {
        this.#fd = openSync(init.file, 'w');
      } catch (cause) {
        throw new KernelError('EIO', `pcap: cannot create ${init.file}: ${(cause as Error).message}`, { cause });
      }
    }
    // struct pcap_file_header, little-endian (readers detect the byte order from the magic).
    const dv = this.#dv;
    dv.setUint32(0, this.nanoseconds ? PCAP_MAGIC_NSEC : PCAP_MAGIC_USEC, true);
    dv.setUint16(4, 2, true); // version_major
    dv.setUint16(6, 4, true); // version_minor
    dv.setInt32(8, 0, true); // thiszone (GMT)
    dv.setUint32(12, 0, true); // sigfigs
    dv.setUint32(16, snaplen, true);
    dv.setUint32(20, LINKTYPE_ETHERNET, true);
    this.#used = PCAP_FILE_HDR_LEN;
    this.bytes = PCAP_FILE_HDR_LEN;
  }

  /** True after `close()`. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * writeFrame - append one record: `frame`'s bytes (up to snaplen) stamped `timeNs`.
   * Copies now (the frame's views may die at delivery). Ignored after close or an I/O error.
   * @param timeNs virtual time in ns (>= 0)
   */
  writeFrame(frame: Frame, timeNs: number): void {
    if (this.#closed || this.#error !== null) return;
    try {
      this.#write(frame, timeNs);
    } catch (err) {
      this.#error = err;
    }
  }

  #write(frame: Frame, timeNs: number): void {
    const len = frame.len;
    const caplen = len < this.snaplen ? len : this.snaplen;
    if (caplen < len) this.truncated++;
    const need = PCAP_REC_HDR_LEN + caplen;
    if (this.#used + need > this.#buf.length) this.#drain();
    const t = timeNs > 0 ? Math.floor(timeNs) : 0;
    const sec = Math.floor(t / 1e9);
    const ns = t - sec * 1e9;
    const frac = this.nanoseconds ? ns : Math.floor(ns / 1000);
    if (need <= this.#buf.length) {
      const at = this.#used;
      const dv = this.#dv;
      dv.setUint32(at, sec >>> 0, true);
      dv.setUint32(at + 4, frac, true);
      dv.setUint32(at + 8, caplen, true);
      dv.setUint32(at + 12, len, true);
      frameCopyOut(frame, 0, this.#buf, at + PCAP_REC_HDR_LEN, caplen);
      this.#used = at + need;
    } else {
      // A record larger than the whole buffer (tiny buffer, jumbo snaplen): its own allocation.
      const rec = new Uint8Array(need);
      const dv = new DataView(rec.buffer);
      dv.setUint32(0, sec >>> 0, true);
      dv.setUint32(4, frac, true);
      dv.setUint32(8, caplen, true);
      dv.setUint32(12, len, true);
      frameCopyOut(frame, 0, rec, PCAP_REC_HDR_LEN, caplen);
      this.#emit(rec);
    }
    this.frames++;
    this.bytes += need;
  }

  /** Hand the buffered bytes on (file, sink or memory) and empty the buffer. */
  #drain(): void {
    const n = this.#used;
    if (n === 0) return;
    this.#used = 0;
    if (this.#fd !== null) {
      let off = 0;
      while (off < n) off += writeSync(this.#fd, this.#buf, off, n - off);
    } else {
      this.#emit(this.#buf.slice(0, n));
    }
  }

  #emit(bytes: Uint8Array): void {
    if (this.#fd !== null) {
      let off = 0;
      while (off < bytes.length) off += writeSync(this.#fd, bytes, off, bytes.length - off);
    } else if (this.#sink !== null) {
      this.#sink(bytes);
    } else {
      this.#chunks!.push(bytes);
    }
  }

  #rethrow(): void {
    const err = this.#error;
    if (err === null) return;
    this.#error = null;
    throw new KernelError('EIO', `pcap: write failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }

  /**
   * flush - write out everything buffered (to the file's page cache, the sink or memory); a
   * reader on this machine then sees every record so far.
   * @throws KernelError EIO if an earlier or this write failed (the capture stopped there)
   */
  flush(): void {
    if (!this.#closed) {
      try {
        this.#drain();
      } catch (err) {
        this.#error ??= err;
      }
    }
    this.#rethrow();
  }

  /**
   * close - flush and close the file. Idempotent.
   * @throws KernelError EIO if a write failed (the file is closed anyway)
   */
  close(): void {
    if (this.#closed) return;
    try {
      this.#drain();
    } catch (err) {
      this.#error ??= err;
    }
    this.#closed = true;
    if (this.#fd !== null) {
      const fd = this.#fd;
      this.#fd = null;
      closeSync(fd);
    }
    this.#rethrow();
  }

  /**
   * contents - the whole capture so far (memory-only mode: no `file`, no `sink`), flushed.
   * @throws KernelError EINVAL if the writer streams to a file or a sink
   */
  contents(): Uint8Array {
    if (this.#chunks === null) throw new KernelError('EINVAL', 'pcap: contents() needs a memory-only capture (no file, no sink)');
    if (!this.#closed) this.#drain();
    const total = this.#chunks.reduce((s, c) => s + c.length, 0);
    if (this.#chunks.length !== 1) {
      const out = new Uint8Array(total);
      let off = 0;
      for (const c of this.#chunks) {
        out.set(c, off);
        off += c.length;
      }
      this.#chunks.length = 0;
      this.#chunks.push(out);
    }
    return this.#chunks[0] ?? new Uint8Array(0);
  }
}

/**
 * PcapTap - a running capture (`pcapTap()`).
 */
export interface PcapTap {
  /** The file written, or null (sink / memory). */
  readonly file: string | null;
  /** Records written so far. */
  readonly frames: number;
  /** Bytes produced so far (file header included). */
  readonly bytes: number;
  /** True after `close()`. */
  readonly closed: boolean;
  /**
   * flush - push buffered records to the file / sink (the tap keeps running).
   * @throws KernelError EIO if a write failed
   */
  flush(): void;
  /**
   * close - stop capturing (unsubscribe), flush, close the file. Idempotent.
   * @throws KernelError EIO if a write failed
   */
  close(): void;
  /**
   * contents - the capture so far, in memory-only mode.
   * @throws KernelError EINVAL for a file or sink capture
   */
  contents(): Uint8Array;
}

function isFabric(t: PcapTarget): t is Fabric {
  return 'tap$' in t && 'hosts' in t;
}
function isFabricHost(t: PcapTarget): t is FabricHost {
  return 'netdev' in t && 'link' in t && 'dma' in t;
}

/**
 * pcapTap - capture the frames of a fabric, a host, a link or one link direction into a pcap file
 * (or a sink, or memory) until `close()`.
 *
 * Divergence: timestamps are virtual (SimClock ns from 0 = the Unix epoch); there is no FCS; a
 * fabric capture ('tx') is taken where each frame enters the network, which no single real
 * capture point sees.
 * @param target a `Fabric`, a `FabricHost`, a `Link` or a `LinkDirection`
 * @throws KernelError EINVAL if a Link / LinkDirection target comes without `init.clock`, a host
 *   has no clock, or an option is invalid
 * @throws KernelError EIO if the file cannot be created
 * @example Capture a whole fabric to a file, read it with `tshark -2 -r /tmp/run.pcap`
 * ```ts
 * const clock = new SimClock({ seed: 1 });
 * const fabric = createFabric(clock);
 * const tap = pcapTap(fabric, { file: '/tmp/run.pcap' });
 * // ... hosts, rxe devices, traffic, clock.runUntilIdle() ...
 * tap.close();
 * ```
 * @example In memory, for a test
 * ```ts
 * const tap = pcapTap(fabric.host('client'), {});
 * // ... traffic ...
 * tap.close();
 * const bytes = tap.contents(); // a complete pcap file
 * ```
 */
export function pcapTap(target: PcapTarget, init: PcapTapInit = {}): PcapTap {
  let clock: SimClock;
  const streams: Observable<Frame>[] = [];
  let fabricTap: Fabric | null = null;
  if (isFabric(target)) {
    clock = init.clock ?? target.clock;
    fabricTap = target;
  } else if (isFabricHost(target)) {
    const c = init.clock ?? target.dma.clock;
    if (c === null) throw new KernelError('EINVAL', `pcap: host ${target.name} has no clock; pass init.clock`);
    clock = c;
    streams.push(target.link.aToB.tx$, target.link.bToA.delivered$);
  } else if (target instanceof LinkDirection) {
    if (init.clock === undefined) throw new KernelError('EINVAL', `pcap: a link direction (${target.name}) needs init.clock`);
    clock = init.clock;
    streams.push(target.tx$);
  } else {
    if (init.clock === undefined) throw new KernelError('EINVAL', `pcap: a link (${target.name}) needs init.clock`);
    clock = init.clock;
    streams.push(target.aToB.tx$, target.bToA.tx$);
  }
  const directions = init.directions ?? 'tx';
  if (directions !== 'tx' && directions !== 'all') throw new KernelError('EINVAL', `pcap: directions '${String(directions)}' invalid`);

  const writer = new PcapWriter(init);
  const subscriptions: Subscription[] = [];
  if (fabricTap !== null) {
    const fabric = fabricTap;
    if (directions === 'all') {
      subscriptions.push(fabric.tap$.subscribe((r) => writer.writeFrame(r.frame, r.timeNs)));
    } else {
      // The host -> switch direction names; refreshed when hosts are added.
      const senders = new Set<string>();
      let known = -1;
      subscriptions.push(
        fabric.tap$.subscribe((r) => {
          const hosts = fabric.hosts;
          if (hosts.length !== known) {
            senders.clear();
            for (const h of hosts) senders.add(h.link.aToB.name);
            known = hosts.length;
          }
          if (senders.has(r.direction)) writer.writeFrame(r.frame, r.timeNs);
        }),
      );
    }
  } else {
    for (const s of streams) subscriptions.push(s.subscribe((frame) => writer.writeFrame(frame, clock.ktime_get())));
  }

  const stop = (): void => {
    for (const s of subscriptions) s.unsubscribe();
    subscriptions.length = 0;
  };
  return {
    file: writer.file,
    get frames() {
      return writer.frames;
    },
    get bytes() {
      return writer.bytes;
    },
    get closed() {
      return writer.closed;
    },
    flush(): void {
      writer.flush();
    },
    close(): void {
      stop();
      writer.close();
    },
    contents(): Uint8Array {
      return writer.contents();
    },
  };
}

/**
 * PcapRecord - one record of a parsed capture.
 */
export interface PcapRecord {
  /** Timestamp, ns (microsecond files: a multiple of 1000). */
  readonly timeNs: number;
  /** Original frame length. */
  readonly len: number;
  /** The captured bytes (caplen = data.length), a view into the input. */
  readonly data: Uint8Array;
}

/**
 * PcapFile - a parsed classic pcap file.
 */
export interface PcapFile {
  readonly nanoseconds: boolean;
  readonly littleEndian: boolean;
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly snaplen: number;
  readonly linktype: number;
  readonly records: readonly PcapRecord[];
}

/**
 * pcapParse - parse a classic pcap file (either byte order, µs or ns) held in memory: for tests
 * and example smoke tests.
 * @throws KernelError EINVAL on a bad magic or a truncated file
 * @example
 * ```ts
 * const w = new PcapWriter({});
 * w.writeFrame(frameFromBytes(new Uint8Array(60)), 2_000_000_123);
 * const p = pcapParse(w.contents());
 * console.assert(p.records[0].timeNs === 2_000_000_123 && p.linktype === LINKTYPE_ETHERNET);
 * ```
 */
export function pcapParse(bytes: Uint8Array): PcapFile {
  if (bytes.length < PCAP_FILE_HDR_LEN) throw new KernelError('EINVAL', `pcap: ${bytes.length} bytes: no file header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le = true;
  let magic = dv.getUint32(0, true);
  if (magic !== PCAP_MAGIC_USEC && magic !== PCAP_MAGIC_NSEC) {
    le = false;
    magic = dv.getUint32(0, false);
  }
  if (magic !== PCAP_MAGIC_USEC && magic !== PCAP_MAGIC_NSEC) {
    throw new KernelError('EINVAL', `pcap: bad magic 0x${dv.getUint32(0, true).toString(16)}`);
  }
  const nanoseconds = magic === PCAP_MAGIC_NSEC;
  const records: PcapRecord[] = [];
  let off = PCAP_FILE_HDR_LEN;
  while (off < bytes.length) {
    if (off + PCAP_REC_HDR_LEN > bytes.length) throw new KernelError('EINVAL', `pcap: truncated record header at ${off}`);
    const sec = dv.getUint32(off, le);
    const frac = dv.getUint32(off + 4, le);
    const caplen = dv.getUint32(off + 8, le);
    const len = dv.getUint32(off + 12, le);
    const start = off + PCAP_REC_HDR_LEN;
    if (start + caplen > bytes.length) throw new KernelError('EINVAL', `pcap: truncated record at ${off}`);
    records.push({ timeNs: sec * 1e9 + (nanoseconds ? frac : frac * 1000), len, data: bytes.subarray(start, start + caplen) });
    off = start + caplen;
  }
  return {
    nanoseconds,
    littleEndian: le,
    versionMajor: dv.getUint16(4, le),
    versionMinor: dv.getUint16(6, le),
    snaplen: dv.getUint32(16, le),
    linktype: dv.getUint32(20, le),
    records,
  };
}
