/**
 * Tests of the dma-direct fast path of dmaDeviceRead / dmaDeviceWrite (coherent device, dma-debug
 * off): the same bytes, views, counters and faults as the general dmaDeviceAccess path.
 */
import { expect } from 'chai';
import { DmaFault, dmaDeviceAccess, dmaDeviceRead, dmaDeviceWrite, isDmaFault } from '../src/dma-device-access.js';
import { PAGE_SIZE, page_to_phys } from '../src/memory.js';
import { alloc_pages } from '../src/page_alloc.js';
import { rig, unreachableRig } from './_support.js';

describe('dma-device-access fast path (dma-direct, coherent, no dma-debug)', () => {
  it('dmaDeviceWrite copies into RAM and counts device_write_bytes, as the general path', () => {
    const r = rig({ debug: false });
    const phys = page_to_phys(alloc_pages(r.mem, 2)!) + 100;
    const src = Uint8Array.from({ length: 3 * PAGE_SIZE }, (_, i) => (i * 7) & 0xff);
    expect(dmaDeviceWrite(r.dev, phys, src)).to.equal(src.length);
    expect([...r.mem.bytes.subarray(phys - r.mem.base, phys - r.mem.base + src.length)]).to.deep.equal([...src]);
    expect(r.dev.stats.total.device_write_bytes).to.equal(src.length);
    expect(dmaDeviceWrite(r.dev, phys, new Uint8Array(0))).to.equal(0);
  });

  it('dmaDeviceRead returns one view of RAM in the caller\'s array and counts device_read_bytes', () => {
    const r = rig({ debug: false });
    const phys = page_to_phys(alloc_pages(r.mem, 1)!) + 8;
    const out: Uint8Array[] = [new Uint8Array(3)];
    const v = dmaDeviceRead(r.dev, phys, 5000, out);
    expect(v).to.equal(out);
    const views = v as Uint8Array[];
    expect(views).to.have.length(1);
    expect(views[0]!.buffer).to.equal(r.mem.buffer);
    expect(views[0]!.byteOffset).to.equal(phys - r.mem.base);
    expect(views[0]!.length).to.equal(5000);
    expect(r.dev.stats.total.device_read_bytes).to.equal(5000);
  });

  it('faults exactly as dmaDeviceAccess: not-ram past the end of RAM, mask beyond the device limit', () => {
    const r = rig({ debug: false });
    const end = r.mem.base + r.mem.size;
    const w = dmaDeviceWrite(r.dev, end - 10, new Uint8Array(20));
    const rd = dmaDeviceRead(r.dev, end - 10, 20, []);
    const ref = dmaDeviceAccess(r.dev, end - 10, 20, true);
    for (const f of [w, rd]) {
      expect(isDmaFault(f)).to.equal(true);
      expect((f as DmaFault).reason).to.equal((ref as DmaFault).reason).and.equal('not-ram');
    }
    expect(r.dev.stats.total.device_write_bytes).to.equal(0);
    const u = unreachableRig(false);
    const wf = dmaDeviceWrite(u.dev, u.mem.base, new Uint8Array(4));
    expect(isDmaFault(wf) && wf.reason).to.equal('mask');
    const rf = dmaDeviceRead(u.dev, u.mem.base, 4, []);
    expect(isDmaFault(rf) && rf.reason).to.equal('mask');
  });

  it('is not taken with dma-debug on: an unmapped access is still refused', () => {
    const r = rig();
    const phys = page_to_phys(alloc_pages(r.mem, 0)!);
    const f = dmaDeviceWrite(r.dev, phys, new Uint8Array(16));
    expect(isDmaFault(f) && f.reason).to.equal('dma-debug');
    const g = dmaDeviceRead(r.dev, phys, 16, []);
    expect(isDmaFault(g) && g.reason).to.equal('dma-debug');
  });
});
