#!/usr/bin/env node
// npm run bench -- <suite> [--json] [suite options]: runs bench/dist/<suite>.js.
import { existsSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [suite, ...rest] = process.argv.slice(2);
const suites = readdirSync(join(here, 'dist')).filter((f) => f.endsWith('.js') && !f.startsWith('_')).map((f) => f.slice(0, -3));
if (!suite || !suites.includes(suite)) {
  console.error(`usage: npm run bench -- <suite> [--json]\nsuites: ${suites.join(', ')}`);
  process.exit(2);
}
const mod = await import(pathToFileURL(join(here, 'dist', `${suite}.js`)).href);
await mod.main(rest);
