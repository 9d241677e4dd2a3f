// Builds the bundles the image runs (scripts/build.mjs, into a temporary directory) and checks
// what the production image relies on: one bundle per process entry, the workspace packages
// compiled in, every other import a Node.js built-in or a package that `npm ci --omit=dev`
// installs, and every path computed from `import.meta.url` pointing where the sources would.
// Needs no broker.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SERVICES = ['duration', 'cost', 'tip', 'decision'];

const outdir = mkdtempSync(join(tmpdir(), 'fleet-build-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));
execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build.mjs'), '--outdir', outdir], {
  cwd: REPO_ROOT,
  stdio: 'pipe',
});
const bundles = readdirSync(outdir)
  .filter((f) => f.endsWith('.js'))
  .sort();
const read = (bundle: string) => readFileSync(join(outdir, bundle), 'utf8');

/** The module names a bundle imports, statically or dynamically. */
function importsOf(code: string): string[] {
  const names = new Set<string>();
  const patterns = [/^import\s[^;]*?from\s*"([^"]+)";?$/gm, /^import\s*"([^"]+)";?$/gm, /\bimport\(\s*"([^"]+)"\s*\)/g];
  for (const pattern of patterns) for (const m of code.matchAll(pattern)) names.add(m[1]);
  return [...names];
}

/** `kafkajs` of `kafkajs/sub`, `@scope/name` of `@scope/name/sub`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Packages `npm ci --omit=dev` installs: every package of the lockfile not marked dev-only. */
function productionPackages(): Set<string> {
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
  };
  const names = new Set<string>();
  for (const [path, entry] of Object.entries(lock.packages)) {
    const at = path.lastIndexOf('node_modules/');
    if (at < 0 || entry.dev || entry.devOptional) continue;
    names.add(path.slice(at + 'node_modules/'.length));
  }
  return names;
}

describe('npm run build (scripts/build.mjs)', () => {
  it('bundles every packages/<name>/src/main.ts into <name>.js, the four services among them', () => {
    const entries = readdirSync(join(REPO_ROOT, 'packages'))
      .filter((name) => existsSync(join(REPO_ROOT, 'packages', name, 'src', 'main.ts')))
      .map((name) => `${name}.js`)
      .sort();
    expect(bundles).toEqual(entries);
    for (const service of SERVICES) expect(bundles).toContain(`${service}.js`);
  });

  it('compiles the workspace packages in and imports only built-ins and production dependencies', () => {
    const production = productionPackages();
    const builtins = new Set(builtinModules);
    for (const bundle of bundles) {
      for (const specifier of importsOf(read(bundle))) {
        expect(specifier.startsWith('@fleet/'), `${bundle} imports ${specifier}`).toBe(false);
        if (specifier.startsWith('node:') || builtins.has(specifier)) continue;
        const name = packageName(specifier);
        expect(production.has(name), `${bundle} imports ${name}, which npm ci --omit=dev installs`).toBe(true);
      }
    }
  });

  it('resolves every import.meta.url from where its source file is, not from the bundle', () => {
    for (const bundle of bundles) {
      const code = read(bundle);
      const located = [...code.matchAll(/new URL\("([^"]+)", import\.meta\.url\)/g)];
      expect(located.length, `${bundle}: every import.meta.url is rewritten`).toBe(
        code.split('import.meta.url').length - 1,
      );
      for (const [, source] of located) {
        expect(existsSync(resolve(outdir, source)), `${bundle}: ${source} is a source file`).toBe(true);
        expect(resolve(outdir, source).startsWith(REPO_ROOT), `${bundle}: ${source} is in the repository`).toBe(true);
      }
    }
  });
});
