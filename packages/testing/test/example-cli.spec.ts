import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NETDEV_DROP_REASONS, net_device_stats, type FabricStats, type NetdevDropReason } from '@rdmaemu/ib_verbs';
import { isMain, parseExampleArgs, wireFrames } from '../src/index.js';

const INDEX_URL = new URL('../src/index.js', import.meta.url).href;
const USAGE = 'usage: main.js [--pcap FILE] [--trace SYSTEM:EVENT[,...]]';

/** Run `parseExampleArgs(argv, USAGE)` in a child node (it may exit). */
function parseInChild(argv: string[]): { status: number | null; stdout: string; stderr: string } {
  const script = `import { parseExampleArgs } from ${JSON.stringify(INDEX_URL)};
    console.log(JSON.stringify(parseExampleArgs(${JSON.stringify(argv)}, ${JSON.stringify(USAGE)})));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('example-cli: isMain', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rdmaemu-example-cli-'));
    writeFileSync(join(dir, 'main.mjs'), `import { isMain } from ${JSON.stringify(INDEX_URL)};\nconsole.log(isMain(import.meta.url));\n`);
    writeFileSync(join(dir, 'importer.mjs'), `import './main.mjs';\n`);
    symlinkSync(join(dir, 'main.mjs'), join(dir, 'link.mjs'));
  });
  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  const runNode = (file: string): string => {
    const r = spawnSync(process.execPath, [join(dir, file)], { encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    return r.stdout.trim();
  };

  it('is true for the module node was started with', () => {
    expect(runNode('main.mjs')).to.equal('true');
  });

  it('is true when node was started through a symlink to the module (realpath)', () => {
    expect(runNode('link.mjs')).to.equal('true');
  });

  it('is false for a module that was imported', () => {
    expect(runNode('importer.mjs')).to.equal('false');
    expect(isMain(import.meta.url)).to.equal(false);
  });

  it('is false for a URL that names no file node was started with', () => {
    expect(isMain('file:///nonexistent/main.js')).to.equal(false);
  });
});

describe('example-cli: parseExampleArgs', () => {
  it('reads --pcap FILE and --trace, split at commas', () => {
    expect(parseExampleArgs(['--pcap', '/tmp/x.pcap', '--trace', 'rdma_cma:*,dma:dma_map_phys'], USAGE))
      .to.deep.equal({ pcap: '/tmp/x.pcap', trace: ['rdma_cma:*', 'dma:dma_map_phys'] });
    expect(parseExampleArgs(['--trace', 'rdma_core:*'], USAGE)).to.deep.equal({ trace: ['rdma_core:*'] });
  });

  it('leaves absent options out and ignores other arguments', () => {
    const args = parseExampleArgs(['--verbose', 'x'], USAGE);
    expect(args).to.deep.equal({});
    expect(Object.keys(args)).to.deep.equal([]);
  });

  it('takes the first value of an option given twice', () => {
    expect(parseExampleArgs(['--pcap', 'a.pcap', '--pcap', 'b.pcap'], USAGE)).to.deep.equal({ pcap: 'a.pcap' });
  });

  it('prints the usage line on stderr and exits 2 for an option without a value', () => {
    for (const argv of [['--pcap'], ['--pcap', 'a.pcap', '--trace'], ['--trace', 'x', '--pcap']]) {
      const r = parseInChild(argv);
      expect(r.status, argv.join(' ')).to.equal(2);
      expect(r.stderr).to.equal(`${USAGE}\n`);
      expect(r.stdout).to.equal('');
    }
  });

  it('parses in a child exactly as in process (control for the exit test)', () => {
    const r = parseInChild(['--pcap', 'a.pcap']);
    expect(r.status, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.equal({ pcap: 'a.pcap' });
  });
});

describe('example-cli: wireFrames', () => {
  const host = (tx: number, rx: number): FabricStats['hosts'][string] => {
    const netdev = new net_device_stats();
    netdev.tx_packets = tx;
    netdev.rx_packets = rx;
    const drops = Object.fromEntries(NETDEV_DROP_REASONS.map((r) => [r, 0])) as Record<NetdevDropReason, number>;
    return { netdev, drops };
  };

  it("sums the hosts' tx_packets (each frame once, not per link direction)", () => {
    expect(wireFrames({ hosts: { client: host(7, 5), server: host(5, 7) } })).to.equal(12);
  });

  it('is 0 for a fabric without hosts', () => {
    expect(wireFrames({ hosts: {} })).to.equal(0);
  });
});
