#!/usr/bin/env node
// Compiles each process entry, packages/<name>/src/main.ts, into one JavaScript file,
// dist/<name>.js (ESM, Node 20): the fleet's own workspace packages (@fleet/*, which export
// TypeScript sources) are bundled in, every npm package stays an import resolved from
// node_modules at run time, so the image needs its production dependencies and nothing else.
//
//   npm run build                      # → dist/duration.js, cost.js, tip.js, decision.js, cli.js
//   node scripts/build.mjs --outdir D  # elsewhere (the build test)
import { readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/** `{ duration: 'packages/duration/src/main.ts', … }`: every package with a main.ts is a process. */
function entryPoints() {
  const entries = {};
  for (const name of readdirSync(join(root, 'packages')).sort()) {
    const main = join('packages', name, 'src', 'main.ts');
    if (existsSync(join(root, main))) entries[name] = main;
  }
  return entries;
}

/** npm packages (anything imported by bare name but @fleet/*) are left to node_modules. */
const externalNpmPackages = {
  name: 'external-npm-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@fleet/') ? undefined : { path: args.path, external: true },
    );
  },
};

/**
 * Code that finds files from its own location (`new URL('../../schemas/', import.meta.url)`:
 * schemas/, models/, the repository root) must keep doing so from a bundle. In each of our
 * sources `import.meta.url` becomes the URL its source file would have beside the bundle
 * (dist/x.js → ../packages/…/file.ts), so those paths resolve exactly as they do when the
 * sources run, in the checkout or in the image (/app/dist → /app/schemas, /app/models).
 */
function sourceLocatedImportMeta(outdir) {
  return {
    name: 'source-located-import-meta',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.split(sep).includes('node_modules')) return undefined;
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes('import.meta.url')) return undefined;
        const fromBundle = relative(outdir, args.path).split(sep).join('/');
        const url = `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`;
        return { contents: source.replaceAll('import.meta.url', url), loader: 'ts' };
      });
    },
  };
}

const { values } = parseArgs({ options: { outdir: { type: 'string', default: join(root, 'dist') } } });
const outdir = resolve(values.outdir);
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: entryPoints(),
  outdir,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Class and function names survive bundling (error names, logged component names).
  keepNames: true,
  sourcemap: true,
  plugins: [externalNpmPackages, sourceLocatedImportMeta(outdir)],
  logLevel: 'info',
});
