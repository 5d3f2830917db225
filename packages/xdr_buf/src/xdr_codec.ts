/**
 * xdr_codec - RFC 4506 XDR as typed combinators on xdr_stream: declare a structure once, get
 * encode, decode and size.
 *
 * Kernel: — (emulator-only). The kernel hand-writes every encoder/decoder (nfs3xdr.c,
 * rpc_rdma.c) over xdr_stream; rdmaemu's sunrpc, RPC-over-RDMA and NFSv3 layers declare their
 * types with these combinators instead, and they encode straight into an xdr_buf through
 * xdr_reserve_space()/xdr_inline_decode(), so page data can still go through xdr_write_pages() /
 * xdr_read_pages() next to them. Spec: RFC 4506 §4.1–§4.16.
 *
 * Operation: an `XdrType<T>` has `encode(xdr, value)`, `decode(xdr): T`, `size(value)` (bytes on
 * the wire) and `minSize` (the fewest bytes any value takes, used to reject impossible counts
 * before looping). TypeScript infers `T` from the declaration (`XdrValue<typeof MyType>`).
 *
 * Errors (STYLE §4: a synchronous -errno is a KernelError):
 * - decode throws only `KernelError` with code `EBADMSG` (truncated or malformed input: overrun,
 *   bad bool/enum/union discriminant, non-zero padding is *accepted* as the kernel does) or
 *   `EMSGSIZE` (a length or count above the declared maximum). Counts are checked against the
 *   bytes left before anything is allocated, and recursion through `xdrLazy` is bounded
 *   (XDR_CODEC_MAX_DEPTH), so garbage can neither exhaust memory nor the stack.
 * - encode throws `KernelError` `EMSGSIZE` when the xdr_buf is full or a length exceeds the
 *   declared maximum, and `EINVAL` for a value the type cannot represent.
 *
 * Zero copy: decoded opaques are *views* of the xdr_buf's memory when they lie in one buffer, and
 * copies only when they crossed a boundary (the scratch buffer is reused by the next decode, so
 * the codec copies out of it). Keep a view only as long as the buffer.
 */
import { KernelError, errno, isKernelError } from '@rdmaemu/sim-core';
import { memcpy, memset, put_be32 } from './_bytes.js';
import {
  xdr_stream_decode_u32, xdr_inline_decode, xdr_stream_decode_u64,
} from './xdr_stream_decode.js';
import { xdrReserveOffset, xdr_stream_encode_u32 } from './xdr_stream_encode.js';
import { xdr_align_size, xdr_stream_remaining, type xdr_stream } from './xdr.h.js';

/**
 * XDR_CODEC_MAX_DEPTH - how deep `xdrLazy` recursion may go while decoding (256).
 *
 * Rationale: recursive declarations (linked lists written as RFC 4506 optional-data) would let a
 * peer drive the decoder's stack as deep as its message is long; 256 levels is far beyond any
 * protocol rdmaemu declares (use xdrLinkedList for long lists: it decodes iteratively).
 */
export const XDR_CODEC_MAX_DEPTH = 256;

/** XdrType - one XDR type: encode, decode and size of values of type T. */
export interface XdrType<T> {
  /** A name for messages. */
  readonly name: string;
  /** The fewest bytes a value of this type takes on the wire. */
  readonly minSize: number;
  /**
   * Append `value` to the stream.
   * @throws KernelError EMSGSIZE if the buffer is full or a length exceeds the maximum
   * @throws KernelError EINVAL if the value cannot be represented
   */
  encode(xdr: xdr_stream, value: T): void;
  /**
   * Read a value from the stream.
   * @throws KernelError EBADMSG on truncated or malformed input
   * @throws KernelError EMSGSIZE if a length or count exceeds the declared maximum
   */
  decode(xdr: xdr_stream): T;
  /** Bytes `value` takes on the wire. */
  size(value: T): number;
}

/** XdrValue - the decoded value type of an XdrType. */
export type XdrValue<X> = X extends XdrType<infer T> ? T : never;

function badmsg(what: string): never {
  throw new KernelError('EBADMSG', `xdr: ${what}`);
}
function msgsize(what: string): never {
  throw new KernelError('EMSGSIZE', `xdr: ${what}`);
}
function einval(what: string): never {
  throw new KernelError('EINVAL', `xdr: ${what}`);
}

function putU32(xdr: xdr_stream, n: number, name: string): void {
  if (xdr_stream_encode_u32(xdr, n) < 0) msgsize(`${name}: buffer full`);
}
function getU32(xdr: xdr_stream, name: string): number {
  const n = xdr_stream_decode_u32(xdr);
  if (n < 0) badmsg(`${name}: truncated`);
  return n;
}

/** xdrVoid - RFC 4506 §4.16: no data. Value `undefined`. */
export const xdrVoid: XdrType<undefined> = {
  name: 'void',
  minSize: 0,
  encode(): void {},
  decode(): undefined {
    return undefined;
  },
  size(): number {
    return 0;
  },
};

/** xdrInt - RFC 4506 §4.1: signed 32-bit integer. */
export const xdrInt: XdrType<number> = {
  name: 'int',
  minSize: 4,
  encode(xdr, v) {
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) einval(`int: ${v} out of range`);
    putU32(xdr, v < 0 ? v + 4294967296 : v, 'int');
  },
  decode(xdr) {
    const n = getU32(xdr, 'int');
    return n >= 2147483648 ? n - 4294967296 : n;
  },
  size: () => 4,
};

/** xdrUnsignedInt - RFC 4506 §4.2: unsigned 32-bit integer. */
export const xdrUnsignedInt: XdrType<number> = {
  name: 'unsigned int',
  minSize: 4,
  encode(xdr, v) {
    if (!Number.isInteger(v) || v < 0 || v > 4294967295) einval(`unsigned int: ${v} out of range`);
    putU32(xdr, v, 'unsigned int');
  },
  decode: (xdr) => getU32(xdr, 'unsigned int'),
  size: () => 4,
};

function hyperType(signed: boolean): XdrType<bigint> {
  const name = signed ? 'hyper' : 'unsigned hyper';
  const min = signed ? -(1n << 63n) : 0n;
  const max = signed ? (1n << 63n) - 1n : (1n << 64n) - 1n;
  return {
    name,
    minSize: 8,
    encode(xdr, v) {
      if (typeof v !== 'bigint' || v < min || v > max) einval(`${name}: ${String(v)} out of range`);
      const u = BigInt.asUintN(64, v);
      const off = xdrReserveOffset(xdr, 8);
      if (off < 0) msgsize(`${name}: buffer full`);
      put_be32(xdr.view, off, Number(u >> 32n));
      put_be32(xdr.view, off + 4, Number(u & 0xffffffffn));
    },
    decode(xdr) {
      const v = xdr_stream_decode_u64(xdr);
      if (typeof v === 'number') badmsg(`${name}: truncated`);
      return signed ? BigInt.asIntN(64, v as bigint) : (v as bigint);
    },
    size: () => 8,
  };
}

/** xdrHyper - RFC 4506 §4.5: signed 64-bit integer, as a bigint. */
export const xdrHyper: XdrType<bigint> = hyperType(true);
/** xdrUnsignedHyper - RFC 4506 §4.5: unsigned 64-bit integer, as a bigint. */
export const xdrUnsignedHyper: XdrType<bigint> = hyperType(false);

/** xdrBool - RFC 4506 §4.4: boolean (strict: a word other than 0 or 1 is EBADMSG). */
export const xdrBool: XdrType<boolean> = {
  name: 'bool',
  minSize: 4,
  encode(xdr, v) {
    if (typeof v !== 'boolean') einval(`bool: ${String(v)}`);
    putU32(xdr, v ? 1 : 0, 'bool');
  },
  decode(xdr) {
    const n = getU32(xdr, 'bool');
    if (n > 1) badmsg(`bool: ${n} is neither FALSE nor TRUE`);
    return n === 1;
  },
  size: () => 4,
};

/**
 * xdrEnum - RFC 4506 §4.3: an enumeration; values are the declared numbers.
 * @example
 * ```ts
 * const msg_type = xdrEnum({ RDMA_MSG: 0, RDMA_NOMSG: 1, RDMA_MSGP: 2, RDMA_DONE: 3, RDMA_ERROR: 4 } as const);
 * ```
 */
export function xdrEnum<const V extends Record<string, number>>(values: V, name = 'enum'): XdrType<V[keyof V]> {
  const allowed = new Set<number>();
  for (const [k, v] of Object.entries(values)) {
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) einval(`enum ${name}: ${k} = ${v} is not an int`);
    allowed.add(v);
  }
  return {
    name,
    minSize: 4,
    encode(xdr, v) {
      if (!allowed.has(v)) einval(`enum ${name}: ${String(v)} is not a member`);
      putU32(xdr, v < 0 ? v + 4294967296 : v, name);
    },
    decode(xdr) {
      const n = getU32(xdr, name);
      const v = n >= 2147483648 ? n - 4294967296 : n;
      if (!allowed.has(v)) badmsg(`enum ${name}: ${v} is not a member`);
      return v as V[keyof V];
    },
    size: () => 4,
  };
}

const fscratch = new DataView(new ArrayBuffer(8));
const fbytes = new Uint8Array(fscratch.buffer);

function floatType(double: boolean): XdrType<number> {
  const n = double ? 8 : 4;
  const name = double ? 'double' : 'float';
  return {
    name,
    minSize: n,
    encode(xdr, v) {
      if (typeof v !== 'number') einval(`${name}: ${String(v)}`);
      const off = xdrReserveOffset(xdr, n);
      if (off < 0) msgsize(`${name}: buffer full`);
      if (double) fscratch.setFloat64(0, v, false);
      else fscratch.setFloat32(0, v, false);
      memcpy(xdr.view, off, fbytes, 0, n);
    },
    decode(xdr) {
      const p = xdr_inline_decode(xdr, n);
      if (p === null) badmsg(`${name}: truncated`);
      memcpy(fbytes, 0, p!, 0, n);
      return double ? fscratch.getFloat64(0, false) : fscratch.getFloat32(0, false);
    },
    size: () => n,
  };
}

/** xdrFloat - RFC 4506 §4.6: IEEE single precision. */
export const xdrFloat: XdrType<number> = floatType(false);
/** xdrDouble - RFC 4506 §4.7: IEEE double precision. */
export const xdrDouble: XdrType<number> = floatType(true);

/** Copy out of the scratch buffer (reused by the next decode); keep direct views. */
function keep(xdr: xdr_stream, p: Uint8Array): Uint8Array {
  const s = xdr.scratch.iov_base;
  if (s.length !== 0 && p.buffer === s.buffer && p.byteOffset === s.byteOffset) return p.slice();
  return p;
}

function putBytes(xdr: xdr_stream, data: Uint8Array, len: number, name: string): void {
  const padded = xdr_align_size(len);
  const off = xdrReserveOffset(xdr, len);
  if (off < 0) msgsize(`${name}: buffer full`);
  memcpy(xdr.view, off, data, 0, len);
  if (padded !== len) memset(xdr.view, off + len, 0, padded - len);
}

function getBytes(xdr: xdr_stream, len: number, name: string): Uint8Array {
  if (len > xdr_stream_remaining(xdr)) badmsg(`${name}: ${len} bytes but ${xdr_stream_remaining(xdr)} left`);
  const p = xdr_inline_decode(xdr, len);
  if (p === null) badmsg(`${name}: truncated or spans more than the scratch buffer`);
  return keep(xdr, p!);
}

/**
 * xdrOpaqueFixed - RFC 4506 §4.9: exactly `n` bytes, zero-padded to 4.
 *
 * Decoded values are views of the buffer (copies only if they crossed a page).
 */
export function xdrOpaqueFixed(n: number): XdrType<Uint8Array> {
  const name = `opaque[${n}]`;
  return {
    name,
    minSize: xdr_align_size(n),
    encode(xdr, v) {
      if (!(v instanceof Uint8Array) || v.length !== n) einval(`${name}: need exactly ${n} bytes`);
      putBytes(xdr, v, n, name);
    },
    decode: (xdr) => (n === 0 ? new Uint8Array(0) : getBytes(xdr, n, name)),
    size: () => xdr_align_size(n),
  };
}

/**
 * xdrOpaque - RFC 4506 §4.10: variable-length opaque `<max>` (length word, bytes, padding).
 * @default max 2^32 − 1
 */
export function xdrOpaque(max = 4294967295): XdrType<Uint8Array> {
  const name = `opaque<${max}>`;
  return {
    name,
    minSize: 4,
    encode(xdr, v) {
      if (!(v instanceof Uint8Array)) einval(`${name}: not bytes`);
      if (v.length > max) msgsize(`${name}: ${v.length} bytes`);
      putU32(xdr, v.length, name);
      putBytes(xdr, v, v.length, name);
    },
    decode(xdr) {
      const len = getU32(xdr, name);
      if (len > max) msgsize(`${name}: length ${len}`);
      return len === 0 ? new Uint8Array(0) : getBytes(xdr, len, name);
    },
    size: (v) => 4 + xdr_align_size(v.length),
  };
}

const utf8enc = new TextEncoder();
const utf8dec = new TextDecoder('utf-8');

/**
 * xdrString - RFC 4506 §4.11: string `<max>`, as a JS string encoded in UTF-8 (max counts bytes).
 * Decoding replaces invalid UTF-8 sequences; it never throws for them.
 * @default max 2^32 − 1
 */
export function xdrString(max = 4294967295): XdrType<string> {
  const name = `string<${max}>`;
  return {
    name,
    minSize: 4,
    encode(xdr, v) {
      if (typeof v !== 'string') einval(`${name}: not a string`);
      const b = utf8enc.encode(v);
      if (b.length > max) msgsize(`${name}: ${b.length} bytes`);
      putU32(xdr, b.length, name);
      putBytes(xdr, b, b.length, name);
    },
    decode(xdr) {
      const len = getU32(xdr, name);
      if (len > max) msgsize(`${name}: length ${len}`);
      return len === 0 ? '' : utf8dec.decode(getBytes(xdr, len, name));
    },
    size: (v) => 4 + xdr_align_size(utf8enc.encode(v).length),
  };
}

/** xdrArrayFixed - RFC 4506 §4.12: exactly `n` elements, no count word. */
export function xdrArrayFixed<T>(t: XdrType<T>, n: number): XdrType<T[]> {
  const name = `${t.name}[${n}]`;
  return {
    name,
    minSize: t.minSize * n,
    encode(xdr, v) {
      if (!Array.isArray(v) || v.length !== n) einval(`${name}: need exactly ${n} elements`);
      for (let i = 0; i < n; i++) t.encode(xdr, v[i]!);
    },
    decode(xdr) {
      if (t.minSize * n > xdr_stream_remaining(xdr)) badmsg(`${name}: not enough data`);
      const out: T[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = t.decode(xdr);
      return out;
    },
    size(v) {
      let s = 0;
      for (const e of v) s += t.size(e);
      return s;
    },
  };
}

/**
 * xdrArray - RFC 4506 §4.13: variable-length array `<max>` (count word, elements).
 *
 * A count larger than `max` is EMSGSIZE; a count that cannot fit in the bytes left (at
 * `max(minSize, 1)` bytes an element) is EBADMSG before anything is allocated.
 * @default max 2^32 − 1
 */
export function xdrArray<T>(t: XdrType<T>, max = 4294967295): XdrType<T[]> {
  const name = `${t.name}<${max}>`;
  return {
    name,
    minSize: 4,
    encode(xdr, v) {
      if (!Array.isArray(v)) einval(`${name}: not an array`);
      if (v.length > max) msgsize(`${name}: ${v.length} elements`);
      putU32(xdr, v.length, name);
      for (const e of v) t.encode(xdr, e);
    },
    decode(xdr) {
      const n = getU32(xdr, name);
      if (n > max) msgsize(`${name}: count ${n}`);
      if (n * Math.max(t.minSize, 1) > xdr_stream_remaining(xdr)) badmsg(`${name}: count ${n} exceeds the data left`);
      const out: T[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = t.decode(xdr);
      return out;
    },
    size(v) {
      let s = 4;
      for (const e of v) s += t.size(e);
      return s;
    },
  };
}

/** xdrOptional - RFC 4506 §4.19: optional-data `*T`; `null` when absent. */
export function xdrOptional<T>(t: XdrType<T>): XdrType<T | null> {
  const name = `*${t.name}`;
  return {
    name,
    minSize: 4,
    encode(xdr, v) {
      putU32(xdr, v === null ? 0 : 1, name);
      if (v !== null) t.encode(xdr, v);
    },
    decode(xdr) {
      const present = getU32(xdr, name);
      if (present > 1) badmsg(`${name}: discriminant ${present}`);
      return present ? t.decode(xdr) : null;
    },
    size: (v) => 4 + (v === null ? 0 : t.size(v)),
  };
}

/**
 * xdrLinkedList - an RFC 4506 optional-data linked list (`struct l { T entry; l *next; }`, written
 * `*l`), as an array, decoded iteratively (no recursion depth). Wire: for each entry a 1 word and
 * the entry, then a 0 word. This is how RPC-over-RDMA's Read and Write lists are written
 * (RFC 8166 §4.3).
 * @default max 2^32 − 1 entries
 */
export function xdrLinkedList<T>(t: XdrType<T>, max = 4294967295): XdrType<T[]> {
  const name = `list(${t.name})`;
  return {
    name,
    minSize: 4,
    encode(xdr, v) {
      if (!Array.isArray(v)) einval(`${name}: not an array`);
      if (v.length > max) msgsize(`${name}: ${v.length} entries`);
      for (const e of v) {
        putU32(xdr, 1, name);
        t.encode(xdr, e);
      }
      putU32(xdr, 0, name);
    },
    decode(xdr) {
      const out: T[] = [];
      for (;;) {
        const present = getU32(xdr, name);
        if (present === 0) return out;
        if (present !== 1) badmsg(`${name}: discriminant ${present}`);
        if (out.length >= max) msgsize(`${name}: more than ${max} entries`);
        out.push(t.decode(xdr));
      }
    },
    size(v) {
      let s = 4;
      for (const e of v) s += 4 + t.size(e);
      return s;
    },
  };
}

/** The value type of an xdrStruct declaration. */
export type XdrStructValue<F extends Record<string, XdrType<any>>> = { [K in keyof F]: XdrValue<F[K]> };

/**
 * xdrStruct - RFC 4506 §4.14: fields in declaration order.
 *
 * Field names must not be integer-like (JavaScript orders such keys numerically, which would
 * reorder the wire format); declaring one throws EINVAL.
 * @throws KernelError EINVAL for an integer-like field name
 * @example
 * ```ts
 * const rdma_segment = xdrStruct({ handle: xdrUnsignedInt, length: xdrUnsignedInt, offset: xdrUnsignedHyper });
 * type rdma_segment = XdrValue<typeof rdma_segment>;
 * rdma_segment.encode(xdr, { handle: 0x1234, length: 4096, offset: 0x7f0000001000n });
 * ```
 */
export function xdrStruct<const F extends Record<string, XdrType<any>>>(fields: F, name = 'struct'): XdrType<XdrStructValue<F>> {
  const keys = Object.keys(fields);
  for (const k of keys) if (/^(0|[1-9]\d*)$/.test(k)) einval(`struct ${name}: field name '${k}' is integer-like`);
  const types = keys.map((k) => fields[k]!);
  const n = keys.length;
  let minSize = 0;
  for (const t of types) minSize += t.minSize;
  return {
    name,
    minSize,
    encode(xdr, v) {
      if (typeof v !== 'object' || v === null) einval(`struct ${name}: not an object`);
      for (let i = 0; i < n; i++) types[i]!.encode(xdr, (v as Record<string, unknown>)[keys[i]!]);
    },
    decode(xdr) {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) out[keys[i]!] = types[i]!.decode(xdr);
      return out as XdrStructValue<F>;
    },
    size(v) {
      let s = 0;
      for (let i = 0; i < n; i++) s += types[i]!.size((v as Record<string, unknown>)[keys[i]!]);
      return s;
    },
  };
}

/** The value type of an xdrUnion declaration: `{ tag, value }` per arm. */
export type XdrUnionValue<A extends Record<number, XdrType<any>>, Def> =
  | { [K in keyof A & number]: { tag: K; value: XdrValue<A[K]> } }[keyof A & number]
  | (Def extends XdrType<infer D> ? { tag: number; value: D } : never);

/**
 * xdrUnion - RFC 4506 §4.15: a discriminated union over an int, unsigned int or enum
 * discriminant; the value is `{ tag, value }`.
 *
 * A discriminant with no arm and no default is EBADMSG on decode and EINVAL on encode.
 * @example
 * ```ts
 * const reply = xdrUnion(xdrInt, { 0: xdrString(255), 1: xdrVoid });
 * reply.encode(xdr, { tag: 0, value: 'ok' });
 * ```
 */
export function xdrUnion<const A extends Record<number, XdrType<any>>, Def extends XdrType<any> | undefined = undefined>(
  discriminant: XdrType<number>, arms: A, defaultArm?: Def, name = 'union'): XdrType<XdrUnionValue<A, Def>> {
  const table = new Map<number, XdrType<unknown>>();
  for (const k of Object.keys(arms)) table.set(Number(k), (arms as Record<string, XdrType<unknown>>)[k]!);
  let minSize = Infinity;
  for (const t of table.values()) minSize = Math.min(minSize, t.minSize);
  if (defaultArm) minSize = Math.min(minSize, defaultArm.minSize);
  if (minSize === Infinity) minSize = 0;
  const armOf = (tag: number): XdrType<unknown> | undefined => table.get(tag) ?? defaultArm;
  return {
    name,
    minSize: discriminant.minSize + minSize,
    encode(xdr, v) {
      if (typeof v !== 'object' || v === null) einval(`union ${name}: not an object`);
      const arm = armOf(v.tag);
      if (arm === undefined) einval(`union ${name}: no arm for ${v.tag}`);
      discriminant.encode(xdr, v.tag);
      arm!.encode(xdr, v.value);
    },
    decode(xdr) {
      const tag = discriminant.decode(xdr);
      const arm = armOf(tag);
      if (arm === undefined) badmsg(`union ${name}: no arm for discriminant ${tag}`);
      return { tag, value: arm!.decode(xdr) } as XdrUnionValue<A, Def>;
    },
    size(v) {
      const arm = armOf(v.tag);
      if (arm === undefined) einval(`union ${name}: no arm for ${v.tag}`);
      return discriminant.size(v.tag) + arm!.size(v.value);
    },
  };
}

let lazyDepth = 0;

/**
 * xdrLazy - refer to a type declared later (recursive declarations). Decoding through it is
 * limited to XDR_CODEC_MAX_DEPTH nested levels (EBADMSG beyond).
 * @example
 * ```ts
 * type node = { v: number; next: node | null };
 * const node: XdrType<node> = xdrStruct({ v: xdrInt, next: xdrOptional(xdrLazy(() => node)) });
 * ```
 */
export function xdrLazy<T>(get: () => XdrType<T>, minSize = 0): XdrType<T> {
  return {
    get name() {
      return 'lazy';
    },
    minSize,
    encode: (xdr, v) => get().encode(xdr, v),
    decode(xdr) {
      if (lazyDepth >= XDR_CODEC_MAX_DEPTH) badmsg(`nesting deeper than ${XDR_CODEC_MAX_DEPTH}`);
      lazyDepth++;
      try {
        return get().decode(xdr);
      } finally {
        lazyDepth--;
      }
    },
    size: (v) => get().size(v),
  };
}

/**
 * xdrEncode - encode `value` and return the bytes it took (`t.size(value)`).
 *
 * Emulator-only convenience.
 * @throws KernelError EMSGSIZE / EINVAL as `t.encode`
 */
export function xdrEncode<T>(xdr: xdr_stream, t: XdrType<T>, value: T): number {
  t.encode(xdr, value);
  return t.size(value);
}

/**
 * xdrDecode - decode a `T`, or return the negative errno instead of throwing (the kernel's
 * calling convention).
 *
 * Emulator-only.
 * @returns `{ value }` or `{ error: -EBADMSG | -EMSGSIZE }`
 */
export function xdrDecode<T>(xdr: xdr_stream, t: XdrType<T>): { value: T; error?: undefined } | { value?: undefined; error: number } {
  try {
    return { value: t.decode(xdr) };
  } catch (err) {
    if (isKernelError(err, 'EBADMSG') || isKernelError(err, 'EMSGSIZE')) return { error: -err.errno };
    throw err;
  }
}
