/**
 * Bitnami Sealed Secrets, sealed offline with the controller's public certificate, with
 * kubeseal's hybrid encryption (`pkg/crypto/crypto.go` HybridEncrypt):
 * per value a fresh 32-byte session key; the value AES-256-GCM encrypted with an all-zero
 * 12-byte nonce (safe: the key is used once); the session key RSA-OAEP (SHA-256) encrypted
 * with the scope as label. Blob = 2-byte big-endian RSA ciphertext length ‖ RSA ciphertext ‖
 * AES ciphertext ‖ GCM tag, base64 in `spec.encryptedData`.
 *
 * @see https://github.com/bitnami-labs/sealed-secrets/blob/main/docs/developer/crypto.md
 */
import { X509Certificate, constants, createCipheriv, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { DokkuGitopsError } from '../errors.js';
import { isPlainObject } from '../canonical.js';

/**
 * The sealing scope. `strict`: the Secret can be unsealed only with its name in its namespace
 * (the OAEP label is namespace ‖ name).
 */
export type SealedSecretScope = 'strict';

/** The annotation kubectl leaves on applied objects; it would hold the plaintext, so it is dropped. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Seal a Kubernetes Secret into a `bitnami.com/v1alpha1` SealedSecret.
 *
 * `data` values are base64 (as in a Secret); `stringData` values are sealed as their UTF-8
 * bytes and win over `data` for the same key, as the API server would merge them. The
 * SealedSecret's `spec.template` carries the Secret's name, namespace, labels, annotations,
 * `type` and `immutable`, which the controller copies onto the Secret it creates.
 *
 * @param secret a Kubernetes Secret with `metadata.name` and `metadata.namespace`
 * @param certPem the controller's certificate (`kubeseal --fetch-cert`), PEM
 * @param scope the sealing scope
 * @default scope 'strict'
 * @throws DokkuGitopsError ('input') when the Secret lacks a name or namespace, a `data` value
 *   is not base64, or the certificate is not a PEM X.509 certificate with an RSA key
 */
export function sealSecret(secret: object, certPem: string, scope: SealedSecretScope = 'strict'): Record<string, unknown> {
  if (scope !== 'strict') throw new DokkuGitopsError(`'scope' must be 'strict', got '${String(scope)}'`, 'input');
  const source = secret as Record<string, unknown>;
  const metadata = isPlainObject(source.metadata) ? source.metadata : {};
  const name = metadata.name;
  const namespace = metadata.namespace;
  if (typeof name !== 'string' || name === '') {
    throw new DokkuGitopsError("'metadata.name' is required to seal a Secret", 'input');
  }
  if (typeof namespace !== 'string' || namespace === '') {
    throw new DokkuGitopsError(`secret '${name}': 'metadata.namespace' is required to seal a Secret in strict scope`, 'input');
  }
  const key = rsaPublicKey(certPem);
  const label = Buffer.from(`${namespace}${name}`, 'utf8');

  const plaintexts = new Map<string, Buffer>();
  for (const [item, value] of Object.entries(stringMap(source.data, name, 'data'))) {
    plaintexts.set(item, decodeBase64(value, `secret '${name}': 'data.${item}'`));
  }
  for (const [item, value] of Object.entries(stringMap(source.stringData, name, 'stringData'))) {
    plaintexts.set(item, Buffer.from(value, 'utf8'));
  }
  const encryptedData: Record<string, string> = {};
  for (const item of [...plaintexts.keys()].sort()) {
    encryptedData[item] = hybridEncrypt(key, plaintexts.get(item)!, label).toString('base64');
  }

  const templateMetadata: Record<string, unknown> = { name, namespace };
  if (isPlainObject(metadata.labels) && Object.keys(metadata.labels).length > 0) {
    templateMetadata.labels = metadata.labels;
  }
  if (isPlainObject(metadata.annotations)) {
    const annotations = Object.fromEntries(Object.entries(metadata.annotations).filter(([k]) => k !== LAST_APPLIED));
    if (Object.keys(annotations).length > 0) templateMetadata.annotations = annotations;
  }
  const template: Record<string, unknown> = { metadata: templateMetadata };
  if (typeof source.type === 'string') template.type = source.type;
  if (typeof source.immutable === 'boolean') template.immutable = source.immutable;

  return {
    apiVersion: 'bitnami.com/v1alpha1',
    kind: 'SealedSecret',
    metadata: { name, namespace },
    spec: { encryptedData, template },
  };
}

function hybridEncrypt(key: KeyObject, plaintext: Buffer, label: Buffer): Buffer {
  const sessionKey = randomBytes(32);
  const rsa = publicEncrypt(
    { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: label },
    sessionKey,
  );
  // the session key is used for this one value only, so a zero nonce is safe (as kubeseal does)
  const cipher = createCipheriv('aes-256-gcm', sessionKey, Buffer.alloc(12));
  const sealed = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(rsa.length);
  return Buffer.concat([length, rsa, sealed]);
}

/**
 * The SHA-256 fingerprint of a sealing certificate, which names the key a SealedSecret was
 * sealed to.
 *
 * @throws DokkuGitopsError ('input') when `certPem` is not a PEM X.509 certificate with an RSA key
 */
export function sealingCertFingerprint(certPem: string): string {
  return parseCertificate(certPem).fingerprint256;
}

function rsaPublicKey(certPem: string): KeyObject {
  return parseCertificate(certPem).publicKey;
}

function parseCertificate(certPem: string): X509Certificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    throw new DokkuGitopsError(
      "the sealed-secrets certificate is not a PEM X.509 certificate: get it with 'kubeseal --fetch-cert'",
      'input',
      { cause: err },
    );
  }
  const type = cert.publicKey.asymmetricKeyType;
  if (type !== 'rsa') {
    throw new DokkuGitopsError(
      `the sealed-secrets certificate has a '${String(type)}' key: the controller's key is RSA`,
      'input',
    );
  }
  return cert;
}

function stringMap(value: unknown, name: string, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw new DokkuGitopsError(`secret '${name}': '${field}' must be a mapping`, 'input');
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') {
      throw new DokkuGitopsError(`secret '${name}': '${field}.${key}' must be a string, got ${typeof item}`, 'input');
    }
  }
  return value as Record<string, string>;
}

function decodeBase64(value: string, where: string): Buffer {
  const bytes = Buffer.from(value, 'base64');
  // Buffer.from skips bad characters silently; the API server would reject them
  if (bytes.toString('base64') !== value) throw new DokkuGitopsError(`${where} is not valid base64`, 'input');
  return bytes;
}
