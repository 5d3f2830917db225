/**
 * host - one emulated machine as the DMA layer sees it: RAM, dmesg, swiotlb, IOMMU, dma-debug.
 *
 * Kernel: the machine-wide state that the kernel keeps in globals — memblock/mem_map
 *         (mm/), io_tlb_default_mem (kernel/dma/swiotlb.c), the IOMMU driver and its default
 *         domains (drivers/iommu/iommu.c iommu_setup_default_domain), dma-debug's hash
 *         (kernel/dma/debug.c), the printk ring (kernel/printk/).
 *
 * Operation: `createDmaHost()` builds a host: its `PhysicalMemory`, its `Dmesg`, a default swiotlb
 * pool (unless disabled), dma-debug (on by default), and the IOMMU mode. `host.addDevice()` plays
 * bus probe and driver bind: it makes a `struct device`, gives it the default swiotlb pool, and —
 * when the IOMMU is on — a default domain of its own (IOMMU_DOMAIN_DMA for `strict`,
 * IOMMU_DOMAIN_DMA_FQ for `lazy`, as `iommu.strict=1/0` selects) so its streaming DMA goes through
 * dma-iommu. `host.removeDevice()` plays driver unbind: dma-debug reports mappings the driver
 * leaked ("pending DMA allocations while released from device").
 *
 * Several hosts coexist in one process (a client and a server); nothing here is global.
 */
import { Dmesg, type SimClock } from '@rdmaemu/sim-core';
import { dma_debug, debug_dma_device_release, type DmaDebugInit } from './debug.js';
import { device, type DeviceInit } from './device.js';
import {
  IOMMU_DOMAIN_DMA, IOMMU_DOMAIN_DMA_FQ, iommu_attach_device, iommu_detach_device, iommu_domain_alloc, iommu_domain_free,
} from './iommu.js';
import { PhysicalMemory, type PhysicalMemoryInit } from './memory.js';
import { swiotlb_init, type SwiotlbInit, type io_tlb_mem } from './swiotlb.js';

/** How a host's devices reach memory. `off`: dma-direct; `strict`/`lazy`: dma-iommu with that invalidation policy. */
export type IommuMode = 'off' | 'strict' | 'lazy';

/** DmaHostInit - what a machine has. */
export interface DmaHostInit {
  /** For messages and traces. @default 'host' */
  name?: string;
  /** RAM: a size (`'256M'`) or full options. @default '256M' at physical address 0 */
  memory?: number | string | PhysicalMemoryInit;
  /** The simulation clock: timestamps dmesg and drives the IOMMU flush-queue timer. @default null */
  clock?: SimClock | null;
  /** @default 'off' */
  iommu?: IommuMode;
  /** The default swiotlb pool, or false for none (`swiotlb=noforce` and no pool). @default {} */
  swiotlb?: SwiotlbInit | false;
  /** dma-debug (CONFIG_DMA_API_DEBUG), on unless false. @default {} */
  dmaDebug?: DmaDebugInit | false;
}

/**
 * DmaHost - one machine: memory, log, swiotlb, IOMMU mode, dma-debug, devices.
 *
 * Emulator-only.
 * @example
 * ```ts
 * const host = createDmaHost({ name: 'client', memory: '64M', iommu: 'strict' });
 * const dev = host.addDevice({ name: '0000:01:00.0', driver: 'mlx5_core' });
 * // ... dma_map_phys(dev, ...) ...
 * host.debug?.assertClean();
 * ```
 */
export class DmaHost {
  readonly name: string;
  readonly mem: PhysicalMemory;
  readonly log: Dmesg;
  readonly clock: SimClock | null;
  readonly iommu: IommuMode;
  /** Kernel: io_tlb_default_mem. */
  readonly swiotlb: io_tlb_mem | null;
  readonly debug: dma_debug | null;
  readonly devices: device[] = [];

  constructor(init: DmaHostInit = {}) {
    this.name = init.name ?? 'host';
    const memInit: PhysicalMemoryInit =
      typeof init.memory === 'object' ? { name: this.name, ...init.memory } : { name: this.name, size: init.memory ?? '256M' };
    this.mem = new PhysicalMemory(memInit);
    this.clock = init.clock ?? null;
    const clock = this.clock;
    this.log = new Dmesg(4096, clock ? () => clock.ktime_get() : () => 0);
    this.iommu = init.iommu ?? 'off';
    this.swiotlb = init.swiotlb === false ? null : swiotlb_init(this.mem, { log: this.log, ...init.swiotlb });
    this.debug = init.dmaDebug === false ? null : new dma_debug(this.log, init.dmaDebug ?? {});
  }

  /**
   * addDevice - probe a device and bind its driver: DMA configuration, swiotlb pool, IOMMU domain.
   *
   * Kernel: drivers/base/dd.c really_probe() → dma_configure() → iommu_setup_dma_ops()
   */
  addDevice(init: DeviceInit): device {
    const dev = new device(this, init);
    dev.dma_io_tlb_mem = this.swiotlb;
    if (this.iommu !== 'off') {
      const domain = iommu_domain_alloc(this, this.iommu === 'lazy' ? IOMMU_DOMAIN_DMA_FQ : IOMMU_DOMAIN_DMA);
      iommu_attach_device(domain, dev);
    }
    this.devices.push(dev);
    return dev;
  }

  /**
   * removeDevice - unbind the driver: dma-debug checks for leaked mappings, the IOMMU domain goes.
   *
   * Kernel: drivers/base/dd.c device_release_driver() (BUS_NOTIFY_UNBOUND_DRIVER → dma_debug_device_change),
   *         drivers/iommu/iommu.c iommu_release_device() (the group's default domain is freed)
   * The device's default domain is detached and freed (its flush-queue timer stopped) even
   * when strict dma-debug throws the leak report.
   * @throws KernelBug (strict dma-debug) "device driver has pending DMA allocations while
   *         released from device" when mappings leaked
   */
  removeDevice(dev: device): void {
    const i = this.devices.indexOf(dev);
    if (i < 0) return;
    this.devices.splice(i, 1);
    dev.released = true;
    try {
      debug_dma_device_release(dev);
    } finally {
      const domain = dev.iommu_domain;
      if (domain) {
        iommu_detach_device(domain, dev);
        iommu_domain_free(domain);
      }
    }
  }
}

/** createDmaHost - a new machine. See DmaHost. */
export function createDmaHost(init: DmaHostInit = {}): DmaHost {
  return new DmaHost(init);
}
