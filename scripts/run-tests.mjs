#!/usr/bin/env node
// Runs every compiled mocha spec in the monorepo (packages/*/dist/test, test/dist, examples/*/dist)
// in one mocha process and ends with the line CI reads: `N passed, N failed[, N skipped]`.
// Usage: node scripts/run-tests.mjs [--grep PATTERN] [spec-file-or-dir ...]
import Mocha from 'mocha';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const args = process.argv.slice(2);
let grep;
const targets = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--grep' || args[i] === '-g') grep = args[++i];
  else targets.push(resolve(args[i]));
}

function specsUnder(dir, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (name === 'node_modules') continue;
    if (statSync(p).isDirectory()) specsUnder(p, out);
    else if (name.endsWith('.spec.js')) out.push(p);
  }
  return out;
}

function defaultTargets() {
  const dirs = [];
  for (const group of ['packages', 'examples']) {
    const g = join(root, group);
    if (!existsSync(g)) continue;
    for (const name of readdirSync(g).sort()) dirs.push(join(g, name, 'dist'));
  }
  dirs.push(join(root, 'test', 'dist'));
  return dirs;
}

const files = [];
for (const t of targets.length ? targets : defaultTargets()) {
  if (existsSync(t) && statSync(t).isFile()) files.push(t);
  else specsUnder(t, files);
}

const mocha = new Mocha({ reporter: 'spec', timeout: 20000, ...(grep ? { grep } : {}) });
for (const f of files) mocha.addFile(f);
try {
  await mocha.loadFilesAsync();
} catch (err) {
  console.error('failed to load the test files:', err);
  console.log('\n0 passed, 1 failed');
  process.exit(1);
}
const runner = mocha.run((failures) => {
  const s = runner.stats ?? { passes: 0, failures, pending: 0 };
  const skipped = s.pending ? `, ${s.pending} skipped` : '';
  console.log(`\n${s.passes} passed, ${s.failures} failed${skipped}`);
  process.exitCode = failures ? 1 : (s.passes === 0 ? 1 : 0);
});
