import { createHmac, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkHostKey, fingerprint, hostFieldMatches, keyTypeOf, knownHostName, knownHostsLine, knownKeyTypes, parseKnownHosts } from '../../src/bootstrap/known-hosts.js';
import { preferredHostKeyAlgorithms } from '../../src/bootstrap/ssh-operator.js';

/** An ssh-ed25519 public key blob in SSH wire format. */
function ed25519Blob(): Buffer {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const type = Buffer.from('ssh-ed25519');
  const blob = Buffer.alloc(4 + type.length + 4 + raw.length);
  blob.writeUInt32BE(type.length, 0);
  type.copy(blob, 4);
  blob.writeUInt32BE(raw.length, 4 + type.length);
  raw.copy(blob, 8 + type.length);
  return blob;
}

function hashed(name: string, salt = Buffer.from('0123456789abcdefghij')): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

const keyA = ed25519Blob();
const keyB = ed25519Blob();
const a = keyA.toString('base64');
const b = keyB.toString('base64');

describe('parseKnownHosts', () => {
  it('reads key lines and skips comments, blanks, CAs and malformed lines', () => {
    // GIVEN
    const text = [`# comment`, '', `10.0.0.5 ssh-ed25519 ${a} root@node`, `@cert-authority *.example.com ssh-ed25519 ${b}`, `@revoked * ssh-ed25519 ${b}`, 'broken-line', `mismatched ssh-rsa ${a}`, `[10.0.0.6]:2222,node6 ssh-ed25519 ${b}`].join('\n');
    // WHEN
    const entries = parseKnownHosts(text);
    // THEN
    expect(entries.map((e) => [e.line, e.hosts, e.keyType, e.marker])).toEqual([
      [3, '10.0.0.5', 'ssh-ed25519', undefined],
      [5, '*', 'ssh-ed25519', 'revoked'],
      [8, '[10.0.0.6]:2222,node6', 'ssh-ed25519', undefined],
    ]);
  });
});

describe('hostFieldMatches', () => {
  it('uses [host]:port for ports other than 22', () => {
    // GIVEN / WHEN / THEN
    expect(knownHostName('Node1', 22)).toBe('node1');
    expect(knownHostName('10.0.0.6', 2222)).toBe('[10.0.0.6]:2222');
    expect(hostFieldMatches('[10.0.0.6]:2222', '10.0.0.6', 2222)).toBe(true);
    expect(hostFieldMatches('10.0.0.6', '10.0.0.6', 2222)).toBe(false);
    expect(hostFieldMatches('[10.0.0.6]:2222', '10.0.0.6', 22)).toBe(false);
  });

  it('supports comma lists, wildcards and negation, case-insensitively', () => {
    // GIVEN / WHEN / THEN
    expect(hostFieldMatches('a,B.example.com', 'b.example.com', 22)).toBe(true);
    expect(hostFieldMatches('*.example.com,!bad.example.com', 'good.example.com', 22)).toBe(true);
    expect(hostFieldMatches('*.example.com,!bad.example.com', 'bad.example.com', 22)).toBe(false);
    expect(hostFieldMatches('node?', 'node1', 22)).toBe(true);
    expect(hostFieldMatches('node?', 'node12', 22)).toBe(false);
    expect(hostFieldMatches('10.0.0.*', '10.0.0.77', 22)).toBe(true);
    expect(hostFieldMatches('10.0.0.5', '10.0.0.55', 22)).toBe(false);
  });

  it('matches hashed names', () => {
    // GIVEN / WHEN / THEN
    expect(hostFieldMatches(hashed('10.0.0.5'), '10.0.0.5', 22)).toBe(true);
    expect(hostFieldMatches(hashed('[10.0.0.5]:2222'), '10.0.0.5', 2222)).toBe(true);
    expect(hostFieldMatches(hashed('10.0.0.5'), '10.0.0.6', 22)).toBe(false);
    expect(hostFieldMatches('|1|broken', '10.0.0.5', 22)).toBe(false);
  });
});

describe('checkHostKey', () => {
  const entries = parseKnownHosts([`10.0.0.5 ssh-ed25519 ${a}`, `${hashed('10.0.0.7')} ssh-ed25519 ${a}`, `other ssh-ed25519 ${b}`].join('\n'));

  it('knows a listed key', () => {
    // GIVEN / WHEN / THEN
    expect(checkHostKey(entries, '10.0.0.5', 22, keyA)).toEqual({ status: 'known', lines: [1] });
    expect(checkHostKey(entries, '10.0.0.7', 22, keyA)).toEqual({ status: 'known', lines: [2] });
  });

  it('reports a different key as a mismatch with the lines', () => {
    // GIVEN / WHEN / THEN
    expect(checkHostKey(entries, '10.0.0.5', 22, keyB)).toEqual({ status: 'mismatch', lines: [1] });
  });

  it('reports a host without lines as unknown, even if its key is listed for another host', () => {
    // GIVEN / WHEN / THEN
    expect(checkHostKey(entries, '10.0.0.9', 22, keyB)).toEqual({ status: 'unknown', lines: [] });
  });

  it('refuses a revoked key wherever it appears', () => {
    // GIVEN
    const withRevoked = parseKnownHosts(`10.0.0.5 ssh-ed25519 ${a}\n@revoked * ssh-ed25519 ${a}\n`);
    // WHEN / THEN
    expect(checkHostKey(withRevoked, '10.0.0.5', 22, keyA)).toEqual({ status: 'revoked', lines: [2] });
  });

  it('lists the key types known for a host, for algorithm preference', () => {
    // GIVEN
    const mixed = parseKnownHosts(`h ssh-rsa ${Buffer.concat([Buffer.from([0, 0, 0, 7]), Buffer.from('ssh-rsa'), Buffer.from([0, 0, 0, 1, 1])]).toString('base64')}\nh ssh-ed25519 ${a}\n`);
    // WHEN
    const types = knownKeyTypes(mixed, 'h', 22);
    // THEN
    expect(types).toEqual(['ssh-rsa', 'ssh-ed25519']);
    expect(preferredHostKeyAlgorithms(types)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521']);
  });
});

describe('key helpers', () => {
  it('reads the key type, fingerprint and known_hosts line', () => {
    // GIVEN / WHEN / THEN
    expect(keyTypeOf(keyA)).toBe('ssh-ed25519');
    expect(keyTypeOf(Buffer.from([0, 0]))).toBe('');
    expect(keyTypeOf(Buffer.from([0, 0, 0, 99, 1]))).toBe('');
    expect(fingerprint(keyA)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(knownHostsLine('10.0.0.5', 2222, keyA)).toBe(`[10.0.0.5]:2222 ssh-ed25519 ${a}`);
  });
});
