/**
 * Runs the built CLI (`bin/dokku-gitops.cjs` -> `dist/cli.mjs`) as a user would. `npm test`
 * builds it first.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** The `dokku-gitops` binary of this checkout. */
export const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'dokku-gitops.cjs');

/** What one run printed and returned. */
export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `dokku-gitops <args>`; the HMAC key is fixed unless `env` overrides it. */
export function runCli(args: readonly string[], options: { env?: Record<string, string | undefined>; cwd?: string; input?: string } = {}): CliRun {
  if (!existsSync(resolve(BIN, '..', '..', 'dist', 'cli.mjs'))) throw new Error('dist/cli.mjs is missing: run `npm run build` (npm test does)');
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    cwd: options.cwd,
    input: options.input,
    env: { ...process.env, DOKKU_GITOPS_HMAC_KEY: '07'.repeat(32), ...options.env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
