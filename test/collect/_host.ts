/**
 * A stand-in Dokku host for tests: the `dokku` executable of test/fixtures/dokku-host/bin,
 * first on PATH, replays the recorded output of one fixture folder; the folder's `lib/` and
 * `home/` are Dokku's `$DOKKU_LIB_ROOT` and `$DOKKU_ROOT`.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** test/fixtures/dokku-host: one folder per scenario, plus the stand-in executables in bin/. */
export const HOST_FIXTURES = resolve(import.meta.dirname, '..', 'fixtures', 'dokku-host');

/** The folder holding the stand-in `dokku` (and `plugn`) executables. */
export const STAND_IN_BIN = join(HOST_FIXTURES, 'bin');

/** The environment of a process on the stand-in host of `fixture` (a folder). */
export function hostEnv(fixture: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${STAND_IN_BIN}:${process.env.PATH ?? ''}`,
    DOKKU_FIXTURE: fixture,
    DOKKU_LIB_ROOT: join(fixture, 'lib'),
    DOKKU_ROOT: join(fixture, 'home'),
    DOKKU_PID: undefined,
    DOKKU_FIXTURE_LOG: undefined,
    ...extra,
  };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return env;
}

/** A scenario folder of test/fixtures/dokku-host. */
export function scenario(name: string): string {
  return join(HOST_FIXTURES, name);
}

/** A writable copy of a scenario in a temporary folder; `cleanup()` removes it. */
export function copyScenario(name: string): { dir: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), `dokku-host-${name}-`));
  const dir = join(root, name);
  cpSync(scenario(name), dir, { recursive: true });
  return { dir, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
