/**
 * seeded-random - the one source of randomness in rdmaemu: a seeded, forkable PRNG.
 *
 * Kernel: include/linux/random.h (get_random_u32(), get_random_u32_below(), get_random_bytes()),
 *         lib/random32.c (prandom, the kernel's own seedable generator)
 *
 * Operation: `SeededRandom` is xoshiro128** (Blackman and Vigna, 2018; period 2^128 - 1) whose
 * 128-bit state is filled from a u32 seed by splitmix32. Same seed, same sequence, on every
 * platform: all arithmetic is 32-bit (`Math.imul`, `>>> 0`).
 *
 * `fork(label)` derives a child generator from the *seed* and the label only, never from the
 * parent's current state. A component that draws more or fewer numbers therefore does not shift
 * the streams of its siblings: adding a draw in the fabric does not change the QP numbers a test
 * sees. Two forks with the same label are the same stream, so labels must be unique per consumer
 * (`qp17`, `link:client->server`).
 *
 * Seeds: `seedFromEnv()` reads `RDMAEMU_SEED` (decimal or `0x` hex) so a failing randomised test
 * can be replayed; without it a fresh seed comes from the platform CSPRNG. Tests print the seed
 * (`formatSeed(seed)`) in every assertion message that depends on it.
 *
 * Invariants: outputs depend only on (seed, sequence of calls); no global state.
 */
import { randomInt } from 'node:crypto';
import type { u32 } from './types.js';
import { KernelBug, KernelError } from './kernel-error.js';

const TWO_POW_32 = 0x1_0000_0000;

/** splitmix32 step: returns [output, next state]. Used only for seeding and fork derivation. */
function splitmix32(state: number): [u32, number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  z ^= z >>> 15;
  return [z >>> 0, next];
}

/** FNV-1a over the UTF-16 code units of `s`: a stable 32-bit label hash for `fork()`. */
function fnv1a32(s: string): u32 {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * SeededRandom - a deterministic xoshiro128** generator seeded from a u32.
 *
 * Every method advances the state; `fork()` does not.
 *
 * @example Same seed, same sequence
 * ```ts
 * import { SeededRandom } from '@rdmaemu/sim-core';
 * const a = new SeededRandom(42), b = new SeededRandom(42);
 * console.assert(a.nextU32() === b.nextU32());
 * const psn = a.int(0, 0xffffff);          // initial PSN, 24 bits
 * const drop = a.bool(0.01);               // 1% loss decision
 * ```
 */
export class SeededRandom {
  /** The u32 seed this generator (and every fork of it) derives from. */
  readonly seed: u32;
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  /**
   * @param seed any number; it is reduced to a u32 with `>>> 0`
   */
  constructor(seed: number) {
    this.seed = seed >>> 0;
    let st = this.seed;
    let out: u32;
    [out, st] = splitmix32(st); this.#s0 = out;
    [out, st] = splitmix32(st); this.#s1 = out;
    [out, st] = splitmix32(st); this.#s2 = out;
    [out, st] = splitmix32(st); this.#s3 = out;
    // xoshiro must not start from the all-zero state.
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }

  /** nextU32 - the next 32-bit unsigned integer, uniform over [0, 2^32). */
  nextU32(): u32 {
    const s1 = this.#s1;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = (this.#s3 << 11) | (this.#s3 >>> 21);
    return result;
  }

  /** next - a float uniform over [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextU32() / TWO_POW_32;
  }

  /**
   * int - an integer uniform over [lo, hi], both ends inclusive.
   *
   * Ranges up to 2^32 values are exactly uniform (rejection sampling); wider ranges (up to 2^53)
   * use 53 random bits and carry a bias below 2^-20.
   * @throws KernelBug if lo or hi is not a safe integer, or lo > hi
   */
  int(lo: number, hi: number): number {
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || lo > hi) {
      throw new KernelBug(`seeded-random: int(${lo}, ${hi}): bounds must be safe integers with lo <= hi`);
    }
    const range = hi - lo + 1;
    if (range <= TWO_POW_32) {
      const limit = TWO_POW_32 - (TWO_POW_32 % range);
      let u = this.nextU32();
      while (u >= limit) u = this.nextU32();
      return lo + (u % range);
    }
    const bits53 = (this.nextU32() >>> 5) * 0x4000000 + (this.nextU32() >>> 6);
    return lo + Math.floor((bits53 / 2 ** 53) * range);
  }

  /**
   * bool - true with probability `p`.
   * @param p probability in [0, 1]; 0 never draws true, 1 always does
   * @default p 0.5
   */
  bool(p = 0.5): boolean {
    return this.next() < p;
  }

  /** fill - overwrite `bytes` with random bytes and return it. */
  fill(bytes: Uint8Array): Uint8Array {
    const n = bytes.length;
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const v = this.nextU32();
      bytes[i] = v & 0xff;
      bytes[i + 1] = (v >>> 8) & 0xff;
      bytes[i + 2] = (v >>> 16) & 0xff;
      bytes[i + 3] = v >>> 24;
    }
    if (i < n) {
      let v = this.nextU32();
      for (; i < n; i++, v >>>= 8) bytes[i] = v & 0xff;
    }
    return bytes;
  }

  /**
   * pick - one element of a non-empty array, uniformly.
   * @throws KernelBug if the array is empty
   */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new KernelBug('seeded-random: pick() from an empty array');
    return items[this.int(0, items.length - 1)] as T;
  }

  /** shuffle - Fisher-Yates shuffle in place; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /**
   * fork - an independent child generator derived from this generator's seed and `label`.
   *
   * The child does not depend on how many numbers the parent has drawn, and forking does not
   * advance the parent. The same label always yields the same child stream.
   * @example Per-component streams
   * ```ts
   * import { SeededRandom } from '@rdmaemu/sim-core';
   * const root = new SeededRandom(7);
   * const linkRng = root.fork('link:client->server');
   * const qpRng = root.fork('qp17');
   * ```
   */
  fork(label: string): SeededRandom {
    const [mixed] = splitmix32((this.seed ^ Math.imul(fnv1a32(label), 0x9e3779b1)) | 0);
    return new SeededRandom(mixed);
  }
}

/**
 * get_random_u32 - a random u32 from `rng`.
 *
 * Kernel: include/linux/random.h get_random_u32()
 *
 * Divergence: the kernel draws from its global CSPRNG; here the generator is explicit and seeded
 * so runs replay.
 * @example Draw a random initial PSN
 * ```ts
 * import { SeededRandom, get_random_u32 } from '@rdmaemu/sim-core';
 * const psn = get_random_u32(new SeededRandom(1)) & 0xffffff;
 * ```
 */
export function get_random_u32(rng: SeededRandom): u32 {
  return rng.nextU32();
}

/**
 * get_random_u32_below - a random u32 in [0, ceil).
 *
 * Kernel: include/linux/random.h get_random_u32_below()
 *
 * Divergence: explicit seeded generator (see `get_random_u32`).
 * @throws KernelBug if ceil is 0 or not a u32 (the kernel leaves ceil == 0 undefined)
 * @example Pick one of 8 queues
 * ```ts
 * import { SeededRandom, get_random_u32_below } from '@rdmaemu/sim-core';
 * const q = get_random_u32_below(new SeededRandom(1), 8);
 * ```
 */
export function get_random_u32_below(rng: SeededRandom, ceil: u32): u32 {
  if (!Number.isInteger(ceil) || ceil <= 0 || ceil > 0xffffffff) {
    throw new KernelBug(`get_random_u32_below: ceil ${ceil} is not a non-zero u32`);
  }
  return rng.int(0, ceil - 1);
}

/**
 * get_random_bytes - fill `buf` with random bytes from `rng`.
 *
 * Kernel: include/linux/random.h get_random_bytes()
 *
 * Divergence: explicit seeded generator; the length is the buffer's (pass a subarray for less).
 * @example Random payload
 * ```ts
 * import { SeededRandom, get_random_bytes } from '@rdmaemu/sim-core';
 * const payload = new Uint8Array(4096);
 * get_random_bytes(new SeededRandom(1), payload);
 * ```
 */
export function get_random_bytes(rng: SeededRandom, buf: Uint8Array): void {
  rng.fill(buf);
}

/**
 * freshSeed - a new u32 seed from the platform CSPRNG (not reproducible; print it).
 * @example Log the seed you got
 * ```ts
 * import { freshSeed, formatSeed } from '@rdmaemu/sim-core';
 * console.log(formatSeed(freshSeed()));
 * ```
 */
export function freshSeed(): u32 {
  return randomInt(0, TWO_POW_32);
}

/**
 * seedFromEnv - the seed from `RDMAEMU_SEED` (decimal or `0x` hex), else a fresh one.
 *
 * @param env the environment to read
 * @default env process.env
 * @throws KernelError EINVAL if RDMAEMU_SEED is set but is not a u32
 * @example Replay a failing run
 * ```ts
 * // RDMAEMU_SEED=0x2a npx mocha ...
 * import { SimClock, seedFromEnv } from '@rdmaemu/sim-core';
 * const clock = new SimClock({ seed: seedFromEnv() });
 * ```
 */
export function seedFromEnv(env: Record<string, string | undefined> = process.env): u32 {
  const raw = env['RDMAEMU_SEED']?.trim();
  if (raw === undefined || raw === '') return freshSeed();
  const value = /^0x[0-9a-f]+$/i.test(raw) ? parseInt(raw.slice(2), 16) : /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value > 0xffffffff) {
    throw new KernelError('EINVAL', `RDMAEMU_SEED=${raw}: not a u32 (decimal or 0x hex)`);
  }
  return value;
}

/**
 * formatSeed - a replay hint for assertion messages: `seed=42 (replay: RDMAEMU_SEED=42)`.
 * @example In an assertion
 * ```ts
 * import { formatSeed } from '@rdmaemu/sim-core';
 * const seed = 42;
 * console.assert(true, `round trip failed, ${formatSeed(seed)}`);
 * ```
 */
export function formatSeed(seed: u32): string {
  return `seed=${seed} (replay: RDMAEMU_SEED=${seed})`;
}
