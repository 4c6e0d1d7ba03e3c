import { createDecipheriv, createHash } from 'node:crypto';
import { decryptSops as sopsAgeDecrypt } from 'sops-age';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import { DokkuGitopsError } from '../../src/errors.js';
import { NO_AGE_RECIPIENT_MESSAGE, decryptSops, encryptSops } from '../../src/secrets/sops.js';
import { ageCliDecrypt, ageKey, b64, tempDir } from './_fixtures.js';

const NOW = new Date('2026-01-02T03:04:05.678Z');

/** A Kubernetes Secret as the compiler emits it. */
function envSecret(): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'config-node-js-app',
      namespace: 'node-js-app',
      labels: { 'app.kubernetes.io/name': 'node-js-app', count: '1_000', flag: 'yes' },
    },
    type: 'Opaque',
    data: { DATABASE_URL: b64('postgres://app:s3cr3t@db:5432/app'), EMPTY: '' },
    stringData: { API_TOKEN: 'tok-0123456789', CERT: '-----BEGIN X-----\nabc\n-----END X-----\n' },
  };
}

/** A document with every SOPS value type and a list, to check types, paths and the MAC. */
function typedDoc(): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'typed', labels: { tier: 'web' } },
    type: 'Opaque',
    data: { DATABASE_URL: b64('postgres://db/app'), EMPTY: '' },
    stringData: { PORT: 5000, RATIO: 0.25, DEBUG: false, HUGE: 1e21, HOSTS: ['a.example', 'b.example'] },
  };
}

const ENC = /^ENC\[AES256_GCM,data:([^,]*),iv:([^,]+),tag:([^,]+),type:(str|int|float|bool)\]$/;

let dir: string;
let cleanup: () => void;
let alice: Awaited<ReturnType<typeof ageKey>>;
let bob: Awaited<ReturnType<typeof ageKey>>;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir('sops'));
  alice = await ageKey(dir, 'alice');
  bob = await ageKey(dir, 'bob');
});
afterAll(() => cleanup());

/** AES-256-GCM open of one `ENC[...]` value with node:crypto, independent of the module. */
function openValue(value: string, key: Buffer, aad: string): string {
  const [, data, iv, tag] = ENC.exec(value)!;
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv!, 'base64'));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(Buffer.from(tag!, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(data!, 'base64')), decipher.final()]).toString('utf8');
}

describe('encryptSops', () => {
  test('the independent sops-age package decrypts every value', async () => {
    // GIVEN
    const secret = envSecret();

    // WHEN
    const text = await encryptSops(secret, { recipients: [alice.recipient, bob.recipient], now: NOW });

    // THEN
    expect(await sopsAgeDecrypt(text, { secretKey: alice.identity, fileType: 'yaml' })).toEqual(secret);
    expect(await sopsAgeDecrypt(text, { secretKey: bob.identity, fileType: 'yaml' })).toEqual(secret);
    const typed = await encryptSops(typedDoc(), { recipients: [alice.recipient] });
    expect(await sopsAgeDecrypt(typed, { secretKey: alice.identity, fileType: 'yaml' })).toEqual(typedDoc());
  });

  test('the age CLI unwraps the data key, which opens the values and the MAC as SOPS defines them', async () => {
    // GIVEN
    const text = await encryptSops(typedDoc(), { recipients: [alice.recipient, bob.recipient], now: NOW });
    const file = parse(text);

    // WHEN
    const keyFromAlice = ageCliDecrypt(file.sops.age[0].enc, alice.file);
    const keyFromBob = ageCliDecrypt(file.sops.age[1].enc, bob.file);

    // THEN
    expect(keyFromAlice.length).toBe(32);
    expect(keyFromBob).toEqual(keyFromAlice);
    // the additional data is the key path joined by ':' with a trailing ':'; list items add no index
    expect(openValue(file.data.DATABASE_URL, keyFromAlice, 'data:DATABASE_URL:')).toBe(b64('postgres://db/app'));
    expect(openValue(file.stringData.PORT, keyFromAlice, 'stringData:PORT:')).toBe('5000');
    expect(openValue(file.stringData.DEBUG, keyFromAlice, 'stringData:DEBUG:')).toBe('False');
    expect(openValue(file.stringData.HUGE, keyFromAlice, 'stringData:HUGE:')).toBe('1000000000000000000000');
    expect(openValue(file.stringData.HOSTS[1], keyFromAlice, 'stringData:HOSTS:')).toBe('b.example');
    expect(() => openValue(file.data.DATABASE_URL, keyFromAlice, 'stringData:DATABASE_URL:')).toThrow();
    // the MAC: SHA-512 over every value (plain and encrypted, not null) in document order,
    // upper-case hex, encrypted with lastmodified as additional data
    const values = ['v1', 'Secret', 'typed', 'web', 'Opaque', b64('postgres://db/app'), '', '5000', '0.25', 'False',
      '1000000000000000000000', 'a.example', 'b.example'];
    const expectedMac = createHash('sha512').update(values.join('')).digest('hex').toUpperCase();
    expect(file.sops.lastmodified).toBe('2026-01-02T03:04:05Z');
    expect(openValue(file.sops.mac, keyFromAlice, '2026-01-02T03:04:05Z')).toBe(expectedMac);
  });

  test('encrypts only data and stringData, with a 32-byte IV per value, and keeps the rest plain', async () => {
    // GIVEN
    const secret = envSecret();

    // WHEN
    const file = parse(await encryptSops(secret, { recipients: [alice.recipient], now: NOW }));

    // THEN
    expect(file.apiVersion).toBe('v1');
    expect(file.kind).toBe('Secret');
    expect(file.metadata).toEqual(secret.metadata);
    expect(file.type).toBe('Opaque');
    expect(file.data.EMPTY).toBe('');
    const encrypted = [file.data.DATABASE_URL, file.stringData.API_TOKEN, file.stringData.CERT];
    for (const value of encrypted) {
      const match = ENC.exec(value);
      expect(match).not.toBeNull();
      expect(Buffer.from(match![2]!, 'base64').length).toBe(32);
      expect(Buffer.from(match![3]!, 'base64').length).toBe(16);
      expect(match![4]).toBe('str');
    }
    expect(new Set(encrypted.map((value) => ENC.exec(value)![2])).size).toBe(3);
  });

  test('keeps the input key order, puts sops last and writes the metadata SOPS writes', async () => {
    // GIVEN
    const secret = envSecret();

    // WHEN
    const file = parse(await encryptSops(secret, { recipients: [alice.recipient, bob.recipient], now: NOW }));

    // THEN
    expect(Object.keys(file)).toEqual(['apiVersion', 'kind', 'metadata', 'type', 'data', 'stringData', 'sops']);
    expect(Object.keys(file.sops)).toEqual(['age', 'encrypted_regex', 'lastmodified', 'mac', 'version']);
    expect(file.sops.age.map((entry: { recipient: string }) => entry.recipient)).toEqual([alice.recipient, bob.recipient]);
    expect(file.sops.age[0].enc).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n[A-Za-z0-9+/=\n]+-----END AGE ENCRYPTED FILE-----\n$/);
    expect(file.sops.encrypted_regex).toBe('^(data|stringData)$');
    expect(file.sops.lastmodified).toBe('2026-01-02T03:04:05Z');
    expect(file.sops.mac).toMatch(ENC);
    expect(file.sops.version).toBe('3.13.2');
  });

  test('double-quotes strings that YAML 1.1 or Go would read as numbers or booleans', async () => {
    // WHEN
    const text = await encryptSops(envSecret(), { recipients: [alice.recipient], now: NOW });

    // THEN
    expect(text).toContain('count: "1_000"');
    expect(text).toContain('flag: "yes"');
    expect(text).toContain('lastmodified: "2026-01-02T03:04:05Z"');
  });

  test('an encrypted file has a stable shape', async () => {
    // WHEN
    const text = await encryptSops(envSecret(), { recipients: [alice.recipient], now: NOW });

    // THEN
    const normalized = text
      .replace(/data:[^,]+,iv:[^,]+,tag:[^,]+,/g, 'data:<data>,iv:<iv>,tag:<tag>,')
      .replace(/(-----BEGIN AGE ENCRYPTED FILE-----\n)[\s\S]*?( *-----END)/, '$1        <armor>\n$2')
      .replace(alice.recipient, '<recipient>');
    expect(normalized).toMatchSnapshot();
  });

  test('every encryption uses a new data key and new IVs', async () => {
    // WHEN
    const first = parse(await encryptSops(envSecret(), { recipients: [alice.recipient], now: NOW }));
    const second = parse(await encryptSops(envSecret(), { recipients: [alice.recipient], now: NOW }));

    // THEN
    expect(second.data.DATABASE_URL).not.toBe(first.data.DATABASE_URL);
    expect(ageCliDecrypt(second.sops.age[0].enc, alice.file)).not.toEqual(ageCliDecrypt(first.sops.age[0].enc, alice.file));
  });

  test('encryptedRegex selects other keys', async () => {
    // WHEN
    const file = parse(await encryptSops({ kind: 'Thing', token: 'x', spec: { password: 'p' } }, {
      recipients: [alice.recipient],
      encryptedRegex: '^password$',
      now: NOW,
    }));

    // THEN
    expect(file.token).toBe('x');
    expect(file.spec.password).toMatch(ENC);
    expect(file.sops.encrypted_regex).toBe('^password$');
  });

  test('fails if no recipient is given', async () => {
    // WHEN
    const result = encryptSops(envSecret(), { recipients: [] });

    // THEN
    await expect(result).rejects.toThrow(new DokkuGitopsError(NO_AGE_RECIPIENT_MESSAGE, 'input'));
    await expect(result).rejects.toMatchObject({ kind: 'input' });
    expect(NO_AGE_RECIPIENT_MESSAGE).toBe(
      "no age recipient configured: run 'dokku-gitops keys init' or pass --age-recipient, or add one to .sops.yaml",
    );
  });

  test('fails if a recipient is not an X25519 age recipient', async () => {
    // WHEN
    const result = encryptSops(envSecret(), { recipients: ['age1pq1notsupported'] });

    // THEN
    await expect(result).rejects.toThrow(
      "age recipient 'age1pq1notsupported' is not an X25519 age recipient: expected 'age1' and 58 lowercase bech32 characters",
    );
  });

  test('fails if a recipient has a bad checksum', async () => {
    // GIVEN
    const broken = `${alice.recipient.slice(0, -1)}${alice.recipient.endsWith('q') ? 'p' : 'q'}`;

    // WHEN
    const result = encryptSops(envSecret(), { recipients: [broken] });

    // THEN
    await expect(result).rejects.toThrow(`age recipient '${broken}' is not valid: Invalid checksum in ${broken}`);
  });

  test('fails if the document has a top-level sops key', async () => {
    // WHEN
    const result = encryptSops({ ...envSecret(), sops: {} }, { recipients: [alice.recipient] });

    // THEN
    await expect(result).rejects.toThrow("'sops' is a reserved top-level key in a SOPS file: rename it");
  });

  test('fails if a value has a type SOPS cannot encrypt', async () => {
    // WHEN
    const result = encryptSops({ data: { RATIO: Number.NaN } }, { recipients: [alice.recipient] });

    // THEN
    await expect(result).rejects.toThrow(
      "'data.RATIO': cannot encrypt NaN (number): SOPS values are strings, booleans or finite numbers",
    );
  });
});

describe('decryptSops', () => {
  test('returns the plaintext document', async () => {
    // GIVEN
    const text = await encryptSops(typedDoc(), { recipients: [alice.recipient, bob.recipient], now: NOW });

    // WHEN
    const plain = await decryptSops(text, bob.identity);

    // THEN
    expect(plain).toEqual(typedDoc());
  });

  test.each([
    ['unencrypted_suffix', '_unencrypted'],
    ['encrypted_suffix', '_secret'],
    ['unencrypted_regex', '^public'],
  ])('reads a file whose sops block uses %s, as SOPS files may', async (rule, operand) => {
    // GIVEN: values encrypted exactly where the rule says; the MAC does not cover the rule
    const doc = { token_secret: 'x', public_unencrypted: 'y', nested: { token_secret: 'z' } };
    const text = await encryptSops(doc, { recipients: [alice.recipient], encryptedRegex: '^token_secret$', now: NOW });
    const withRule = text.replace('encrypted_regex: ^token_secret$', `${rule}: ${operand}`);
    expect(withRule).not.toBe(text);

    // WHEN
    const plain = await decryptSops(withRule, alice.identity);

    // THEN
    expect(plain).toEqual(doc);
  });

  test('reads a file without a rule as SOPS does, with the default unencrypted_suffix', async () => {
    // GIVEN
    const doc = { token: 'x', public_unencrypted: 'y' };
    const text = await encryptSops(doc, { recipients: [alice.recipient], encryptedRegex: '^token$', now: NOW });

    // WHEN
    const plain = await decryptSops(text.replace('  encrypted_regex: ^token$\n', ''), alice.identity);

    // THEN
    expect(plain).toEqual(doc);
  });

  test('fails if the sops block uses mac_only_encrypted', async () => {
    // GIVEN
    const text = await encryptSops(envSecret(), { recipients: [alice.recipient], now: NOW });

    // WHEN
    const result = decryptSops(text.replace('  version:', '  mac_only_encrypted: true\n  version:'), alice.identity);

    // THEN
    await expect(result).rejects.toThrow("'sops.mac_only_encrypted' is not supported");
  });

  test('quotes integer-like keys so that SOPS sees string keys, in the order it walks them', async () => {
    // GIVEN
    const doc = { kind: 'Secret', data: { b: b64('x'), '10': b64('y'), yes: b64('z') } };

    // WHEN
    const text = await encryptSops(doc, { recipients: [alice.recipient], now: NOW });

    // THEN
    expect(text).toMatch(/\n {2}"10": ENC/);
    expect(text).toMatch(/\n {2}"yes": ENC/);
    // the additional data uses the key '10' as SOPS does (sops-age drops digit-only path parts)
    const file = parse(text);
    const dataKey = ageCliDecrypt(file.sops.age[0].enc, alice.file);
    expect(openValue(file.data['10'], dataKey, 'data:10:')).toBe(b64('y'));
    expect(await decryptSops(text, alice.identity)).toEqual(doc);
  });

  test('fails if a plain-text value was changed after encryption', async () => {
    // GIVEN
    const text = await encryptSops(envSecret(), { recipients: [alice.recipient], now: NOW });
    const tampered = text.replace('namespace: node-js-app', 'namespace: other');
    expect(tampered).not.toBe(text);

    // WHEN
    const result = decryptSops(tampered, alice.identity);

    // THEN
    await expect(result).rejects.toThrow("sops 'mac' mismatch: the file was changed after it was encrypted");
    await expect(result).rejects.toMatchObject({ kind: 'failure' });
  });

  test('fails if keys were reordered after encryption', async () => {
    // GIVEN
    const file = parse(await encryptSops(envSecret(), { recipients: [alice.recipient], now: NOW }));
    const { apiVersion, kind, ...rest } = file;
    const reordered = stringify({ kind, apiVersion, ...rest }, { lineWidth: 0 });

    // WHEN
    const result = decryptSops(reordered, alice.identity);

    // THEN
    await expect(result).rejects.toThrow("sops 'mac' mismatch: the file was changed after it was encrypted");
  });

  test('fails if an encrypted value was moved to another key', async () => {
    // GIVEN
    const file = parse(await encryptSops(envSecret(), { recipients: [alice.recipient], now: NOW }));
    file.stringData.API_TOKEN = file.data.DATABASE_URL;

    // WHEN
    const result = decryptSops(stringify(file, { lineWidth: 0 }), alice.identity);

    // THEN
    await expect(result).rejects.toThrow(
      "'stringData.API_TOKEN': AES-GCM authentication failed (wrong key, or the value was moved or changed)",
    );
  });

  test('fails if lastmodified was changed', async () => {
    // GIVEN
    const text = await encryptSops(envSecret(), { recipients: [alice.recipient], now: NOW });

    // WHEN
    const result = decryptSops(text.replace('2026-01-02T03:04:05Z', '2026-01-02T03:04:06Z'), alice.identity);

    // THEN
    await expect(result).rejects.toThrow(
      "'sops.mac': AES-GCM authentication failed (wrong key, or the value was moved or changed)",
    );
  });

  test('fails if the identity is none of the recipients', async () => {
    // GIVEN
    const text = await encryptSops(envSecret(), { recipients: [alice.recipient], now: NOW });

    // WHEN
    const result = decryptSops(text, bob.identity);

    // THEN
    await expect(result).rejects.toThrow(`the age identity matches none of the file's recipients: ${alice.recipient}`);
  });

  test('fails if the identity is malformed', async () => {
    // GIVEN
    const text = await encryptSops(envSecret(), { recipients: [alice.recipient], now: NOW });

    // WHEN
    const result = decryptSops(text, 'not-a-key');

    // THEN
    await expect(result).rejects.toThrow("'identity' is not an age identity: expected 'AGE-SECRET-KEY-1...'");
  });

  test('fails if the file has no sops block', async () => {
    // WHEN
    const result = decryptSops('apiVersion: v1\nkind: Secret\n', alice.identity);

    // THEN
    await expect(result).rejects.toThrow("not a SOPS YAML file: the top-level 'sops' mapping is missing");
  });
});
