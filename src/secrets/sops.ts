/**
 * SOPS-encrypted YAML, written in SOPS's own file format so that `sops -d` and Flux's
 * kustomize-controller decrypt what this tool commits.
 *
 * Format (SOPS v3, `sops.go`, `aes/cipher.go`, `stores/stores.go`): one random 32-byte data key
 * per file; every selected leaf value is AES-256-GCM encrypted with a fresh 32-byte IV and the
 * value's key path joined by `:` plus a trailing `:` as additional data; the data key is
 * wrapped for each age recipient and ASCII-armored; the MAC is SHA-512 over every value in
 * tree-walk order, upper-case hex, encrypted with the data key and `lastmodified` as
 * additional data.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { DokkuGitopsError } from '../errors.js';
import { isPlainObject } from '../canonical.js';
import { toYaml } from './_yaml.js';

/** The SOPS release whose file format this module writes; stored as `sops.version`. */
export const SOPS_VERSION = '3.13.2';

/** The `encrypted_regex` for Kubernetes Secrets: Flux needs `apiVersion`, `kind` and `metadata` in plain text. */
export const DEFAULT_ENCRYPTED_REGEX = '^(data|stringData)$';

/** The error message when SOPS encryption has no age recipient to encrypt to. */
export const NO_AGE_RECIPIENT_MESSAGE =
  "no age recipient configured: run 'dokku-gitops keys init' or pass --age-recipient, or add one to .sops.yaml";

/** An X25519 age recipient: `age1` and 58 bech32 characters (32 bytes and a checksum). */
const X25519_RECIPIENT = /^age1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58}$/;

const ENC_VALUE = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/;

/** Options for {@link encryptSops}. */
export interface SopsEncryptOptions {
  /** The age X25519 recipients (`age1...`) that can decrypt the file; at least one. */
  readonly recipients: readonly string[];
  /**
   * Keys whose values (and everything below them) are encrypted; a value is encrypted when any
   * key on its path matches. Other values stay plain text but are covered by the MAC.
   *
   * @default '^(data|stringData)$'
   */
  readonly encryptedRegex?: string;
  /**
   * The time written as `sops.lastmodified`, which is also the additional data of the MAC.
   *
   * @default - the current time
   */
  readonly now?: Date;
}

type SopsType = 'str' | 'int' | 'float' | 'bool';

/**
 * Encrypt a document (a Kubernetes Secret) into SOPS YAML.
 *
 * Keys keep the order of `doc` and the `sops` block comes last. Values under keys matching
 * `encryptedRegex` become `ENC[AES256_GCM,...]`; strings, booleans and finite numbers are
 * supported, as in SOPS. An empty string stays empty, as SOPS leaves it.
 *
 * @returns the YAML text of the encrypted document
 * @throws DokkuGitopsError ('input') when there is no recipient, a recipient is not an X25519
 *   age recipient, `doc` has a top-level `sops` key, or a value has an unsupported type
 */
export async function encryptSops(doc: Record<string, unknown>, opts: SopsEncryptOptions): Promise<string> {
  const recipients = validateRecipients(opts.recipients);
  if (Object.hasOwn(doc, 'sops')) {
    throw new DokkuGitopsError("'sops' is a reserved top-level key in a SOPS file: rename it", 'input');
  }
  const encryptedRegex = opts.encryptedRegex ?? DEFAULT_ENCRYPTED_REGEX;
  const selector = compileRegex(encryptedRegex, 'encryptedRegex');
  const now = opts.now ?? new Date();
  if (Number.isNaN(now.getTime())) throw new DokkuGitopsError("'now' is an invalid date", 'input');

  const dataKey = randomBytes(32);
  const hash = createHash('sha512');
  const tree = walkPlain(doc, [], (value, path) => {
    const leaf = leafText(value, path);
    hash.update(leaf.text, 'utf8');
    if (!path.some((key) => selector.test(key))) return value;
    return encryptValue(leaf, dataKey, aadOf(path));
  }) as Record<string, unknown>;

  const lastmodified = rfc3339(now);
  const mac = encryptValue({ text: hash.digest('hex').toUpperCase(), type: 'str' }, dataKey, lastmodified);
  const age = [];
  for (const recipient of recipients) age.push({ enc: await wrapDataKey(dataKey, recipient), recipient });
  // SOPS serializes its metadata with sorted keys (stores/metadata.go goToSops)
  return toYaml({
    ...tree,
    sops: { age, encrypted_regex: encryptedRegex, lastmodified, mac, version: SOPS_VERSION },
  });
}

/**
 * Decrypt SOPS YAML with an age identity and verify its MAC.
 *
 * Reads files with top-level age keys and any one of `encrypted_regex`, `unencrypted_regex`,
 * `encrypted_suffix` or `unencrypted_suffix` (the SOPS default, `_unencrypted`); not comment
 * rules, `mac_only_encrypted` or key groups.
 *
 * @param text the SOPS YAML file
 * @param identity an age identity, `AGE-SECRET-KEY-1...`
 * @returns the decrypted document without its `sops` block
 * @throws DokkuGitopsError ('input') when the file is not SOPS YAML this module reads or the
 *   identity is malformed; ('failure') when no recipient matches the identity, a value fails
 *   authentication, or the MAC does not match
 */
export async function decryptSops(text: string, identity: string): Promise<Record<string, unknown>> {
  const doc = parseDocument(text, { logLevel: 'error' });
  if (doc.errors.length > 0) {
    throw new DokkuGitopsError(`not a SOPS YAML file: ${doc.errors[0]!.message}`, 'input');
  }
  const root = doc.contents;
  if (!isMap(root)) throw new DokkuGitopsError('not a SOPS YAML file: the document is not a mapping', 'input');
  const metadata: unknown = (doc.toJS() as Record<string, unknown>).sops;
  if (!isPlainObject(metadata)) {
    throw new DokkuGitopsError("not a SOPS YAML file: the top-level 'sops' mapping is missing", 'input');
  }
  const meta = readMetadata(metadata);
  const dataKey = await unwrapDataKey(meta.age, identity);

  const hash = createHash('sha512');
  const plain = walkNode(doc, root, [], true, (value, path) => {
    const encrypted = meta.isEncrypted(path);
    let result = value;
    if (encrypted) {
      if (typeof value !== 'string') {
        throw new DokkuGitopsError(`'${path.join('.')}': expected an encrypted string, got ${typeof value}`, 'failure');
      }
      result = decryptValue(value, dataKey, aadOf(path), `'${path.join('.')}'`);
    }
    hash.update(leafText(result, path).text, 'utf8');
    return result;
  }) as Record<string, unknown>;

  const computed = hash.digest('hex').toUpperCase();
  const stored = decryptValue(meta.mac, dataKey, goRfc3339(meta.lastmodified), "'sops.mac'");
  if (stored !== computed) {
    throw new DokkuGitopsError("sops 'mac' mismatch: the file was changed after it was encrypted", 'failure');
  }
  return plain;
}

interface Leaf {
  readonly text: string;
  readonly type: SopsType;
}

/** SOPS's byte form of a value (sops.go ToBytes), with the type tag SOPS gives it. */
function leafText(value: unknown, path: readonly string[]): Leaf {
  switch (typeof value) {
    case 'string':
      return { text: value, type: 'str' };
    case 'boolean':
      // SOPS keeps the Python implementation's Title-case booleans
      return { text: value ? 'True' : 'False', type: 'bool' };
    case 'number':
      if (Number.isSafeInteger(value)) return { text: String(value), type: 'int' };
      if (Number.isFinite(value)) return { text: goFloat(value), type: 'float' };
      break;
    default:
      break;
  }
  throw new DokkuGitopsError(
    `'${path.join('.')}': cannot encrypt ${String(value)} (${typeof value}): SOPS values are strings, booleans or finite numbers`,
    'input',
  );
}

/** Go's strconv.FormatFloat(v, 'f', -1, 64): the shortest round-trip digits, never an exponent. */
function goFloat(value: number): string {
  const text = String(value);
  const match = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) return text;
  const [, sign, whole, fraction = '', exponent] = match;
  const digits = whole! + fraction;
  const point = whole!.length + Number(exponent);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** The additional data of a value: its key path joined by `:`, with a trailing `:`. */
function aadOf(path: readonly string[]): string {
  return `${path.join(':')}:`;
}

function encryptValue(leaf: Leaf, key: Buffer, aad: string): string {
  // SOPS leaves empty strings unencrypted (aes/cipher.go isEmpty)
  if (leaf.text === '' && leaf.type === 'str') return '';
  const iv = randomBytes(32);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(leaf.text, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${tag.toString('base64')},type:${leaf.type}]`;
}

function decryptValue(ciphertext: string, key: Buffer, aad: string, where: string): unknown {
  if (ciphertext === '') return '';
  const match = ENC_VALUE.exec(ciphertext);
  if (!match) throw new DokkuGitopsError(`${where}: not a SOPS encrypted value`, 'failure');
  const [, data, iv, tag, type] = match;
  let text: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv!, 'base64'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag!, 'base64'));
    text = Buffer.concat([decipher.update(Buffer.from(data!, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new DokkuGitopsError(`${where}: AES-GCM authentication failed (wrong key, or the value was moved or changed)`, 'failure');
  }
  switch (type) {
    case 'str':
      return text;
    case 'int':
      if (/^[+-]?\d+$/.test(text)) return Number(text);
      break;
    case 'float':
      if (text.trim() !== '' && !Number.isNaN(Number(text))) return Number(text);
      break;
    case 'bool':
      if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
      if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
      break;
    default:
      throw new DokkuGitopsError(`${where}: unsupported SOPS value type '${type}'`, 'input');
  }
  throw new DokkuGitopsError(`${where}: '${type}' value does not parse`, 'failure');
}

/**
 * Walk a plain JS value as SOPS walks its tree: mappings in key order, sequence items under
 * their parent's path (SOPS adds no index), `null` skipped, leaves replaced by `onLeaf`.
 */
function walkPlain(value: unknown, path: string[], onLeaf: (value: unknown, path: string[]) => unknown): unknown {
  if (value === null) return null;
  if (Array.isArray(value)) return value.map((item) => walkPlain(item, path, onLeaf));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) out[key] = walkPlain(item, [...path, key], onLeaf);
    }
    return out;
  }
  return onLeaf(value, path);
}

/**
 * The same walk over a parsed YAML node, in file order: a JS object would put integer-like keys
 * first and change the order the MAC covers.
 */
function walkNode(
  doc: Document,
  node: Node | null,
  path: string[],
  top: boolean,
  onLeaf: (value: unknown, path: string[]) => unknown,
): unknown {
  if (node === null) return null;
  if (isAlias(node)) return walkNode(doc, node.resolve(doc) ?? null, path, false, onLeaf);
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (typeof key !== 'string') {
        throw new DokkuGitopsError(`'${path.join('.')}': SOPS supports only string keys, got ${String(key)}`, 'input');
      }
      if (top && key === 'sops') continue;
      out[key] = walkNode(doc, pair.value as Node | null, [...path, key], false, onLeaf);
    }
    return out;
  }
  if (isSeq(node)) return node.items.map((item) => walkNode(doc, item as Node | null, path, false, onLeaf));
  if (isScalar(node)) return node.value === null ? null : onLeaf(node.value, path);
  return null;
}

interface Metadata {
  readonly age: ReadonlyArray<{ recipient: string; enc: string }>;
  readonly lastmodified: string;
  readonly mac: string;
  readonly isEncrypted: (path: readonly string[]) => boolean;
}

function readMetadata(sops: Record<string, unknown>): Metadata {
  const age = sops.age;
  if (!Array.isArray(age) || age.length === 0) {
    throw new DokkuGitopsError("not a SOPS file this tool reads: 'sops.age' lists no age recipient", 'input');
  }
  const entries = age.map((entry: unknown, i) => {
    if (!isPlainObject(entry) || typeof entry.enc !== 'string' || typeof entry.recipient !== 'string') {
      throw new DokkuGitopsError(`'sops.age[${i}]' needs 'recipient' and 'enc' strings`, 'input');
    }
    return { recipient: entry.recipient, enc: entry.enc };
  });
  if (typeof sops.lastmodified !== 'string' || typeof sops.mac !== 'string') {
    throw new DokkuGitopsError("not a SOPS file: 'sops.lastmodified' and 'sops.mac' must be strings", 'input');
  }
  for (const unsupported of ['encrypted_comment_regex', 'unencrypted_comment_regex', 'mac_only_encrypted']) {
    if (sops[unsupported]) throw new DokkuGitopsError(`'sops.${unsupported}' is not supported`, 'input');
  }
  const rules = ['encrypted_regex', 'unencrypted_regex', 'encrypted_suffix', 'unencrypted_suffix'].filter(
    (rule) => typeof sops[rule] === 'string' && sops[rule] !== '',
  );
  if (rules.length > 1) {
    throw new DokkuGitopsError(`the 'sops' block sets ${rules.join(' and ')}: SOPS allows only one`, 'input');
  }
  const rule = rules[0] ?? 'unencrypted_suffix';
  const operand = (sops[rule] as string | undefined) ?? '_unencrypted';
  let isEncrypted: (path: readonly string[]) => boolean;
  if (rule === 'encrypted_regex' || rule === 'unencrypted_regex') {
    const regex = compileRegex(operand, `sops.${rule}`);
    const matches = (path: readonly string[]) => path.some((key) => regex.test(key));
    isEncrypted = rule === 'encrypted_regex' ? matches : (path) => !matches(path);
  } else {
    const matches = (path: readonly string[]) => path.some((key) => key.endsWith(operand));
    isEncrypted = rule === 'encrypted_suffix' ? matches : (path) => !matches(path);
  }
  return {
    age: entries,
    lastmodified: sops.lastmodified,
    mac: sops.mac,
    isEncrypted,
  };
}

function compileRegex(source: string, field: string): RegExp {
  try {
    return new RegExp(source);
  } catch (err) {
    throw new DokkuGitopsError(`'${field}' is not a valid regular expression: ${source}`, 'input', { cause: err });
  }
}

function validateRecipients(recipients: readonly string[]): string[] {
  const unique = [...new Set(recipients.map((r) => r.trim()).filter((r) => r !== ''))];
  if (unique.length === 0) throw new DokkuGitopsError(NO_AGE_RECIPIENT_MESSAGE, 'input');
  for (const recipient of unique) {
    if (!X25519_RECIPIENT.test(recipient)) {
      throw new DokkuGitopsError(
        `age recipient '${recipient}' is not an X25519 age recipient: expected 'age1' and 58 lowercase bech32 characters`,
        'input',
      );
    }
  }
  return unique;
}

/** age, loaded on first use: a deploy whose Secrets did not change never pays for it. */
function age(): Promise<typeof import('age-encryption')> {
  return import('age-encryption');
}

async function wrapDataKey(dataKey: Buffer, recipient: string): Promise<string> {
  const { Encrypter, armor } = await age();
  const encrypter = new Encrypter();
  try {
    encrypter.addRecipient(recipient);
  } catch (err) {
    throw new DokkuGitopsError(`age recipient '${recipient}' is not valid: ${(err as Error).message}`, 'input', {
      cause: err,
    });
  }
  return armor.encode(await encrypter.encrypt(new Uint8Array(dataKey)));
}

async function unwrapDataKey(entries: Metadata['age'], identity: string): Promise<Buffer> {
  const { Decrypter, armor } = await age();
  const decrypter = new Decrypter();
  try {
    decrypter.addIdentity(identity.trim());
  } catch (err) {
    throw new DokkuGitopsError("'identity' is not an age identity: expected 'AGE-SECRET-KEY-1...'", 'input', {
      cause: err,
    });
  }
  for (const entry of entries) {
    let file: Uint8Array;
    try {
      file = armor.decode(entry.enc);
    } catch (err) {
      throw new DokkuGitopsError(`the age block for '${entry.recipient}' is not ASCII-armored age: ${(err as Error).message}`, 'input', {
        cause: err,
      });
    }
    let key: Uint8Array;
    try {
      key = await decrypter.decrypt(file);
    } catch {
      // a stanza for another recipient: try the next entry
      continue;
    }
    if (key.length !== 32) throw new DokkuGitopsError(`the data key for '${entry.recipient}' is not 32 bytes`, 'failure');
    return Buffer.from(key);
  }
  const listed = entries.map((entry) => entry.recipient).join(', ');
  throw new DokkuGitopsError(`the age identity matches none of the file's recipients: ${listed}`, 'failure');
}

/** Go's time.Format(time.RFC3339) of a UTC time: whole seconds and `Z`. */
function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * The MAC's additional data is `lastmodified` parsed and formatted again by Go: fractional
 * seconds dropped, a zero offset written `Z`.
 */
function goRfc3339(text: string): string {
  return text.replace(/\.\d+(?=Z$|[+-]\d\d:\d\d$)/, '').replace(/[+-]00:00$/, 'Z');
}

