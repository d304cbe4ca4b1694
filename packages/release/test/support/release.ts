// What the release checks share: running a command to its end, and the tarballs a release
// publishes (packed by scripts/pack.sh) with what it takes to use them as someone outside this
// repository would.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const REPO_ROOT = join(__dirname, '..', '..', '..', '..');

export interface Tarballs {
  sdk: string;
  cli: string;
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end and never throws: the exit code is part of the answer. */
export async function run(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      timeout: options.timeoutMs ?? 120_000,
      maxBuffer: 32 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string; message: string };
    return { code: typeof failed.code === 'number' ? failed.code : 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? failed.message };
  }
}

/** Packs @herald/sdk and @herald/cli into `dir` with scripts/pack.sh. */
export async function packTarballs(dir: string): Promise<Tarballs> {
  const packed = await run('bash', [join(REPO_ROOT, 'scripts', 'pack.sh'), dir], { env: outsideEnv() });
  if (packed.code !== 0) throw new Error(`scripts/pack.sh failed:\n${packed.stderr}`);
  const paths = packed.stdout.trim().split('\n');
  const find = (name: string) => {
    const path = paths.find((line) => new RegExp(`/herald-${name}-\\d+\\.\\d+\\.\\d+.*\\.tgz$`).test(line));
    if (!path) throw new Error(`scripts/pack.sh printed no ${name} tarball:\n${packed.stdout}`);
    return path;
  };
  return { sdk: find('sdk'), cli: find('cli') };
}

/** The manifest inside a tarball, and the files it holds. */
export async function tarballContents(tarball: string): Promise<{ manifest: Record<string, unknown>; files: string[] }> {
  const manifest = await run('tar', ['-xzOf', tarball, 'package/package.json']);
  const listing = await run('tar', ['-tzf', tarball]);
  if (manifest.code !== 0 || listing.code !== 0) throw new Error(`cannot read ${tarball}: ${manifest.stderr}${listing.stderr}`);
  return { manifest: JSON.parse(manifest.stdout) as Record<string, unknown>, files: listing.stdout.trim().split('\n') };
}

/** How a machine reaches the registry (a mirror, a proxy, its CA): kept from this environment. */
const REGISTRY_ACCESS = /^npm_config_(registry|@[\w-]+:registry|https?[-_]proxy|proxy|noproxy|cafile|strict[-_]ssl)$/i;

/**
 * This environment without what pnpm and its shims add (NODE_PATH would let an installed package
 * find this repository's dependencies, npm_config_* would steer npm): a user's shell, as far as
 * a test can have one.
 */
export function outsideEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const added = /^(npm_|pnpm_|NODE_PATH$|NODE_OPTIONS$|INIT_CWD$)/i;
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => REGISTRY_ACCESS.test(name) || !added.test(name)));
  return { ...env, ...extra };
}
