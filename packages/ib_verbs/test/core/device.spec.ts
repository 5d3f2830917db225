import { expect } from 'chai';
import { isKernelError } from '@rdmaemu/sim-core';
import { createFakeDevice } from './_fake_provider.js';
import {
  ib_register_device,
  ib_unregister_device,
  ib_register_client,
  ib_unregister_client,
  ib_set_client_data,
  ib_get_client_data,
  ib_device_get_by_name,
  ib_query_port,
  type ib_client,
  type ib_device,
} from '../../src/core/device.js';
import { ib_port_state } from '../../src/core/ib_verbs.h.js';

describe('ib_register_client / ib_register_device', () => {
  it('calls add() for existing and new devices and remove() with the client data', () => {
    const log: string[] = [];
    const client: ib_client = {
      name: 'test',
      add: (d: ib_device) => {
        log.push(`add ${d.name}`);
        ib_set_client_data(d, client, `data-${d.name}`);
      },
      remove: (d: ib_device, data: unknown) => log.push(`remove ${d.name} ${String(data)}`),
    };
    const a = createFakeDevice({ name: 'dev-a' }).dev;
    const b = createFakeDevice({ name: 'dev-b' }).dev;
    ib_register_device(a);
    ib_register_client(client);
    ib_register_device(b);
    expect(ib_get_client_data(b, client)).to.equal('data-dev-b');
    expect(ib_device_get_by_name('dev-a')).to.equal(a);
    ib_unregister_device(a);
    ib_unregister_client(client);
    ib_unregister_device(b);
    expect(log).to.deep.equal(['add dev-a', 'add dev-b', 'remove dev-a data-dev-a', 'remove dev-b data-dev-b']);
    expect(ib_device_get_by_name('dev-a')).to.equal(null);
  });
  it('rejects a duplicate name with EEXIST', () => {
    const a = createFakeDevice({ name: 'dup' }).dev;
    const b = createFakeDevice({ name: 'dup' }).dev;
    ib_register_device(a);
    try {
      expect(() => ib_register_device(b)).to.throw().that.satisfies((e: unknown) => isKernelError(e, 'EEXIST'));
    } finally {
      ib_unregister_device(a);
    }
  });
});

describe('ib_query_port', () => {
  it('asks the provider for a valid port and rejects others with EINVAL', () => {
    const { dev } = createFakeDevice();
    expect(ib_query_port(dev, 1).state).to.equal(ib_port_state.IB_PORT_ACTIVE);
    expect(() => ib_query_port(dev, 2)).to.throw().that.satisfies((e: unknown) => isKernelError(e, 'EINVAL'));
  });
});
