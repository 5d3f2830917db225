/**
 * debug - dma-debug: bookkeeping of every live DMA mapping and the checks of the DMA API's rules.
 *
 * Kernel: kernel/dma/debug.c, kernel/dma/debug.h (CONFIG_DMA_API_DEBUG, CONFIG_DMA_API_DEBUG_SG),
 *         RFC "[PATCH RFC 3/9] dma-debug: Add dma_debug_ helpers for mapping bio_vec arrays"
 *         (Chuck Lever, Oct 2023), the 2025 dma_map_phys conversion (entries hold `paddr`,
 *         type `dma_debug_phy`).
 *
 * Operation: each emulated host owns one `dma_debug` (the kernel's globals for one machine). The
 * mapping layer calls the `debug_dma_*` hooks after (map, sync) or before (unmap_sg) the real
 * work, exactly where kernel/dma/mapping.c calls them. A map records one `dma_debug_entry` per
 * mapping (one per *mapped* sg or bvec output) in a hash of HASH_SIZE buckets keyed by
 * `(dev_addr >> HASH_FN_SHIFT) & (HASH_SIZE − 1)`; an unmap looks its entry up with the kernel's
 * best-fit search (exact dev and dev_addr, then scored on size, type, direction and sg_call_ents:
 * a perfect score wins at once, a single imperfect match is taken, several imperfect matches give
 * "not found"), reports every mismatch and frees it. A sync looks for an entry *containing* the
 * synced range, walking backwards one bucket (8 KiB of address) at a time. Each map of a
 * non-TO_DEVICE mapping also inserts the mapping's first cacheline into the active-cacheline set;
 * a second live mapping of that cacheline is an error unless DMA_ATTR_SKIP_CPU_SYNC is set.
 *
 * Errors go through `err_printk`: `error_count` always grows; the line
 * `DMA-API: <driver> <device>: <message>` reaches the host's dmesg only if the device's driver
 * passes `driver_filter` and the print quota allows it (`all_errors`, or `num_errors` > 0, which
 * every error — printed or not — decrements). In strict mode an error that passes the filter also
 * throws a `KernelBug` carrying the line, at the end of the hook, after all bookkeeping is done.
 *
 * rdmaemu extensions (emulator-only, camelCase or documented `Divergence:`): the device-side
 * access check `debug_dma_device_access` (the kernel cannot see device accesses), the
 * `debug_dma_iova_link/unlink` hooks that let that check know dma_iova_* ranges (which have no
 * dma-debug entries in the kernel), and the queries `dmaDebugReport`, `liveMappings`,
 * `assertDmaDebugClean`.
 *
 * Invariants: every live entry is in exactly one bucket (the one its dev_addr hashes to) and in
 * its device's interval index; `num_free_entries + live entries == nr_total_entries`; an entry's
 * cacheline is counted in the active-cacheline map iff its direction is not DMA_TO_DEVICE.
 *
 * Divergence: `%p` prints an address unhashed, as 16 hex digits: the physical address for memory
 * of the host, the byte offset for a foreign view (there are no kernel virtual addresses here).
 * WARN()'s "cut here" banner and the "Mapped at:" stack trace are not printed.
 */
import { KERN_ERR, KERN_INFO, KERN_WARNING, KernelBug, isStrict, printk } from '@rdmaemu/sim-core';
import type { Dmesg, dma_addr_t, phys_addr_t } from '@rdmaemu/sim-core';
import { ADDR_MAX, U64_MAX, fmt_pad, fmt_llx } from './_bits.js';
import { bv_dma_address, bv_dma_len, bvec_phys, type bio_vec } from './bvec.js';
import { dev_driver_string, dev_name, dma_get_max_seg_size, dma_get_seg_boundary, type device } from './device.js';
import {
  DMA_ATTR_MMIO, DMA_ATTR_SKIP_CPU_SYNC, DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_MAPPING_ERROR, DMA_TO_DEVICE, dir2name,
} from './dma-mapping.h.js';
import { L1_CACHE_SHIFT, PAGE_SIZE, PFN_DOWN, PG_reserved, PG_stack, type PhysicalMemory, virt_addr_valid, virt_to_phys } from './memory.js';
import {
  sg_chain_ptr, sg_dma_address, sg_dma_len, sg_is_chain, sg_next, sg_phys, type scatterlist, type sgl_ref,
} from './scatterlist.js';

// ---------------------------------------------------------------------------------------------
// Constants and types
// ---------------------------------------------------------------------------------------------

/** Kernel: kernel/dma/debug.c HASH_SIZE - buckets of the entry hash. */
export const HASH_SIZE = 16384;
/** Kernel: HASH_FN_SHIFT - a bucket covers 2^13 = 8 KiB of DMA address. */
export const HASH_FN_SHIFT = 13;
/** Kernel: HASH_FN_MASK */
export const HASH_FN_MASK = HASH_SIZE - 1;
/** Kernel: PREALLOC_DMA_DEBUG_ENTRIES (1 << 16), the `dma_debug_entries=` default. */
export const PREALLOC_DMA_DEBUG_ENTRIES = 1 << 16;
/**
 * Kernel: DMA_DEBUG_DYNAMIC_ENTRIES = PAGE_SIZE / sizeof(struct dma_debug_entry): the pool grows
 * a page of entries at a time; the entry is 128 bytes on x86_64 (cacheline-aligned, with the
 * 5-deep stack trace), so 32.
 */
export const DMA_DEBUG_DYNAMIC_ENTRIES = PAGE_SIZE / 128;
/** Kernel: include/linux/radix-tree.h RADIX_TREE_MAX_TAGS - tag bits that count overlaps. */
export const RADIX_TREE_MAX_TAGS = 3;
/** Kernel: ACTIVE_CACHELINE_MAX_OVERLAP = (1 << RADIX_TREE_MAX_TAGS) − 1 = 7. */
export const ACTIVE_CACHELINE_MAX_OVERLAP = (1 << RADIX_TREE_MAX_TAGS) - 1;
/** Kernel: CACHELINE_PER_PAGE_SHIFT = PAGE_SHIFT − L1_CACHE_SHIFT. */
export const CACHELINE_PER_PAGE_SHIFT = 12 - L1_CACHE_SHIFT;
/** Kernel: NAME_MAX_LEN - the driver filter keeps at most NAME_MAX_LEN − 1 characters. */
export const NAME_MAX_LEN = 64;
/** How many errors `dma_debug.errors` keeps (emulator-only; error_count counts them all). */
export const DMA_DEBUG_ERRORS_MAX = 1024;

// Entry types (kernel/dma/debug.c anonymous enum, 2025 order, plus the RFC's bio-vec type last).
/** Kernel: dma_debug_single - the `ref` type of dma_sync_single_* */
export const dma_debug_single = 0;
/** Kernel: dma_debug_sg - one mapped scatterlist entry */
export const dma_debug_sg = 1;
/** Kernel: dma_debug_coherent - dma_alloc_coherent */
export const dma_debug_coherent = 2;
/** Kernel: dma_debug_noncoherent - dma_alloc_pages / dma_alloc_noncoherent */
export const dma_debug_noncoherent = 3;
/** Kernel: dma_debug_phy (2025) - dma_map_phys, and so dma_map_page_attrs / dma_map_single / dma_map_resource */
export const dma_debug_phy = 4;
/** Kernel: RFC 3/9 dma_debug_bv - one mapped bio_vec entry. Divergence: numbered after phy. */
export const dma_debug_bv = 5;

/**
 * type2name - entry type names as dma-debug prints them.
 *
 * Kernel: kernel/dma/debug.c type2name[]
 * "scatter-gather" is the spelling after RFC patch 1/9 ("dma-debug: Fix a typo in a debugging
 * eye-catcher"); kernels before it print "scather-gather".
 */
export const type2name: readonly string[] = ['single', 'scatter-gather', 'coherent', 'noncoherent', 'phy', 'bio-vec'];

/** Kernel: kernel/dma/debug.c enum map_err_types */
export enum map_err_types {
  MAP_ERR_CHECK_NOT_APPLICABLE = 0,
  MAP_ERR_NOT_CHECKED = 1,
  MAP_ERR_CHECKED = 2,
}
export const MAP_ERR_CHECK_NOT_APPLICABLE = map_err_types.MAP_ERR_CHECK_NOT_APPLICABLE;
/** The short name for MAP_ERR_CHECK_NOT_APPLICABLE. */
export const MAP_ERR_NOT_APPLICABLE = map_err_types.MAP_ERR_CHECK_NOT_APPLICABLE;
export const MAP_ERR_NOT_CHECKED = map_err_types.MAP_ERR_NOT_CHECKED;
export const MAP_ERR_CHECKED = map_err_types.MAP_ERR_CHECKED;

/** Kernel: kernel/dma/debug.c maperr2str[] */
export const maperr2str: readonly string[] = [
  'dma map error check not applicable',
  'dma map error not checked',
  'dma map error checked',
];

/**
 * dma_debug_entry - one live mapping as dma-debug tracks it.
 *
 * Kernel: kernel/dma/debug.c struct dma_debug_entry (2025: `paddr` instead of pfn + offset)
 * Divergence: no stack trace; `attrs` is kept (as the newest kernels do) for the dump and the
 * overlap check.
 */
export class dma_debug_entry {
  dev: device;
  dev_addr: dma_addr_t;
  size: number;
  type: number;
  direction: number;
  sg_call_ents: number;
  sg_mapped_ents: number;
  paddr: phys_addr_t;
  map_err_type: map_err_types;
  attrs: number;

  constructor(dev: device, type: number, dev_addr: dma_addr_t, size: number, direction: number, paddr: phys_addr_t) {
    this.dev = dev;
    this.dev_addr = dev_addr;
    this.size = size;
    this.type = type;
    this.direction = direction;
    this.sg_call_ents = 0;
    this.sg_mapped_ents = 0;
    this.paddr = paddr;
    this.map_err_type = MAP_ERR_CHECK_NOT_APPLICABLE;
    this.attrs = 0;
  }

  toString(): string {
    return `${type2name[this.type]} ${dev_name(this.dev)} D=${fmt_pad(this.dev_addr)} L=${this.size} ${dir2name[this.direction]}`;
  }
}

/** One error dma-debug reported (emulator-only: the kernel only prints them). */
export interface DmaDebugError {
  dev: device | null;
  /** The kernel's message, without the `DMA-API: <driver> <device>: ` prefix. */
  message: string;
  /** The whole line as printed: `DMA-API: <driver> <device>: <message>`. */
  text: string;
  /** Whether it reached dmesg (driver_filter and the num_errors quota). */
  printed: boolean;
}

/** DmaDebugInit - dma-debug's boot parameters and debugfs settings for one host. */
export interface DmaDebugInit {
  /** debugfs `all_errors`: print every error. @default false */
  all_errors?: boolean;
  /** debugfs `num_errors`: how many errors to print. @default 1 */
  num_errors?: number;
  /** `dma_debug_driver=` / debugfs `driver_filter`: only this driver's errors print. @default '' (off) */
  driver_filter?: string;
  /** Errors that pass the driver filter also throw KernelBug. @default sim-core isStrict() */
  strict?: boolean;
  /** `dma_debug_entries=`: preallocated entries. @default PREALLOC_DMA_DEBUG_ENTRIES (65536) */
  nr_entries?: number;
  /**
   * Emulator-only: the most entries the pool may grow to; growing past it plays a failed
   * GFP_ATOMIC page allocation ("debugging out of memory - disabling"). @default Infinity
   */
  max_entries?: number;
  /** `dma_debug=off`: start disabled. @default false */
  disabled?: boolean;
}

/** A range the device-side access check accepts: a debug entry or a dma_iova_link() range. */
interface DmaRange {
  dev_addr: number;
  size: number;
  direction: number;
}

/** Per-device interval index for the device-side access check and the leak count. */
class DevIndex {
  /** Live ranges (entries and iova links) sorted by dev_addr. */
  readonly ranges: DmaRange[] = [];
  /** Live iova-link ranges (also in `ranges`). */
  readonly iova: DmaRange[] = [];
  /** Largest size ever inserted: a containing range starts at most this far below an access. */
  maxLen = 0;
  /** Last range an access hit (most accesses repeat one mapping). */
  last: DmaRange | null = null;

  insert(r: DmaRange): void {
    const a = this.ranges;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid]!.dev_addr <= r.dev_addr) lo = mid + 1;
      else hi = mid;
    }
    a.splice(lo, 0, r);
    if (r.size > this.maxLen) this.maxLen = r.size;
  }

  remove(r: DmaRange): void {
    const a = this.ranges;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid]!.dev_addr < r.dev_addr) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < a.length && a[i]!.dev_addr === r.dev_addr; i++) {
      if (a[i] === r) {
        a.splice(i, 1);
        break;
      }
    }
    if (this.last === r) this.last = null;
  }
}

/** Direction check of a device access: writes need FROM_DEVICE/BIDI, reads TO_DEVICE/BIDI. */
function access_ok(dir: number, write: boolean): boolean {
  return dir === DMA_BIDIRECTIONAL || dir === (write ? DMA_FROM_DEVICE : DMA_TO_DEVICE);
}

/** `%p` (unhashed; see the file header). */
function fmt_p(addr: number): string {
  return addr.toString(16).padStart(16, '0');
}

/** Kernel: hash_fn() - `(dev_addr >> HASH_FN_SHIFT) & HASH_FN_MASK`, in arithmetic. */
export function hash_fn(dev_addr: dma_addr_t): number {
  if (dev_addr >= U64_MAX) return HASH_FN_MASK; // ~0ULL
  return Math.floor(dev_addr / 2 ** HASH_FN_SHIFT) % HASH_SIZE;
}

/** Kernel: to_cacheline_number() - `((paddr >> PAGE_SHIFT) << CACHELINE_PER_PAGE_SHIFT) + (offset_in_page(paddr) >> L1_CACHE_SHIFT)`. */
export function to_cacheline_number(paddr: phys_addr_t): number {
  return Math.floor(paddr / 2 ** L1_CACHE_SHIFT);
}

/** Matching search key (the kernel's on-stack `ref` entry). */
interface dma_debug_ref {
  dev: device;
  dev_addr: number;
  size: number;
  type: number;
  direction: number;
  sg_call_ents: number;
  paddr: number;
}

// ---------------------------------------------------------------------------------------------
// The per-host state
// ---------------------------------------------------------------------------------------------

/**
 * dma_debug - one host's dma-debug: the entry hash, the active-cacheline set, the error counters
 * and the debugfs knobs.
 *
 * Kernel: kernel/dma/debug.c (its file-scope state) and /sys/kernel/debug/dma-api/
 * Divergence: per host instead of global; `errors`, `warnings`, `strict` and the per-device
 * interval index are rdmaemu's. `driver_filter` compares driver names (the kernel caches the
 * first matching `struct device_driver *`; with one driver object per name that is the same).
 * @example
 * ```ts
 * const log = new Dmesg();
 * const debug = new dma_debug(log, { strict: false });
 * const dev = new device({ name: 'h', mem, log, debug }, { name: 'dev0', driver: 'drv' });
 * debug_dma_unmap_phys(dev, 0x1000, 64, DMA_TO_DEVICE);
 * debug.error_count; // 1 ("device driver tries to free DMA memory it has not allocated ...")
 * ```
 */
export class dma_debug {
  readonly log: Dmesg;
  /** debugfs `disabled` (global_disable): every hook returns at once. */
  disabled: boolean;
  /** debugfs `error_count`: every error, printed or not. */
  error_count = 0;
  /** debugfs `all_errors` (show_all_errors). */
  all_errors: boolean;
  /** debugfs `num_errors` (show_num_errors): the remaining print quota; each error decrements it. */
  num_errors: number;
  /** debugfs `num_free_entries` */
  num_free_entries: number;
  /** debugfs `min_free_entries` */
  min_free_entries: number;
  /** debugfs `nr_total_entries` */
  nr_total_entries: number;
  /** Kernel: nr_prealloc_entries (`dma_debug_entries=`). */
  readonly nr_prealloc_entries: number;
  /** Emulator-only: pool growth limit (DmaDebugInit.max_entries). */
  max_entries: number;
  /** Emulator-only: errors that pass the driver filter throw KernelBug at the end of the hook. */
  strict: boolean;
  /** Emulator-only: the last DMA_DEBUG_ERRORS_MAX errors, oldest first. */
  readonly errors: DmaDebugError[] = [];
  /** Emulator-only: WARN_ONCE / pr_err lines that are not err_printk errors (overlap overflow, out of memory). */
  readonly warnings: string[] = [];

  private current_driver_name = '';
  /** Kernel: dma_entry_hash[] (buckets created on first use). */
  private readonly dma_entry_hash: (dma_debug_entry[] | undefined)[] = new Array(HASH_SIZE);
  /** Kernel: the dma_active_cacheline radix tree: cacheline → overlap count (0 = one mapping). */
  private readonly dma_active_cacheline = new Map<number, number>();
  private overlapWarned = false;
  private readonly byDev = new Map<device, DevIndex>();
  private live = 0;
  private pendingBugs: string[] | null = null;

  constructor(log: Dmesg, init: DmaDebugInit = {}) {
    this.log = log;
    this.all_errors = init.all_errors ?? false;
    this.num_errors = init.num_errors ?? 1;
    this.strict = init.strict ?? isStrict();
    this.nr_prealloc_entries = init.nr_entries ?? PREALLOC_DMA_DEBUG_ENTRIES;
    this.max_entries = init.max_entries ?? Infinity;
    this.disabled = init.disabled ?? false;
    // dma_debug_init(): the pool is allocated a page of entries at a time.
    const pages = Math.ceil(this.nr_prealloc_entries / DMA_DEBUG_DYNAMIC_ENTRIES);
    this.nr_total_entries = pages * DMA_DEBUG_DYNAMIC_ENTRIES;
    this.num_free_entries = this.nr_total_entries;
    this.min_free_entries = this.num_free_entries;
    if (init.driver_filter) {
      this.current_driver_name = init.driver_filter.slice(0, NAME_MAX_LEN - 1);
      this.pr(KERN_INFO, `enable driver filter for driver [${this.current_driver_name}]`);
    }
    if (this.disabled) {
      this.pr(KERN_INFO, 'debugging disabled on kernel command line');
    } else {
      this.pr(KERN_INFO, `preallocated ${this.nr_total_entries} debug entries`);
      this.pr(KERN_INFO, 'debugging enabled by kernel config');
    }
  }

  /**
   * driver_filter - debugfs `driver_filter`: the driver whose errors print ('' = all).
   *
   * Kernel: kernel/dma/debug.c filter_write() - only the first whitespace-delimited token counts;
   * a value not starting with a letter or digit switches the filter off.
   */
  get driver_filter(): string {
    return this.current_driver_name;
  }

  set driver_filter(value: string) {
    if (!/^[A-Za-z0-9]/.test(value)) {
      if (this.current_driver_name) this.pr(KERN_INFO, 'switching off dma-debug driver filter');
      this.current_driver_name = '';
      return;
    }
    this.current_driver_name = value.slice(0, NAME_MAX_LEN - 1).split(/\s/)[0]!;
    this.pr(KERN_INFO, `enable driver filter for driver [${this.current_driver_name}]`);
  }

  /** Live debug entries (not counting dma_iova_link ranges). */
  get live_entries(): number {
    return this.live;
  }

  /** Kernel: pr_*() with pr_fmt "DMA-API: ". */
  private pr(level: number, text: string): void {
    printk(this.log, level, `DMA-API: ${text}`);
  }

  /** Kernel: driver_filter(dev) */
  private driver_filter_ok(dev: device | null): boolean {
    if (!this.current_driver_name) return true;
    if (dev === null || !dev.driver) return false;
    return dev.driver.slice(0, NAME_MAX_LEN - 1) === this.current_driver_name;
  }

  /**
   * err_printk - count an error, print it if the filter and the quota allow, queue the strict throw.
   *
   * Kernel: kernel/dma/debug.c err_printk()
   * @internal
   */
  err_printk(dev: device | null, message: string, throwInStrict = true): void {
    this.error_count += 1;
    const text = `DMA-API: ${dev ? dev_driver_string(dev) : 'NULL'} ${dev ? dev_name(dev) : 'NULL'}: ${message}`;
    const pass = this.driver_filter_ok(dev);
    const printed = pass && (this.all_errors || this.num_errors > 0);
    if (printed) for (const line of text.split('\n')) printk(this.log, KERN_WARNING, line);
    if (!this.all_errors && this.num_errors > 0) this.num_errors -= 1;
    if (this.errors.length >= DMA_DEBUG_ERRORS_MAX) this.errors.shift();
    this.errors.push({ dev, message, text, printed });
    if (pass && this.strict && throwInStrict) (this.pendingBugs ??= []).push(text);
  }

  /** A WARN_ONCE (isWarn: thrown in strict mode) or pr_err line: logged and kept in `warnings`. */
  private warn(level: number, message: string, isWarn: boolean): void {
    const text = `DMA-API: ${message}`;
    printk(this.log, level, text);
    this.warnings.push(text);
    if (isWarn && this.strict) (this.pendingBugs ??= []).push(text);
  }

  /**
   * End of a hook: throw the errors it raised in strict mode.
   * @internal
   * @throws KernelBug naming every error of the hook
   */
  flushBugs(): void {
    const bugs = this.pendingBugs;
    if (bugs === null) return;
    this.pendingBugs = null;
    throw new KernelBug(bugs.join('\n'));
  }

  // ---- entry pool ---------------------------------------------------------------------------

  /**
   * Kernel: dma_entry_alloc() - take an entry from the pool, growing it a page at a time.
   * @returns false when the pool cannot grow: dma-debug disables itself
   * @internal
   */
  dma_entry_alloc(): boolean {
    if (this.num_free_entries === 0) {
      if (this.nr_total_entries + DMA_DEBUG_DYNAMIC_ENTRIES > this.max_entries) {
        this.disabled = true;
        this.warn(KERN_ERR, 'debugging out of memory - disabling', false);
        return false;
      }
      this.num_free_entries += DMA_DEBUG_DYNAMIC_ENTRIES;
      this.nr_total_entries += DMA_DEBUG_DYNAMIC_ENTRIES;
      const nr = this.nr_total_entries;
      // __dma_entry_alloc_check_leak()
      if (this.nr_prealloc_entries > 0 && nr % this.nr_prealloc_entries < DMA_DEBUG_DYNAMIC_ENTRIES) {
        this.pr(KERN_INFO, `dma_debug_entry pool grown to ${nr} (${Math.floor(nr / this.nr_prealloc_entries)}00%)`);
      }
    }
    this.num_free_entries -= 1;
    if (this.num_free_entries < this.min_free_entries) this.min_free_entries = this.num_free_entries;
    return true;
  }

  /** @internal the entries of the bucket `dma_addr` hashes to */
  bucketOf(dma_addr: dma_addr_t): readonly dma_debug_entry[] {
    return this.dma_entry_hash[hash_fn(dma_addr)] ?? [];
  }

  private devIndex(dev: device): DevIndex {
    let idx = this.byDev.get(dev);
    if (idx === undefined) {
      idx = new DevIndex();
      this.byDev.set(dev, idx);
    }
    return idx;
  }

  // ---- active cacheline tracking ------------------------------------------------------------

  /** Kernel: active_cacheline_insert() - returns 0 or -EEXIST (−17). */
  private active_cacheline_insert(entry: dma_debug_entry): number {
    if (entry.direction === DMA_TO_DEVICE) return 0;
    const cln = to_cacheline_number(entry.paddr);
    const overlap = this.dma_active_cacheline.get(cln);
    if (overlap === undefined) {
      this.dma_active_cacheline.set(cln, 0);
      return 0;
    }
    // active_cacheline_inc_overlap(): the count saturates at the tag capacity.
    const next = overlap + 1;
    if (next > ACTIVE_CACHELINE_MAX_OVERLAP) {
      if (!this.overlapWarned) {
        this.overlapWarned = true;
        this.warn(KERN_WARNING, `exceeded ${ACTIVE_CACHELINE_MAX_OVERLAP} overlapping mappings of cacheline ${fmt_pad(cln)}`, true);
      }
    } else {
      this.dma_active_cacheline.set(cln, next);
    }
    return -17;
  }

  /** Kernel: active_cacheline_remove() */
  private active_cacheline_remove(entry: dma_debug_entry): void {
    if (entry.direction === DMA_TO_DEVICE) return;
    const cln = to_cacheline_number(entry.paddr);
    const overlap = (this.dma_active_cacheline.get(cln) ?? 0) - 1;
    if (overlap < 0) this.dma_active_cacheline.delete(cln);
    else this.dma_active_cacheline.set(cln, overlap);
  }

  // ---- hash ---------------------------------------------------------------------------------

  /**
   * Kernel: add_dma_entry() - hash the entry, track its cacheline, report an overlap.
   * Divergence: the x86 answers for the overlap exemptions: dma_get_cache_alignment() ≥
   * L1_CACHE_BYTES and no CONFIG_DMA_BOUNCE_UNALIGNED_KMALLOC.
   * @internal
   */
  add_dma_entry(entry: dma_debug_entry): void {
    const idx = hash_fn(entry.dev_addr);
    let bucket = this.dma_entry_hash[idx];
    if (bucket === undefined) {
      bucket = [];
      this.dma_entry_hash[idx] = bucket;
    }
    bucket.push(entry);
    this.live++;
    this.devIndex(entry.dev).insert(entry);
    const rc = this.active_cacheline_insert(entry);
    if (rc === -17 && (entry.attrs & DMA_ATTR_SKIP_CPU_SYNC) === 0) {
      this.err_printk(entry.dev, "cacheline tracking EEXIST, overlapping mappings aren't supported");
    }
  }

  /** Kernel: hash_bucket_del() + dma_entry_free() */
  private del_dma_entry(entry: dma_debug_entry): void {
    const bucket = this.dma_entry_hash[hash_fn(entry.dev_addr)]!;
    bucket.splice(bucket.indexOf(entry), 1);
    this.live--;
    this.byDev.get(entry.dev)?.remove(entry);
    this.active_cacheline_remove(entry);
    this.num_free_entries += 1;
  }

  /**
   * Kernel: __hash_bucket_find() - best fit among the bucket's matches.
   * @param contain false: exact_match (same dev and dev_addr); true: containing_match
   */
  private hash_bucket_find(idx: number, ref: dma_debug_ref, contain: boolean): dma_debug_entry | null {
    const bucket = this.dma_entry_hash[idx];
    if (bucket === undefined) return null;
    let ret: dma_debug_entry | null = null;
    let matches = 0;
    let last_lvl = -1;
    for (const entry of bucket) {
      if (entry.dev !== ref.dev) continue;
      if (contain) {
        if (!(entry.dev_addr <= ref.dev_addr && entry.dev_addr + entry.size >= ref.dev_addr + ref.size)) continue;
      } else if (entry.dev_addr !== ref.dev_addr) {
        continue;
      }
      matches += 1;
      let match_lvl = 0;
      if (entry.size === ref.size) ++match_lvl;
      if (entry.type === ref.type) ++match_lvl;
      if (entry.direction === ref.direction) ++match_lvl;
      if (entry.sg_call_ents === ref.sg_call_ents) ++match_lvl;
      if (match_lvl === 4) return entry;
      if (match_lvl > last_lvl) {
        last_lvl = match_lvl;
        ret = entry;
      }
    }
    return matches === 1 ? ret : null;
  }

  /** Kernel: bucket_find_exact() */
  private bucket_find_exact(ref: dma_debug_ref): dma_debug_entry | null {
    return this.hash_bucket_find(hash_fn(ref.dev_addr), ref, false);
  }

  /**
   * Kernel: bucket_find_contain() - walk back one bucket (8 KiB) at a time, at most
   * min(HASH_SIZE, (dev_addr >> HASH_FN_SHIFT) + 1) buckets.
   */
  private bucket_find_contain(ref: dma_debug_ref): dma_debug_entry | null {
    const start = hash_fn(ref.dev_addr);
    const limit = Math.min(HASH_SIZE, Math.floor(ref.dev_addr / 2 ** HASH_FN_SHIFT) + 1);
    for (let i = 0; i < limit; i++) {
      const entry = this.hash_bucket_find((start - i + HASH_SIZE) % HASH_SIZE, ref, true);
      if (entry) return entry;
    }
    return null;
  }

  // ---- checks -------------------------------------------------------------------------------

  /**
   * Kernel: check_unmap() - find the entry, report every mismatch, free it.
   * Divergence: the entry-count check also covers bio-vec entries (RFC 3/9 left it sg-only); the
   * newest kernels' "different attributes" check is not done (unmap hooks take no attrs).
   * @internal
   */
  check_unmap(ref: dma_debug_ref): void {
    const entry = this.bucket_find_exact(ref);
    if (entry === null) {
      if (ref.dev_addr === DMA_MAPPING_ERROR) {
        this.err_printk(ref.dev, 'device driver tries to free an invalid DMA memory address');
      } else {
        this.err_printk(ref.dev, 'device driver tries to free DMA memory it has not allocated ' +
          `[device address=${fmt_pad(ref.dev_addr)}] [size=${ref.size} bytes]`);
      }
      return;
    }
    if (ref.size !== entry.size) {
      this.err_printk(ref.dev, 'device driver frees DMA memory with different size ' +
        `[device address=${fmt_pad(ref.dev_addr)}] [map size=${entry.size} bytes] [unmap size=${ref.size} bytes]`);
    }
    if (ref.type !== entry.type) {
      this.err_printk(ref.dev, 'device driver frees DMA memory with wrong function ' +
        `[device address=${fmt_pad(ref.dev_addr)}] [size=${ref.size} bytes] ` +
        `[mapped as ${type2name[entry.type]}] [unmapped as ${type2name[ref.type]}]`);
    } else if ((entry.type === dma_debug_coherent || entry.type === dma_debug_noncoherent) && ref.paddr !== entry.paddr) {
      // The kernel's format is "0x%pa", and %pa already prints "0x": the output has "0x0x".
      this.err_printk(ref.dev, 'device driver frees DMA memory with different CPU address ' +
        `[device address=${fmt_pad(ref.dev_addr)}] [size=${ref.size} bytes] ` +
        `[cpu alloc address=0x${fmt_pad(entry.paddr)}] [cpu free address=0x${fmt_pad(ref.paddr)}]`);
    }
    if (ref.sg_call_ents && (ref.type === dma_debug_sg || ref.type === dma_debug_bv) && ref.sg_call_ents !== entry.sg_call_ents) {
      this.err_printk(ref.dev, 'device driver frees DMA sg list with different entry count ' +
        `[map count=${entry.sg_call_ents}] [unmap count=${ref.sg_call_ents}]`);
    }
    if (ref.direction !== entry.direction) {
      this.err_printk(ref.dev, 'device driver frees DMA memory with different direction ' +
        `[device address=${fmt_pad(ref.dev_addr)}] [size=${ref.size} bytes] ` +
        `[mapped with ${dir2name[entry.direction]}] [unmapped with ${dir2name[ref.direction]}]`);
    }
    if (entry.map_err_type === MAP_ERR_NOT_CHECKED) {
      // The kernel's string has no space before the first bracket.
      this.err_printk(ref.dev, 'device driver failed to check map error' +
        `[device address=${fmt_pad(ref.dev_addr)}] [size=${ref.size} bytes] [mapped as ${type2name[entry.type]}]`);
    }
    this.del_dma_entry(entry);
  }

  /**
   * Kernel: check_sync() - the synced range must lie in one entry, in a compatible direction.
   * Note: the kernel's "syncs DMA memory outside allocated range" (ref size > entry size) cannot
   * fire after a containing match; a sync reaching past its mapping reports "tries to sync DMA
   * memory it has not allocated", here as there.
   * @internal
   */
  check_sync(dev: device, ref: dma_debug_ref, to_cpu: boolean): void {
    const entry = this.bucket_find_contain(ref);
    if (entry === null) {
      this.err_printk(dev, 'device driver tries to sync DMA memory it has not allocated ' +
        `[device address=${fmt_pad(ref.dev_addr)}] [size=${ref.size} bytes]`);
      return;
    }
    if (ref.size > entry.size) {
      this.err_printk(dev, 'device driver syncs DMA memory outside allocated range ' +
        `[device address=${fmt_pad(entry.dev_addr)}] [allocation size=${entry.size} bytes] [sync offset+size=${ref.size}]`);
    }
    if (entry.direction === DMA_BIDIRECTIONAL) return;
    const detail = `[device address=${fmt_pad(ref.dev_addr)}] [size=${entry.size} bytes] ` +
      `[mapped with ${dir2name[entry.direction]}] [synced with ${dir2name[ref.direction]}]`;
    if (ref.direction !== entry.direction) {
      this.err_printk(dev, `device driver syncs DMA memory with different direction ${detail}`);
    }
    if (to_cpu && entry.direction !== DMA_FROM_DEVICE && ref.direction !== DMA_TO_DEVICE) {
      this.err_printk(dev, `device driver syncs device read-only DMA memory for cpu ${detail}`);
    }
    if (!to_cpu && entry.direction !== DMA_TO_DEVICE && ref.direction !== DMA_FROM_DEVICE) {
      this.err_printk(dev, `device driver syncs device write-only DMA memory to device ${detail}`);
    }
    if (ref.sg_call_ents && (ref.type === dma_debug_sg || ref.type === dma_debug_bv) && ref.sg_call_ents !== entry.sg_call_ents) {
      this.err_printk(ref.dev, 'device driver syncs DMA sg list with different entry count ' +
        `[map count=${entry.sg_call_ents}] [sync count=${ref.sg_call_ents}]`);
    }
  }

  /**
   * Kernel: check_for_stack() - the page holding `phys` is a task stack (CONFIG_VMAP_STACK form).
   * @internal
   */
  check_for_stack(dev: device, mem: PhysicalMemory, phys: phys_addr_t): void {
    const pfn = PFN_DOWN(phys);
    if (pfn < mem.start_pfn || pfn >= mem.end_pfn) return;
    if ((mem.page_flags[pfn - mem.start_pfn]! & PG_stack) !== 0) {
      this.err_printk(dev, `device driver maps memory from stack [probable addr=${fmt_p(phys)}]`);
    }
  }

  /**
   * Kernel: check_for_illegal_area() - [phys, phys+len) intersects kernel text or rodata
   * (PageReserved pages here).
   * @internal
   */
  check_for_illegal_area(dev: device, mem: PhysicalMemory, phys: phys_addr_t, len: number): void {
    const first = Math.max(PFN_DOWN(phys), mem.start_pfn);
    const last = Math.min(PFN_DOWN(phys + Math.max(len, 1) - 1), mem.end_pfn - 1);
    for (let pfn = first; pfn <= last; pfn++) {
      if ((mem.page_flags[pfn - mem.start_pfn]! & PG_reserved) !== 0) {
        this.err_printk(dev, `device driver maps memory from kernel text or rodata [addr=${fmt_p(phys)}] [len=${len}]`);
        return;
      }
    }
  }

  /**
   * Kernel: get_nr_mapped_entries() - sg_mapped_ents of the entry matching the list's first element.
   * @internal
   */
  get_nr_mapped_entries(ref: dma_debug_ref): number {
    const entry = this.bucket_find_exact(ref);
    return entry ? entry.sg_mapped_ents : 0;
  }

  // ---- device side (emulator-only) ----------------------------------------------------------

  /**
   * Device-side access check; see debug_dma_device_access().
   * @internal
   */
  device_access(dev: device, dma_addr: dma_addr_t, len: number, write: boolean): boolean {
    if (len <= 0) return true;
    const idx = this.byDev.get(dev);
    const end = dma_addr + len;
    if (idx !== undefined) {
      const last = idx.last;
      if (last !== null && last.dev_addr <= dma_addr && last.dev_addr + last.size >= end && access_ok(last.direction, write)) {
        return true;
      }
      const a = idx.ranges;
      // Last range starting at or below dma_addr.
      let lo = 0;
      let hi = a.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (a[mid]!.dev_addr <= dma_addr) lo = mid + 1;
        else hi = mid;
      }
      // Sweep the ranges that can overlap [dma_addr, end) in address order: the access is allowed
      // when live ranges of a compatible direction cover every byte (one mapping, or adjacent
      // ones such as the dma_iova_link() pieces of one IOVA range).
      let i = lo - 1;
      while (i > 0 && a[i - 1]!.dev_addr >= dma_addr - idx.maxLen) i--;
      if (i < 0) i = 0;
      let pos = dma_addr;
      let wrongDir: DmaRange | null = null;
      for (; i < a.length && pos < end; i++) {
        const r = a[i]!;
        if (r.dev_addr > pos) break;
        const rEnd = r.dev_addr + r.size;
        if (rEnd <= pos) continue;
        if (access_ok(r.direction, write)) pos = rEnd;
        else wrongDir ??= r;
      }
      if (pos >= end) {
        if (a[lo - 1] !== undefined && a[lo - 1]!.dev_addr <= dma_addr && a[lo - 1]!.dev_addr + a[lo - 1]!.size >= end) idx.last = a[lo - 1]!;
        return true;
      }
      if (wrongDir !== null) {
        this.err_printk(dev, `device ${write ? 'wrote' : 'read'} DMA memory mapped ${dir2name[wrongDir.direction]} ` +
          `[device address=${fmt_pad(dma_addr)}] [size=${len} bytes]`, false);
        return false;
      }
    }
    this.err_printk(dev, 'device accessed DMA memory outside any mapping ' +
      `[device address=${fmt_pad(dma_addr)}] [size=${len} bytes]`, false);
    return false;
  }

  /** @internal see debug_dma_iova_link() */
  iova_link(dev: device, addr: dma_addr_t, size: number, dir: number): void {
    const r: DmaRange = { dev_addr: addr, size, direction: dir };
    const idx = this.devIndex(dev);
    idx.insert(r);
    idx.iova.push(r);
  }

  /** @internal see debug_dma_iova_unlink() */
  iova_unlink(dev: device, addr: dma_addr_t, size: number): void {
    const idx = this.byDev.get(dev);
    if (idx === undefined) return;
    const end = addr + size;
    const hit = idx.iova.filter((r) => r.dev_addr < end && r.dev_addr + r.size > addr);
    for (const r of hit) {
      idx.remove(r);
      idx.iova.splice(idx.iova.indexOf(r), 1);
      if (r.dev_addr < addr) this.iova_link(dev, r.dev_addr, addr - r.dev_addr, r.direction);
      if (r.dev_addr + r.size > end) this.iova_link(dev, end, r.dev_addr + r.size - end, r.direction);
    }
  }

  // ---- queries ------------------------------------------------------------------------------

  /**
   * liveMappings - live entries in hash order (bucket by bucket), optionally of one device.
   *
   * Emulator-only.
   */
  liveMappings(dev?: device): dma_debug_entry[] {
    const out: dma_debug_entry[] = [];
    if (this.live === 0) return out;
    for (let idx = 0; idx < HASH_SIZE; idx++) {
      const bucket = this.dma_entry_hash[idx];
      if (bucket === undefined) continue;
      for (const e of bucket) if (dev === undefined || e.dev === dev) out.push(e);
    }
    return out;
  }

  /** Emulator-only: live dma_iova_link() ranges, optionally of one device. */
  liveIovaLinks(dev?: device): { dev: device; addr: dma_addr_t; size: number; direction: number }[] {
    const out: { dev: device; addr: dma_addr_t; size: number; direction: number }[] = [];
    for (const [d, idx] of this.byDev) {
      if (dev !== undefined && d !== dev) continue;
      for (const r of idx.iova) out.push({ dev: d, addr: r.dev_addr, size: r.size, direction: r.direction });
    }
    return out;
  }

  /**
   * dump - the text of debugfs `dma-api/dump`: one line per live entry, bucket by bucket.
   *
   * Kernel: kernel/dma/debug.c dump_show() (2025 format:
   * `%s %s %s idx %d P=%pa D=%llx L=%llx cln=%pa %s %s`)
   */
  dump(): string {
    let out = '';
    if (this.live === 0) return out;
    for (let idx = 0; idx < HASH_SIZE; idx++) {
      const bucket = this.dma_entry_hash[idx];
      if (bucket === undefined) continue;
      for (const e of bucket) {
        out += `${dev_driver_string(e.dev)} ${dev_name(e.dev)} ${type2name[e.type]} idx ${idx} ` +
          `P=${fmt_pad(e.paddr)} D=${fmt_llx(e.dev_addr)} L=${fmt_llx(e.size)} cln=${fmt_pad(to_cacheline_number(e.paddr))} ` +
          `${dir2name[e.direction]} ${maperr2str[e.map_err_type]}\n`;
      }
    }
    return out;
  }

  /**
   * assertClean - throw unless no error was reported and no mapping or iova link is live.
   *
   * Emulator-only (DESIGN.md `client.dma.debug.assertClean()`).
   * @throws Error listing the errors and the live mappings
   */
  assertClean(): void {
    assertDmaDebugClean(this);
  }
}

// ---------------------------------------------------------------------------------------------
// Shared sg / bvec implementation
// ---------------------------------------------------------------------------------------------

/** How the sg and bio_vec paths read one list element (one implementation serves both). */
interface SegOps<L, S> {
  readonly type: number;
  /** "sg segment" (debug.c check_sg_segment) or "bv entry" (RFC 3/9 check_bv_segment). */
  readonly noun: string;
  /** Element i, given element i − 1 (null for i = 0); null past the end. */
  at(list: L, prev: S | null, i: number): S | null;
  phys(s: S): phys_addr_t;
  length(s: S): number;
  dma_address(s: S): dma_addr_t;
  dma_len(s: S): number;
}

function sg_first(sgl: sgl_ref): scatterlist | null {
  if (!Array.isArray(sgl)) return sgl as scatterlist;
  const arr = sgl as readonly scatterlist[];
  const s = arr[0];
  if (s === undefined) return null;
  return sg_is_chain(s) ? sg_chain_ptr(s) : s;
}

const SG_OPS: SegOps<sgl_ref, scatterlist> = {
  type: dma_debug_sg,
  noun: 'sg segment',
  at: (list, prev, i) => (i === 0 ? sg_first(list) : prev === null ? null : sg_next(prev)),
  phys: sg_phys,
  length: (s) => s.length,
  dma_address: sg_dma_address,
  dma_len: sg_dma_len,
};

const BV_OPS: SegOps<readonly bio_vec[], bio_vec> = {
  type: dma_debug_bv,
  noun: 'bv entry',
  at: (list, _prev, i) => list[i] ?? null,
  phys: bvec_phys,
  length: (bv) => bv.bv_len,
  dma_address: bv_dma_address,
  dma_len: bv_dma_len,
};

/**
 * Kernel: check_sg_segment() (CONFIG_DMA_API_DEBUG_SG) / RFC 3/9 check_bv_segment().
 */
function check_segment<S>(dbg: dma_debug, dev: device, ops: SegOps<unknown, S>, s: S): void {
  const max_seg = dma_get_max_seg_size(dev);
  const boundary = dma_get_seg_boundary(dev);
  const len = ops.length(s);
  if (len > max_seg) {
    dbg.err_printk(dev, `mapping ${ops.noun} longer than device claims to support [len=${len}] [max=${max_seg}]`);
  }
  if (boundary >= ADDR_MAX) return; // no boundary: (start ^ end) & ~ULONG_MAX is 0
  const start = ops.dma_address(s);
  const end = start + ops.dma_len(s) - 1;
  const b = boundary + 1;
  if (Math.floor(start / b) !== Math.floor(end / b)) {
    dbg.err_printk(dev, `mapping ${ops.noun} across boundary [start=${fmt_pad(start)}] [end=${fmt_pad(end)}] [boundary=${fmt_pad(boundary)}]`);
  }
}

/** Kernel: debug_dma_map_sg() / RFC debug_dma_map_bvecs() */
function map_segs<L, S>(dev: device, ops: SegOps<L, S>, list: L, nents: number, mapped_ents: number, dir: number, attrs: number): void {
  const dbg = dev.host.debug;
  if (dbg === null || dbg.disabled) return;
  const mem = dev.mem;
  let s: S | null = null;
  for (let i = 0; i < nents; i++) {
    s = ops.at(list, s, i);
    if (s === null) break;
    const phys = ops.phys(s);
    dbg.check_for_stack(dev, mem, phys);
    dbg.check_for_illegal_area(dev, mem, phys, ops.length(s));
  }
  s = null;
  for (let i = 0; i < mapped_ents; i++) {
    s = ops.at(list, s, i);
    if (s === null) break;
    if (!dbg.dma_entry_alloc()) break;
    const entry = new dma_debug_entry(dev, ops.type, ops.dma_address(s), ops.dma_len(s), dir, ops.phys(s));
    entry.sg_call_ents = nents;
    entry.sg_mapped_ents = mapped_ents;
    entry.attrs = attrs;
    check_segment(dbg, dev, ops as SegOps<unknown, S>, s);
    dbg.add_dma_entry(entry);
  }
  dbg.flushBugs();
}

function seg_ref<L, S>(dev: device, ops: SegOps<L, S>, s: S, dir: number, nelems: number): dma_debug_ref {
  return { dev, type: ops.type, paddr: ops.phys(s), dev_addr: ops.dma_address(s), size: ops.dma_len(s), direction: dir, sg_call_ents: nelems };
}

/** Kernel: debug_dma_unmap_sg() / RFC debug_dma_unmap_bvecs() */
function unmap_segs<L, S>(dev: device, ops: SegOps<L, S>, list: L, nelems: number, dir: number): void {
  const dbg = dev.host.debug;
  if (dbg === null || dbg.disabled) return;
  let mapped_ents = 0;
  let s: S | null = null;
  for (let i = 0; i < nelems; i++) {
    s = ops.at(list, s, i);
    if (s === null) break;
    const ref = seg_ref(dev, ops, s, dir, nelems);
    if (mapped_ents && i >= mapped_ents) break;
    if (i === 0) mapped_ents = dbg.get_nr_mapped_entries(ref);
    dbg.check_unmap(ref);
  }
  dbg.flushBugs();
}

/** Kernel: debug_dma_sync_sg_for_{cpu,device}() / RFC debug_dma_sync_bvecs_for_{cpu,device}() */
function sync_segs<L, S>(dev: device, ops: SegOps<L, S>, list: L, nelems: number, dir: number, to_cpu: boolean): void {
  const dbg = dev.host.debug;
  if (dbg === null || dbg.disabled) return;
  let mapped_ents = 0;
  let s: S | null = null;
  for (let i = 0; i < nelems; i++) {
    s = ops.at(list, s, i);
    if (s === null) break;
    const ref = seg_ref(dev, ops, s, dir, nelems);
    if (i === 0) mapped_ents = dbg.get_nr_mapped_entries(ref);
    if (i >= mapped_ents) break;
    dbg.check_sync(dev, ref, to_cpu);
  }
  dbg.flushBugs();
}

// ---------------------------------------------------------------------------------------------
// Hooks (kernel/dma/debug.h). Each reads dev.host.debug and returns at once when it is null or
// disabled. In strict mode each may throw KernelBug after its bookkeeping (see dma_debug).
// ---------------------------------------------------------------------------------------------

/**
 * debug_dma_map_phys - record a streaming mapping made by dma_map_phys().
 *
 * Records a `dma_debug_phy` entry marked MAP_ERR_NOT_CHECKED (dma_mapping_error() must be called
 * before the unmap). A DMA_MAPPING_ERROR address is ignored: the kernel calls the hook after a
 * failed map too, and the hook returns without recording. For RAM it checks the page for a task
 * stack and the range for kernel text/rodata; with DMA_ATTR_MMIO it reports RAM mapped as a
 * resource. Then it hashes the entry and tracks its first cacheline (not for DMA_TO_DEVICE).
 *
 * Kernel: kernel/dma/debug.c debug_dma_map_phys() (2025; before it debug_dma_map_page())
 * Divergence: dma_map_page_attrs() and dma_map_single_attrs() go through dma_map_phys(), so
 * their entries are "phy" as in the 2025 kernel (older kernels said "single").
 * @throws KernelBug in strict mode if a check failed ("device driver maps memory from stack",
 *   "... from kernel text or rodata", "dma_map_resource called for RAM address",
 *   "cacheline tracking EEXIST, overlapping mappings aren't supported",
 *   "exceeded 7 overlapping mappings of cacheline"); the entry is recorded first
 * @example
 * ```ts
 * const dma = dma_map_phys(dev, phys, 4096, DMA_FROM_DEVICE, 0); // calls debug_dma_map_phys
 * if (dma_mapping_error(dev, dma)) return -ENOMEM;                 // marks the entry checked
 * ```
 */
export function debug_dma_map_phys(dev: device, phys: phys_addr_t, size: number, dir: number, dma_addr: dma_addr_t, attrs = 0): void {
  const dbg = dev.host.debug;
  if (dbg === null || dbg.disabled) return;
  if (dma_addr === DMA_MAPPING_ERROR) return;
  if (!dbg.dma_entry_alloc()) return dbg.flushBugs();
  const entry = new dma_debug_entry(dev, dma_debug_phy, dma_addr, size, dir, phys);
  entry.map_err_type = MAP_ERR_NOT_CHECKED;
  entry.attrs = attrs;
  const mem = dev.mem;
  if (attrs & DMA_ATTR_MMIO) {
    const pfn = PFN_DOWN(phys);
    if (pfn >= mem.start_pfn && pfn < mem.end_pfn && (mem.page_flags[pfn - mem.start_pfn]! & PG_reserved) === 0) {
      dbg.err_printk(dev, `dma_map_resource called for RAM address ${fmt_pad(phys)}`);
    }
  } else {
    dbg.check_for_stack(dev, mem, phys);
    dbg.check_for_illegal_area(dev, mem, phys, size);
  }
  dbg.add_dma_entry(entry);
  dbg.flushBugs();
}

/**
 * debug_dma_unmap_phys - check and forget a mapping at dma_unmap_phys() time.
 *
 * Kernel: kernel/dma/debug.c debug_dma_unmap_phys() → check_unmap()
 * @throws KernelBug in strict mode for each unmap error (§4.6 items 1–4, 7, 8); the entry is freed first
 */
export function debug_dma_unmap_phys(dev: device, dma_addr: dma_addr_t, size: number, dir: number): void {
  const dbg = dev.host.debug;
  if (dbg === null || dbg.disabled) return;
  dbg.check_unmap({ dev, type: dma_debug_phy, dev_addr: dma_addr, size, direction: dir, sg_call_ents: 0, paddr: 0 });
  dbg.flushBugs();
}

/**
 * debug_dma_map_single - check the buffer dma_map_single() is given.
 *
 * Only the address check is here ("maps memory from invalid area"); the stack and text checks
 * run in debug_dma_map_phys(), which dma_map_single_attrs() reaches through dma_map_phys().
 *
 * Kernel: kernel/dma/debug.c debug_dma_map_single()
 * Divergence: `addr` is a view; "invalid" means not a view of this host's RAM (virt_addr_valid).
 * There is no vmalloc area, so "maps memory from vmalloc area" cannot occur.
 * @throws KernelBug in strict mode for an invalid area
 */
export function debug_dma_map_single(dev: device, addr: Uint8Array, len: number): void {
  const dbg = dev.host.debug;
  if (dbg === null || dbg.disabled) return;
  if (!virt_addr_valid(dev.mem, addr)) {
    dbg.err_printk(dev, `device driver maps memory from invalid area [addr=${fmt_p(addr.byteOffset)}] [len=${len}]`);
  }
  dbg.flushBugs();
}

/**
 * debug_dma_mapping_error - the driver checked `dma_addr`: mark the first unchecked entry with
 * that device and address MAP_ERR_CHECKED.
 *
 * Kernel: kernel/dma/debug.c debug_dma_mapping_error()
 */
export function debug_dma_mapping_error(dev: device, dma_addr: dma_addr_t): void {
  const dbg = dev.host.debug;
  if (dbg === null || dbg.disabled) return;
  for (const e of dbg.bucketOf(dma_addr)) {
    if (e.dev !== dev || e.dev_addr !== dma_addr) continue;
    if (e.map_err_type === MAP_ERR_NOT_CHECKED) {
      e.map_err_type = MAP_ERR_CHECKED;
      break;
    }
  }
}

/**
 * debug_dma_map_sg - record a dma_map_sg() result: checks on all `nents` inputs, one entry per
 * `mapped_ents` output.
 *
 * Kernel: kernel/dma/debug.c debug_dma_map_sg(), check_sg_segment() (CONFIG_DMA_API_DEBUG_SG on)
 * @throws KernelBug in strict mode for stack / text / segment-length / boundary / overlap errors
 */
export function debug_dma_map_sg(dev: device, sgl: sgl_ref, nents: number, mapped_ents: number, dir: number, attrs = 0): void {
  map_segs(dev, SG_OPS, sgl, nents, mapped_ents, dir, attrs);
}

/**
 * debug_dma_unmap_sg - check and forget the entries of an sg list (only as many as were mapped,
 * learnt from the first element's entry).
 *
 * Kernel: kernel/dma/debug.c debug_dma_unmap_sg()
 * @throws KernelBug in strict mode for each unmap error (items 1–4, 6, 7)
 */
export function debug_dma_unmap_sg(dev: device, sgl: sgl_ref, nelems: number, dir: number): void {
  unmap_segs(dev, SG_OPS, sgl, nelems, dir);
}

/**
 * debug_dma_map_bvecs - record a dma_map_bvecs_attrs() result.
 *
 * Kernel: RFC 3/9 kernel/dma/debug.c debug_dma_map_bvecs(), check_bv_segment()
 * Divergence: entries are recorded for the `mapped_ents` outputs, as for sg (the RFC looped over
 * `nents`; the two differ only when dma-iommu merges).
 * @throws KernelBug in strict mode, as debug_dma_map_sg() ("mapping bv entry ..." texts)
 */
export function debug_dma_map_bvecs(dev: device, bvecs: readonly bio_vec[], nents: number, mapped_ents: number, dir: number, attrs = 0): void {
  map_segs(dev, BV_OPS, bvecs, nents, mapped_ents, dir, attrs);
}

/**
 * debug_dma_unmap_bvecs - check and forget a bio_vec array's entries.
 *
 * Kernel: RFC 3/9 debug_dma_unmap_bvecs()
 * @throws KernelBug in strict mode for each unmap error
 */
export function debug_dma_unmap_bvecs(dev: device, bvecs: readonly bio_vec[], nelems: number, dir: number): void {
  unmap_segs(dev, BV_OPS, bvecs, nelems, dir);
}

/**
 * debug_dma_sync_single_for_cpu - check a dma_sync_single_for_cpu() range.
 *
 * Kernel: kernel/dma/debug.c debug_dma_sync_single_for_cpu() → check_sync(to_cpu = true)
 * @throws KernelBug in strict mode for items 9–12
 */
export function debug_dma_sync_single_for_cpu(dev: device, dma_handle: dma_addr_t, size: number, dir: number): void {
  sync_single(dev, dma_handle, size, dir, true);
}

/**
 * debug_dma_sync_single_for_device - check a dma_sync_single_for_device() range.
 *
 * Kernel: kernel/dma/debug.c debug_dma_sync_single_for_device() → check_sync(to_cpu = false)
 * @throws KernelBug in strict mode for items 9–11, 13
 */
export function debug_dma_sync_single_for_device(dev: device, dma_handle: dma_addr_t, size: number, dir: number): void {
  sync_single(dev, dma_handle, size, dir, false);
}

function sync_single(dev: device, dma_handle: dma_addr_t, size: number, dir: number, to_cpu: boolean): void {
  const dbg = dev.host.debug;
  if (dbg === null || dbg.disabled) return;
  dbg.check_sync(dev, { dev, type: dma_debug_single, dev_addr: dma_handle, size, direction: dir, sg_call_ents: 0, paddr: 0 }, to_cpu);
  dbg.flushBugs();
}

/**
 * debug_dma_sync_sg_for_cpu - check each mapped element of a dma_sync_sg_for_cpu().
 *
 * Like the kernel, nothing is checked when the first element has no entry (mapped_ents is 0).
 * Kernel: kernel/dma/debug.c debug_dma_sync_sg_for_cpu()
 * @throws KernelBug in strict mode for items 9–12, 14
 */
export function debug_dma_sync_sg_for_cpu(dev: device, sg: sgl_ref, nelems: number, dir: number): void {
  sync_segs(dev, SG_OPS, sg, nelems, dir, true);
}

/**
 * debug_dma_sync_sg_for_device - check each mapped element of a dma_sync_sg_for_device().
 *
 * Kernel: kernel/dma/debug.c debug_dma_sync_sg_for_device()
 * @throws KernelBug in strict mode for items 9–11, 13, 14
 */
export function debug_dma_sync_sg_for_device(dev: device, sg: sgl_ref, nelems: number, dir: number): void {
  sync_segs(dev, SG_OPS, sg, nelems, dir, false);
}

/**
 * debug_dma_sync_bvecs_for_cpu - check each mapped element of a dma_sync_bvecs_for_cpu().
 *
 * Kernel: RFC 3/9 debug_dma_sync_bvecs_for_cpu()
 * @throws KernelBug in strict mode, as debug_dma_sync_sg_for_cpu()
 */
export function debug_dma_sync_bvecs_for_cpu(dev: device, bvecs: readonly bio_vec[], nelems: number, dir: number): void {
  sync_segs(dev, BV_OPS, bvecs, nelems, dir, true);
}

/**
 * debug_dma_sync_bvecs_for_device - check each mapped element of a dma_sync_bvecs_for_device().
 *
 * Kernel: RFC 3/9 debug_dma_sync_bvecs_for_device()
 * @throws KernelBug in strict mode, as debug_dma_sync_sg_for_device()
 */
export function debug_dma_sync_bvecs_for_device(dev: device, bvecs: readonly bio_vec[], nelems: number, dir: number): void {
  sync_segs(dev, BV_OPS, bvecs, nelems, dir, false);
}

/**
 * debug_dma_alloc_coherent - record a dma_alloc_coherent() buffer (BIDIRECTIONAL, no map-error check).
 *
 * Kernel: kernel/dma/debug.c debug_dma_alloc_coherent()
 * @throws KernelBug in strict mode for a cacheline overlap
 */
export function debug_dma_alloc_coherent(dev: device, size: number, dma_addr: dma_addr_t, virt: Uint8Array | null, attrs = 0): void {
  const dbg = dev.host.debug;
  if (dbg === null || dbg.disabled || virt === null) return;
  if (!virt_addr_valid(dev.mem, virt)) return;
  if (!dbg.dma_entry_alloc()) return dbg.flushBugs();
  const entry = new dma_debug_entry(dev, dma_debug_coherent, dma_addr, size, DMA_BIDIRECTIONAL, virt_to_phys(dev.mem, virt));
  entry.attrs = attrs;
  dbg.add_dma_entry(entry);
  dbg.flushBugs();
}

/**
 * debug_dma_free_coherent - check and forget a dma_free_coherent() buffer.
 *
 * Kernel: kernel/dma/debug.c debug_dma_free_coherent()
 * @throws KernelBug in strict mode for each unmap error, "with different CPU address" included
 */
export function debug_dma_free_coherent(dev: device, size: number, virt: Uint8Array, dma_addr: dma_addr_t): void {
  const dbg = dev.host.debug;
  if (!virt_addr_valid(dev.mem, virt)) return;
  const paddr = virt_to_phys(dev.mem, virt);
  if (dbg === null || dbg.disabled) return;
  dbg.check_unmap({ dev, type: dma_debug_coherent, dev_addr: dma_addr, size, direction: DMA_BIDIRECTIONAL, sg_call_ents: 0, paddr });
  dbg.flushBugs();
}

/**
 * debug_dma_alloc_pages - record a dma_alloc_pages() / dma_alloc_noncoherent() buffer.
 *
 * Kernel: kernel/dma/debug.c debug_dma_alloc_pages()
 * @throws KernelBug in strict mode for a cacheline overlap
 */
export function debug_dma_alloc_pages(dev: device, paddr: phys_addr_t, size: number, dir: number, dma_addr: dma_addr_t): void {
  const dbg = dev.host.debug;
  if (dbg === null || dbg.disabled) return;
  if (!dbg.dma_entry_alloc()) return dbg.flushBugs();
  dbg.add_dma_entry(new dma_debug_entry(dev, dma_debug_noncoherent, dma_addr, size, dir, paddr));
  dbg.flushBugs();
}

/**
 * debug_dma_free_pages - check and forget a dma_free_pages() buffer.
 *
 * Kernel: kernel/dma/debug.c debug_dma_free_pages()
 * Divergence: takes the physical address (`page_to_phys(page)`) rather than the page.
 * @throws KernelBug in strict mode for each unmap error
 */
export function debug_dma_free_pages(dev: device, paddr: phys_addr_t, size: number, dir: number, dma_addr: dma_addr_t): void {
  const dbg = dev.host.debug;
  if (dbg === null || dbg.disabled) return;
  dbg.check_unmap({ dev, type: dma_debug_noncoherent, dev_addr: dma_addr, size, direction: dir, sg_call_ents: 0, paddr });
  dbg.flushBugs();
}

/**
 * debug_dma_device_release - the driver was unbound: report entries it left behind.
 *
 * The report names the count and one of the entries (the last one in hash order).
 * Kernel: kernel/dma/debug.c dma_debug_device_change(BUS_NOTIFY_UNBOUND_DRIVER), device_dma_allocations()
 * Divergence: leaked entries stay live (as in the kernel) so assertClean() still lists them.
 * @throws KernelBug in strict mode when mappings are pending
 */
export function debug_dma_device_release(dev: device): void {
  const dbg = dev.host.debug;
  if (dbg === null || dbg.disabled) return;
  const mine = dbg.liveMappings(dev);
  if (mine.length === 0) return;
  const entry = mine[mine.length - 1]!;
  dbg.err_printk(dev, `device driver has pending DMA allocations while released from device [count=${mine.length}]\n` +
    `One of leaked entries details: [device address=${fmt_pad(entry.dev_addr)}] [size=${entry.size} bytes] ` +
    `[mapped with ${dir2name[entry.direction]}] [mapped as ${type2name[entry.type]}]`);
  dbg.flushBugs();
}

/**
 * debug_dma_device_access - may the device read (write = false) or write [dma_addr, dma_addr+len)?
 *
 * True when live mappings of `dev` (debug entries and debug_dma_iova_link() ranges) cover every
 * byte of the range — one mapping, or adjacent ones such as the links of one IOVA range — each
 * with a direction that allows the access: a device write needs
 * DMA_FROM_DEVICE or DMA_BIDIRECTIONAL, a device read DMA_TO_DEVICE or DMA_BIDIRECTIONAL.
 * Otherwise it records the error "device accessed DMA memory outside any mapping [device
 * address=%pad] [size=%zu bytes]" or "device wrote/read DMA memory mapped <dir> [...]" and
 * returns false. Cost: a last-hit check, then a binary search in the device's interval index and
 * a sweep over the ranges that can overlap the access.
 *
 * Emulator-only. Divergence: the kernel cannot see device accesses. The error is counted and
 * printed like any dma-debug error but never thrown, even in strict mode: the caller (the device
 * model) turns `false` into a DMA fault, which is what a test observes.
 * @returns true when the access is allowed, or dma-debug is off for the host
 * @example
 * ```ts
 * if (!debug_dma_device_access(dev, sge.addr, sge.length, true)) return IB_WC_LOC_PROT_ERR;
 * ```
 */
export function debug_dma_device_access(dev: device, dma_addr: dma_addr_t, len: number, write: boolean): boolean {
  const dbg = dev.host.debug;
  if (dbg === null || dbg.disabled) return true;
  return dbg.device_access(dev, dma_addr, len, write);
}

/**
 * debug_dma_iova_link - tell the access check about a dma_iova_link() range.
 *
 * Emulator-only: dma_iova_* mappings have no dma-debug entries in the kernel; this only feeds
 * debug_dma_device_access(), liveIovaLinks() and assertClean().
 */
export function debug_dma_iova_link(dev: device, addr: dma_addr_t, size: number, dir: number): void {
  const dbg = dev.host.debug;
  if (dbg === null || dbg.disabled) return;
  dbg.iova_link(dev, addr, size, dir);
}

/**
 * debug_dma_iova_unlink - forget [addr, addr+size) of a device's dma_iova_link() ranges (a
 * sub-range splits a range).
 *
 * Emulator-only (see debug_dma_iova_link).
 */
export function debug_dma_iova_unlink(dev: device, addr: dma_addr_t, size: number): void {
  const dbg = dev.host.debug;
  if (dbg === null) return;
  dbg.iova_unlink(dev, addr, size);
}

// ---------------------------------------------------------------------------------------------
// Queries (emulator-only)
// ---------------------------------------------------------------------------------------------

/** What dmaDebugReport() returns. */
export interface DmaDebugReport {
  error_count: number;
  errors: readonly DmaDebugError[];
  /** Number of live debug entries. */
  live_entries: number;
  /** The live entries, in hash order. */
  mappings: dma_debug_entry[];
  /** Live dma_iova_link() ranges. */
  iova_links: { dev: device; addr: dma_addr_t; size: number; direction: number }[];
}

/**
 * dmaDebugReport - error count, kept errors and live mappings of a host's dma-debug.
 *
 * Emulator-only.
 */
export function dmaDebugReport(debug: dma_debug): DmaDebugReport {
  const mappings = debug.liveMappings();
  return { error_count: debug.error_count, errors: debug.errors, live_entries: mappings.length, mappings, iova_links: debug.liveIovaLinks() };
}

/**
 * liveMappings - a host's live dma-debug entries, optionally of one device.
 *
 * Emulator-only.
 */
export function liveMappings(debug: dma_debug, dev?: device): dma_debug_entry[] {
  return debug.liveMappings(dev);
}

/**
 * assertDmaDebugClean - throw unless the host reported no dma-debug error and holds no live
 * mapping or iova link.
 *
 * Emulator-only.
 * @throws Error listing the errors (as printed) and the live mappings (as `dump` shows them)
 * @example
 * ```ts
 * afterEach(() => assertDmaDebugClean(host.debug!));
 * ```
 */
export function assertDmaDebugClean(debug: dma_debug): void {
  const links = debug.liveIovaLinks();
  if (debug.error_count === 0 && debug.live_entries === 0 && links.length === 0) return;
  const lines = [`dma-debug: ${debug.error_count} error(s), ${debug.live_entries} live mapping(s), ${links.length} iova link(s)`];
  for (const e of debug.errors) lines.push(`  ${e.text}`);
  if (debug.errors.length < debug.error_count) lines.push(`  (${debug.error_count - debug.errors.length} more not kept)`);
  for (const l of debug.dump().split('\n')) if (l) lines.push(`  live: ${l}`);
  for (const r of links) lines.push(`  iova: ${dev_name(r.dev)} ${fmt_pad(r.addr)} +${r.size} ${dir2name[r.direction]}`);
  throw new Error(lines.join('\n'));
}
