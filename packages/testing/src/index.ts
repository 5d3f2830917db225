/**
 * @packageDocumentation
 * `@rdmaemu/testing` - what tests and examples share and the packages themselves never import
 * (STYLE.md §3): the external oracles a spec checks a capture with, and the examples' command line.
 *
 * | Kernel / tool | rdmaemu |
 * |---|---|
 * | Wireshark `tshark -2` (dissectors, expert info, `-T fields`) | `tsharkErrors`, `tsharkFields` (`oracles.ts`) |
 * | scapy `scapy.contrib.roce` `BTH.compute_icrc` (RoCEv2 ICRC, IBA Annex A17) | `icrcCheck` running `tools/icrc_check.py` (`oracles.ts`) |
 * | "skip outside CI, fail in CI" for a missing tool | `toolMissing`, `tsharkMissing`, `scapyMissing`, `requireTool`, `IN_CI` (`oracles.ts`) |
 * | an example's `main()` and its `--pcap` / `--trace` options | `isMain`, `parseExampleArgs`, `wireFrames` (`example-cli.ts`) |
 *
 * Errors: the oracle helpers return what the tools found as data and throw `Error` only when a
 * tool cannot run; `requireTool` fails the test (an `AssertionError`) in CI.
 */

// oracles.ts
export {
  IN_CI, TSHARK, PYTHON, ICRC_CHECK, TSHARK_ERROR_FILTER, toolMissing, tsharkMissing, scapyMissing, requireTool,
  tsharkErrors, tsharkFields, icrcCheck,
} from './oracles.js';
export type { IcrcSummary } from './oracles.js';

// example-cli.ts
export {
  isMain, parseExampleArgs, wireFrames,
} from './example-cli.js';
export type { ExampleArgs } from './example-cli.js';
