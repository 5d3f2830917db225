/**
 * dma-device-access - the device side of DMA: an emulated device reads and writes host memory by DMA address.
 *
 * Kernel: none — this is the hardware's half. It stands for the bus transaction a PCIe device
 *         issues, as seen through drivers/iommu (translation and faults), kernel/dma/swiotlb.c
 *         (bounce slots are ordinary RAM), and arch cache coherence (dma-noncoherent.ts).
 *
 * Operation: every byte an emulated device (the HCA) moves goes through here, by DMA address:
 *
 *   dma_addr ──(use_dma_iommu)──> iommuTranslate: IOTLB + page table + prot ──> physical runs | IOMMU fault
 *            └─(dma-direct)─────> mask check ──> dma_to_phys ──> RAM check ──> one physical run | fault
 *   runs ──(non-coherent device)──> pages with a cache shadow use the shadow (what DRAM holds)
 *        ──> views: Uint8Array.subarray of RAM (or of a shadow page), coalesced where contiguous
 *
 * With dma-debug on (`dev.host.debug`), every access is also checked against the live mappings
 * (`debug_dma_device_access`): outside any mapping or against its direction is a dma-debug
 * error — the software report — and the access is refused with a `DmaFault` of reason
 * 'dma-debug'. An IOMMU fault is the hardware's refusal and takes precedence (reason 'iommu').
 * Swiotlb needs no special case: a bounced mapping's DMA address is the bounce slot, in RAM.
 *
 * Faults are values, never exceptions (STYLE §4.1): the device turns them into a completion
 * status (IB_WC_LOC_PROT_ERR, …). Copy discipline: `dmaDeviceRead` returns views (zero copy);
 * `dmaDeviceWrite` and `dmaDeviceCopyOut` make the one copy a DMA engine makes.
 *
 * Counters: `device_read_bytes`, `device_write_bytes` on success; `faults` for every refused
 * access (iommu.ts counts its own IOMMU faults).
 *
 * Invariants: a successful access's views total exactly `len` bytes, in address order; a
 * refused access touches no memory.
 */
import type { dma_addr_t } from '@rdmaemu/sim-core';
import { fmt_llx, fmt_pad, min_not_zero } from './_bits.js';
import { debug_dma_device_access } from './debug.js';
import { dev_is_dma_coherent, dma_stat, use_dma_iommu, type device } from './device.js';
import { dma_to_phys } from './direct.js';
import { noncoherentHasShadows, noncoherentShadowPage } from './dma-noncoherent.js';
import { iommuTranslate } from './iommu.js';
import { PAGE_SIZE, type PhysicalMemory } from './memory.js';

/**
 * DmaFaultReason - why a device access was refused.
 *
 * - 'iommu': the IOMMU had no translation, or the translation forbids the access (prot);
 *   recorded in the domain's fault log with the DMAR message.
 * - 'not-ram': dma-direct address (or an IOMMU translation) that is not RAM of the host.
 * - 'mask': the address has bits the device cannot drive (beyond min_not_zero(mask, bus_dma_limit)).
 * - 'dma-debug': dma-debug found no live mapping covering the access, or its direction forbids it.
 */
export type DmaFaultReason = 'iommu' | 'not-ram' | 'mask' | 'dma-debug';

/**
 * DmaFault - a refused device access.
 *
 * Emulator-only. A class (not a plain object) so `isDmaFault()` is one `instanceof`; made only
 * on the failure path, so the data path allocates none.
 */
export class DmaFault {
  constructor(
    readonly dev: device,
    readonly dma_addr: dma_addr_t,
    readonly len: number,
    readonly write: boolean,
    readonly reason: DmaFaultReason,
    readonly message: string,
  ) {}

  toString(): string {
    return this.message;
  }
}

/** isDmaFault - true when a device-access result is a fault. Emulator-only. */
export function isDmaFault(x: unknown): x is DmaFault {
  return x instanceof DmaFault;
}

/** Scratch for iommuTranslate (one per module: device accesses are synchronous and not reentrant). */
const runsScratch: number[] = [];

function fault(dev: device, dma_addr: dma_addr_t, len: number, write: boolean, reason: DmaFaultReason, why: string): DmaFault {
  if (reason !== 'iommu') dma_stat(dev, 'faults', 1);
  return new DmaFault(
    dev, dma_addr, len, write, reason,
    `${dev.name}: DMA ${write ? 'write' : 'read'} ${fmt_pad(dma_addr)}+${len} refused (${reason}): ${why}`,
  );
}

/** Append views of [phys, phys+len) to out; for a non-coherent device, shadowed pages come from the shadow. */
function pushRun(mem: PhysicalMemory, phys: number, len: number, shadowed: boolean, out: Uint8Array[]): void {
  const base = mem.base;
  if (!shadowed) {
    out.push(mem.bytes.subarray(phys - base, phys - base + len));
    return;
  }
  const end = phys + len;
  let p = phys;
  let runStart = -1;
  while (p < end) {
    const pfn = Math.floor(p / PAGE_SIZE);
    const pageStart = pfn * PAGE_SIZE;
    const n = Math.min(pageStart + PAGE_SIZE, end) - p;
    const sh = noncoherentShadowPage(mem, pfn);
    if (sh !== undefined) {
      if (runStart >= 0) {
        out.push(mem.bytes.subarray(runStart - base, p - base));
        runStart = -1;
      }
      out.push(sh.subarray(p - pageStart, p - pageStart + n));
    } else if (runStart < 0) {
      runStart = p;
    }
    p += n;
  }
  if (runStart >= 0) out.push(mem.bytes.subarray(runStart - base, end - base));
}

/**
 * dmaDeviceAccess - resolve a device access of [dma_addr, dma_addr+len) into views of the memory it touches.
 *
 * Emulator-only. For a read, the views hold the bytes the device reads; for a write, the device
 * (its DMA engine) fills them. Translation, prot, RAM, mask and dma-debug checks all apply
 * (see the file header).
 * @param out reused result array (cleared first), to keep the hot path allocation-free
 * @returns the views in address order (their lengths sum to len), or a DmaFault
 * @example A device writes a received payload straight into host memory
 * ```ts
 * const views = dmaDeviceAccess(dev, dma_addr, payload.length, true);
 * if (isDmaFault(views)) return IB_WC_LOC_PROT_ERR;
 * let off = 0;
 * for (const v of views) { v.set(payload.subarray(off, off + v.length)); off += v.length; }
 * ```
 */
export function dmaDeviceAccess(
  dev: device, dma_addr: dma_addr_t, len: number, write: boolean, out: Uint8Array[] = [],
): Uint8Array[] | DmaFault {
  out.length = 0;
  if (len <= 0) return out;
  const debugOk = dev.host.debug === null || debug_dma_device_access(dev, dma_addr, len, write);
  const mem = dev.mem;
  const shadowed = !dev_is_dma_coherent(dev) && noncoherentHasShadows(mem);
  if (use_dma_iommu(dev)) {
    const runs = iommuTranslate(dev, dma_addr, len, write, runsScratch);
    if (runs === null) return fault(dev, dma_addr, len, write, 'iommu', 'IOMMU fault (see the DMAR log)');
    for (let i = 0; i < runs.length; i += 2) {
      if (!mem.contains(runs[i]!, runs[i + 1]!)) {
        out.length = 0;
        return fault(dev, dma_addr, len, write, 'not-ram', `IOMMU translation 0x${fmt_llx(runs[i]!)} is not RAM`);
      }
    }
    if (!debugOk) return fault(dev, dma_addr, len, write, 'dma-debug', 'no live DMA mapping allows this access');
    for (let i = 0; i < runs.length; i += 2) pushRun(mem, runs[i]!, runs[i + 1]!, shadowed, out);
    return out;
  }
  const limit = min_not_zero(Math.max(dev.dma_mask ?? 0, dev.coherent_dma_mask), dev.bus_dma_limit);
  if (dma_addr + len - 1 > limit) {
    return fault(dev, dma_addr, len, write, 'mask', `beyond the device's addressing limit 0x${fmt_llx(limit)}`);
  }
  const phys = dma_to_phys(dev, dma_addr);
  if (!mem.contains(phys, len)) {
    return fault(dev, dma_addr, len, write, 'not-ram', `physical 0x${fmt_llx(phys)}+${len} is not RAM`);
  }
  if (!debugOk) return fault(dev, dma_addr, len, write, 'dma-debug', 'no live DMA mapping allows this access');
  pushRun(mem, phys, len, shadowed, out);
  return out;
}

/**
 * The physical address of a dma-direct access of [dma_addr, dma_addr+len) that passes the mask
 * and RAM checks of dmaDeviceAccess, or -1 (let dmaDeviceAccess build the fault).
 */
function directPhys(dev: device, dma_addr: dma_addr_t, len: number): number {
  const limit = min_not_zero(Math.max(dev.dma_mask ?? 0, dev.coherent_dma_mask), dev.bus_dma_limit);
  if (dma_addr + len - 1 > limit) return -1;
  const phys = dma_to_phys(dev, dma_addr);
  return dev.mem.contains(phys, len) ? phys : -1;
}

/**
 * dmaDeviceRead - the device reads [dma_addr, dma_addr+len): views of the bytes it sees (no copy).
 *
 * Emulator-only.
 * @returns views (valid until the memory changes), or a DmaFault
 * @example
 * ```ts
 * const v = dmaDeviceRead(dev, sge_addr, sge_len);
 * if (isDmaFault(v)) return complete(wqe, IB_WC_LOC_PROT_ERR);
 * ```
 */
export function dmaDeviceRead(dev: device, dma_addr: dma_addr_t, len: number, out?: Uint8Array[]): Uint8Array[] | DmaFault {
  // Fast path (dma-direct, coherent, dma-debug off): the same checks and result as
  // dmaDeviceAccess, without its generality.
  if (out !== undefined && len > 0 && !dev.dma_iommu && dev.dma_coherent && dev.host.debug === null) {
    const phys = directPhys(dev, dma_addr, len);
    if (phys < 0) return dmaDeviceAccess(dev, dma_addr, len, false, out);
    const mem = dev.mem;
    const off = phys - mem.base;
    out.length = 0;
    out.push(mem.bytes.subarray(off, off + len));
    statRead(dev, len);
    return out;
  }
  const r = dmaDeviceAccess(dev, dma_addr, len, false, out);
  if (!(r instanceof DmaFault)) statRead(dev, len);
  return r;
}

/**
 * dmaDeviceReadAppend - dmaDeviceRead that appends the views to `out` instead of replacing its
 * contents: a device gathering several ranges into one list (an HCA building a packet's payload
 * from SGEs) needs no scratch array and no per-read truncation.
 *
 * Emulator-only. Same checks, counters and views as dmaDeviceRead.
 * @returns the bytes read (len), or a DmaFault (out unchanged)
 * @example
 * ```ts
 * const r = dmaDeviceReadAppend(dev, sge_addr, sge_len, payload);
 * if (isDmaFault(r)) return complete(wqe, IB_WC_LOC_PROT_ERR);
 * ```
 */
export function dmaDeviceReadAppend(dev: device, dma_addr: dma_addr_t, len: number, out: Uint8Array[]): number | DmaFault {
  if (len <= 0) return 0;
  if (!dev.dma_iommu && dev.dma_coherent && dev.host.debug === null) {
    const phys = directPhys(dev, dma_addr, len);
    if (phys >= 0) {
      const mem = dev.mem;
      const off = phys - mem.base;
      out.push(mem.bytes.subarray(off, off + len));
      statRead(dev, len);
      return len;
    }
  }
  const r = dmaDeviceAccess(dev, dma_addr, len, false, appendScratch);
  if (r instanceof DmaFault) return r;
  for (let i = 0; i < r.length; i++) out.push(r[i]!);
  r.length = 0;
  statRead(dev, len);
  return len;
}

const appendScratch: Uint8Array[] = [];

// dma_stat(dev, 'device_read_bytes' | 'device_write_bytes', n) with constant property names
// (monomorphic stores on the per-packet path).
function statRead(dev: device, n: number): void {
  const st = dev.stats;
  st.total.device_read_bytes += n;
  st.family[dev.dma_family].device_read_bytes += n;
}

function statWrite(dev: device, n: number): void {
  const st = dev.stats;
  st.total.device_write_bytes += n;
  st.family[dev.dma_family].device_write_bytes += n;
}

/**
 * dmaDeviceWrite - the device writes `src` at dma_addr (the one copy a DMA engine makes).
 *
 * Emulator-only.
 * @returns the bytes written (src.length), or a DmaFault (nothing written)
 * @example
 * ```ts
 * const r = dmaDeviceWrite(dev, recv_addr, payload);
 * if (isDmaFault(r)) return IB_WC_LOC_PROT_ERR;
 * ```
 */
export function dmaDeviceWrite(dev: device, dma_addr: dma_addr_t, src: Uint8Array): number | DmaFault {
  const len = src.length;
  // Fast path (dma-direct, coherent, dma-debug off): one typed-array copy into RAM, no view.
  if (len > 0 && !dev.dma_iommu && dev.dma_coherent && dev.host.debug === null) {
    const phys = directPhys(dev, dma_addr, len);
    if (phys >= 0) {
      const mem = dev.mem;
      mem.bytes.set(src, phys - mem.base);
      statWrite(dev, len);
      return len;
    }
  }
  const views = dmaDeviceAccess(dev, dma_addr, src.length, true, writeScratch);
  if (views instanceof DmaFault) return views;
  if (views.length === 1) {
    views[0]!.set(src);
  } else {
    let off = 0;
    for (let i = 0; i < views.length; i++) {
      const v = views[i]!;
      v.set(src.subarray(off, off + v.length));
      off += v.length;
    }
  }
  views.length = 0;
  statWrite(dev, src.length);
  return src.length;
}

const writeScratch: Uint8Array[] = [];
const readScratch: Uint8Array[] = [];

/**
 * dmaDeviceCopyOut - the device reads [dma_addr, dma_addr+dst.length) into `dst` (e.g. a packet buffer).
 *
 * Emulator-only.
 * @returns the bytes copied (dst.length), or a DmaFault (dst untouched)
 */
export function dmaDeviceCopyOut(dev: device, dma_addr: dma_addr_t, dst: Uint8Array): number | DmaFault {
  const views = dmaDeviceAccess(dev, dma_addr, dst.length, false, readScratch);
  if (views instanceof DmaFault) return views;
  let off = 0;
  for (let i = 0; i < views.length; i++) {
    const v = views[i]!;
    dst.set(v, off);
    off += v.length;
  }
  views.length = 0;
  statRead(dev, dst.length);
  return dst.length;
}
