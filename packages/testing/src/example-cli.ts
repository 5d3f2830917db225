/**
 * example-cli - the command line every numbered example shares: "am I the program?", the
 * `--pcap FILE` / `--trace SYSTEM:EVENT[,...]` options, and the frame count of a run.
 *
 * Kernel: none (emulator-only).
 *
 * Operation: an example's `main.ts` exports `run(opts)` for its smoke test and ends with
 * ```ts
 * if (isMain(import.meta.url)) {
 *   const r = run({ ...parseExampleArgs(process.argv.slice(2), USAGE), print: (l) => console.log(l) });
 *   if (!r.dataOk) process.exit(1);
 * }
 * ```
 * so importing the module (the spec does) runs nothing, and `node dist/main.js` (through any
 * symlink, e.g. a workspace link in node_modules) runs the example.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { FabricStats } from '@rdmaemu/ib_verbs';

/**
 * isMain - true when the module whose `import.meta.url` is given is the program node started
 * (`process.argv[1]`, symlinks resolved), false when it was imported.
 * @param importMetaUrl the caller's `import.meta.url`
 * @example At the end of an example's main.ts
 * ```ts
 * if (isMain(import.meta.url)) console.log('running as a program');
 * ```
 */
export function isMain(importMetaUrl: string): boolean {
  const argv1 = process.argv[1];
  if (argv1 === undefined) return false;
  try {
    return importMetaUrl === pathToFileURL(realpathSync(argv1)).href;
  } catch {
    return false;
  }
}

/** ExampleArgs - the options `parseExampleArgs()` found. */
export interface ExampleArgs {
  /** `--pcap FILE`: write a capture of every frame on the fabric there. */
  pcap?: string;
  /** `--trace SYSTEM:EVENT[,...]`: the tracepoints to print (a `recordTrace` filter), split at commas. */
  trace?: string[];
}

/**
 * parseExampleArgs - read `--pcap FILE` and `--trace SYSTEM:EVENT[,...]` from an example's
 * arguments. Other arguments are ignored; an option given twice takes its first value.
 *
 * An option without a value (the last argument) prints `usage` on stderr and exits 2, `--pcap`
 * checked first.
 * @param argv the arguments after the script (`process.argv.slice(2)`)
 * @param usage the usage line, e.g. `usage: main.js [--pcap FILE] [--trace SYSTEM:EVENT[,...]]`
 * @returns the options present (absent ones are left out)
 * @example
 * ```ts
 * const args = parseExampleArgs(['--pcap', '/tmp/01.pcap', '--trace', 'rdma_cma:*,dma:*'], 'usage: main.js');
 * console.assert(args.pcap === '/tmp/01.pcap' && args.trace?.length === 2);
 * ```
 */
export function parseExampleArgs(argv: readonly string[], usage: string): ExampleArgs {
  const opt = (name: string): string | undefined => {
    const at = argv.indexOf(name);
    if (at < 0) return undefined;
    const v = argv[at + 1];
    if (v === undefined) {
      console.error(usage);
      process.exit(2);
    }
    return v;
  };
  const out: ExampleArgs = {};
  const pcap = opt('--pcap');
  if (pcap !== undefined) out.pcap = pcap;
  const trace = opt('--trace');
  if (trace !== undefined) out.trace = trace.split(',');
  return out;
}

/**
 * wireFrames - the frames the hosts of a fabric transmitted: the sum of their netdevs'
 * `tx_packets`. A capture of the whole fabric (`pcapTap(fabric)`) holds exactly these; the
 * link totals (`stats.totals.frames`) count each frame twice (host→switch, switch→host).
 * @param stats `fabric.stats()`
 * @example
 * ```ts
 * const frames = wireFrames(fabric.stats());
 * ```
 */
export function wireFrames(stats: Pick<FabricStats, 'hosts'>): number {
  return Object.values(stats.hosts).reduce((n, h) => n + h.netdev.tx_packets, 0);
}
