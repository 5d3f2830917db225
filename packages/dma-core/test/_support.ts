/**
 * _support - test rigs for the mapping-layer specs (direct, dma-mapping, dma-noncoherent, dma-device-access).
 *
 * Also the shared assertions (expectBug, expectErrno) and the fast-check seed of every spec.
 *
 * A rig is a host (memory + dmesg + optional dma-debug) and one device, with the DMA path the test
 * wants: dma-direct, dma-direct + swiotlb (a 32-bit mask over memory above 4 GiB, or force
 * bounce), or dma-iommu with a strict or lazy (flush-queue) domain. The lead's `DmaHost` will
 * replace this; keep rigs here so they change in one place.
 */
import { expect } from 'chai';
import { Dmesg, isKernelBug, isKernelError, seedFromEnv } from '@rdmaemu/sim-core';
import { dma_debug } from '../src/debug.js';
import { device, type DeviceHost, type DeviceInit } from '../src/device.js';
import { DMA_BIT_MASK } from '../src/dma-mapping.h.js';
import { IOMMU_DOMAIN_DMA, IOMMU_DOMAIN_DMA_FQ, iommu_attach_device, iommu_domain_alloc } from '../src/iommu.js';
import { PAGE_SIZE, PhysicalMemory, page_to_phys, type page } from '../src/memory.js';
import { __free_pages, alloc_pages } from '../src/page_alloc.js';
import { swiotlb_init, type io_tlb_mem } from '../src/swiotlb.js';

/** The DMA paths every property test runs through. */
export type DmaPath = 'direct' | 'swiotlb' | 'force-bounce' | 'iommu-strict' | 'iommu-lazy' | 'noncoherent' | 'noncoherent-swiotlb' | 'noncoherent-iommu';
export const ALL_PATHS: readonly DmaPath[] = ['direct', 'swiotlb', 'force-bounce', 'iommu-strict', 'iommu-lazy', 'noncoherent', 'noncoherent-swiotlb', 'noncoherent-iommu'];

/** A test host: what `device` needs, with the pieces public. */
export interface TestHost extends DeviceHost {
  readonly mem: PhysicalMemory;
  readonly log: Dmesg;
  readonly debug: dma_debug | null;
}

export interface RigInit {
  /** @default 'direct' */
  path?: DmaPath;
  /** dma-debug on the host. @default true */
  debug?: boolean;
  /** dma-debug throws its errors (strict). @default true */
  strictDebug?: boolean;
  /** RAM size. @default '16M' */
  size?: string;
  /** Extra device configuration. */
  dev?: Partial<DeviceInit>;
  /** swiotlb slots (for the swiotlb paths). @default 1024 (2 MiB) */
  nslabs?: number;
}

export interface Rig {
  host: TestHost;
  mem: PhysicalMemory;
  log: Dmesg;
  debug: dma_debug | null;
  dev: device;
  path: DmaPath;
}

/** 4 GiB: RAM placed here is beyond a 32-bit mask, so dma-direct must bounce. */
export const ABOVE_4G = 2 ** 32;

/**
 * rig - a host and one device on the given DMA path.
 *
 * - direct: RAM at 0, 64-bit mask, coherent.
 * - swiotlb: a 22-bit mask (4 MiB) and a swiotlb pool placed at [2 MiB, 4 MiB); every page a test
 *   allocates afterwards lies above 4 MiB, so every mapping bounces.
 * - force-bounce: RAM at 0, `force_bounce`.
 * - iommu-strict / iommu-lazy: an IOMMU_DOMAIN_DMA / IOMMU_DOMAIN_DMA_FQ domain.
 * - noncoherent: direct, `coherent: false`; noncoherent-swiotlb: force-bounce and non-coherent;
 *   noncoherent-iommu: a strict IOMMU domain and non-coherent.
 */
export function rig(init: RigInit = {}): Rig {
  const path = init.path ?? 'direct';
  const mem = new PhysicalMemory({ size: init.size ?? '16M', name: 'host' });
  const log = new Dmesg();
  const debug = init.debug === false ? null : new dma_debug(log, { strict: init.strictDebug ?? true, all_errors: true });
  const host: TestHost = { name: 'host', mem, log, debug };
  const devInit: DeviceInit = { name: 'dev0', ...init.dev };
  if (path === 'noncoherent' || path === 'noncoherent-swiotlb' || path === 'noncoherent-iommu') devInit.coherent = false;
  if (path === 'force-bounce' || path === 'noncoherent-swiotlb') devInit.force_bounce = true;
  const dev = new device(host, devInit);
  if (path === 'swiotlb') {
    dev.dma_io_tlb_mem = lowPool(mem);
    dev.dma_mask = DMA_BIT_MASK(22);
    dev.coherent_dma_mask = dev.dma_mask;
  } else if (path === 'force-bounce' || path === 'noncoherent-swiotlb') {
    dev.dma_io_tlb_mem = swiotlb_init(mem, { nslabs: init.nslabs ?? 1024 });
  }
  if (path === 'iommu-strict' || path === 'iommu-lazy' || path === 'noncoherent-iommu') {
    iommu_attach_device(iommu_domain_alloc(host, path === 'iommu-lazy' ? IOMMU_DOMAIN_DMA_FQ : IOMMU_DOMAIN_DMA), dev);
  }
  return { host, mem, log, debug, dev, path };
}

/**
 * lowPool - a 2 MiB swiotlb pool at [2 MiB, 4 MiB) whatever the buddy allocator's order: hold
 * every page, free [2 MiB, 4 MiB) so it merges into the one order-9 block the pool takes, then
 * free everything above 4 MiB. [1 MiB, 2 MiB) stays allocated (ballast).
 */
function lowPool(mem: PhysicalMemory): io_tlb_mem {
  const held: page[] = [];
  for (let pg = alloc_pages(mem, 0); pg !== null; pg = alloc_pages(mem, 0)) held.push(pg);
  const MiB = 1024 * 1024;
  for (const pg of held) {
    const p = page_to_phys(pg);
    if (p >= 2 * MiB && p < 4 * MiB) __free_pages(pg, 0);
  }
  const pool = swiotlb_init(mem, { nslabs: 1024 });
  for (const pg of held) if (page_to_phys(pg) >= 4 * MiB) __free_pages(pg, 0);
  if (pool.start !== 2 * MiB) throw new Error(`lowPool: pool at 0x${pool.start.toString(16)}`);
  return pool;
}

/** A device whose 32-bit mask cannot reach a host whose RAM starts at 4 GiB, with no swiotlb. */
export function unreachableRig(debug = true): Rig {
  const mem = new PhysicalMemory({ size: '8M', base: ABOVE_4G, name: 'high' });
  const log = new Dmesg();
  const dbg = debug ? new dma_debug(log, { strict: true, all_errors: true }) : null;
  const host: TestHost = { name: 'high', mem, log, debug: dbg };
  const dev = new device(host, { name: 'dev32', dma_mask: DMA_BIT_MASK(32) });
  return { host, mem, log, debug: dbg, dev, path: 'direct' };
}

/** Allocate 2^order pages and fill them with a pattern derived from `seed`; returns the first page. */
export function patterned(mem: PhysicalMemory, order: number, seed: number): page {
  const pg = alloc_pages(mem, order)!;
  fill(mem.view(page_to_phys(pg), PAGE_SIZE * 2 ** order), seed);
  return pg;
}

/** Fill a view with a deterministic pattern. */
export function fill(v: Uint8Array, seed: number): void {
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < v.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    v[i] = x & 0xff;
  }
}

/** Concatenate views. */
export function concat(views: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const v of views) n += v.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const v of views) {
    out.set(v, off);
    off += v.length;
  }
  return out;
}

/** The fast-check seed: RDMAEMU_SEED if set, else a fixed one (fast-check prints it on failure). */
export function fcSeed(fixed: number): number {
  return process.env['RDMAEMU_SEED'] !== undefined ? seedFromEnv() : fixed;
}

/** Messages dma-debug printed (without the prefix). */
export function debugMessages(r: Rig): string[] {
  return r.debug ? r.debug.errors.map((e) => e.message) : [];
}

/** The fast-check seed of the data-structure specs: RDMAEMU_SEED if set, else 0x5eed. */
export const SEED = fcSeed(0x5eed);

/** Assert that `fn` throws a KernelBug whose message contains `text`. */
export function expectBug(fn: () => unknown, text: string): void {
  try {
    fn();
  } catch (err) {
    expect(isKernelBug(err), String(err)).to.equal(true);
    expect((err as Error).message).to.contain(text);
    return;
  }
  expect.fail(`expected KernelBug containing "${text}"`);
}

/** Assert that `fn` throws a KernelError with errno `code`. */
export function expectErrno(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    expect(isKernelError(err), String(err)).to.equal(true);
    expect((err as { code: string }).code).to.equal(code);
    return;
  }
  expect.fail(`expected KernelError ${code}`);
}
