/**
 * import-dag - the package import rules of STYLE.md §3, checked on the source tree.
 *
 * Every `import … from '…'` in packages/<pkg>/src must name a workspace package the table allows
 * for <pkg>, never reach into another package's files (no deep imports, no relative paths that
 * leave the package), and `rxjs` only where the table allows it. Each package.json must declare
 * exactly the workspace dependencies its sources import.
 */
import { expect } from 'chai';
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, resolve, relative, dirname } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..', '..');

/** STYLE.md §3: package → workspace packages it may import, and whether rxjs is allowed. */
const ALLOWED: Record<string, { deps: string[]; rxjs: boolean }> = {
  'sim-core': { deps: [], rxjs: true },
  'dma-core': { deps: ['sim-core'], rxjs: false },
  'xdr_buf': { deps: ['dma-core', 'sim-core'], rxjs: false },
  'ib_verbs': { deps: ['dma-core', 'sim-core'], rxjs: true },
  'sunrpc': { deps: ['ib_verbs', 'xdr_buf', 'dma-core', 'sim-core'], rxjs: true },
  'nfs': { deps: ['sunrpc', 'xdr_buf', 'dma-core', 'sim-core'], rxjs: true },
  'testing': { deps: ['ib_verbs', 'sunrpc', 'xdr_buf', 'dma-core', 'sim-core'], rxjs: true },
  'cli': { deps: ['nfs', 'sunrpc', 'ib_verbs', 'xdr_buf', 'dma-core', 'sim-core', 'testing'], rxjs: true },
};

function sources(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function importsOf(file: string): string[] {
  // Doc-comment examples import the package's own entry point: scan code only.
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const re = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g;
  const found: string[] = [];
  for (let m = re.exec(text); m; m = re.exec(text)) found.push(m[1]!);
  return found;
}

const packages = readdirSync(join(root, 'packages')).filter((p) => existsSync(join(root, 'packages', p, 'package.json')));

describe('import DAG (STYLE.md §3)', () => {
  it('knows every package in packages/', () => {
    for (const p of packages) expect(ALLOWED, `packages/${p} is not in the table`).to.have.property(p);
  });

  for (const pkg of packages) {
    const rule = ALLOWED[pkg];
    if (!rule) continue;
    it(`${pkg}: src imports only allowed packages, no deep imports, no escapes`, () => {
      const srcDir = join(root, 'packages', pkg, 'src');
      const bad: string[] = [];
      for (const file of sources(srcDir)) {
        for (const spec of importsOf(file)) {
          const where = `${relative(root, file)}: '${spec}'`;
          if (spec.startsWith('.')) {
            const target = resolve(dirname(file), spec);
            if (!target.startsWith(srcDir)) bad.push(`${where} leaves the package's src/`);
          } else if (spec.startsWith('@rdmaemu/')) {
            const [, name, ...rest] = spec.split('/');
            if (rest.length > 0 && !(name === 'testing' || name === 'ib_verbs')) bad.push(`${where} is a deep import`);
            if (!rule.deps.includes(name!)) bad.push(`${where} is not allowed for ${pkg}`);
          } else if (spec === 'rxjs' || spec.startsWith('rxjs/')) {
            if (!rule.rxjs) bad.push(`${where}: ${pkg} may not use rxjs`);
          } else if (!spec.startsWith('node:')) {
            bad.push(`${where} is an undeclared third-party import`);
          }
        }
      }
      expect(bad, bad.join('\n')).to.deep.equal([]);
    });

    it(`${pkg}: package.json declares its workspace dependencies`, () => {
      const pj = JSON.parse(readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8'));
      const declared = Object.keys(pj.dependencies ?? {}).filter((d) => d.startsWith('@rdmaemu/')).map((d) => d.slice(9)).sort();
      const used = new Set<string>();
      for (const file of sources(join(root, 'packages', pkg, 'src'))) {
        for (const spec of importsOf(file)) if (spec.startsWith('@rdmaemu/')) used.add(spec.split('/')[1]!);
      }
      expect(declared).to.deep.equal([...used].sort());
      expect(pj.type).to.equal('module');
      expect(pj.sideEffects).to.equal(false);
    });
  }
});
