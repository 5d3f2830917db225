/**
 * _cma_bed - a two-host fabric with registered rxe devices and rdma_cm loaded, for the CM specs.
 *
 * Kernel: - (test fixture)
 *
 * Operation: `cmaBed()` loads the MAD layer, the IB CM and rdma_cm, builds a fabric with
 * `client` 10.0.0.1 and `server` 10.0.0.2, and an rxe device on each registered with the core
 * (uniquely named, so the clients see them and QP1 opens). `close()` unregisters the devices.
 * The shape matches `_std_pair`'s Testbed so its FRWR `regMr` works on these hosts.
 */
import { SimClock } from '@rdmaemu/sim-core';
import { createFabric, type Fabric } from '../../src/fabric/fabric.js';
import { rxe_add } from '../../src/sw/rxe/rxe.js';
import { ib_unregister_device } from '../../src/core/device.js';
import { cma_init, cma_cleanup } from '../../src/core/cma.js';
import { ib_cm_cleanup } from '../../src/core/cm.js';
import { ib_mad_cleanup } from '../../src/core/mad.js';

/** cmaUnload - unload rdma_cm, the IB CM and the MAD layer (module exit), so later specs see none of them. */
export function cmaUnload(): void {
  cma_cleanup();
  ib_cm_cleanup();
  ib_mad_cleanup();
}
import type { HostCtx, Testbed } from '../conformance/_std_pair.js';

let seq = 0;

export interface CmaBed extends Testbed {
  readonly fabric: Fabric;
  close(): void;
}

export function cmaBed(seed = 1): CmaBed {
  cma_init();
  const clock = new SimClock({ seed, traceClock: false });
  const fabric = createFabric(clock, { seed });
  const mk = (name: string, ip: string): HostCtx => {
    const fh = fabric.addHost({ name, ip, memory: '16M' });
    const dev = rxe_add(fh.netdev, { dma: fh.dma, name: `cmrxe${seq++}` });
    return { fh, dev, admin: new Map(), adminCq: null, adminPd: null };
  };
  const a = mk('client', '10.0.0.1');
  const b = mk('server', '10.0.0.2');
  return {
    clock, fabric, a, b,
    close(): void {
      for (const h of [a, b]) if (h.dev.reg_state === 'registered') ib_unregister_device(h.dev);
    },
  };
}

/** run - advance virtual time by `ms` (in 1 ms steps) or until `until()` holds. */
export function run(clock: SimClock, ms: number, until: () => boolean = () => false): boolean {
  for (let i = 0; i < ms; i++) {
    if (until()) return true;
    clock.tick(1);
  }
  return until();
}
