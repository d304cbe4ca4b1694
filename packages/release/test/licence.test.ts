// Herald is Apache-2.0: the licence text at the root, and every package.json saying so (npm shows
// that field, and tarballs carry the root LICENSE).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const REPO_ROOT = join(__dirname, '..', '..', '..');
/** SHA-256 of the Apache License 2.0 as the ASF publishes it (LICENSE-2.0.txt). */
const APACHE_2_SHA256 = 'cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30';
const COPYRIGHT = 'Copyright 2026 The Herald authors';

/** The root package.json and every workspace package's, found the way pnpm-workspace.yaml finds them. */
function packageManifests(): string[] {
  const globs = readFileSync(join(REPO_ROOT, 'pnpm-workspace.yaml'), 'utf8').match(/"([^"]+)\/\*"/g) ?? [];
  expect(globs.length).toBeGreaterThan(0);
  const manifests = [join(REPO_ROOT, 'package.json')];
  for (const glob of globs) {
    const folder = join(REPO_ROOT, glob.slice(1, -3));
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const manifest = join(folder, entry.name, 'package.json');
      if (entry.isDirectory() && existsSync(manifest)) manifests.push(manifest);
    }
  }
  return manifests;
}

it('has the Apache License 2.0 at the root, with the copyright of the Herald authors', () => {
  const licence = readFileSync(join(REPO_ROOT, 'LICENSE'), 'utf8');
  expect(licence).toContain(`   ${COPYRIGHT}\n`);
  // The appendix's placeholder filled in; otherwise the text is the ASF's, byte for byte.
  const standard = licence.replace(COPYRIGHT, 'Copyright [yyyy] [name of copyright owner]');
  expect(createHash('sha256').update(standard).digest('hex')).toBe(APACHE_2_SHA256);
});

it('says Apache-2.0 in every package.json', () => {
  const manifests = packageManifests();
  expect(manifests.map((path) => relative(REPO_ROOT, path))).toEqual(
    expect.arrayContaining(['package.json', 'apps/api/package.json', 'apps/cli/package.json', 'packages/sdk/package.json', 'packages/shared/package.json']),
  );
  const licences = Object.fromEntries(manifests.map((path) => [relative(REPO_ROOT, path), (JSON.parse(readFileSync(path, 'utf8')) as { license?: string }).license]));
  expect(licences).toEqual(Object.fromEntries(Object.keys(licences).map((path) => [path, 'Apache-2.0'])));
});
