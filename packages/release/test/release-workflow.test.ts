// .github/workflows/release.yml cannot run here (no GitHub Actions): it is parsed and held to what a
// release must do, every path it names must exist, and its publish step runs with --dry-run on the
// tarballs scripts/pack.sh makes.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT, outsideEnv, packTarballs, run } from './support/release';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string | number | boolean>;
  env?: Record<string, string>;
}

interface Job {
  'runs-on': string;
  needs?: string | string[];
  permissions?: Record<string, string>;
  container?: { image: string; options?: string };
  strategy?: { matrix: Record<string, string[]> };
  'timeout-minutes'?: number;
  env?: Record<string, string | number>;
  steps: Step[];
}

interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

const WORKFLOW = join(REPO_ROOT, '.github', 'workflows', 'release.yml');
const workflow = () => parse(readFileSync(WORKFLOW, 'utf8')) as Workflow;
const needs = (job: Job) => (job.needs === undefined ? [] : ([] as string[]).concat(job.needs));
const runSteps = (job: Job) => job.steps.filter((step): step is Step & { run: string } => typeof step.run === 'string');
const using = (job: Job, action: string) => job.steps.find((step) => step.uses?.startsWith(`${action}@`));

/** The one job whose steps satisfy `test`. */
function jobWith(test: (job: Job) => boolean): [string, Job] {
  const found = Object.entries(workflow().jobs).filter(([, job]) => test(job));
  expect(found.map(([name]) => name)).toHaveLength(1);
  return found[0]!;
}

const publishJob = () => jobWith((job) => runSteps(job).some((step) => /\bnpm publish\b/.test(step.run)));
const imagesJob = () => jobWith((job) => using(job, 'docker/build-push-action') !== undefined);
const releaseJob = () => jobWith((job) => runSteps(job).some((step) => /\bgh release create\b/.test(step.run)));
const testJob = () => jobWith((job) => runSteps(job).some((step) => /^bash scripts\/test\.sh$/m.test(step.run)));

/** Every job `name` waits for, directly or through others. */
function upstream(name: string, jobs: Record<string, Job>): Set<string> {
  const seen = new Set<string>();
  const visit = (job: string) => needs(jobs[job]!).forEach((before) => !seen.has(before) && (seen.add(before), visit(before)));
  visit(name);
  return seen;
}

it('runs on version tags only, reading the repository and nothing more by default', () => {
  const { on, permissions } = workflow();
  expect(on).toEqual({ push: { tags: ['v*'] } });
  expect(permissions).toEqual({ contents: 'read' });
});

it('runs the test command first, on Debian as root, within the 90 minutes CI allows', () => {
  const { jobs } = workflow();
  const [name, job] = testJob();
  expect(job.container?.image).toMatch(/^node:20-bookworm/);
  expect(job.container?.options).toContain('--privileged');
  expect(job['timeout-minutes']).toBeLessThanOrEqual(90);
  for (const other of Object.keys(jobs).filter((other) => other !== name)) expect([other, upstream(other, jobs).has(name)]).toEqual([other, true]);
});

it('publishes the SDK and the CLI to npm with provenance, from the tarballs scripts/pack.sh makes', () => {
  const [, job] = publishJob();
  expect(job.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
  const steps = runSteps(job).map((step) => step.run);
  const publish = steps.find((step) => /\bnpm publish\b/.test(step))!;
  for (const flag of ['--provenance', '--access public']) expect(publish).toContain(flag);
  expect(publish).toMatch(/herald-sdk-\*\.tgz/);
  expect(publish).toMatch(/herald-cli-\*\.tgz/);
  const pack = steps.findIndex((step) => /bash scripts\/pack\.sh dist-packages/.test(step));
  const stamp = steps.findIndex((step) => /npm pkg set .*repository\.url=/.test(step));
  expect(stamp).toBeGreaterThanOrEqual(0);
  expect(pack).toBeGreaterThan(stamp);
  expect(steps.indexOf(publish)).toBeGreaterThan(pack);
  expect(using(job, 'actions/setup-node')?.with).toMatchObject({ 'registry-url': 'https://registry.npmjs.org' });
  expect(job.steps.find((step) => step.run === publish)?.env).toEqual({ NODE_AUTH_TOKEN: '${{ secrets.NPM_TOKEN }}' });
});

it('pushes multi-arch images of the API and the worker to GHCR, from the Dockerfile\'s targets', () => {
  const [, job] = imagesJob();
  expect(job.permissions).toEqual({ contents: 'read', packages: 'write' });
  expect(job.strategy?.matrix.app).toEqual(['api', 'worker']);
  const build = using(job, 'docker/build-push-action')!.with!;
  expect(String(build.platforms).split(',').sort()).toEqual(['linux/amd64', 'linux/arm64']);
  expect(build.push).toBe(true);
  expect(build.target).toBe('${{ matrix.app }}');
  const dockerfile = readFileSync(join(REPO_ROOT, String(build.file)), 'utf8');
  for (const app of job.strategy!.matrix.app!) expect(dockerfile).toMatch(new RegExp(`^FROM \\S+ AS ${app}$`, 'm'));
  expect(using(job, 'docker/login-action')?.with?.registry).toBe('ghcr.io');
  expect(using(job, 'docker/metadata-action')?.with?.images).toBe('ghcr.io/${{ github.repository_owner }}/herald-${{ matrix.app }}');
  for (const action of ['docker/setup-qemu-action', 'docker/setup-buildx-action']) expect(using(job, action)).toBeDefined();
});

it('makes a GitHub release with the npm tarballs, once they are published', () => {
  const { jobs } = workflow();
  const [name, job] = releaseJob();
  expect(job.permissions).toEqual({ contents: 'write' });
  expect(upstream(name, jobs)).toEqual(new Set([publishJob()[0], imagesJob()[0], testJob()[0]]));
  expect(runSteps(job).find((step) => /gh release create/.test(step.run))?.run).toContain('dist-packages/*.tgz');
  expect(using(job, 'actions/download-artifact')?.with?.path).toBe('dist-packages');
});

it('grants id-token and write permissions only to the jobs that need them', () => {
  const granted = Object.entries(workflow().jobs).flatMap(([name, job]) =>
    Object.entries(job.permissions ?? {})
      .filter(([, level]) => level === 'write')
      .map(([scope]) => `${name}:${scope}`),
  );
  expect(granted.sort()).toEqual([`${imagesJob()[0]}:packages`, `${publishJob()[0]}:id-token`, `${releaseJob()[0]}:contents`].sort());
});

it('names only paths that exist, and actions by their major version', () => {
  const named: string[] = [];
  for (const job of Object.values(workflow().jobs)) {
    for (const step of job.steps) {
      if (step.uses) expect(step.uses).toMatch(/^[\w-]+\/[\w-]+@v\d+$/);
      for (const m of (step.run ?? '').matchAll(/(?:^|[\s"'=(/.])((?:scripts|docker|packages|apps|\.ci)\/[\w.-]+(?:\/[\w.-]+)*)/g)) named.push(m[1]!);
      if (step.with?.file) named.push(String(step.with.file));
    }
  }
  expect(named).toEqual(expect.arrayContaining(['scripts/test.sh', 'scripts/pack.sh', 'packages/sdk', 'apps/cli', 'docker/Dockerfile']));
  expect(named.filter((path) => !existsSync(join(REPO_ROOT, path)))).toEqual([]);
});

it('checks that the tag names the packages\' version', async () => {
  const [, job] = testJob();
  const check = runSteps(job).find((step) => /GITHUB_REF_NAME/.test(step.run))!.run;
  const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'packages', 'sdk', 'package.json'), 'utf8')) as { version: string }).version;
  const withTag = (tag: string) => run('bash', ['-e', '-c', check], { cwd: REPO_ROOT, env: outsideEnv({ GITHUB_REF_NAME: tag }) });
  expect((await withTag(`v${version}`)).code).toBe(0);
  const wrong = await withTag('v99.0.0');
  expect(wrong.code).toBe(1);
  expect(wrong.stdout).toContain('the tag is v99.0.0');
});

describe('its publish step, with --dry-run', () => {
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'herald-release-'));
    await packTarballs(join(work, 'dist-packages'));
  }, 120_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  // (A dry run does not refuse a private package: npm-packages.test.ts checks that neither is.)
  it('publishes both tarballs, with public access, a pre-release under the "next" tag', async () => {
    const [, job] = publishJob();
    const publish = runSteps(job).find((step) => /\bnpm publish\b/.test(step.run))!.run;
    const dryRun = publish.replace(/\bnpm publish\b/g, 'npm publish --dry-run');
    const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'packages', 'sdk', 'package.json'), 'utf8')) as { version: string }).version;
    for (const [tag, distTag] of [
      [`v${version}`, 'latest'],
      [`v${version}-rc.1`, 'next'],
    ] as const) {
      const published = await run('bash', ['-e', '-c', dryRun], { cwd: work, env: outsideEnv({ GITHUB_REF_NAME: tag }) });
      expect({ tag, code: published.code, stderr: published.code === 0 ? '' : published.stderr }).toEqual({ tag, code: 0, stderr: '' });
      const said = published.stdout + published.stderr;
      for (const name of ['@herald/sdk', '@herald/cli']) expect(said).toContain(`+ ${name}@${version}`);
      expect(said).toContain(`with tag ${distTag} and public access (dry-run)`);
      expect(said).toMatch(/Tarball Contents[\s\S]*LICENSE/);
    }
  });
});
