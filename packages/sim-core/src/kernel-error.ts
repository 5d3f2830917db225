/**
 * kernel-error - synchronous failures (`-errno`) and kernel bugs (BUG_ON / WARN_ON) as exceptions.
 *
 * Kernel: include/linux/err.h, include/asm-generic/bug.h
 *
 * Operation: a C function that returns `-errno` throws `KernelError` here, carrying the number,
 * the code and context fields. Conditions the kernel answers with BUG_ON, or with a WARN_ON that
 * is a caller bug, throw `KernelBug`. In strict mode (the default, and always on in tests) a
 * WARN-class condition throws; with `setStrict(false)` `WARN()` only logs and counts, as a
 * production kernel would. Library code never catches `KernelBug`.
 *
 * Errors are branded with `Symbol.for` so `isKernelError()` works across copies of the package
 * (undici's pattern); never branch on `instanceof` across packages.
 */
import { errno, type ErrnoCode } from './errno.js';

const kKernelError = Symbol.for('rdmaemu.KernelError');
const kKernelBug = Symbol.for('rdmaemu.KernelBug');

/**
 * KernelError - a synchronous `-errno` failure.
 *
 * Messages are lowercase, without a trailing period, and name the object:
 * `qp 17: sq full (max_send_wr=64)`.
 * @example
 * ```ts
 * throw new KernelError('ENOMEM', 'iova 0x1000: out of address space');
 * ```
 */
export class KernelError extends Error {
  readonly [kKernelError] = true;
  /** The positive errno value (`ENOMEM` → 12). */
  readonly errno: number;
  readonly code: ErrnoCode;
  constructor(code: ErrnoCode, message: string, context?: Record<string, unknown>) {
    super(`${message} (${code})`);
    this.name = 'KernelError';
    this.code = code;
    this.errno = errno[code];
    if (context) {
      for (const [k, v] of Object.entries(context)) {
        if (k !== 'code' && k !== 'errno' && k !== 'message' && k !== 'name') (this as Record<string, unknown>)[k] = v;
      }
    }
  }
  /** The value the C function would have returned: `-errno`. */
  get negative(): number {
    return -this.errno;
  }
}

/**
 * isKernelError - true when `err` is a KernelError (optionally with the given code).
 * @example
 * ```ts
 * if (isKernelError(err, 'ENOTCONN')) reconnect();
 * ```
 */
export function isKernelError(err: unknown, code?: ErrnoCode): err is KernelError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[kKernelError] === true &&
    (code === undefined || (err as KernelError).code === code);
}

/** KernelBug - a BUG_ON, or a WARN_ON under strict mode: misuse of an API by its caller. */
export class KernelBug extends Error {
  readonly [kKernelBug] = true;
  constructor(message: string) {
    super(message);
    this.name = 'KernelBug';
  }
}

/** isKernelBug - true when `err` is a KernelBug. */
export function isKernelBug(err: unknown): err is KernelBug {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[kKernelBug] === true;
}

let strict = true;
const warnLog: string[] = [];
let warnCount = 0;

/** setStrict - turn WARN-class conditions into thrown KernelBugs (true, the default) or logged warnings. */
export function setStrict(on: boolean): void {
  strict = on;
}

/** isStrict - whether WARN-class conditions throw. */
export function isStrict(): boolean {
  return strict;
}

/**
 * BUG_ON - throw a KernelBug when `cond` holds, always (the kernel would oops).
 *
 * Kernel: include/asm-generic/bug.h BUG_ON()
 * @throws KernelBug when cond is true
 */
export function BUG_ON(cond: boolean, message = 'kernel BUG'): void {
  if (cond) throw new KernelBug(message);
}

/**
 * WARN - report a warning; under strict mode it throws KernelBug. Returns `cond`, as WARN() does,
 * so callers can write `if (WARN(x, '...')) return -EINVAL`.
 *
 * Kernel: include/asm-generic/bug.h WARN(), WARN_ON(), WARN_ON_ONCE()
 * @throws KernelBug when cond is true and strict mode is on
 */
export function WARN(cond: boolean, message: string): boolean {
  if (!cond) return false;
  warnCount++;
  if (strict) throw new KernelBug(`WARNING: ${message}`);
  if (warnLog.length < 1000) warnLog.push(message);
  return true;
}

/** WARN_ON - WARN with a default message. */
export function WARN_ON(cond: boolean, message = 'WARN_ON'): boolean {
  return WARN(cond, message);
}

/** warnings - the warnings logged in non-strict mode, and how many WARNs fired in all. */
export function warnings(): { count: number; log: readonly string[] } {
  return { count: warnCount, log: warnLog };
}

/** resetWarnings - clear the warning log and count (tests). */
export function resetWarnings(): void {
  warnLog.length = 0;
  warnCount = 0;
}
