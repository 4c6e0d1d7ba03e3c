import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { tempDir } from '../secrets/_fixtures.js';

// `npm test` builds the CLI first; these tests run the built binary as a user would
const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'dokku-gitops.cjs');

let dir: string;
let cleanup: () => void;

function cli(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync('node', [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, DOKKU_GITOPS_HOME: join(dir, 'env-home'), ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  expect(existsSync(resolve(BIN, '..', '..', 'dist', 'cli.mjs')), 'run `npm run build` first').toBe(true);
});
beforeEach(() => {
  ({ dir, cleanup } = tempDir('cli-keys'));
});
afterEach(() => cleanup());

describe('dokku-gitops keys', () => {
  test('init creates the identity and prints the public key, its path and the Flux Secret command', () => {
    // GIVEN
    const home = join(dir, 'home');

    // WHEN
    const result = cli(['keys', 'init', '--home', home]);

    // THEN
    const keyFile = join(home, 'age.key');
    const recipient = execFileSync('age-keygen', ['-y', keyFile], { encoding: 'utf8' }).trim();
    expect(result).toEqual({
      status: 0,
      stderr: '',
      stdout: [
        `age public key: ${recipient}`,
        `private key:    ${keyFile} (created, mode 0600)`,
        '',
        'Secrets are SOPS-encrypted to the public key; the cluster decrypts them with the private key.',
        "For Flux, create once the Secret that the Kustomizations' decryption.secretRef names:",
        `  kubectl -n flux-system create secret generic sops-age --from-file=age.agekey=${keyFile}`,
        'Keep a copy of the private key off this host: without it the secrets in Git cannot be recovered.',
        '',
      ].join('\n'),
    });
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  });

  test('init keeps an existing identity, and --force replaces it', () => {
    // GIVEN
    const home = join(dir, 'home');
    const first = cli(['keys', 'init', '--home', home]);

    // WHEN
    const again = cli(['keys', 'init', '--home', home]);
    const forced = cli(['keys', 'init', '--home', home, '--force']);

    // THEN
    const publicKey = (out: string) => out.split('\n')[0];
    expect(again.status).toBe(0);
    expect(publicKey(again.stdout)).toBe(publicKey(first.stdout));
    expect(again.stdout.split('\n')[1]).toBe(`private key:    ${join(home, 'age.key')} (exists, kept; --force replaces it)`);
    expect(forced.status).toBe(0);
    expect(publicKey(forced.stdout)).not.toBe(publicKey(first.stdout));
  });

  test('show prints the recipient, with DOKKU_GITOPS_HOME as the default home', () => {
    // GIVEN
    cli(['keys', 'init']);

    // WHEN
    const result = cli(['keys', 'show']);

    // THEN
    const recipient = execFileSync('age-keygen', ['-y', join(dir, 'env-home', 'age.key')], { encoding: 'utf8' });
    expect(result).toEqual({ status: 0, stdout: recipient, stderr: '' });
  });

  test('fails if show finds no identity, with exit code 2', () => {
    // WHEN
    const result = cli(['keys', 'show', '--home', join(dir, 'none')]);

    // THEN
    expect(result).toEqual({
      status: 2,
      stdout: '',
      stderr: `error: no age identity at '${join(dir, 'none', 'age.key')}': run 'dokku-gitops keys init'\n`,
    });
  });
});
