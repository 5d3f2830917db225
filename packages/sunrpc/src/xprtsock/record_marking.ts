/**
 * record_marking - RFC 5531 §11 record marking for stream transports: a record is one or more
 * fragments, each behind a 4-byte marker `last-fragment bit | 31-bit length`.
 *
 * Kernel: net/sunrpc/xprtsock.c (xs_stream_record_marker, xs_read_stream / the TCP_RCV_*
 *         receive states of include/linux/sunrpc/xprtsock.h), net/sunrpc/svcsock.c
 *         (svc_tcp_read_marker, svc_tcp_recvfrom: record size limit, short records)
 *
 * Operation (send): `rpcEncodeRecord()` cuts a message into fragments of at most
 * `maxFragmentSize` bytes; only the last has RPC_LAST_STREAM_FRAGMENT. The Linux client always
 * sends one fragment (`xs_stream_record_marker()`); smaller fragments exist to exercise peers.
 *
 * Operation (receive): a `RecordReassembler` takes the byte stream in arbitrary chunks, as TCP
 * delivers it, and calls `onRecord` once per complete record:
 *
 * ```
 *            4 marker bytes in          fragment length reached, not last
 *   TCP_RCV_COPY_FRAGHDR ───────► TCP_RCV_COPY_DATA ──────────────────────┐
 *        ▲   ▲                          │ length reached, last:            │
 *        │   └──────────────────────────┘ deliver the record, start over   │
 *        └─────────────────────────────────────────────────────────────────┘
 *   any state ──(record too large / shorter than 8 bytes)──► dead: the connection must close
 * ```
 *
 * Zero-length fragments are legal and carry nothing; a zero-length *last* fragment ends the
 * record (svcsock.c accepts both). Limits, checked as the server checks them:
 * - when a marker arrives, the record so far plus the new fragment must fit `maxRecordSize`
 *   (svcsock `sv_max_mesg`: "fragment too large") — else -EMSGSIZE;
 * - a complete record shorter than `minRecordSize` (8: it cannot hold an xid and a direction)
 *   is -EBADMSG ("client is nuts").
 * Either error closes the connection in the kernel: the reassembler reports it (return value and
 * `onError`), never throws, and refuses further bytes until `reset()` (a new connection).
 *
 * Invariants: bytes of a record are delivered in order, exactly once; at most `maxRecordSize`
 * bytes are buffered; the delivered view is valid only during the `onRecord` call.
 */
import { errno } from '@rdmaemu/sim-core';
import type { xdr_buf } from '@rdmaemu/xdr_buf';
import { RPC_FRAGMENT_SIZE_MASK, RPC_LAST_STREAM_FRAGMENT, RPC_MAX_FRAGMENT_SIZE } from '../msg_prot.h.js';

/** TCP_RCV_LAST_FRAG - the fragment being read is the last of its record. Kernel: xprtsock.h */
export const TCP_RCV_LAST_FRAG = 1 << 0;
/** TCP_RCV_COPY_FRAGHDR - reading the 4-byte fragment marker. Kernel: xprtsock.h */
export const TCP_RCV_COPY_FRAGHDR = 1 << 1;
/** TCP_RCV_COPY_DATA - reading fragment data. Kernel: xprtsock.h */
export const TCP_RCV_COPY_DATA = 1 << 3;

/**
 * xs_stream_record_marker - the marker for a one-fragment record whose xdr_buf starts with the
 * 4 bytes reserved for that marker.
 *
 * Kernel: net/sunrpc/xprtsock.c xs_stream_record_marker()
 * @returns `RPC_LAST_STREAM_FRAGMENT | (buf.len − 4)` as a u32
 * @example
 * ```ts
 * write_bytes_to_xdr_buf(buf, 0, be32(xs_stream_record_marker(buf)), 4);
 * ```
 */
export function xs_stream_record_marker(buf: xdr_buf): number {
  return (RPC_LAST_STREAM_FRAGMENT + ((buf.len - 4) & RPC_FRAGMENT_SIZE_MASK)) >>> 0;
}

/**
 * RecordEncodeInit - options of rpcEncodeRecord().
 *
 * Emulator-only.
 */
export interface RecordEncodeInit {
  /** The largest fragment payload. @default RPC_MAX_FRAGMENT_SIZE (one fragment, as Linux sends) */
  maxFragmentSize?: number;
}

/**
 * rpcEncodeRecord - frame a message as a record: fragments of at most `maxFragmentSize` bytes,
 * each behind its marker, the last with RPC_LAST_STREAM_FRAGMENT. An empty message is one empty
 * last fragment.
 *
 * Emulator-only (RFC 5531 §11).
 * @returns a new buffer: markers and payload (a `maxFragmentSize` outside
 *   1..RPC_MAX_FRAGMENT_SIZE is clamped into that range)
 * @example
 * ```ts
 * const wire = rpcEncodeRecord(msg, { maxFragmentSize: 1024 });
 * ```
 */
export function rpcEncodeRecord(msg: Uint8Array, init: RecordEncodeInit = {}): Uint8Array {
  let max = Math.floor(init.maxFragmentSize ?? RPC_MAX_FRAGMENT_SIZE);
  if (!(max >= 1)) max = 1;
  if (max > RPC_MAX_FRAGMENT_SIZE) max = RPC_MAX_FRAGMENT_SIZE;
  const nfrags = msg.length === 0 ? 1 : Math.ceil(msg.length / max);
  const out = new Uint8Array(msg.length + 4 * nfrags);
  let src = 0;
  let dst = 0;
  for (let i = 0; i < nfrags; i++) {
    const len = Math.min(max, msg.length - src);
    const marker = (i === nfrags - 1 ? RPC_LAST_STREAM_FRAGMENT : 0) + len;
    out[dst] = marker / 16777216;
    out[dst + 1] = marker / 65536;
    out[dst + 2] = marker / 256;
    out[dst + 3] = marker;
    out.set(msg.subarray(src, src + len), dst + 4);
    src += len;
    dst += 4 + len;
  }
  return out;
}

/**
 * RecordReassemblerInit - limits and callbacks of a RecordReassembler.
 *
 * Emulator-only.
 */
export interface RecordReassemblerInit {
  /** Called once per complete record; the view is valid only during the call. */
  onRecord: (record: Uint8Array) => void;
  /** Called once when the stream becomes unusable (the kernel closes the connection). */
  onError?: (err: number) => void;
  /**
   * The largest record accepted (the server's `sv_max_mesg`).
   * @default 1 MiB + 2 pages (an NFS server's max payload plus header room)
   */
  maxRecordSize?: number;
  /**
   * The smallest complete record accepted.
   * @default 8 (xid + direction; svcsock.c closes on shorter records)
   */
  minRecordSize?: number;
}

/**
 * RecordReassembler - the receive side of record marking: arbitrary chunks in, records out.
 *
 * Emulator-only (the state of `struct sock_xprt` recv / `struct svc_sock` sk_marker,
 * sk_tcplen, sk_datalen).
 * @example
 * ```ts
 * const rr = new RecordReassembler({ onRecord: (r) => deliver(r.slice()) });
 * for (const chunk of tcpChunks) if (rr.receive(chunk) < 0) closeConnection();
 * ```
 */
export class RecordReassembler {
  /** TCP_RCV_COPY_FRAGHDR or TCP_RCV_COPY_DATA, plus TCP_RCV_LAST_FRAG. */
  tcp_flags = TCP_RCV_COPY_FRAGHDR;
  /** The current fragment marker (length and last bit), once read. */
  tcp_fraghdr = 0;
  /** Bytes of the current fragment's length (marker bytes while reading the marker). */
  tcp_reclen = 0;
  /** Bytes of the current fragment (or marker) consumed so far. */
  tcp_offset = 0;
  /** Bytes of the current record collected so far. */
  sk_datalen = 0;
  /** The error that killed the stream (negative errno), or 0. */
  error = 0;
  /** Records delivered since construction. */
  records = 0;
  readonly maxRecordSize: number;
  readonly minRecordSize: number;
  private readonly onRecord: (record: Uint8Array) => void;
  private readonly onError: ((err: number) => void) | undefined;
  private buf: Uint8Array;

  constructor(init: RecordReassemblerInit) {
    this.onRecord = init.onRecord;
    this.onError = init.onError;
    this.maxRecordSize = init.maxRecordSize ?? 1048576 + 8192;
    this.minRecordSize = init.minRecordSize ?? 8;
    this.buf = new Uint8Array(Math.min(this.maxRecordSize, 4096));
  }

  /** reset - forget any partial record and error: a new connection. */
  reset(): void {
    this.tcp_flags = TCP_RCV_COPY_FRAGHDR;
    this.tcp_fraghdr = 0;
    this.tcp_reclen = 0;
    this.tcp_offset = 0;
    this.sk_datalen = 0;
    this.error = 0;
  }

  /**
   * receive - consume one chunk of the byte stream, delivering every record it completes.
   *
   * @returns 0, or the stream's error: -EMSGSIZE (record larger than maxRecordSize) or
   *   -EBADMSG (record shorter than minRecordSize); once an error is returned every later call
   *   returns it too, until reset()
   */
  receive(chunk: Uint8Array): number {
    if (this.error !== 0) return this.error;
    let i = 0;
    const n = chunk.length;
    while (true) {
      if (this.tcp_flags & TCP_RCV_COPY_FRAGHDR) {
        while (this.tcp_offset < 4 && i < n) {
          this.tcp_fraghdr = (this.tcp_fraghdr * 256 + chunk[i++]!) % 4294967296;
          this.tcp_offset++;
        }
        if (this.tcp_offset < 4) return 0;
        const last = this.tcp_fraghdr >= RPC_LAST_STREAM_FRAGMENT;
        this.tcp_reclen = this.tcp_fraghdr % 2147483648;
        if (this.tcp_reclen + this.sk_datalen > this.maxRecordSize) return this.fail(-errno.EMSGSIZE);
        this.tcp_flags = TCP_RCV_COPY_DATA | (last ? TCP_RCV_LAST_FRAG : 0);
        this.tcp_offset = 0;
        this.grow(this.sk_datalen + this.tcp_reclen);
      }
      // TCP_RCV_COPY_DATA
      const want = this.tcp_reclen - this.tcp_offset;
      const take = Math.min(want, n - i);
      if (take > 0) {
        this.buf.set(chunk.subarray(i, i + take), this.sk_datalen);
        this.sk_datalen += take;
        this.tcp_offset += take;
        i += take;
      }
      if (this.tcp_offset < this.tcp_reclen) return 0;
      const last = (this.tcp_flags & TCP_RCV_LAST_FRAG) !== 0;
      this.tcp_flags = TCP_RCV_COPY_FRAGHDR;
      this.tcp_offset = 0;
      this.tcp_fraghdr = 0;
      if (last) {
        const len = this.sk_datalen;
        if (len < this.minRecordSize) return this.fail(-errno.EBADMSG);
        this.sk_datalen = 0;
        this.records++;
        this.onRecord(this.buf.subarray(0, len));
      }
      if (i >= n) return 0;
    }
  }

  private grow(need: number): void {
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(Math.min(size, this.maxRecordSize));
    next.set(this.buf.subarray(0, this.sk_datalen));
    this.buf = next;
  }

  private fail(err: number): number {
    this.error = err;
    this.onError?.(err);
    return err;
  }
}

/**
 * tcp_rcv_state_name - the state names set in `tcp_flags`, for traces (`COPY_DATA|LAST_FRAG`).
 *
 * Emulator-only.
 */
export function tcp_rcv_state_name(flags: number): string {
  const parts: string[] = [];
  if (flags & TCP_RCV_COPY_FRAGHDR) parts.push('COPY_FRAGHDR');
  if (flags & TCP_RCV_COPY_DATA) parts.push('COPY_DATA');
  if (flags & TCP_RCV_LAST_FRAG) parts.push('LAST_FRAG');
  return parts.join('|') || 'NONE';
}
