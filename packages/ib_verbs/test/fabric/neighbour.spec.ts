import { expect } from 'chai';
import { neigh_lookup, neigh_table } from '../../src/fabric/neighbour.js';
import { net_device } from '../../src/fabric/netdev.js';
import { macFromIpv4, macToString } from '../../src/fabric/ether.js';

describe('neighbour', () => {
  it('neigh_lookup resolves u32 and dotted addresses through the device table, null when unknown', () => {
    const tbl = new neigh_table();
    tbl.update(0x0a000002, macFromIpv4(0x0a000002));
    const dev = new net_device({ name: 'eth0', ip: '10.0.0.1', dev_addr: macFromIpv4(0x0a000001), neigh: tbl });
    expect(macToString(neigh_lookup(dev, 0x0a000002)!)).to.equal('02:00:0a:00:00:02');
    expect(macToString(neigh_lookup(dev, '10.0.0.2')!)).to.equal('02:00:0a:00:00:02');
    expect(neigh_lookup(dev, '10.0.0.3')).to.equal(null);
    expect(tbl.size).to.equal(1);
    expect(tbl.delete(0x0a000002)).to.equal(true);
    expect(neigh_lookup(dev, 0x0a000002)).to.equal(null);
  });

  it('returns null for a device without a table', () => {
    const dev = new net_device({ name: 'eth0', ip: '10.0.0.1', dev_addr: macFromIpv4(1) });
    expect(neigh_lookup(dev, 1)).to.equal(null);
  });
});
