// Builds the `herald` command into one file, dist/herald.cjs, with everything it runs compiled in:
// @herald/sdk and @herald/shared from their sources (@herald/shared is not published at all, and
// the CLI runs the SDK of its own commit), and the registry's packages as well, so that the npm
// tarball installs on its own, with no dependencies to resolve. Beside it,
// dist/THIRD-PARTY-NOTICES.txt carries the licence of every package compiled in.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(CLI, 'dist', 'herald.cjs');
const NOTICES = join(CLI, 'dist', 'THIRD-PARTY-NOTICES.txt');
const sourcesOf = (name) => join(dirname(require.resolve(`${name}/package.json`)), 'src');
const workspace = { '@herald/sdk': sourcesOf('@herald/sdk'), '@herald/shared': sourcesOf('@herald/shared') };

/**
 * The workspace packages' modules only define things; saying so lets esbuild leave out the ones
 * the CLI never reaches (Redis, BullMQ, metrics), which their index files re-export.
 */
const workspaceSourcesArePure = {
  name: 'workspace-sources-are-pure',
  setup(build) {
    const roots = Object.values(workspace).map((src) => src + sep);
    build.onResolve({ filter: /^\./ }, async (args) => {
      if (args.pluginData?.resolving || !roots.some((root) => args.importer.startsWith(root))) return undefined;
      const resolved = await build.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: { resolving: true } });
      return resolved.errors.length > 0 ? undefined : { ...resolved, sideEffects: false };
    });
  },
};

const result = await build({
  entryPoints: [join(CLI, 'src', 'index.ts')],
  outfile: OUT,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  alias: Object.fromEntries(Object.entries(workspace).map(([name, src]) => [name, join(src, 'index.ts')])),
  plugins: [workspaceSourcesArePure],
  metafile: true,
  logLevel: 'warning',
});

// Nothing may be left to require at run time but Node's own modules.
const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
const outside = Object.values(result.metafile.outputs)
  .flatMap((output) => output.imports)
  .filter((imported) => imported.external && !builtins.has(imported.path));
if (outside.length > 0) throw new Error(`the bundle requires modules it does not carry: ${outside.map((i) => i.path).join(', ')}`);

/** The folder of the package that holds `file`, for files under node_modules. */
function packageRoot(file) {
  const parts = file.split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return undefined;
  const length = parts[at + 1]?.startsWith('@') ? 3 : 2;
  return join(CLI, ...parts.slice(0, at + length));
}

// What the output holds (an input whose code was all left out counts for nothing).
const compiledIn = Object.values(result.metafile.outputs).flatMap((output) =>
  Object.entries(output.inputs)
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([file]) => file),
);
const packages = new Map();
for (const file of compiledIn) {
  const root = packageRoot(file);
  if (!root || packages.has(root)) continue;
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const licenceFile = readdirSync(root).find((name) => /^(licen[cs]e|copying)(\.|$)/i.test(name));
  packages.set(root, { name: manifest.name, version: manifest.version, license: manifest.license, text: licenceFile && readFileSync(join(root, licenceFile), 'utf8').trim() });
}
const sorted = [...packages.values()].sort((a, b) => a.name.localeCompare(b.name));
const missing = sorted.filter((pkg) => !pkg.text && !pkg.license);
if (missing.length > 0) throw new Error(`no licence found for ${missing.map((pkg) => pkg.name).join(', ')}`);
mkdirSync(dirname(NOTICES), { recursive: true });
writeFileSync(
  NOTICES,
  [
    'dist/herald.cjs compiles in Herald (Apache-2.0, see LICENSE) and these packages, under their own licences:',
    ...sorted.map((pkg) => `\n${'-'.repeat(78)}\n${pkg.name}@${pkg.version} (${pkg.license})\n\n${pkg.text ?? `Licensed under ${pkg.license}; the package carries no licence file.`}\n`),
  ].join('\n'),
);
if (!existsSync(OUT)) throw new Error(`${OUT} was not written`);
