/**
 * The keys this tool holds on the host: the age identity that can decrypt the repo's SOPS
 * files, and the HMAC key that decides whether a Secret's plaintext changed.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DokkuGitopsError } from '../errors.js';
import { writeFileWhole } from '../files.js';

/** The file in the home directory holding the age identity, in age-keygen's format. */
export const AGE_KEY_FILE = 'age.key';

/** The file in the home directory holding the HMAC key, 64 hex characters. */
export const HMAC_KEY_FILE = 'hmac.key';

/** The environment variable that overrides the HMAC key file: 64 hex characters. */
export const HMAC_KEY_ENV = 'DOKKU_GITOPS_HMAC_KEY';

/**
 * The directory holding the host's keys.
 *
 * @param home an explicit directory
 * @default - env `DOKKU_GITOPS_HOME`, else `~/.dokku-gitops`
 */
export function keysHome(home?: string): string {
  return home ?? process.env.DOKKU_GITOPS_HOME ?? join(homedir(), '.dokku-gitops');
}

/** Options for {@link initKeys}. */
export interface InitKeysOptions {
  /**
   * The directory for the keys.
   *
   * @default - env `DOKKU_GITOPS_HOME`, else `~/.dokku-gitops`
   */
  readonly home?: string;
  /**
   * Replace an existing identity with a new one. Files encrypted to the old one can then be
   * decrypted only by the cluster's copy of it.
   *
   * @default false
   */
  readonly force?: boolean;
}

/** What {@link initKeys} found or made. */
export interface InitKeysResult {
  /** The absolute path of the identity file. */
  readonly identityPath: string;
  /** The identity's public key, `age1...`: the recipient to encrypt to. */
  readonly recipient: string;
  /** Whether a new identity was written; false when one existed and was kept. */
  readonly created: boolean;
}

/**
 * Create the host's age identity, unless it exists.
 *
 * Writes `age.key` in age-keygen's format (`# created:`, `# public key:`, then the
 * `AGE-SECRET-KEY-1...` line) with mode 0600, in a directory with mode 0700. An existing
 * identity is kept and returned with `created: false`, unless `force` is set.
 */
export async function initKeys(opts: InitKeysOptions = {}): Promise<InitKeysResult> {
  const home = keysHome(opts.home);
  const identityPath = join(home, AGE_KEY_FILE);
  if (!opts.force) {
    const existing = readIdentityFile(identityPath);
    if (existing !== undefined) return { identityPath, recipient: await recipientOf(existing), created: false };
  }
  // age is loaded on demand: commands that only need the HMAC key (synth) never load it
  const { generateX25519Identity, identityToRecipient } = await import('age-encryption');
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  const created = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const text = `# created: ${created}\n# public key: ${recipient}\n${identity}\n`;
  const written = writeSecretFile(identityPath, text, opts.force === true);
  if (!written) {
    // another process created it between the check and the write: keep theirs
    return { identityPath, recipient: await recipientOf(loadIdentity(home)), created: false };
  }
  return { identityPath, recipient, created: true };
}

/**
 * The host's age identity, `AGE-SECRET-KEY-1...`.
 *
 * @param home the keys directory
 * @default - env `DOKKU_GITOPS_HOME`, else `~/.dokku-gitops`
 * @throws DokkuGitopsError ('input') when there is no identity file or it holds no identity
 */
export function loadIdentity(home?: string): string {
  const path = join(keysHome(home), AGE_KEY_FILE);
  const identity = readIdentityFile(path);
  if (identity === undefined) {
    throw new DokkuGitopsError(`no age identity at '${path}': run 'dokku-gitops keys init'`, 'input');
  }
  return identity;
}

/**
 * The public key (`age1...`) of an age identity.
 *
 * @throws DokkuGitopsError ('input') when `identity` is not an X25519 age identity
 */
export async function recipientOf(identity: string): Promise<string> {
  const trimmed = identity.trim();
  try {
    if (!trimmed.startsWith('AGE-SECRET-KEY-1')) throw new Error('wrong prefix');
    const { identityToRecipient } = await import('age-encryption');
    return await identityToRecipient(trimmed);
  } catch (err) {
    throw new DokkuGitopsError("not an age identity: expected 'AGE-SECRET-KEY-1...'", 'input', { cause: err });
  }
}

/**
 * The host's HMAC key, 32 bytes.
 *
 * Env `DOKKU_GITOPS_HMAC_KEY` (64 hex characters) wins, which tests and CI use for
 * determinism. Otherwise `hmac.key` in the keys directory is read, and created with 32 random
 * bytes (mode 0600) on first use.
 *
 * @param home the keys directory
 * @default - env `DOKKU_GITOPS_HOME`, else `~/.dokku-gitops`
 * @throws DokkuGitopsError ('input') when the env value or the file is not 64 hex characters
 */
export function hmacKey(home?: string): Buffer {
  const fromEnv = process.env[HMAC_KEY_ENV];
  if (fromEnv !== undefined) {
    // never echo the value: it is a secret
    return parseHexKey(fromEnv.trim(), `'${HMAC_KEY_ENV}'`);
  }
  const path = join(keysHome(home), HMAC_KEY_FILE);
  let text = readOptional(path);
  if (text === undefined) {
    writeSecretFile(path, `${randomBytes(32).toString('hex')}\n`, false);
    // when another process won the race, its key is the one to use
    text = readOptional(path) ?? '';
  }
  return parseHexKey(text.trim(), `'${path}'`);
}

/** HMAC-SHA256 of `data` (UTF-8) under `key`, as lower-case hex. */
export function hmacHex(key: Buffer, data: string): string {
  return createHmac('sha256', key).update(data, 'utf8').digest('hex');
}

function parseHexKey(text: string, where: string): Buffer {
  if (!/^[0-9a-fA-F]{64}$/.test(text)) {
    throw new DokkuGitopsError(
      `${where} must be 64 hex characters (32 bytes), got ${text.length} characters: generate one with 'openssl rand -hex 32'`,
      'input',
    );
  }
  return Buffer.from(text, 'hex');
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DokkuGitopsError(`cannot read '${path}': ${(err as Error).message}`, 'failure', { cause: err });
  }
}

function readIdentityFile(path: string): string | undefined {
  const text = readOptional(path);
  if (text === undefined) return undefined;
  const identity = text.split('\n').map((line) => line.trim()).find((line) => line.startsWith('AGE-SECRET-KEY-1'));
  if (identity === undefined) {
    throw new DokkuGitopsError(`'${path}' holds no age identity (no 'AGE-SECRET-KEY-1...' line)`, 'input');
  }
  return identity;
}

/** Write a file readable only by its owner, whole; false when it existed and `replace` was not set. */
function writeSecretFile(path: string, text: string, replace: boolean): boolean {
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  return writeFileWhole(path, text, { mode: 0o600, replace });
}
