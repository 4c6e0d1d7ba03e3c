import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { assertAppName, defaultWorkdir, ownerRoot, redactUrl, resolveInside } from '../../src/gitops/_paths.js';
import { applyPlan, isEmptyPlan, planTree } from '../../src/gitops/write.js';
import { cleanup, tempDir } from '../deploy/_repo-fixtures.js';

afterAll(cleanup);

function tree(root: string, files: Record<string, string>): void {
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(root, p, '..'), { recursive: true });
    writeFileSync(join(root, p), c);
  }
}

describe('planTree / applyPlan', () => {
  test('replaces an owned folder whole: writes changed files, prunes files no longer produced, leaves others alone', async () => {
    // GIVEN
    const root = tempDir();
    tree(root, {
      'apps/a/deployment-a.yaml': 'old\n',
      'apps/a/service-a.yaml': 'same\n',
      'apps/a/release/job-a.yaml': 'job\n',
      'apps/a/release/kustomization.yaml': 'k\n',
      'apps/b/deployment-b.yaml': 'b\n',
    });
    const untouched = statSync(join(root, 'apps/a/service-a.yaml'));
    const other = statSync(join(root, 'apps/b/deployment-b.yaml'));
    // WHEN
    const plan = planTree(root, {
      folders: ['apps/a'],
      files: { 'apps/a/deployment-a.yaml': 'new\n', 'apps/a/service-a.yaml': 'same\n', 'apps/a/kustomization.yaml': 'k2\n' },
    });
    const touched = await applyPlan(root, plan);
    // THEN
    expect(plan.write).toEqual({ 'apps/a/deployment-a.yaml': 'new\n', 'apps/a/kustomization.yaml': 'k2\n' });
    expect(plan.delete).toEqual(['apps/a/release/job-a.yaml', 'apps/a/release/kustomization.yaml']);
    expect(plan.before).toEqual({
      'apps/a/deployment-a.yaml': 'old\n',
      'apps/a/service-a.yaml': 'same\n',
      'apps/a/release/job-a.yaml': 'job\n',
      'apps/a/release/kustomization.yaml': 'k\n',
    });
    expect(plan.after).toEqual({ 'apps/a/deployment-a.yaml': 'new\n', 'apps/a/service-a.yaml': 'same\n', 'apps/a/kustomization.yaml': 'k2\n' });
    expect(touched).toEqual([
      'apps/a/deployment-a.yaml',
      'apps/a/kustomization.yaml',
      'apps/a/release/job-a.yaml',
      'apps/a/release/kustomization.yaml',
    ]);
    expect(existsSync(join(root, 'apps/a/release'))).toBe(false);
    // unchanged files are not rewritten (same inode, same mtime): git re-hashes nothing else
    const after = statSync(join(root, 'apps/a/service-a.yaml'));
    expect([after.ino, after.mtimeMs]).toEqual([untouched.ino, untouched.mtimeMs]);
    const afterOther = statSync(join(root, 'apps/b/deployment-b.yaml'));
    expect([afterOther.ino, afterOther.mtimeMs]).toEqual([other.ino, other.mtimeMs]);
  });

  test('overwrites changed files in place (same inode)', async () => {
    // GIVEN
    const root = tempDir();
    tree(root, { 'apps/a/x.yaml': 'old\n' });
    const ino = statSync(join(root, 'apps/a/x.yaml')).ino;
    // WHEN
    await applyPlan(root, planTree(root, { folders: ['apps/a'], files: { 'apps/a/x.yaml': 'new\n' } }));
    // THEN
    expect(statSync(join(root, 'apps/a/x.yaml')).ino).toBe(ino);
    expect(readFileSync(join(root, 'apps/a/x.yaml'), 'utf8')).toBe('new\n');
  });

  test('an owned folder with no desired file is removed; single files are written and removed', async () => {
    // GIVEN
    const root = tempDir();
    tree(root, { 'apps/gone/a.yaml': 'a\n', 'clusters/default/apps/gone.yaml': 'k\n' });
    // WHEN
    const plan = planTree(root, { folders: ['apps/gone'], files: { '.sops.yaml': 'rules\n' }, remove: ['clusters/default/apps/gone.yaml', 'clusters/default/apps/none.yaml'] });
    await applyPlan(root, plan);
    // THEN
    expect(plan.delete).toEqual(['apps/gone/a.yaml', 'clusters/default/apps/gone.yaml']);
    expect(existsSync(join(root, 'apps/gone'))).toBe(false);
    expect(existsSync(join(root, 'apps'))).toBe(false);
    expect(readFileSync(join(root, '.sops.yaml'), 'utf8')).toBe('rules\n');
  });

  test('the same spec twice plans nothing', async () => {
    // GIVEN
    const root = tempDir();
    const spec = { folders: ['apps/a'], files: { 'apps/a/x.yaml': 'x\n' } };
    await applyPlan(root, planTree(root, spec));
    // WHEN / THEN
    expect(isEmptyPlan(planTree(root, spec))).toBe(true);
  });

  test('a large plan (many apps at once) writes every file, with many writes in flight', async () => {
    // GIVEN 100 app folders of 7 files
    const root = tempDir();
    const files: Record<string, string> = {};
    for (let a = 0; a < 100; a++) for (let f = 0; f < 7; f++) files[`apps/a${a}/f${f}.yaml`] = `app ${a} file ${f}\n`;
    const folders = Array.from({ length: 100 }, (_, a) => `apps/a${a}`);
    // WHEN
    const touched = await applyPlan(root, planTree(root, { folders, files }));
    // THEN
    expect(touched).toHaveLength(700);
    for (const [p, c] of Object.entries(files)) expect(readFileSync(join(root, p), 'utf8')).toBe(c);
    expect(isEmptyPlan(planTree(root, { folders, files }))).toBe(true);
  });

  test('never reads or writes through a symlink: the link is replaced by a regular file', async () => {
    // GIVEN a committed symlink pointing outside the repository
    const root = tempDir();
    const outside = join(tempDir(), 'secret.txt');
    writeFileSync(outside, 'do not read\n');
    mkdirSync(join(root, 'apps/a'), { recursive: true });
    symlinkSync(outside, join(root, 'apps/a/x.yaml'));
    symlinkSync(outside, join(root, 'apps/a/stale.yaml'));
    // WHEN
    const plan = planTree(root, { folders: ['apps/a'], files: { 'apps/a/x.yaml': 'x\n' } });
    await applyPlan(root, plan);
    // THEN
    expect(plan.before).toEqual({});
    expect(plan.delete).toEqual(['apps/a/stale.yaml', 'apps/a/x.yaml']);
    expect(readFileSync(outside, 'utf8')).toBe('do not read\n');
    expect(readFileSync(join(root, 'apps/a/x.yaml'), 'utf8')).toBe('x\n');
    expect(existsSync(join(root, 'apps/a/stale.yaml'))).toBe(false);
  });

  test('fails if a path goes through a symlinked folder', async () => {
    // GIVEN
    const root = tempDir();
    mkdirSync(join(root, 'apps'));
    symlinkSync(tempDir(), join(root, 'apps/a'));
    // WHEN / THEN
    expect(() => planTree(root, { folders: [], files: { 'apps/a/x.yaml': 'x\n' } })).toThrow(
      "output path 'apps/a/x.yaml' goes through the symlink 'apps/a'; every path must stay inside the repository root",
    );
  });

  test('fails if a file is both written and removed', async () => {
    const root = tempDir();
    expect(() => planTree(root, { folders: [], files: { 'a.yaml': 'x' }, remove: ['a.yaml'] })).toThrow("output path 'a.yaml' is both written and removed");
  });
});

describe('resolveInside', () => {
  test.each([
    ['../etc/passwd', "output path '../etc/passwd' escapes the repository root; every path must stay inside the repository root"],
    ['apps/../../x', "output path 'apps/../../x' escapes the repository root; every path must stay inside the repository root"],
    ['apps/./x', "output path 'apps/./x' escapes the repository root; every path must stay inside the repository root"],
    ['/etc/passwd', "output path '/etc/passwd' is not a relative path; every path must stay inside the repository root"],
    ['apps\\x', "output path 'apps\\x' is not a relative path; every path must stay inside the repository root"],
    ['.git/config', "output path '.git/config' points into '.git'; every path must stay inside the repository root"],
    ['apps/a/.GIT/hooks/x', "output path 'apps/a/.GIT/hooks/x' points into '.git'; every path must stay inside the repository root"],
    ['', "output path '' is not a relative path; every path must stay inside the repository root"],
  ])('fails if the path is %j', (path, message) => {
    expect(() => resolveInside('/repo', path)).toThrow(message);
  });

  test('accepts a path inside the root', async () => {
    expect(resolveInside('/repo', 'apps/a/x.yaml')).toBe('/repo/apps/a/x.yaml');
  });
});

describe('assertAppName', () => {
  test.each(['../x', 'a/b', '..', 'A', '-a', 'a-', 'a_b', '', 'x'.repeat(64)])('fails if the app name is %j', (name) => {
    expect(() => assertAppName(name)).toThrow(
      `app name '${name}' would escape 'apps/' or is not a valid app name: use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters`,
    );
  });

  test('accepts Dokku app names', async () => {
    for (const name of ['a', 'node-js-app', 'x'.repeat(63), '1app']) expect(() => assertAppName(name)).not.toThrow();
  });
});

describe('paths', () => {
  test('ownerRoot: app folders and platform/dokku are owned whole, other paths are single files', async () => {
    expect(ownerRoot('apps/a/release/job.yaml')).toBe('apps/a');
    expect(ownerRoot('apps/a/x.yaml')).toBe('apps/a');
    expect(ownerRoot('platform/dokku/kustomization.yaml')).toBe('platform/dokku');
    expect(ownerRoot('clusters/default/apps/a.yaml')).toBe('clusters/default/apps/a.yaml');
    expect(ownerRoot('.sops.yaml')).toBe('.sops.yaml');
  });

  test('defaultWorkdir: one readable, hashed folder per repository and branch under <home>/work', async () => {
    const a = defaultWorkdir('git@github.com:acme/gitops.git', 'main', '/h');
    expect(a).toMatch(/^\/h\/work\/git-github\.com-acme-gitops-main-[0-9a-f]{10}$/);
    expect(defaultWorkdir('git@github.com:acme/gitops.git', 'live', '/h')).not.toBe(a);
    expect(defaultWorkdir('/srv/gitops.git', 'main', '/h')).toMatch(/^\/h\/work\/srv-gitops-main-[0-9a-f]{10}$/);
  });

  test('redactUrl masks passwords and tokens, never plain user names', async () => {
    expect(redactUrl('https://user:hunter2@git.example.com/a.git')).toBe('https://user:***@git.example.com/a.git');
    expect(redactUrl('https://ghp_TOKEN@github.com/a.git')).toBe('https://***@github.com/a.git');
    expect(redactUrl('ssh://git@github.com/a.git')).toBe('ssh://git@github.com/a.git');
    expect(redactUrl('git@github.com:a/b.git')).toBe('git@github.com:a/b.git');
    expect(redactUrl('/srv/gitops.git')).toBe('/srv/gitops.git');
  });
});
