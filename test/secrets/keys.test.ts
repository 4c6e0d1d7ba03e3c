import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Encrypter, armor } from 'age-encryption';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { hmacHex, hmacKey, initKeys, keysHome, loadIdentity, recipientOf } from '../../src/secrets/keys.js';
import { tempDir } from './_fixtures.js';

let dir: string;
let cleanup: () => void;
const savedEnv = { home: process.env.DOKKU_GITOPS_HOME, hmac: process.env.DOKKU_GITOPS_HMAC_KEY };

beforeEach(() => {
  ({ dir, cleanup } = tempDir('keys'));
  delete process.env.DOKKU_GITOPS_HOME;
  delete process.env.DOKKU_GITOPS_HMAC_KEY;
});
afterEach(() => {
  cleanup();
  for (const [name, value] of [['DOKKU_GITOPS_HOME', savedEnv.home], ['DOKKU_GITOPS_HMAC_KEY', savedEnv.hmac]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

describe('initKeys', () => {
  test('writes an age-keygen identity file with mode 0600 in a 0700 directory', async () => {
    // GIVEN
    const home = join(dir, 'home');

    // WHEN
    const result = await initKeys({ home });

    // THEN
    expect(result.created).toBe(true);
    expect(result.identityPath).toBe(join(home, 'age.key'));
    const lines = readFileSync(result.identityPath, 'utf8').split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^# created: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(lines[1]).toBe(`# public key: ${result.recipient}`);
    expect(lines[2]).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
    expect(lines[3]).toBe('');
    expect(mode(result.identityPath)).toBe(0o600);
    expect(mode(home)).toBe(0o700);
    // the age CLI reads the file and derives the same public key
    expect(execFileSync('age-keygen', ['-y', result.identityPath], { encoding: 'utf8' })).toBe(`${result.recipient}\n`);
  });

  test('the age CLI decrypts with the identity file what is encrypted to its recipient', async () => {
    // GIVEN
    const { identityPath, recipient } = await initKeys({ home: dir });
    const encrypter = new Encrypter();
    encrypter.addRecipient(recipient);
    const armored = armor.encode(await encrypter.encrypt('hello'));

    // WHEN
    const plain = execFileSync('age', ['-d', '-i', identityPath], { input: armored, encoding: 'utf8' });

    // THEN
    expect(plain).toBe('hello');
  });

  test('keeps an existing identity and reports it as not created', async () => {
    // GIVEN
    const first = await initKeys({ home: dir });
    const before = readFileSync(first.identityPath, 'utf8');

    // WHEN
    const second = await initKeys({ home: dir });

    // THEN
    expect(second).toEqual({ identityPath: first.identityPath, recipient: first.recipient, created: false });
    expect(readFileSync(first.identityPath, 'utf8')).toBe(before);
  });

  test('replaces an existing identity with force', async () => {
    // GIVEN
    const first = await initKeys({ home: dir });

    // WHEN
    const second = await initKeys({ home: dir, force: true });

    // THEN
    expect(second.created).toBe(true);
    expect(second.recipient).not.toBe(first.recipient);
    expect(await recipientOf(loadIdentity(dir))).toBe(second.recipient);
    expect(mode(second.identityPath)).toBe(0o600);
  });

  test('uses DOKKU_GITOPS_HOME when no home is given', async () => {
    // GIVEN
    process.env.DOKKU_GITOPS_HOME = join(dir, 'from-env');

    // WHEN
    const result = await initKeys();

    // THEN
    expect(keysHome()).toBe(join(dir, 'from-env'));
    expect(result.identityPath).toBe(join(dir, 'from-env', 'age.key'));
    expect(await recipientOf(loadIdentity())).toBe(result.recipient);
  });

  test('fails if the identity file holds no identity', async () => {
    // GIVEN
    writeFileSync(join(dir, 'age.key'), '# empty\n');

    // WHEN
    const result = initKeys({ home: dir });

    // THEN
    await expect(result).rejects.toThrow(`'${join(dir, 'age.key')}' holds no age identity (no 'AGE-SECRET-KEY-1...' line)`);
  });
});

describe('loadIdentity and recipientOf', () => {
  test('fails if there is no identity', () => {
    // WHEN
    const load = () => loadIdentity(dir);

    // THEN
    expect(load).toThrow(`no age identity at '${join(dir, 'age.key')}': run 'dokku-gitops keys init'`);
  });

  test('fails if recipientOf gets something else than an identity', async () => {
    // WHEN
    const result = recipientOf('age1notanidentity');

    // THEN
    await expect(result).rejects.toThrow("not an age identity: expected 'AGE-SECRET-KEY-1...'");
  });
});

describe('hmacKey', () => {
  test('creates a random 32-byte key on first use, mode 0600, and reads the same key later', () => {
    // WHEN
    const first = hmacKey(dir);
    const second = hmacKey(dir);

    // THEN
    const path = join(dir, 'hmac.key');
    expect(first.length).toBe(32);
    expect(second).toEqual(first);
    expect(readFileSync(path, 'utf8')).toBe(`${first.toString('hex')}\n`);
    expect(mode(path)).toBe(0o600);
  });

  test('DOKKU_GITOPS_HMAC_KEY overrides the file and creates none', () => {
    // GIVEN
    process.env.DOKKU_GITOPS_HMAC_KEY = 'ab'.repeat(32);

    // WHEN
    const key = hmacKey(dir);

    // THEN
    expect(key).toEqual(Buffer.alloc(32, 0xab));
    expect(existsSync(join(dir, 'hmac.key'))).toBe(false);
  });

  test('fails if DOKKU_GITOPS_HMAC_KEY is not 64 hex characters, without echoing it', () => {
    // GIVEN
    process.env.DOKKU_GITOPS_HMAC_KEY = 'secret!';

    // WHEN
    const load = () => hmacKey(dir);

    // THEN
    expect(load).toThrow(
      "'DOKKU_GITOPS_HMAC_KEY' must be 64 hex characters (32 bytes), got 7 characters: generate one with 'openssl rand -hex 32'",
    );
  });

  test('fails if hmac.key is malformed', () => {
    // GIVEN
    writeFileSync(join(dir, 'hmac.key'), 'xyz\n');

    // WHEN
    const load = () => hmacKey(dir);

    // THEN
    expect(load).toThrow(
      `'${join(dir, 'hmac.key')}' must be 64 hex characters (32 bytes), got 3 characters: generate one with 'openssl rand -hex 32'`,
    );
  });
});

describe('hmacHex', () => {
  test('is HMAC-SHA256 (RFC 4231 test case 2)', () => {
    // WHEN
    const mac = hmacHex(Buffer.from('Jefe'), 'what do ya want for nothing?');

    // THEN
    expect(mac).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });
});
