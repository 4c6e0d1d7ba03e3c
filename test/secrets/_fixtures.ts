/** Keys, certificates and temp dirs for the secrets tests. */
import { execFileSync } from 'node:child_process';
import { constants, createDecipheriv, privateDecrypt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';

/** A temp dir and its removal. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `dokku-gitops-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A fresh age identity, its recipient, and a key file in age-keygen format for the `age` CLI. */
export async function ageKey(dir: string, name: string): Promise<{ identity: string; recipient: string; file: string }> {
  const identity = await generateX25519Identity();
  const recipient = await identityToRecipient(identity);
  const file = join(dir, `${name}.agekey`);
  writeFileSync(file, `# public key: ${recipient}\n${identity}\n`, { mode: 0o600 });
  return { identity, recipient, file };
}

/** Decrypt an ASCII-armored age file with the Debian `age` CLI. */
export function ageCliDecrypt(armored: string, keyFile: string): Buffer {
  return execFileSync('age', ['-d', '-i', keyFile], { input: armored });
}

/** A self-signed certificate like the Sealed Secrets controller's (RSA 4096), made with openssl. */
export function sealingCert(dir: string, keyType: 'rsa' | 'ec' = 'rsa'): { cert: string; key: string } {
  const keyFile = join(dir, `${keyType}.key.pem`);
  const certFile = join(dir, `${keyType}.cert.pem`);
  const newkey = keyType === 'rsa' ? ['-newkey', 'rsa:4096'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  execFileSync(
    'openssl',
    ['req', '-x509', ...newkey, '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/O=sealed-secret'],
    { stdio: 'pipe' },
  );
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

/**
 * Unseal one `spec.encryptedData` value as the controller does (HybridDecrypt): split the blob,
 * unwrap the session key with RSA-OAEP/SHA-256 and the label, open AES-GCM with a zero nonce.
 */
export function unsealValue(blobBase64: string, privateKeyPem: string, label: string): Buffer {
  const blob = Buffer.from(blobBase64, 'base64');
  const rsaLength = blob.readUInt16BE(0);
  const sessionKey = privateDecrypt(
    {
      key: privateKeyPem,
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: 'sha256',
      oaepLabel: Buffer.from(label, 'utf8'),
    },
    blob.subarray(2, 2 + rsaLength),
  );
  const sealed = blob.subarray(2 + rsaLength);
  const decipher = createDecipheriv('aes-256-gcm', sessionKey, Buffer.alloc(12));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
}

/** Base64 of a UTF-8 string. */
export function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
