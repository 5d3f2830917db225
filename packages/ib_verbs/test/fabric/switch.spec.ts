import { expect } from 'chai';
import { isKernelError } from '@rdmaemu/sim-core';
import { createSwitch } from '../../src/fabric/switch.js';
import { macFromIpv4 } from '../../src/fabric/ether.js';
import { makeFrame, type Frame } from '../../src/fabric/frame.js';
import { eth_header, ETH_P_IP } from '../../src/fabric/ether.js';

function frameTo(dst: Uint8Array): Frame {
  const hdr = new Uint8Array(42);
  eth_header(hdr, 0, dst, macFromIpv4(0x0a0000ff), ETH_P_IP);
  return makeFrame(hdr);
}

describe('switch', () => {
  function setup() {
    const sw = createSwitch('sw0');
    const out: string[][] = [[], [], []];
    const ports = [0, 1, 2].map((i) => {
      const p = sw.addPort();
      p.tx = { xmit: (f) => out[i]!.push(String(f.hdr[5])) };
      sw.addFdbEntry(macFromIpv4(0x0a000000 + i), p);
      return p;
    });
    return { sw, ports, out };
  }

  it('forwards by destination MAC to the one matching port', () => {
    const { sw, ports, out } = setup();
    ports[0]!.receive(frameTo(macFromIpv4(0x0a000002)));
    ports[2]!.receive(frameTo(macFromIpv4(0x0a000001)));
    expect(out).to.deep.equal([[], ['1'], ['2']]);
    expect(sw.forwarded).to.equal(2);
    expect(ports[0]!.name).to.equal('sw0:p0');
    expect(sw.fdbLookup(macFromIpv4(0x0a000001))).to.equal(ports[1]);
  });

  it('drops and counts unknown destinations, hairpins and ports without a link', () => {
    const { sw, ports, out } = setup();
    ports[0]!.receive(frameTo(macFromIpv4(0x0a000009)));
    ports[1]!.receive(frameTo(macFromIpv4(0x0a000001)));
    ports[2]!.tx = null;
    ports[0]!.receive(frameTo(macFromIpv4(0x0a000002)));
    ports[0]!.receive(makeFrame(new Uint8Array(3)));
    expect(out).to.deep.equal([[], [], []]);
    expect(sw.stats().drops).to.deep.equal({ 'unknown-mac': 1, 'same-port': 1, 'no-link': 1, runt: 1 });
  });

  it('floods broadcast to every port but the ingress', () => {
    const { sw, ports, out } = setup();
    ports[1]!.receive(frameTo(new Uint8Array(6).fill(0xff)));
    expect(out.map((o) => o.length)).to.deep.equal([1, 0, 1]);
    expect(sw.flooded).to.equal(1);
  });

  it('refuses a MAC already bound to another port (EEXIST)', () => {
    const { sw, ports } = setup();
    sw.addFdbEntry(macFromIpv4(0x0a000000), ports[0]!); // same port: fine
    try {
      sw.addFdbEntry(macFromIpv4(0x0a000000), ports[1]!);
      expect.fail('no throw');
    } catch (e) {
      expect(isKernelError(e, 'EEXIST')).to.equal(true);
    }
    expect(sw.delFdbEntry(macFromIpv4(0x0a000000))).to.equal(true);
  });
});
