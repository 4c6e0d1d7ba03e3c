/**
 * OpenSSH `known_hosts` parsing and host key checking, so that `cluster add` refuses a host
 * whose key it has not seen before (unless told otherwise) and always refuses a changed key.
 *
 * Supported: plain and hashed (`|1|salt|hash`) host fields, `[host]:port` for non-default ports,
 * comma-separated patterns with `*` and `?` wildcards and `!` negation, comments, and the
 * `@revoked` marker. `@cert-authority` lines are skipped (host certificates are not supported).
 *
 * @see https://man.openbsd.org/sshd.8#SSH_KNOWN_HOSTS_FILE_FORMAT
 */
import { createHash, createHmac } from 'node:crypto';

/** One key line of a known_hosts file. */
export interface KnownHostEntry {
  /** 1-based line number, for messages. */
  readonly line: number;
  /** The host field as written (patterns or a hashed name). */
  readonly hosts: string;
  /** `revoked` for `@revoked` lines, otherwise undefined. */
  readonly marker?: 'revoked';
  /** The key type, for example `ssh-ed25519`. */
  readonly keyType: string;
  /** The public key blob in SSH wire format. */
  readonly key: Buffer;
}

/** The outcome of checking a host key. */
export interface HostKeyCheck {
  /**
   * `known`: a line lists this key for this host. `unknown`: no line names this host.
   * `mismatch`: lines name this host with other keys. `revoked`: the key is marked `@revoked`.
   */
  readonly status: 'known' | 'unknown' | 'mismatch' | 'revoked';
  /** The lines that decided the outcome (the matching line, or the host's other keys). */
  readonly lines: readonly number[];
}

/** Parse a known_hosts file, skipping blank lines, comments, certificate authorities and malformed lines. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: 'revoked' | undefined;
    if (fields[0]?.startsWith('@')) {
      const name = fields.shift();
      if (name === '@cert-authority') return;
      if (name !== '@revoked') return;
      marker = 'revoked';
    }
    const [hosts, keyType, keyBase64] = fields;
    if (hosts === undefined || keyType === undefined || keyBase64 === undefined) return;
    const key = Buffer.from(keyBase64, 'base64');
    if (key.length === 0 || keyTypeOf(key) !== keyType) return;
    entries.push({ line: index + 1, hosts, keyType, key, ...(marker ? { marker } : {}) });
  });
  return entries;
}

/** The name a known_hosts line uses for `host` on `port`: `host`, or `[host]:port` when the port is not 22. */
export function knownHostName(host: string, port: number): string {
  const lower = host.toLowerCase();
  return port === 22 ? lower : `[${lower}]:${port}`;
}

function wildcardToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

/** Whether the host field of a known_hosts line names `host` on `port`. */
export function hostFieldMatches(hosts: string, host: string, port: number): boolean {
  const name = knownHostName(host, port);
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (salt === undefined || hash === undefined) return false;
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return digest === hash;
  }
  let matched = false;
  for (const pattern of hosts.split(',')) {
    const negated = pattern.startsWith('!');
    const body = negated ? pattern.slice(1) : pattern;
    if (wildcardToRegExp(body).test(name)) {
      // a matching negated pattern rules the line out, whatever else matches
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** Check `key` (an SSH wire-format public key blob) for `host` on `port` against `entries`. */
export function checkHostKey(entries: readonly KnownHostEntry[], host: string, port: number, key: Buffer): HostKeyCheck {
  const forHost = entries.filter((e) => hostFieldMatches(e.hosts, host, port));
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { status: 'revoked', lines: [revoked.line] };
  const known = forHost.find((e) => e.marker === undefined && e.key.equals(key));
  if (known) return { status: 'known', lines: [known.line] };
  const others = forHost.filter((e) => e.marker === undefined);
  if (others.length > 0) return { status: 'mismatch', lines: others.map((e) => e.line) };
  return { status: 'unknown', lines: [] };
}

/** The key types known_hosts lists for `host` on `port`, in file order, without duplicates. */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const types: string[] = [];
  for (const e of entries) {
    if (e.marker === undefined && hostFieldMatches(e.hosts, host, port) && !types.includes(e.keyType)) types.push(e.keyType);
  }
  return types;
}

/** The type name at the start of an SSH wire-format key blob, or '' when the blob is malformed. */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return '';
  const length = key.readUInt32BE(0);
  if (length > key.length - 4) return '';
  return key.subarray(4, 4 + length).toString('latin1');
}

/** The OpenSSH SHA256 fingerprint of a key blob, as `ssh-keygen -l` prints it. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** A known_hosts line for `key` on `host`/`port`, for messages that tell the user what to add. */
export function knownHostsLine(host: string, port: number, key: Buffer): string {
  return `${knownHostName(host, port)} ${keyTypeOf(key)} ${key.toString('base64')}`;
}
