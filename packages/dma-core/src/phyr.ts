/**
 * phyr - a physical range `{ start, len }`: Matthew Wilcox's proposed input to DMA mapping.
 *
 * Kernel: none in mainline under this name. Proposed as `struct phyr { phys_addr_t start;
 *         size_t len; }` by Matthew Wilcox in reply to the Oct 2023 bio_vec RFC
 *         (`<ZTFRBxVFQIjtQEsP@casper.infradead.org>`, KERNEL.md §0.2). Mainline's nearest kin are
 *         `struct phys_vec { phys_addr_t paddr; u32 len; }` (block/blk-mq-dma.c) and the
 *         `phys_addr_t` + length arguments of `dma_map_phys()` and `dma_iova_link()`.
 *
 * Operation: the objection to the RFC was that a scatterlist (and the RFC's extended bio_vec) is
 * both input and output of mapping. In the phys-range design the *input* is a list of physical
 * ranges — no struct page, no DMA fields — and the *output* is separate: a DMA address per
 * range (dma_map_phys) or one IOVA range for the lot (dma_iova_try_alloc + dma_iova_link).
 * `phyrs_from_bvecs()` is how a bio_vec-based caller (SunRPC's xdr_buf, an RDMA rw context)
 * would feed such an API: it walks the bvecs with a bvec_iter and merges neighbours that are
 * physically contiguous, since a physical range need not stop at a bvec or page boundary.
 *
 * Invariants: `len > 0` for every range phyrs_from_bvecs() returns; adjacent returned ranges are
 * never contiguous (they would have been merged).
 */
import type { phys_addr_t } from '@rdmaemu/sim-core';
import { bio_vec, bvec_iter, bvec_phys, bvecIter, for_each_mp_bvec } from './bvec.js';

/**
 * phyr - one physical range: `len` bytes starting at physical address `start`.
 *
 * Kernel: Matthew Wilcox's proposed `struct phyr` (not in mainline; see the file header)
 */
export interface phyr {
  start: phys_addr_t;
  len: number;
}

/**
 * phyr - make a physical range.
 *
 * Emulator-only constructor for the proposal's struct.
 * @example
 * ```ts
 * const r = phyr(0x10_0000, 8192);
 * ```
 */
export function phyr(start: phys_addr_t, len: number): phyr {
  return { start, len };
}

/**
 * bvec_to_phyr - the physical range a bio_vec describes: `{ bvec_phys(bv), bv_len }`.
 *
 * Kernel: proposal-derived (the conversion the phys-range design implies; blk_map_iter_next()
 * does the same into a phys_vec)
 */
export function bvec_to_phyr(bv: bio_vec): phyr {
  return { start: bvec_phys(bv), len: bv.bv_len };
}

/**
 * phyrs_from_bvecs - the physical ranges covered by `bvecs` from `iter`, physically contiguous
 * neighbours merged and empty entries dropped.
 *
 * Kernel: proposal-derived; compare blk_rq_dma_map_iter_start()/blk_map_iter_next() in
 * block/blk-mq-dma.c, which walk a request's bvecs into merged phys_vecs.
 * @param iter where to start and how many bytes (default: all of `bvecs`); not modified
 * @param maxLen the longest range to build (default: unlimited), e.g. a device's max segment
 * @example
 * ```ts
 * const ranges = phyrs_from_bvecs(xdr.bvec);
 * for (const r of ranges) dma_iova_link(dev, state, r.start, off, r.len, dir, 0);
 * ```
 */
export function phyrs_from_bvecs(bvecs: readonly bio_vec[], iter?: bvec_iter, maxLen = Infinity): phyr[] {
  const out: phyr[] = [];
  let last: phyr | undefined;
  for (const seg of for_each_mp_bvec(bvecs, iter ?? bvecIter(bvecs))) {
    if (seg.bv_len === 0) continue;
    const start = bvec_phys(seg);
    if (last !== undefined && last.start + last.len === start && last.len + seg.bv_len <= maxLen) {
      last.len += seg.bv_len;
    } else {
      last = { start, len: seg.bv_len };
      out.push(last);
    }
  }
  return out;
}
