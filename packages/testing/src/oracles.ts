/**
 * oracles - run the tools nobody on this team wrote (tshark, scapy) on a capture, for tests.
 *
 * Kernel: none (emulator-only; ORACLES.md §1-§2 names the oracles).
 *
 * Operation: each helper spawns a tool synchronously (`spawnSync`) on a pcap file and returns
 * what it printed as data: `tsharkErrors()` the frames tshark -2 calls malformed or marks with an
 * error-level expert item, `tsharkFields()` the `-T fields` rows, `icrcCheck()` the summary of
 * `tools/icrc_check.py` (scapy.contrib.roce recomputes every RoCEv2 ICRC). The tools are found
 * through `RDMAEMU_TSHARK` and `RDMAEMU_PYTHON` (defaults: `tshark` on the PATH and Debian's
 * `/usr/bin/python3`, where `python3-scapy` installs).
 *
 * A spec asks `toolMissing()` (or `tsharkMissing()` / `scapyMissing()`) why a tool cannot run,
 * then `requireTool()`: outside CI a missing tool skips the test with the reason in its title;
 * in CI (`process.env.CI` set, not '' or 'false': `.ci/run` installs the tools) it fails it.
 *
 * Invariants: no helper throws for what the tool found (malformed frames, bad ICRCs are data);
 * they throw only when the tool itself could not run or printed something unparseable.
 */
import { spawnSync } from 'node:child_process';
import { fail } from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

/** IN_CI - true when running under CI (`CI` set and not '' or 'false'): missing tools fail tests. */
export const IN_CI: boolean = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';

/** TSHARK - the tshark binary (Debian `tshark`); `RDMAEMU_TSHARK` overrides. @default 'tshark' */
export const TSHARK: string = process.env.RDMAEMU_TSHARK ?? 'tshark';

/**
 * PYTHON - the python3 that has scapy (Debian `python3-scapy` installs into its dist-packages);
 * `RDMAEMU_PYTHON` overrides. @default '/usr/bin/python3'
 */
export const PYTHON: string = process.env.RDMAEMU_PYTHON ?? '/usr/bin/python3';

/** ICRC_CHECK - path of the bundled scapy ICRC checker (`tools/icrc_check.py` in this package). */
export const ICRC_CHECK: string = fileURLToPath(new URL('../../tools/icrc_check.py', import.meta.url));

/** Output of a tool large captures can produce (tshark -T fields on thousands of frames). */
const MAX_BUFFER = 64 << 20;

interface ToolRun {
  stdout: string;
  stderr: string;
  status: number | null;
}

/** Run `cmd args` to completion; throws if it could not be started. */
function runTool(cmd: string, args: readonly string[]): ToolRun {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: MAX_BUFFER });
  if (r.error !== undefined) throw new Error(`${cmd}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`, { cause: r.error });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** The non-empty lines of a tool's output (the trailing newline dropped, tabs kept). */
function linesOf(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l !== '');
}

/**
 * toolMissing - why `cmd args` cannot run here, or null when it runs and exits 0.
 * @param cmd the program (a name on the PATH or a path)
 * @param args a harmless probe. @default ['--version']
 * @returns `"<cmd>: ENOENT"` (cannot start), `"<cmd> <args>: exit N: <last stderr line>"`, or null
 * @example A binary that does not exist
 * ```ts
 * console.assert(toolMissing('/nonexistent/tshark') === '/nonexistent/tshark: ENOENT');
 * ```
 */
export function toolMissing(cmd: string, args: readonly string[] = ['--version']): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error !== undefined) return `${cmd}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`;
  if (r.status !== 0) {
    const why = r.status === null ? `signal ${r.signal}` : `exit ${r.status}`;
    return `${cmd} ${args.join(' ')}: ${why}: ${r.stderr.trim().split('\n').pop() ?? ''}`;
  }
  return null;
}

/**
 * tsharkMissing - why `TSHARK` cannot run here, or null (`toolMissing(TSHARK)`).
 * @example
 * ```ts
 * const why = tsharkMissing();
 * if (why !== null) console.log(`no tshark: ${why}`);
 * ```
 */
export function tsharkMissing(): string | null {
  return toolMissing(TSHARK);
}

/**
 * scapyMissing - why `PYTHON` cannot import `scapy.contrib.roce` here, or null.
 * @example
 * ```ts
 * const why = scapyMissing();
 * if (why !== null) console.log(`no scapy: ${why}`);
 * ```
 */
export function scapyMissing(): string | null {
  return toolMissing(PYTHON, ['-c', 'import scapy.contrib.roce']);
}

/**
 * requireTool - let a test go on only if its tool runs: outside CI skip it, with the reason in
 * its title; under CI (`IN_CI`) fail it.
 * @param ctx the mocha test context (`this` in a `function () {}` test)
 * @param tool the Debian package that provides the tool (`tshark`, `python3-scapy`)
 * @param reason `toolMissing()`'s answer: null = the tool runs, return at once
 * @throws AssertionError under CI when `reason` is not null
 * @example In a spec
 * ```ts
 * it('decodes with tshark', function () {
 *   requireTool(this, 'tshark', tsharkMissing());
 *   // ... use tshark
 * });
 * ```
 */
export function requireTool(ctx: Mocha.Context, tool: string, reason: string | null): void {
  if (reason === null) return;
  if (IN_CI) fail(`${tool} is required in CI (.ci/run installs it): ${reason}`);
  if (ctx.test) ctx.test.title += ` [skipped: Debian package ${tool} not installed: ${reason}]`;
  ctx.skip();
}

/** The display filter of `tsharkErrors()`: malformed frames and error-level expert items. */
export const TSHARK_ERROR_FILTER = '_ws.malformed || _ws.expert.severity >= error';

/**
 * tsharkErrors - the frames tshark's two-pass dissection calls malformed or marks with an
 * error-level expert item: the lines `tshark -2 -n -r FILE -Y '_ws.malformed ||
 * _ws.expert.severity >= error'` prints (one summary line per such frame; [] = a clean capture).
 * @param pcap the capture file
 * @returns the printed lines, empty lines dropped
 * @throws Error if tshark cannot start or exits non-zero (its stderr is in the message)
 * @example
 * ```ts
 * const errors = tsharkErrors('/tmp/01.pcap');
 * console.assert(errors.length === 0, errors.join('\n'));
 * ```
 */
export function tsharkErrors(pcap: string): string[] {
  const r = runTool(TSHARK, ['-2', '-n', '-r', pcap, '-Y', TSHARK_ERROR_FILTER]);
  if (r.status !== 0) throw new Error(`${TSHARK} -r ${pcap}: exit ${r.status}: ${r.stderr.trim()}`);
  return linesOf(r.stdout);
}

/**
 * tsharkFields - the `tshark -2 -n -r FILE -T fields -e F1 -e F2 … [-Y FILTER]` rows: one per
 * (matching) frame, one string per field in `fields` order ('' for a field the frame lacks;
 * a repeated field is tshark's comma-separated list).
 * @param pcap the capture file
 * @param fields the tshark field names (`frame.protocols`, `infiniband.bth.opcode`, …)
 * @param filter a display filter (`-Y`): only the frames it matches
 * @returns the rows, in capture order
 * @throws Error if tshark cannot start or exits non-zero (an unknown field name, a bad filter)
 * @example The BTH opcode of every frame
 * ```ts
 * const opcodes = tsharkFields('/tmp/01.pcap', ['infiniband.bth.opcode']).map((row) => Number(row[0]));
 * ```
 */
export function tsharkFields(pcap: string, fields: readonly string[], filter?: string): string[][] {
  const args = ['-2', '-n', '-r', pcap, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])];
  if (filter !== undefined) args.push('-Y', filter);
  const r = runTool(TSHARK, args);
  if (r.status !== 0) throw new Error(`${TSHARK} -r ${pcap} -T fields: exit ${r.status}: ${r.stderr.trim()}`);
  return linesOf(r.stdout).map((l) => l.split('\t'));
}

/** IcrcSummary - `icrcCheck()`'s answer: frame counts from icrc_check.py's summary line. */
export interface IcrcSummary {
  /** Frames in the capture. */
  frames: number;
  /** Frames with a BTH (RoCEv2, UDP port 4791). */
  roce: number;
  /** RoCE frames whose ICRC scapy recomputes to the wire value. */
  ok: number;
  /** RoCE frames whose ICRC differs. */
  bad: number;
  /** RoCE frames whose ICRC field is 0 (a sender that skipped it). */
  zero: number;
}

/**
 * icrcCheck - recompute the RoCEv2 ICRC of every frame of a capture with scapy.contrib.roce
 * (`BTH.compute_icrc`, an oracle independent of rxe_icrc.ts) by running the bundled
 * `tools/icrc_check.py` with `PYTHON`.
 *
 * A bad ICRC is data (`bad > 0`), not an exception; the script's exit status 1 for it is expected.
 * @param pcap the capture file
 * @returns the counts of the summary line `icrc frames=N roce=N ok=N bad=N zero=N`
 * @throws Error if python cannot start or the script prints no summary (scapy missing, an
 *   unreadable file); its output is in the message
 * @example Every frame of a clean capture verifies
 * ```ts
 * const s = icrcCheck('/tmp/01.pcap');
 * console.assert(s.bad === 0 && s.ok === s.roce && s.roce === s.frames);
 * ```
 */
export function icrcCheck(pcap: string): IcrcSummary {
  const r = runTool(PYTHON, [ICRC_CHECK, pcap]);
  const m = /^icrc frames=(\d+) roce=(\d+) ok=(\d+) bad=(\d+) zero=(\d+)$/m.exec(r.stdout);
  if (m === null || (r.status !== 0 && r.status !== 1)) {
    throw new Error(`${PYTHON} ${ICRC_CHECK} ${pcap}: exit ${r.status}, no summary line:\n${r.stdout}${r.stderr}`);
  }
  const [frames, roce, ok, bad, zero] = m.slice(1).map(Number) as [number, number, number, number, number];
  return { frames, roce, ok, bad, zero };
}
