import { expect } from 'chai';
import fc from 'fast-check';
import { Dmesg, isKernelBug } from '@rdmaemu/sim-core';
import { bio_vec } from '../src/bvec.js';
import {
  ACTIVE_CACHELINE_MAX_OVERLAP, HASH_SIZE, MAP_ERR_CHECKED, MAP_ERR_NOT_CHECKED, assertDmaDebugClean, debug_dma_alloc_coherent,
  debug_dma_device_access, debug_dma_device_release, debug_dma_free_coherent, debug_dma_iova_link, debug_dma_iova_unlink,
  debug_dma_map_bvecs, debug_dma_map_phys, debug_dma_map_sg, debug_dma_map_single, debug_dma_mapping_error,
  debug_dma_sync_bvecs_for_cpu, debug_dma_sync_sg_for_cpu, debug_dma_sync_sg_for_device, debug_dma_sync_single_for_cpu,
  debug_dma_sync_single_for_device, debug_dma_unmap_bvecs, debug_dma_unmap_phys, debug_dma_unmap_sg, dma_debug,
  dma_debug_phy, dmaDebugReport, hash_fn, liveMappings, type DmaDebugInit,
} from '../src/debug.js';
import { device, type DeviceInit } from '../src/device.js';
import {
  DMA_ATTR_SKIP_CPU_SYNC, DMA_BIDIRECTIONAL, DMA_FROM_DEVICE, DMA_MAPPING_ERROR, DMA_TO_DEVICE,
} from '../src/dma-mapping.h.js';
import { PAGE_SIZE, PhysicalMemory, page_address, page_to_phys, type page } from '../src/memory.js';
import { alloc_pages, alloc_thread_stack } from '../src/page_alloc.js';
import { sg_init_table, sg_set_page, type scatterlist } from '../src/scatterlist.js';
import { SEED } from './_support.js';

interface Rig {
  mem: PhysicalMemory;
  log: Dmesg;
  debug: dma_debug;
  dev: device;
  newDev(init: DeviceInit): device;
}

function rig(init: DmaDebugInit = {}, devInit: Partial<DeviceInit> = {}): Rig {
  const mem = new PhysicalMemory({ size: '16M', name: 'h' });
  const log = new Dmesg();
  const debug = new dma_debug(log, { strict: false, ...init });
  const host = { name: 'h', mem, log, debug };
  const newDev = (d: DeviceInit): device => new device(host, d);
  return { mem, log, debug, dev: newDev({ name: 'dev0', driver: 'drv', ...devInit }), newDev };
}

/** A fresh page's physical address (dma-direct without offset: dma_addr = phys). */
function pagePhys(r: Rig, order = 0): number {
  return page_to_phys(alloc_pages(r.mem, order)!);
}

function messages(d: dma_debug): string[] {
  return d.errors.map((e) => e.message);
}

/** map_phys + dma_mapping_error, as a careful driver does. */
function mapChecked(dev: device, phys: number, size: number, dir: number, attrs = 0, dma = phys): number {
  debug_dma_map_phys(dev, phys, size, dir, dma, attrs);
  debug_dma_mapping_error(dev, dma);
  return dma;
}

function sgl(pages: { pg: page; len: number; off?: number; dma: number; dma_len?: number }[]): scatterlist[] {
  const t = sg_init_table(pages.length);
  pages.forEach((p, i) => {
    sg_set_page(t[i]!, p.pg, p.len, p.off ?? 0);
    t[i]!.dma_address = p.dma;
    t[i]!.dma_length = p.dma_len ?? p.len;
  });
  return t;
}

const hex16 = (n: number): string => '0x' + n.toString(16).padStart(16, '0');

describe('kernel/dma/debug.c', () => {
  describe('dma_debug', () => {
    it('starts with the debugfs defaults and logs the preallocation (dma_debug_init)', () => {
      const r = rig();
      expect(r.debug.disabled).to.equal(false);
      expect(r.debug.error_count).to.equal(0);
      expect(r.debug.all_errors).to.equal(false);
      expect(r.debug.num_errors).to.equal(1);
      expect(r.debug.nr_total_entries).to.equal(65536);
      expect(r.debug.num_free_entries).to.equal(65536);
      expect(r.debug.min_free_entries).to.equal(65536);
      expect(r.debug.driver_filter).to.equal('');
      expect(r.log.grep('DMA-API: preallocated 65536 debug entries')).to.have.length(1);
    });

    it('hashes on bits 13..26 of the DMA address, exactly above 2^31 (hash_fn)', () => {
      expect(hash_fn(0x1fff)).to.equal(0);
      expect(hash_fn(0x2000)).to.equal(1);
      expect(hash_fn(0x1_2345_6000)).to.equal(Math.floor(0x1_2345_6000 / 8192) % HASH_SIZE);
      expect(hash_fn(2 ** 45 + 3 * 8192)).to.equal(3);
      expect(hash_fn(DMA_MAPPING_ERROR)).to.equal(HASH_SIZE - 1);
    });

    it('counts entries in num_free_entries / min_free_entries', () => {
      const r = rig();
      const a = mapChecked(r.dev, pagePhys(r), 64, DMA_TO_DEVICE);
      const b = mapChecked(r.dev, pagePhys(r), 64, DMA_TO_DEVICE);
      expect(r.debug.num_free_entries).to.equal(65534);
      debug_dma_unmap_phys(r.dev, a, 64, DMA_TO_DEVICE);
      debug_dma_unmap_phys(r.dev, b, 64, DMA_TO_DEVICE);
      expect(r.debug.num_free_entries).to.equal(65536);
      expect(r.debug.min_free_entries).to.equal(65534);
    });

    it('grows the pool a page (32 entries) at a time and says so (__dma_entry_alloc_check_leak)', () => {
      const r = rig({ nr_entries: 32 });
      const phys = pagePhys(r, 4);
      for (let i = 0; i < 33; i++) mapChecked(r.dev, phys + i * 64, 64, DMA_TO_DEVICE);
      expect(r.debug.nr_total_entries).to.equal(64);
      expect(r.log.grep('DMA-API: dma_debug_entry pool grown to 64 (200%)')).to.have.length(1);
      expect(r.debug.live_entries).to.equal(33);
    });

    it('disables itself when the pool cannot grow: "debugging out of memory - disabling" (§4.6 item 21)', () => {
      const r = rig({ nr_entries: 32, max_entries: 32, strict: true }); // a pr_err: never thrown
      const phys = pagePhys(r, 4);
      for (let i = 0; i < 33; i++) mapChecked(r.dev, phys + i * 64, 64, DMA_TO_DEVICE);
      expect(r.debug.disabled).to.equal(true);
      expect(r.debug.live_entries).to.equal(32);
      expect(r.log.grep('DMA-API: debugging out of memory - disabling')).to.have.length(1);
      // Disabled: hooks do nothing any more.
      debug_dma_unmap_phys(r.dev, 0x1234, 1, DMA_TO_DEVICE);
      expect(r.debug.error_count).to.equal(0);
    });

    it('does nothing when disabled (dma_debug=off)', () => {
      const r = rig({ disabled: true });
      debug_dma_map_phys(r.dev, pagePhys(r), 64, DMA_FROM_DEVICE, 0x1000, 0);
      debug_dma_unmap_phys(r.dev, 0x5000, 64, DMA_FROM_DEVICE);
      expect(r.debug.live_entries).to.equal(0);
      expect(r.debug.error_count).to.equal(0);
      expect(debug_dma_device_access(r.dev, 0x9999, 4, true)).to.equal(true);
    });

    it('does nothing for a host without dma-debug', () => {
      const mem = new PhysicalMemory({ size: '4M' });
      const dev = new device({ name: 'h', mem, log: new Dmesg(), debug: null }, { name: 'dev0' });
      debug_dma_unmap_phys(dev, 0x5000, 64, DMA_FROM_DEVICE);
      expect(debug_dma_device_access(dev, 0x5000, 64, true)).to.equal(true);
    });
  });

  describe('err_printk', () => {
    it('prefixes "DMA-API: <driver> <device>: " and prints only the first error by default (num_errors=1)', () => {
      const r = rig();
      debug_dma_unmap_phys(r.dev, 0x10000, 64, DMA_TO_DEVICE);
      debug_dma_unmap_phys(r.dev, 0x20000, 64, DMA_TO_DEVICE);
      debug_dma_unmap_phys(r.dev, 0x30000, 64, DMA_TO_DEVICE);
      expect(r.debug.error_count).to.equal(3);
      expect(r.debug.num_errors).to.equal(0);
      const lines = r.log.grep('DMA-API: drv dev0:').map((l) => l.text);
      expect(lines).to.deep.equal([
        'DMA-API: drv dev0: device driver tries to free DMA memory it has not allocated [device address=0x0000000000010000] [size=64 bytes]',
      ]);
      expect(r.debug.errors.map((e) => e.printed)).to.deep.equal([true, false, false]);
    });

    it('prints every error with all_errors', () => {
      const r = rig({ all_errors: true });
      debug_dma_unmap_phys(r.dev, 0x10000, 64, DMA_TO_DEVICE);
      debug_dma_unmap_phys(r.dev, 0x20000, 64, DMA_TO_DEVICE);
      expect(r.log.grep('DMA-API: drv dev0:')).to.have.length(2);
      expect(r.debug.num_errors).to.equal(1);
    });

    it('prints num_errors errors when num_errors > 1', () => {
      const r = rig({ num_errors: 2 });
      for (let i = 1; i <= 3; i++) debug_dma_unmap_phys(r.dev, i * 0x10000, 64, DMA_TO_DEVICE);
      expect(r.log.grep('DMA-API: drv dev0:')).to.have.length(2);
      expect(r.debug.error_count).to.equal(3);
    });

    it('prints only the filtered driver\'s errors but counts all (driver_filter)', () => {
      const r = rig({ all_errors: true, driver_filter: 'mlx5_core' });
      const other = r.newDev({ name: '0000:01:00.0', driver: 'mlx5_core' });
      debug_dma_unmap_phys(r.dev, 0x10000, 64, DMA_TO_DEVICE);
      debug_dma_unmap_phys(other, 0x20000, 64, DMA_TO_DEVICE);
      expect(r.debug.error_count).to.equal(2);
      expect(r.log.grep('DMA-API: drv dev0:')).to.have.length(0);
      expect(r.log.grep('DMA-API: mlx5_core 0000:01:00.0: device driver tries to free DMA memory')).to.have.length(1);
      expect(r.log.grep('DMA-API: enable driver filter for driver [mlx5_core]')).to.have.length(1);
    });

    it('spends the print quota on filtered-out errors too, as the kernel does', () => {
      const r = rig({ driver_filter: 'mlx5_core' });
      const other = r.newDev({ name: 'mlx', driver: 'mlx5_core' });
      debug_dma_unmap_phys(r.dev, 0x10000, 64, DMA_TO_DEVICE); // filtered out, uses num_errors
      debug_dma_unmap_phys(other, 0x20000, 64, DMA_TO_DEVICE);
      expect(r.debug.num_errors).to.equal(0);
      expect(r.log.grep('device driver tries')).to.have.length(0);
    });

    it('takes the first token as the filter and switches off on a non-alphanumeric value (filter_write)', () => {
      const r = rig();
      r.debug.driver_filter = 'drv extra';
      expect(r.debug.driver_filter).to.equal('drv');
      r.debug.driver_filter = '\n';
      expect(r.debug.driver_filter).to.equal('');
      expect(r.log.grep('DMA-API: switching off dma-debug driver filter')).to.have.length(1);
    });

    it('throws a KernelBug naming the error in strict mode, after recording it', () => {
      const r = rig({ strict: true });
      let err: unknown;
      try {
        debug_dma_unmap_phys(r.dev, 0x10000, 64, DMA_TO_DEVICE);
      } catch (e) {
        err = e;
      }
      expect(isKernelBug(err)).to.equal(true);
      expect((err as Error).message).to.equal(
        'DMA-API: drv dev0: device driver tries to free DMA memory it has not allocated [device address=0x0000000000010000] [size=64 bytes]');
      expect(r.debug.error_count).to.equal(1);
    });

    it('keeps the bookkeeping when strict mode throws: the unmap still frees, the overlapping map still records', () => {
      const r = rig({ strict: true });
      const phys = pagePhys(r);
      mapChecked(r.dev, phys, 64, DMA_FROM_DEVICE);
      expect(() => debug_dma_unmap_phys(r.dev, phys, 128, DMA_FROM_DEVICE)).to.throw('different size');
      expect(r.debug.live_entries).to.equal(0);
      mapChecked(r.dev, phys, 64, DMA_FROM_DEVICE);
      expect(() => debug_dma_map_phys(r.dev, phys, 64, DMA_FROM_DEVICE, phys, 0)).to.throw('cacheline tracking EEXIST');
      expect(r.debug.live_entries).to.equal(2);
      r.debug.strict = false;
      debug_dma_unmap_phys(r.dev, phys, 64, DMA_FROM_DEVICE); // the perfect fit found first: the checked one
      expect(r.debug.error_count).to.equal(2);
      expect(liveMappings(r.debug).map((e) => e.map_err_type)).to.deep.equal([MAP_ERR_NOT_CHECKED]);
    });

    it('does not throw in strict mode for errors the driver filter hides', () => {
      const r = rig({ strict: true, driver_filter: 'other' });
      debug_dma_unmap_phys(r.dev, 0x10000, 64, DMA_TO_DEVICE);
      expect(r.debug.error_count).to.equal(1);
    });
  });

  describe('debug_dma_map_phys / debug_dma_unmap_phys: check_unmap', () => {
    it('accepts a checked map and matching unmap and leaves nothing behind', () => {
      const r = rig();
      const phys = pagePhys(r);
      mapChecked(r.dev, phys, 4096, DMA_FROM_DEVICE);
      const [e] = liveMappings(r.debug, r.dev);
      expect(e!.type).to.equal(dma_debug_phy);
      expect(e!.paddr).to.equal(phys);
      expect(e!.map_err_type).to.equal(MAP_ERR_CHECKED);
      debug_dma_unmap_phys(r.dev, phys, 4096, DMA_FROM_DEVICE);
      expect(r.debug.error_count).to.equal(0);
      r.debug.assertClean();
    });

    it('ignores a DMA_MAPPING_ERROR address at map time', () => {
      const r = rig();
      debug_dma_map_phys(r.dev, pagePhys(r), 64, DMA_TO_DEVICE, DMA_MAPPING_ERROR, 0);
      expect(r.debug.live_entries).to.equal(0);
    });

    it('reports an unmap without dma_mapping_error() (§4.6 item 8)', () => {
      const r = rig();
      const phys = pagePhys(r);
      debug_dma_map_phys(r.dev, phys, 64, DMA_TO_DEVICE, phys, 0);
      expect(liveMappings(r.debug)[0]!.map_err_type).to.equal(MAP_ERR_NOT_CHECKED);
      debug_dma_unmap_phys(r.dev, phys, 64, DMA_TO_DEVICE);
      expect(messages(r.debug)).to.deep.equal([
        `device driver failed to check map error[device address=${hex16(phys)}] [size=64 bytes] [mapped as phy]`,
      ]);
    });

    it('marks only the first unchecked entry of an address checked (debug_dma_mapping_error)', () => {
      const r = rig();
      const phys = pagePhys(r);
      debug_dma_map_phys(r.dev, phys, 64, DMA_TO_DEVICE, phys, 0);
      debug_dma_map_phys(r.dev, phys, 64, DMA_TO_DEVICE, phys, 0);
      debug_dma_mapping_error(r.dev, phys);
      expect(liveMappings(r.debug).map((e) => e.map_err_type)).to.deep.equal([MAP_ERR_CHECKED, MAP_ERR_NOT_CHECKED]);
    });

    it('reports freeing DMA_MAPPING_ERROR (§4.6 item 1)', () => {
      const r = rig();
      debug_dma_unmap_phys(r.dev, DMA_MAPPING_ERROR, 64, DMA_TO_DEVICE);
      expect(messages(r.debug)).to.deep.equal(['device driver tries to free an invalid DMA memory address']);
    });

    it('reports freeing an address never mapped (§4.6 item 2)', () => {
      const r = rig();
      debug_dma_unmap_phys(r.dev, 0x1_2345_6000, 4096, DMA_TO_DEVICE);
      expect(messages(r.debug)).to.deep.equal([
        'device driver tries to free DMA memory it has not allocated [device address=0x0000000123456000] [size=4096 bytes]',
      ]);
    });

    it('reports a different size and still frees the entry (§4.6 item 3)', () => {
      const r = rig();
      const phys = mapChecked(r.dev, pagePhys(r), 4096, DMA_TO_DEVICE);
      debug_dma_unmap_phys(r.dev, phys, 2048, DMA_TO_DEVICE);
      expect(messages(r.debug)).to.deep.equal([
        `device driver frees DMA memory with different size [device address=${hex16(phys)}] [map size=4096 bytes] [unmap size=2048 bytes]`,
      ]);
      expect(r.debug.live_entries).to.equal(0);
    });

    it('reports a mapping freed with the wrong function (§4.6 item 4)', () => {
      const r = rig();
      const pg = alloc_pages(r.mem, 0)!;
      const phys = mapChecked(r.dev, page_to_phys(pg), 512, DMA_TO_DEVICE);
      debug_dma_unmap_sg(r.dev, sgl([{ pg, len: 512, dma: phys }]), 1, DMA_TO_DEVICE);
      expect(messages(r.debug)).to.deep.equal([
        `device driver frees DMA memory with wrong function [device address=${hex16(phys)}] [size=512 bytes] [mapped as phy] [unmapped as scatter-gather]`,
        // check_unmap compares sg_call_ents whenever the *ref* is an sg: the phy entry has 0.
        'device driver frees DMA sg list with different entry count [map count=0] [unmap count=1]',
      ]);
    });

    it('reports a coherent buffer freed at another CPU address, with the kernel\'s "0x%pa" (§4.6 item 5)', () => {
      const r = rig();
      const pg = alloc_pages(r.mem, 1)!;
      const phys = page_to_phys(pg);
      const virt = r.mem.view(phys, 8192);
      debug_dma_alloc_coherent(r.dev, 8192, 0x40000, virt);
      debug_dma_free_coherent(r.dev, 8192, r.mem.view(phys + 4096, 4096), 0x40000);
      expect(messages(r.debug)).to.deep.equal([
        'device driver frees DMA memory with different CPU address [device address=0x0000000000040000] [size=8192 bytes] ' +
          `[cpu alloc address=0x${hex16(phys)}] [cpu free address=0x${hex16(phys + 4096)}]`,
      ]);
    });

    it('reports a different direction (§4.6 item 7)', () => {
      const r = rig();
      const phys = mapChecked(r.dev, pagePhys(r), 64, DMA_TO_DEVICE);
      debug_dma_unmap_phys(r.dev, phys, 64, DMA_FROM_DEVICE);
      expect(messages(r.debug)).to.deep.equal([
        `device driver frees DMA memory with different direction [device address=${hex16(phys)}] [size=64 bytes] [mapped with DMA_TO_DEVICE] [unmapped with DMA_FROM_DEVICE]`,
      ]);
    });

    it('picks the entry of the right device when two devices map the same DMA address (best fit)', () => {
      const r = rig();
      const dev1 = r.newDev({ name: 'dev1', driver: 'drv' });
      const phys = pagePhys(r);
      mapChecked(r.dev, phys, 256, DMA_TO_DEVICE);
      mapChecked(dev1, phys, 128, DMA_FROM_DEVICE);
      debug_dma_unmap_phys(dev1, phys, 128, DMA_FROM_DEVICE);
      expect(r.debug.error_count).to.equal(0);
      expect(liveMappings(r.debug).map((e) => [e.dev.name, e.size])).to.deep.equal([['dev0', 256]]);
    });

    it('picks the perfect fit among mappings of one device at one address', () => {
      const r = rig();
      const phys = pagePhys(r);
      mapChecked(r.dev, phys, 256, DMA_TO_DEVICE);
      mapChecked(r.dev, phys, 128, DMA_TO_DEVICE);
      debug_dma_unmap_phys(r.dev, phys, 128, DMA_TO_DEVICE);
      expect(r.debug.error_count).to.equal(0);
      expect(liveMappings(r.debug).map((e) => e.size)).to.deep.equal([256]);
    });

    it('finds nothing when several entries match imperfectly (best fit gives up)', () => {
      const r = rig();
      const phys = pagePhys(r);
      mapChecked(r.dev, phys, 256, DMA_TO_DEVICE);
      mapChecked(r.dev, phys, 128, DMA_TO_DEVICE);
      debug_dma_unmap_phys(r.dev, phys, 64, DMA_TO_DEVICE);
      expect(messages(r.debug)[0]).to.match(/^device driver tries to free DMA memory it has not allocated/);
      expect(r.debug.live_entries).to.equal(2);
    });

    it('handles DMA addresses above 2^32', () => {
      const r = rig();
      const phys = pagePhys(r);
      const dma = 2 ** 40 + 0x3000;
      mapChecked(r.dev, phys, 0x4000, DMA_FROM_DEVICE, 0, dma);
      debug_dma_sync_single_for_cpu(r.dev, dma + 0x3000, 0x100, DMA_FROM_DEVICE);
      debug_dma_unmap_phys(r.dev, dma, 0x4000, DMA_FROM_DEVICE);
      expect(r.debug.error_count).to.equal(0);
    });
  });

  describe('debug_dma_map_phys: memory checks', () => {
    it('reports mapping a task stack (§4.6 item 15)', () => {
      const r = rig();
      const phys = page_to_phys(alloc_thread_stack(r.mem)!) + 0x100;
      mapChecked(r.dev, phys, 64, DMA_TO_DEVICE);
      expect(messages(r.debug)).to.deep.equal([
        `device driver maps memory from stack [probable addr=${phys.toString(16).padStart(16, '0')}]`,
      ]);
    });

    it('reports mapping kernel text or rodata (PageReserved) (§4.6 item 16)', () => {
      const r = rig();
      mapChecked(r.dev, 0x2000, 100, DMA_TO_DEVICE);
      expect(messages(r.debug)).to.deep.equal(['device driver maps memory from kernel text or rodata [addr=0000000000002000] [len=100]']);
    });

    it('reports a range that only ends in reserved memory too (memory_intersects)', () => {
      const r = rig();
      mapChecked(r.dev, 0x100000 - 16, 32, DMA_TO_DEVICE);
      expect(messages(r.debug)).to.have.length(1);
      expect(messages(r.debug)[0]).to.contain('kernel text or rodata');
    });

    it('reports RAM mapped with DMA_ATTR_MMIO (dma_map_resource of RAM)', () => {
      const r = rig();
      const phys = pagePhys(r);
      mapChecked(r.dev, phys, 64, DMA_TO_DEVICE, 1 << 10);
      expect(messages(r.debug)).to.deep.equal([`dma_map_resource called for RAM address ${hex16(phys)}`]);
    });

    it('accepts MMIO outside RAM', () => {
      const r = rig();
      mapChecked(r.dev, 0xfe00_0000, 64, DMA_TO_DEVICE, 1 << 10);
      expect(r.debug.error_count).to.equal(0);
    });
  });

  describe('debug_dma_map_single', () => {
    it('reports a buffer outside the direct map (§4.6 item 17)', () => {
      const r = rig();
      const foreign = new Uint8Array(64).subarray(16);
      debug_dma_map_single(r.dev, foreign, 48);
      expect(messages(r.debug)).to.deep.equal(['device driver maps memory from invalid area [addr=0000000000000010] [len=48]']);
    });

    it('accepts a view of the host\'s RAM', () => {
      const r = rig();
      debug_dma_map_single(r.dev, page_address(alloc_pages(r.mem, 0)!), 4096);
      expect(r.debug.error_count).to.equal(0);
    });
  });

  describe('active cacheline tracking', () => {
    it('reports two live non-TO_DEVICE mappings of one cacheline (§4.6 item 18)', () => {
      const r = rig();
      const phys = pagePhys(r);
      mapChecked(r.dev, phys + 8, 16, DMA_FROM_DEVICE);
      mapChecked(r.dev, phys + 32, 16, DMA_BIDIRECTIONAL, 0, phys + 32);
      expect(messages(r.debug)).to.deep.equal(["cacheline tracking EEXIST, overlapping mappings aren't supported"]);
    });

    it('tracks only the first cacheline of a mapping', () => {
      const r = rig();
      const phys = pagePhys(r);
      mapChecked(r.dev, phys, 256, DMA_FROM_DEVICE);
      mapChecked(r.dev, phys + 64, 64, DMA_FROM_DEVICE, 0, phys + 64);
      expect(r.debug.error_count).to.equal(0);
    });

    it('exempts DMA_ATTR_SKIP_CPU_SYNC mappings', () => {
      const r = rig();
      const phys = pagePhys(r);
      mapChecked(r.dev, phys, 64, DMA_FROM_DEVICE);
      mapChecked(r.dev, phys, 64, DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
      expect(r.debug.error_count).to.equal(0);
    });

    it('exempts DMA_TO_DEVICE mappings (the device does not write)', () => {
      const r = rig();
      const phys = pagePhys(r);
      mapChecked(r.dev, phys, 64, DMA_FROM_DEVICE);
      mapChecked(r.dev, phys, 64, DMA_TO_DEVICE);
      mapChecked(r.dev, phys, 64, DMA_TO_DEVICE);
      expect(r.debug.error_count).to.equal(0);
    });

    it('forgets the cacheline once every overlapping mapping is unmapped', () => {
      const r = rig();
      const phys = pagePhys(r);
      mapChecked(r.dev, phys, 64, DMA_FROM_DEVICE);
      mapChecked(r.dev, phys, 32, DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
      debug_dma_unmap_phys(r.dev, phys, 64, DMA_FROM_DEVICE);
      debug_dma_unmap_phys(r.dev, phys, 32, DMA_FROM_DEVICE);
      mapChecked(r.dev, phys, 64, DMA_FROM_DEVICE);
      expect(r.debug.error_count).to.equal(0);
    });

    it(`saturates the overlap count at ${ACTIVE_CACHELINE_MAX_OVERLAP} and warns once: "exceeded 7 overlapping mappings of cacheline"`, () => {
      const r = rig();
      const phys = pagePhys(r);
      for (let i = 0; i < 10; i++) mapChecked(r.dev, phys, 64 + i, DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
      const text = `DMA-API: exceeded 7 overlapping mappings of cacheline ${hex16(phys / 64)}`;
      expect(r.debug.warnings).to.deep.equal([text]);
      expect(r.log.grep(text)).to.have.length(1);
      expect(r.debug.error_count).to.equal(0);
      for (let i = 0; i < 10; i++) debug_dma_unmap_phys(r.dev, phys, 64 + i, DMA_FROM_DEVICE);
      mapChecked(r.dev, phys, 64, DMA_FROM_DEVICE);
      expect(r.debug.error_count).to.equal(0);
    });

    it('throws the overflow warning in strict mode', () => {
      const r = rig();
      const phys = pagePhys(r);
      for (let i = 0; i < 8; i++) mapChecked(r.dev, phys, 64, DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
      r.debug.strict = true;
      expect(() => debug_dma_map_phys(r.dev, phys, 64, DMA_FROM_DEVICE, phys, DMA_ATTR_SKIP_CPU_SYNC))
        .to.throw('exceeded 7 overlapping mappings of cacheline');
    });
  });

  describe('debug_dma_sync_single_for_cpu / _for_device: check_sync', () => {
    it('accepts a sync inside a mapping, found by walking back across buckets', () => {
      const r = rig();
      const phys = pagePhys(r, 4); // 64 KiB: 8 buckets
      mapChecked(r.dev, phys, 65536, DMA_FROM_DEVICE);
      debug_dma_sync_single_for_cpu(r.dev, phys + 60000, 1000, DMA_FROM_DEVICE);
      debug_dma_sync_single_for_device(r.dev, phys + 40000, 100, DMA_FROM_DEVICE);
      expect(r.debug.error_count).to.equal(0);
    });

    it('reports a sync of memory never mapped (§4.6 item 9)', () => {
      const r = rig();
      debug_dma_sync_single_for_cpu(r.dev, 0x8000, 64, DMA_FROM_DEVICE);
      expect(messages(r.debug)).to.deep.equal([
        'device driver tries to sync DMA memory it has not allocated [device address=0x0000000000008000] [size=64 bytes]',
      ]);
    });

    it('reports a sync reaching past its mapping as not allocated (§4.6 item 10 cannot fire after a containing match)', () => {
      const r = rig();
      const phys = mapChecked(r.dev, pagePhys(r), 4096, DMA_FROM_DEVICE);
      debug_dma_sync_single_for_cpu(r.dev, phys + 4000, 200, DMA_FROM_DEVICE);
      expect(messages(r.debug)).to.deep.equal([
        `device driver tries to sync DMA memory it has not allocated [device address=${hex16(phys + 4000)}] [size=200 bytes]`,
      ]);
    });

    it('reports a sync with a different direction (§4.6 item 11)', () => {
      const r = rig();
      const phys = mapChecked(r.dev, pagePhys(r), 4096, DMA_TO_DEVICE);
      debug_dma_sync_single_for_device(r.dev, phys, 64, DMA_FROM_DEVICE);
      expect(messages(r.debug)).to.deep.equal([
        `device driver syncs DMA memory with different direction [device address=${hex16(phys)}] [size=4096 bytes] [mapped with DMA_TO_DEVICE] [synced with DMA_FROM_DEVICE]`,
      ]);
    });

    it('skips the direction checks for a BIDIRECTIONAL mapping', () => {
      const r = rig();
      const phys = mapChecked(r.dev, pagePhys(r), 4096, DMA_BIDIRECTIONAL);
      debug_dma_sync_single_for_cpu(r.dev, phys, 64, DMA_TO_DEVICE);
      debug_dma_sync_single_for_device(r.dev, phys, 64, DMA_FROM_DEVICE);
      expect(r.debug.error_count).to.equal(0);
    });

    it('reports syncing device read-only memory for the CPU (§4.6 item 12)', () => {
      const r = rig();
      const phys = mapChecked(r.dev, pagePhys(r), 4096, DMA_TO_DEVICE);
      debug_dma_sync_single_for_cpu(r.dev, phys + 64, 64, DMA_FROM_DEVICE);
      expect(messages(r.debug)).to.deep.equal([
        `device driver syncs DMA memory with different direction [device address=${hex16(phys + 64)}] [size=4096 bytes] [mapped with DMA_TO_DEVICE] [synced with DMA_FROM_DEVICE]`,
        `device driver syncs device read-only DMA memory for cpu [device address=${hex16(phys + 64)}] [size=4096 bytes] [mapped with DMA_TO_DEVICE] [synced with DMA_FROM_DEVICE]`,
      ]);
    });

    it('reports syncing device write-only memory to the device (§4.6 item 13)', () => {
      const r = rig();
      const phys = mapChecked(r.dev, pagePhys(r), 4096, DMA_FROM_DEVICE);
      debug_dma_sync_single_for_device(r.dev, phys, 64, DMA_TO_DEVICE);
      expect(messages(r.debug)[1]).to.equal(
        `device driver syncs device write-only DMA memory to device [device address=${hex16(phys)}] [size=4096 bytes] [mapped with DMA_FROM_DEVICE] [synced with DMA_TO_DEVICE]`);
    });
  });

  describe('debug_dma_map_sg / debug_dma_unmap_sg / debug_dma_sync_sg_*', () => {
    function twoPages(r: Rig): { pgs: page[]; list: scatterlist[] } {
      const pgs = [alloc_pages(r.mem, 0)!, alloc_pages(r.mem, 0)!];
      const list = sgl(pgs.map((pg) => ({ pg, len: 4096, dma: page_to_phys(pg) })));
      return { pgs, list };
    }

    it('records one entry per mapped element and unmaps cleanly', () => {
      const r = rig();
      const { list } = twoPages(r);
      debug_dma_map_sg(r.dev, list, 2, 2, DMA_FROM_DEVICE, 0);
      expect(liveMappings(r.debug).map((e) => [e.type, e.sg_call_ents, e.sg_mapped_ents])).to.deep.equal([[1, 2, 2], [1, 2, 2]]);
      debug_dma_sync_sg_for_cpu(r.dev, list, 2, DMA_FROM_DEVICE);
      debug_dma_sync_sg_for_device(r.dev, list, 2, DMA_FROM_DEVICE);
      debug_dma_unmap_sg(r.dev, list, 2, DMA_FROM_DEVICE);
      expect(r.debug.error_count).to.equal(0);
      r.debug.assertClean();
    });

    it('checks all nents inputs for stack memory but records only mapped_ents outputs', () => {
      const r = rig();
      const pg = alloc_pages(r.mem, 0)!;
      const stack = alloc_thread_stack(r.mem)!;
      const list = sgl([{ pg, len: 4096, dma: 0x100000, dma_len: 8192 }, { pg: stack, len: 4096, dma: 0 }]);
      debug_dma_map_sg(r.dev, list, 2, 1, DMA_TO_DEVICE, 0);
      expect(messages(r.debug)).to.have.length(1);
      expect(messages(r.debug)[0]).to.match(/^device driver maps memory from stack \[probable addr=/);
      expect(r.debug.live_entries).to.equal(1);
      // Unmap and sync look only at the first mapped_ents elements.
      debug_dma_sync_sg_for_device(r.dev, list, 2, DMA_TO_DEVICE);
      debug_dma_unmap_sg(r.dev, list, 2, DMA_TO_DEVICE);
      expect(r.debug.error_count).to.equal(1);
      expect(r.debug.live_entries).to.equal(0);
    });

    it('checks nothing when syncing a list whose first element is not mapped (get_nr_mapped_entries is 0)', () => {
      const r = rig();
      const { list } = twoPages(r);
      debug_dma_sync_sg_for_cpu(r.dev, list, 2, DMA_FROM_DEVICE);
      expect(r.debug.error_count).to.equal(0);
    });

    it('reports each element of an unmapped list at unmap time', () => {
      const r = rig();
      const { list } = twoPages(r);
      debug_dma_unmap_sg(r.dev, list, 2, DMA_FROM_DEVICE);
      expect(messages(r.debug).every((m) => m.startsWith('device driver tries to free DMA memory it has not allocated'))).to.equal(true);
      expect(r.debug.error_count).to.equal(2);
    });

    it('reports an unmap with a different entry count (§4.6 item 6)', () => {
      const r = rig();
      const pgs = [alloc_pages(r.mem, 0)!, alloc_pages(r.mem, 0)!, alloc_pages(r.mem, 0)!];
      const list = sgl(pgs.map((pg) => ({ pg, len: 4096, dma: page_to_phys(pg) })));
      debug_dma_map_sg(r.dev, list, 2, 2, DMA_FROM_DEVICE, 0);
      debug_dma_unmap_sg(r.dev, list, 3, DMA_FROM_DEVICE);
      expect(messages(r.debug)).to.deep.equal([
        'device driver frees DMA sg list with different entry count [map count=2] [unmap count=3]',
        'device driver frees DMA sg list with different entry count [map count=2] [unmap count=3]',
      ]);
      expect(r.debug.live_entries).to.equal(0);
    });

    it('reports a sync with a different entry count (§4.6 item 14)', () => {
      const r = rig();
      const pgs = [alloc_pages(r.mem, 0)!, alloc_pages(r.mem, 0)!, alloc_pages(r.mem, 0)!];
      const list = sgl(pgs.map((pg) => ({ pg, len: 4096, dma: page_to_phys(pg) })));
      debug_dma_map_sg(r.dev, list, 2, 2, DMA_FROM_DEVICE, 0);
      debug_dma_sync_sg_for_cpu(r.dev, list, 3, DMA_FROM_DEVICE);
      expect(messages(r.debug)).to.deep.equal([
        'device driver syncs DMA sg list with different entry count [map count=2] [sync count=3]',
        'device driver syncs DMA sg list with different entry count [map count=2] [sync count=3]',
      ]);
    });

    it('reports a segment longer than max_segment_size (§4.6 item 19, CONFIG_DMA_API_DEBUG_SG)', () => {
      const r = rig({}, { max_segment_size: 4096 });
      const pg = alloc_pages(r.mem, 1)!;
      const list = sgl([{ pg, len: 8192, dma: page_to_phys(pg) }]);
      debug_dma_map_sg(r.dev, list, 1, 1, DMA_TO_DEVICE, 0);
      expect(messages(r.debug)).to.deep.equal(['mapping sg segment longer than device claims to support [len=8192] [max=4096]']);
    });

    it('reports a segment crossing the segment boundary (§4.6 item 19)', () => {
      const r = rig({}, { segment_boundary_mask: 0xffff });
      const pg = alloc_pages(r.mem, 0)!;
      const list = sgl([{ pg, len: 0x200, dma: 0x1_0000_ff00 }]);
      debug_dma_map_sg(r.dev, list, 1, 1, DMA_TO_DEVICE, 0);
      expect(messages(r.debug)).to.deep.equal([
        'mapping sg segment across boundary [start=0x000000010000ff00] [end=0x00000001000100ff] [boundary=0x000000000000ffff]',
      ]);
    });

    it('accepts a segment ending exactly on the boundary', () => {
      const r = rig({}, { segment_boundary_mask: 0xffff });
      const pg = alloc_pages(r.mem, 0)!;
      debug_dma_map_sg(r.dev, sgl([{ pg, len: 0x100, dma: 0xff00 }]), 1, 1, DMA_TO_DEVICE, 0);
      expect(r.debug.error_count).to.equal(0);
    });

    it('accepts the list as its first entry as well as its array', () => {
      const r = rig();
      const { list } = twoPages(r);
      debug_dma_map_sg(r.dev, list[0]!, 2, 2, DMA_TO_DEVICE, 0);
      debug_dma_unmap_sg(r.dev, list, 2, DMA_TO_DEVICE);
      expect(r.debug.error_count).to.equal(0);
      expect(r.debug.live_entries).to.equal(0);
    });
  });

  describe('debug_dma_map_bvecs / debug_dma_unmap_bvecs / debug_dma_sync_bvecs_* (RFC 3/9)', () => {
    function bvecs(r: Rig, n: number, len = 4096): bio_vec[] {
      return Array.from({ length: n }, () => {
        const pg = alloc_pages(r.mem, 0)!;
        const bv = new bio_vec(pg, len, 0);
        bv.bv_dma_address = page_to_phys(pg);
        bv.bv_dma_length = len;
        return bv;
      });
    }

    it('records "bio-vec" entries and unmaps cleanly', () => {
      const r = rig();
      const bv = bvecs(r, 3);
      debug_dma_map_bvecs(r.dev, bv, 3, 3, DMA_BIDIRECTIONAL, 0);
      expect(r.debug.dump().split('\n').filter(Boolean).every((l) => l.includes(' bio-vec idx '))).to.equal(true);
      debug_dma_sync_bvecs_for_cpu(r.dev, bv, 3, DMA_FROM_DEVICE);
      debug_dma_unmap_bvecs(r.dev, bv, 3, DMA_BIDIRECTIONAL);
      expect(r.debug.error_count).to.equal(0);
      r.debug.assertClean();
    });

    it('reports a bio_vec array unmapped as an sg list (wrong function)', () => {
      const r = rig();
      const bv = bvecs(r, 1);
      debug_dma_map_bvecs(r.dev, bv, 1, 1, DMA_TO_DEVICE, 0);
      debug_dma_unmap_sg(r.dev, sgl([{ pg: bv[0]!.bv_page, len: 4096, dma: bv[0]!.bv_dma_address }]), 1, DMA_TO_DEVICE);
      expect(messages(r.debug)[0]).to.contain('[mapped as bio-vec] [unmapped as scatter-gather]');
    });

    it('reports an entry longer than max_segment_size with the RFC\'s "bv entry" text', () => {
      const r = rig({}, { max_segment_size: 2048 });
      debug_dma_map_bvecs(r.dev, bvecs(r, 1), 1, 1, DMA_TO_DEVICE, 0);
      expect(messages(r.debug)).to.deep.equal(['mapping bv entry longer than device claims to support [len=4096] [max=2048]']);
    });

    it('reports an unmap with a different entry count', () => {
      const r = rig();
      const bv = bvecs(r, 2);
      debug_dma_map_bvecs(r.dev, bv, 2, 2, DMA_TO_DEVICE, 0);
      debug_dma_unmap_bvecs(r.dev, bv, 1, DMA_TO_DEVICE);
      expect(messages(r.debug)).to.deep.equal(['device driver frees DMA sg list with different entry count [map count=2] [unmap count=1]']);
    });
  });

  describe('debug_dma_device_release', () => {
    it('reports mappings left when the driver is unbound (§4.6 item 20)', () => {
      const r = rig();
      const a = mapChecked(r.dev, pagePhys(r), 64, DMA_TO_DEVICE);
      const b = mapChecked(r.dev, pagePhys(r), 128, DMA_FROM_DEVICE);
      debug_dma_device_release(r.dev);
      const last = liveMappings(r.debug, r.dev).at(-1)!;
      expect([a, b]).to.include(last.dev_addr);
      expect(messages(r.debug)).to.deep.equal([
        'device driver has pending DMA allocations while released from device [count=2]\n' +
          `One of leaked entries details: [device address=${hex16(last.dev_addr)}] [size=${last.size} bytes] ` +
          `[mapped with ${last.direction === DMA_TO_DEVICE ? 'DMA_TO_DEVICE' : 'DMA_FROM_DEVICE'}] [mapped as phy]`,
      ]);
      expect(r.log.grep(/^One of leaked entries details/)).to.have.length(1);
    });

    it('says nothing for a device without mappings', () => {
      const r = rig();
      debug_dma_device_release(r.dev);
      expect(r.debug.error_count).to.equal(0);
    });
  });

  describe('debug_dma_device_access', () => {
    it('allows accesses inside a mapping in its direction', () => {
      const r = rig();
      const phys = pagePhys(r, 1);
      mapChecked(r.dev, phys, 8192, DMA_FROM_DEVICE);
      expect(debug_dma_device_access(r.dev, phys, 8192, true)).to.equal(true);
      expect(debug_dma_device_access(r.dev, phys + 100, 50, true)).to.equal(true);
      expect(r.debug.error_count).to.equal(0);
    });

    it('reports an access outside any mapping', () => {
      const r = rig();
      const phys = pagePhys(r, 1);
      mapChecked(r.dev, phys, 4096, DMA_FROM_DEVICE);
      expect(debug_dma_device_access(r.dev, phys + 4000, 200, true)).to.equal(false);
      expect(messages(r.debug)).to.deep.equal([
        `device accessed DMA memory outside any mapping [device address=${hex16(phys + 4000)}] [size=200 bytes]`,
      ]);
    });

    it('reports a write to DMA_TO_DEVICE memory and a read of DMA_FROM_DEVICE memory', () => {
      const r = rig();
      const a = mapChecked(r.dev, pagePhys(r), 4096, DMA_TO_DEVICE);
      const b = mapChecked(r.dev, pagePhys(r), 4096, DMA_FROM_DEVICE);
      expect(debug_dma_device_access(r.dev, a, 16, false)).to.equal(true);
      expect(debug_dma_device_access(r.dev, a, 16, true)).to.equal(false);
      expect(debug_dma_device_access(r.dev, b, 16, false)).to.equal(false);
      expect(messages(r.debug)).to.deep.equal([
        `device wrote DMA memory mapped DMA_TO_DEVICE [device address=${hex16(a)}] [size=16 bytes]`,
        `device read DMA memory mapped DMA_FROM_DEVICE [device address=${hex16(b)}] [size=16 bytes]`,
      ]);
    });

    it('allows both directions on BIDIRECTIONAL memory', () => {
      const r = rig();
      const a = mapChecked(r.dev, pagePhys(r), 4096, DMA_BIDIRECTIONAL);
      expect(debug_dma_device_access(r.dev, a, 4096, true)).to.equal(true);
      expect(debug_dma_device_access(r.dev, a, 4096, false)).to.equal(true);
    });

    it('accepts an access that adjacent live mappings cover byte for byte, and only the device\'s own', () => {
      const r = rig();
      const phys = pagePhys(r, 1);
      mapChecked(r.dev, phys, 4096, DMA_BIDIRECTIONAL);
      mapChecked(r.dev, phys + 4096, 4096, DMA_BIDIRECTIONAL);
      mapChecked(r.dev, phys + 3 * 4096, 4096, DMA_BIDIRECTIONAL);
      const dev1 = r.newDev({ name: 'dev1', driver: 'drv' });
      expect(debug_dma_device_access(r.dev, phys + 4000, 200, false)).to.equal(true);
      expect(debug_dma_device_access(r.dev, phys + 8000, 4096, false)).to.equal(false);
      expect(debug_dma_device_access(dev1, phys, 16, false)).to.equal(false);
      expect(r.debug.error_count).to.equal(2);
    });

    it('never throws, even in strict mode', () => {
      const r = rig({ strict: true });
      expect(debug_dma_device_access(r.dev, 0x5000, 4, true)).to.equal(false);
      expect(r.debug.error_count).to.equal(1);
      // ... nor leaves a strict-mode bug behind for the next hook to throw.
      const phys = mapChecked(r.dev, pagePhys(r), 64, DMA_TO_DEVICE);
      expect(() => debug_dma_unmap_phys(r.dev, phys, 64, DMA_TO_DEVICE)).not.to.throw();
    });

    it('knows dma_iova_link() ranges until they are unlinked (debug_dma_iova_link/unlink)', () => {
      const r = rig();
      debug_dma_iova_link(r.dev, 0x10_0000, 0x4000, DMA_FROM_DEVICE);
      expect(debug_dma_device_access(r.dev, 0x10_1000, 0x2000, true)).to.equal(true);
      debug_dma_iova_unlink(r.dev, 0x10_1000, 0x1000);
      expect(debug_dma_device_access(r.dev, 0x10_0000, 0x1000, true)).to.equal(true);
      expect(debug_dma_device_access(r.dev, 0x10_2000, 0x2000, true)).to.equal(true);
      expect(debug_dma_device_access(r.dev, 0x10_1000, 0x10, true)).to.equal(false);
      expect(r.debug.liveIovaLinks().map((l) => [l.addr, l.size])).to.deep.equal([[0x10_0000, 0x1000], [0x10_2000, 0x2000]]);
      expect(() => r.debug.assertClean()).to.throw('iova link');
      debug_dma_iova_unlink(r.dev, 0x10_0000, 0x4000);
      expect(r.debug.liveIovaLinks()).to.deep.equal([]);
    });

    it('agrees with a brute-force model of live mappings (property)', () => {
      fc.assert(
        fc.property(
          fc.array(fc.record({ start: fc.integer({ min: 0, max: 64 }), pages: fc.integer({ min: 1, max: 8 }), dir: fc.constantFrom(0, 1, 2), unmap: fc.boolean() }), { maxLength: 20 }),
          fc.array(fc.record({ at: fc.integer({ min: 0, max: 80 * 4096 }), len: fc.integer({ min: 1, max: 5 * 4096 }), write: fc.boolean() }), { maxLength: 30 }),
          (maps, accesses) => {
            const r = rig({ all_errors: true });
            const base = 2 ** 36;
            const live: { a: number; s: number; d: number }[] = [];
            for (const m of maps) {
              const a = base + m.start * 4096;
              const s = m.pages * 4096;
              debug_dma_map_phys(r.dev, 0x200000, s, m.dir, a, DMA_ATTR_SKIP_CPU_SYNC);
              live.push({ a, s, d: m.dir });
              if (m.unmap && live.length > 1) {
                const victim = live.splice(0, 1)[0]!;
                debug_dma_unmap_phys(r.dev, victim.a, victim.s, victim.d);
              }
            }
            for (const x of accesses) {
              const a = base + x.at;
              // Every byte must lie in some live mapping whose direction allows the access.
              const ok = (l: { d: number }) => l.d === DMA_BIDIRECTIONAL || l.d === (x.write ? DMA_FROM_DEVICE : DMA_TO_DEVICE);
              let expected = true;
              for (let b = a; b < a + x.len && expected; b += 8) {
                expected = live.some((l) => ok(l) && l.a <= b && b < l.a + l.s);
              }
              if (expected) expected = live.some((l) => ok(l) && l.a <= a + x.len - 1 && a + x.len - 1 < l.a + l.s);
              expect(debug_dma_device_access(r.dev, a, x.len, x.write)).to.equal(expected);
            }
          },
        ),
        { seed: SEED, numRuns: 200 },
      );
    });
  });

  describe('queries', () => {
    it('dumps live entries in the debugfs format (dump_show)', () => {
      const r = rig();
      const phys = pagePhys(r) + 0x48;
      mapChecked(r.dev, phys, 0x100, DMA_FROM_DEVICE);
      const idx = hash_fn(phys);
      expect(r.debug.dump()).to.equal(
        `drv dev0 phy idx ${idx} P=${hex16(phys)} D=${phys.toString(16)} L=100 cln=${hex16(Math.floor(phys / 64))} DMA_FROM_DEVICE dma map error checked\n`);
    });

    it('reports errors and live mappings (dmaDebugReport) and assertDmaDebugClean lists them', () => {
      const r = rig();
      const phys = mapChecked(r.dev, pagePhys(r), 64, DMA_TO_DEVICE);
      debug_dma_unmap_phys(r.dev, 0x7000, 8, DMA_TO_DEVICE);
      const rep = dmaDebugReport(r.debug);
      expect(rep.error_count).to.equal(1);
      expect(rep.live_entries).to.equal(1);
      expect(rep.mappings[0]!.dev_addr).to.equal(phys);
      expect(() => assertDmaDebugClean(r.debug)).to.throw(/1 error\(s\), 1 live mapping\(s\)[\s\S]*tries to free DMA memory[\s\S]*live: drv dev0 phy/);
    });

    it('filters liveMappings by device', () => {
      const r = rig();
      const dev1 = r.newDev({ name: 'dev1', driver: 'drv' });
      mapChecked(r.dev, pagePhys(r), 64, DMA_TO_DEVICE);
      mapChecked(dev1, pagePhys(r), 64, DMA_TO_DEVICE);
      expect(liveMappings(r.debug, dev1).map((e) => e.dev.name)).to.deep.equal(['dev1']);
      expect(liveMappings(r.debug)).to.have.length(2);
    });
  });

  describe('debug_dma_alloc_coherent / debug_dma_free_coherent', () => {
    it('records a coherent buffer without a map-error check and frees it cleanly', () => {
      const r = rig();
      const virt = page_address(alloc_pages(r.mem, 0)!);
      debug_dma_alloc_coherent(r.dev, PAGE_SIZE, 0x8000, virt);
      expect(liveMappings(r.debug)[0]!.direction).to.equal(DMA_BIDIRECTIONAL);
      debug_dma_free_coherent(r.dev, PAGE_SIZE, virt, 0x8000);
      expect(r.debug.error_count).to.equal(0);
      r.debug.assertClean();
    });
  });
});
