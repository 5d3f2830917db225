/**
 * frame - an Ethernet frame in scatter-gather form: the unit the fabric carries.
 *
 * Kernel: include/linux/skbuff.h (struct sk_buff: linear head + paged frags, skb_linearize(),
 *         skb_copy_bits()), net/core/skbuff.c
 *
 * Operation: a `Frame` is what `net_device.xmit()` takes and `net_device.rx` receives. Like an
 * sk_buff with a linear head and page fragments, it has:
 *  - `hdr`: the linear part, Ethernet (14) + IPv4 (20) + UDP (8) + the IB transport headers
 *    (BTH, RETH, ...), contiguous;
 *  - `payload`: zero or more views (zero-copy, e.g. from `dmaDeviceRead`) of the data, the last
 *    one usually a small array holding the pad bytes and the 4-byte ICRC;
 *  - `len`: the total byte length (hdr + every payload view).
 *
 * So the data path copies each payload byte exactly once (requester memory -> responder memory).
 * `frameBytes()` materializes a frame (one copy) for a pcap tap, UDP or fault injection; a
 * materialized frame is `{ hdr: wholeFrame, payload: [], len }`, so a receiver must not assume
 * the IB headers end where `hdr` ends - it parses from offset 0 and treats the bytes after the
 * headers, wherever they are, as payload (`frameSubarrays()` / `frameCopyOut()` walk both shapes).
 *
 * Invariants: `len === hdr.length + sum(payload[i].length)`. Frames are immutable once handed to
 * `xmit()`: the fabric may deliver the same object twice (fault `duplicate`) and never writes to a
 * frame's bytes (fault `corrupt` materializes a copy first). Views stay valid until delivery (IB
 * semantics: a buffer belongs to the HCA until its WR completes).
 */

/**
 * Frame - an Ethernet frame as a linear header plus zero-copy payload views.
 *
 * Kernel: include/linux/skbuff.h struct sk_buff (head + frags)
 *
 * Divergence: no FCS (the Ethernet CRC); the RoCEv2 ICRC is inside the frame (ORACLES.md §1).
 */
export interface Frame {
  /** Ethernet + IPv4 + UDP + IB headers (or the whole frame once materialized). */
  readonly hdr: Uint8Array;
  /** Payload views in wire order (data, then pad + ICRC); empty for a materialized frame. */
  readonly payload: readonly Uint8Array[];
  /** Total length in bytes. */
  readonly len: number;
}

const NO_PAYLOAD: readonly Uint8Array[] = Object.freeze([]) as readonly Uint8Array[];

/**
 * makeFrame - a `Frame` from a header buffer and payload views, computing `len`.
 *
 * Every frame built here has the same shape (hidden class) - prefer it to object literals on
 * the hot path.
 * @param hdr the linear headers (not copied)
 * @param payload payload views in wire order (not copied; the array is kept as is)
 * @default payload []
 * @example Build and measure
 * ```ts
 * const f = makeFrame(new Uint8Array(42), [new Uint8Array(64), new Uint8Array(4)]);
 * console.assert(f.len === 110);
 * ```
 */
export function makeFrame(hdr: Uint8Array, payload: readonly Uint8Array[] = NO_PAYLOAD): Frame {
  let len = hdr.length;
  for (let i = 0; i < payload.length; i++) len += payload[i]!.length;
  return { hdr, payload, len };
}

/**
 * frameFromBytes - wrap a materialized frame (`{ hdr: bytes, payload: [], len }`); no copy.
 * @example
 * ```ts
 * const f = frameFromBytes(new Uint8Array(60));
 * console.assert(f.len === 60 && f.payload.length === 0);
 * ```
 */
export function frameFromBytes(bytes: Uint8Array): Frame {
  return { hdr: bytes, payload: NO_PAYLOAD, len: bytes.length };
}

/**
 * frameBytes - materialize a frame into one contiguous Uint8Array (one copy).
 *
 * Kernel: net/core/skbuff.c skb_linearize() / skb_copy_bits()
 *
 * Divergence: returns `frame.hdr` itself (no copy) when the frame is already materialized; the
 * caller must not write to the result.
 * @example
 * ```ts
 * const f = makeFrame(Uint8Array.of(1, 2), [Uint8Array.of(3), Uint8Array.of(4, 5)]);
 * console.assert(frameBytes(f).join() === '1,2,3,4,5');
 * ```
 */
export function frameBytes(frame: Frame): Uint8Array {
  const payload = frame.payload;
  if (payload.length === 0 && frame.hdr.length === frame.len) return frame.hdr;
  const out = new Uint8Array(frame.len);
  out.set(frame.hdr, 0);
  let off = frame.hdr.length;
  for (let i = 0; i < payload.length; i++) {
    const v = payload[i]!;
    out.set(v, off);
    off += v.length;
  }
  return out;
}

/**
 * frameByte - the byte at `offset` of the frame (0 .. len-1), wherever it lives.
 * @returns the byte, or -1 if offset is out of range
 * @example
 * ```ts
 * const f = makeFrame(Uint8Array.of(1, 2), [Uint8Array.of(3)]);
 * console.assert(frameByte(f, 2) === 3 && frameByte(f, 3) === -1);
 * ```
 */
export function frameByte(frame: Frame, offset: number): number {
  if (offset < 0 || offset >= frame.len) return -1;
  const hdr = frame.hdr;
  if (offset < hdr.length) return hdr[offset]!;
  let off = offset - hdr.length;
  const payload = frame.payload;
  for (let i = 0; i < payload.length; i++) {
    const v = payload[i]!;
    if (off < v.length) return v[off]!;
    off -= v.length;
  }
  return -1;
}

/**
 * frameSubarrays - append to `out` zero-copy views covering bytes [start, end) of the frame.
 *
 * Works for both shapes (headers + views, or materialized). Use it to run a CRC over, or copy
 * out, "everything after the headers up to the ICRC" without materializing.
 * @param out array the views are pushed to (reuse one per engine to avoid allocation)
 * @returns `out`
 * @example Payload between a 54-byte header block and the 4-byte ICRC
 * ```ts
 * const f = makeFrame(new Uint8Array(54), [new Uint8Array(8), new Uint8Array(4)]);
 * const views = frameSubarrays(f, 54, f.len - 4, []);
 * console.assert(views.length === 1 && views[0].length === 8);
 * ```
 */
export function frameSubarrays(frame: Frame, start: number, end: number, out: Uint8Array[]): Uint8Array[] {
  if (start < 0) start = 0;
  if (end > frame.len) end = frame.len;
  if (start >= end) return out;
  let base = 0;
  const hdr = frame.hdr;
  if (start < hdr.length) {
    out.push(hdr.subarray(start, Math.min(end, hdr.length)));
  }
  base = hdr.length;
  const payload = frame.payload;
  for (let i = 0; i < payload.length && base < end; i++) {
    const v = payload[i]!;
    const vEnd = base + v.length;
    if (vEnd > start) {
      const s = start > base ? start - base : 0;
      const e = end < vEnd ? end - base : v.length;
      out.push(s === 0 && e === v.length ? v : v.subarray(s, e));
    }
    base = vEnd;
  }
  return out;
}

/**
 * frameCopyOut - copy bytes [offset, offset+len) of the frame into `dst` at `dstOffset`.
 *
 * Kernel: net/core/skbuff.c skb_copy_bits()
 * @returns the number of bytes copied (less than len if the frame is shorter)
 * @example
 * ```ts
 * const f = makeFrame(Uint8Array.of(1, 2), [Uint8Array.of(3, 4)]);
 * const dst = new Uint8Array(3);
 * console.assert(frameCopyOut(f, 1, dst, 0, 3) === 3 && dst.join() === '2,3,4');
 * ```
 */
export function frameCopyOut(frame: Frame, offset: number, dst: Uint8Array, dstOffset: number, len: number): number {
  let end = offset + len;
  if (end > frame.len) end = frame.len;
  if (offset < 0) offset = 0;
  let copied = 0;
  let base = 0;
  const hdr = frame.hdr;
  if (offset < hdr.length) {
    const e = Math.min(end, hdr.length);
    dst.set(hdr.subarray(offset, e), dstOffset);
    copied += e - offset;
  }
  base = hdr.length;
  const payload = frame.payload;
  for (let i = 0; i < payload.length && base < end; i++) {
    const v = payload[i]!;
    const vEnd = base + v.length;
    if (vEnd > offset) {
      const s = offset > base ? offset - base : 0;
      const e = end < vEnd ? end - base : v.length;
      dst.set(s === 0 && e === v.length ? v : v.subarray(s, e), dstOffset + copied);
      copied += e - s;
    }
    base = vEnd;
  }
  return copied;
}
