import { SealedSecret } from '@kubernetes-models/sealed-secrets/bitnami.com/v1alpha1/SealedSecret';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sealSecret, sealingCertFingerprint } from '../../src/secrets/sealed.js';
import { b64, sealingCert, tempDir, unsealValue } from './_fixtures.js';

let cleanup: () => void;
let rsa: { cert: string; key: string };
let ec: { cert: string; key: string };

beforeAll(() => {
  const temp = tempDir('sealed');
  cleanup = temp.cleanup;
  rsa = sealingCert(temp.dir, 'rsa');
  ec = sealingCert(temp.dir, 'ec');
});
afterAll(() => cleanup());

function pullSecret(): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'pull-node-js-app',
      namespace: 'node-js-app',
      labels: { 'app.kubernetes.io/name': 'node-js-app' },
      annotations: {
        'dokku.com/owner': 'me',
        'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"x":"cGxhaW4="}}',
      },
    },
    type: 'kubernetes.io/dockerconfigjson',
    immutable: true,
    data: { '.dockerconfigjson': b64('{"auths":{"ghcr.io":{"auth":"dTpw"}}}'), EMPTY: '' },
    stringData: { TOKEN: 'tok-42' },
  };
}

describe('sealSecret', () => {
  test('the controller key unseals every value with the strict-scope label', () => {
    // WHEN
    const sealed = sealSecret(pullSecret(), rsa.cert) as { spec: { encryptedData: Record<string, string> } };

    // THEN
    const unseal = (item: string) =>
      unsealValue(sealed.spec.encryptedData[item]!, rsa.key, 'node-js-apppull-node-js-app').toString('utf8');
    expect(Object.keys(sealed.spec.encryptedData)).toEqual(['.dockerconfigjson', 'EMPTY', 'TOKEN']);
    expect(unseal('.dockerconfigjson')).toBe('{"auths":{"ghcr.io":{"auth":"dTpw"}}}');
    expect(unseal('EMPTY')).toBe('');
    expect(unseal('TOKEN')).toBe('tok-42');
  });

  test('a namespace-wide or cluster-wide label does not unseal it', () => {
    // WHEN
    const sealed = sealSecret(pullSecret(), rsa.cert) as { spec: { encryptedData: Record<string, string> } };

    // THEN
    expect(() => unsealValue(sealed.spec.encryptedData.TOKEN!, rsa.key, 'node-js-app')).toThrow();
    expect(() => unsealValue(sealed.spec.encryptedData.TOKEN!, rsa.key, '')).toThrow();
  });

  test('each blob is 2-byte length, RSA-4096 ciphertext, then AES-GCM ciphertext and tag, with a fresh session key', () => {
    // WHEN
    const first = sealSecret(pullSecret(), rsa.cert) as { spec: { encryptedData: Record<string, string> } };
    const second = sealSecret(pullSecret(), rsa.cert) as { spec: { encryptedData: Record<string, string> } };

    // THEN
    const blob = Buffer.from(first.spec.encryptedData.TOKEN!, 'base64');
    expect(blob.readUInt16BE(0)).toBe(512);
    expect(blob.length).toBe(2 + 512 + 'tok-42'.length + 16);
    expect(second.spec.encryptedData.TOKEN).not.toBe(first.spec.encryptedData.TOKEN);
  });

  test('the template carries metadata, type and immutable, without the last-applied annotation', () => {
    // WHEN
    const sealed = sealSecret(pullSecret(), rsa.cert) as Record<string, any>;

    // THEN
    expect(sealed.apiVersion).toBe('bitnami.com/v1alpha1');
    expect(sealed.kind).toBe('SealedSecret');
    expect(sealed.metadata).toEqual({ name: 'pull-node-js-app', namespace: 'node-js-app' });
    expect(sealed.spec.template).toEqual({
      metadata: {
        name: 'pull-node-js-app',
        namespace: 'node-js-app',
        labels: { 'app.kubernetes.io/name': 'node-js-app' },
        annotations: { 'dokku.com/owner': 'me' },
      },
      type: 'kubernetes.io/dockerconfigjson',
      immutable: true,
    });
  });

  test('validates against the SealedSecret schema', () => {
    // WHEN
    const sealed = sealSecret(pullSecret(), rsa.cert);

    // THEN
    expect(() => new SealedSecret(sealed as ConstructorParameters<typeof SealedSecret>[0]).validate()).not.toThrow();
  });

  test('sealingCertFingerprint names the certificate', () => {
    // WHEN
    const fingerprint = sealingCertFingerprint(rsa.cert);

    // THEN
    expect(fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  test('fails if the Secret has no namespace', () => {
    // GIVEN
    const secret = { ...pullSecret(), metadata: { name: 'pull-node-js-app' } };

    // WHEN
    const seal = () => sealSecret(secret, rsa.cert);

    // THEN
    expect(seal).toThrow("secret 'pull-node-js-app': 'metadata.namespace' is required to seal a Secret in strict scope");
  });

  test('fails if a data value is not base64', () => {
    // GIVEN
    const secret = { ...pullSecret(), data: { PASSWORD: 'not base64!' } };

    // WHEN
    const seal = () => sealSecret(secret, rsa.cert);

    // THEN
    expect(seal).toThrow("secret 'pull-node-js-app': 'data.PASSWORD' is not valid base64");
  });

  test('fails if the certificate is not a PEM certificate', () => {
    // WHEN
    const seal = () => sealSecret(pullSecret(), rsa.key);

    // THEN
    expect(seal).toThrow(
      "the sealed-secrets certificate is not a PEM X.509 certificate: get it with 'kubeseal --fetch-cert'",
    );
  });

  test('fails if the certificate has no RSA key', () => {
    // WHEN
    const seal = () => sealSecret(pullSecret(), ec.cert);

    // THEN
    expect(seal).toThrow("the sealed-secrets certificate has a 'ec' key: the controller's key is RSA");
  });
});
