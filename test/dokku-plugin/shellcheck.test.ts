/**
 * Every bash script of the plugin (and of the stand-in Dokku host) passes shellcheck, with the
 * plugin's .shellcheckrc. Skipped only where shellcheck is missing; .ci/run installs it.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
const HAS_SHELLCHECK = spawnSync('shellcheck', ['--version']).status === 0;

/** Files under `dir` whose first line is a bash shebang. */
function bashScripts(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return bashScripts(path);
      return readFileSync(path, 'utf8').startsWith('#!/usr/bin/env bash\n') ? [relative(ROOT, path)] : [];
    });
}

const PLUGIN_SCRIPTS = bashScripts(join(ROOT, 'dokku-plugin'));
const STAND_IN_SCRIPTS = [...bashScripts(join(ROOT, 'test', 'fixtures', 'dokku-host', 'bin')), ...bashScripts(join(ROOT, 'test', 'fixtures', 'dokku-host', 'core-plugins'))];

describe('shellcheck', () => {
  test('finds every script of the plugin', () => {
    // GIVEN / WHEN / THEN: the triggers, subcommands and sourced helpers
    expect(PLUGIN_SCRIPTS).toEqual(
      expect.arrayContaining(['dokku-plugin/scheduler-deploy', 'dokku-plugin/install', 'dokku-plugin/internal-functions', 'dokku-plugin/subcommands/set', 'dokku-plugin/commands']),
    );
    expect(PLUGIN_SCRIPTS.length).toBeGreaterThanOrEqual(28);
  });

  // CI installs shellcheck (.ci/run): there a missing shellcheck fails instead of skipping
  test.skipIf(!HAS_SHELLCHECK && !process.env.CI).each([...PLUGIN_SCRIPTS, ...STAND_IN_SCRIPTS])('%s passes shellcheck', (script) => {
    // GIVEN / WHEN
    const run = spawnSync('shellcheck', ['--external-sources', script], { cwd: ROOT, encoding: 'utf8' });

    // THEN
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  test('every script sets -eo pipefail', () => {
    // GIVEN / WHEN / THEN
    for (const script of PLUGIN_SCRIPTS) expect(readFileSync(join(ROOT, script), 'utf8'), script).toMatch(/^set -eo pipefail$/m);
  });
});
