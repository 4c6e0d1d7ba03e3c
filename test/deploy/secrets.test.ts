/**
 * Every SOPS file a deploy of the bundled examples writes (env, pull secret, release copies,
 * KEDA cluster auth) decrypts with the independent `sops-age` package to exactly the plaintext
 * the compiler produced, and our own reader verifies each file's MAC.
 */
import { join, resolve } from 'node:path';
import { decryptSops as sopsAgeDecrypt } from 'sops-age';
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';
import { compile } from '../../src/compile.js';
import { deploy } from '../../src/deploy.js';
import { initKeys, loadIdentity } from '../../src/secrets/keys.js';
import { decryptSops } from '../../src/secrets/sops.js';
import { loadState } from '../../src/state/load.js';
import { HMAC_KEY_HEX, bareRemote, useTestHmacKey, tempDir, treeAt } from './_repo-fixtures.js';

const EXAMPLES = resolve(import.meta.dirname, '..', '..', 'examples');
useTestHmacKey();

describe('SOPS files in the repository', () => {
  test('every Secret of the examples decrypts (sops-age) to the compiled plaintext, with a valid MAC', async () => {
    // GIVEN a host identity and the examples' plaintext Secrets
    const home = tempDir();
    await initKeys({ home });
    const identity = loadIdentity(home);
    const compiled = compile(loadState([EXAMPLES]), { hmacKey: Buffer.from(HMAC_KEY_HEX, 'hex') });
    const plaintext = [...compiled.apps.flatMap((a) => a.manifests), ...compiled.platform].filter((m) => m.secret);
    // WHEN the examples are deployed
    const remote = bareRemote();
    await deploy({ repo: remote, home, states: [EXAMPLES] });
    // THEN every Secret is a SOPS file at its path, and nothing else is
    const files = treeAt(remote);
    const sopsFiles = Object.keys(files).filter((p) => /^sops:/m.test(files[p]!) && p !== '.sops.yaml').sort();
    expect(sopsFiles).toEqual(plaintext.map((m) => m.path).sort());
    expect(sopsFiles.length).toBeGreaterThanOrEqual(6);
    for (const m of plaintext) {
      const text = files[m.path]!;
      const expected = m.object as { data?: Record<string, string>; stringData?: Record<string, string> };
      // the independent decrypter
      const independent = (await sopsAgeDecrypt(text, { secretKey: identity, fileType: 'yaml' })) as typeof expected;
      expect(independent.data ?? {}, m.path).toEqual(expected.data ?? {});
      // our reader, which also verifies the MAC over the whole file
      const ours = (await decryptSops(text, identity)) as typeof expected;
      expect(ours.data ?? {}, m.path).toEqual(expected.data ?? {});
      // and no value is readable in the file itself (values too short to tell from chance
      // matches in the ciphertext's base64 are left to the blob scan of the delivery tests)
      for (const value of Object.values(expected.data ?? {})) {
        const decoded = Buffer.from(value, 'base64').toString('utf8');
        if (decoded.length < 8) continue;
        expect(text.includes(value), `${m.path} holds a plaintext value`).toBe(false);
        expect(text.includes(decoded), `${m.path} holds a decoded value`).toBe(false);
      }
      expect(parse(text).sops.encrypted_regex).toBe('^(data|stringData)$');
    }
  }, 60_000);
});
