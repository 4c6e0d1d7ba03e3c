/**
 * `ssh://user@host[:port]` addresses of nodes, parsed strictly: the user and host are checked
 * against conservative character sets before anything connects or runs.
 */
import { isIP } from 'node:net';
import { InputError } from '../errors.js';
import { checkHost, checkPort, checkSshUser } from './validate.js';

/** Where to reach a node over SSH. */
export interface SshTarget {
  /** The login user. */
  readonly user: string;
  /** A host name or IP address (IPv6 without brackets). */
  readonly host: string;
  /** The SSH port. */
  readonly port: number;
}

const SSH_URL = /^ssh:\/\/(?:([^@/]*)@)?(\[[^\]]*\]|[^:/@[\]]*)(?::([^/]*))?\/?$/;

/**
 * Parse `ssh://user@host[:port]`; the user defaults to `root` and the port to 22.
 *
 * @throws InputError naming `field` when the address is malformed or its user, host or port is invalid
 * @example parseSshUrl('ssh://ubuntu@10.0.0.5:2222') // => { user: 'ubuntu', host: '10.0.0.5', port: 2222 }
 */
export function parseSshUrl(value: string, field = 'node'): SshTarget {
  const match = SSH_URL.exec(value);
  if (!match) throw new InputError([`${field}: ${JSON.stringify(value)} is not an address of the form ssh://user@host[:port]`]);
  const user = match[1] ?? 'root';
  const rawHost = match[2] ?? '';
  const rawPort = match[3];
  const problems: string[] = [];
  const userProblem = checkSshUser(field, user);
  if (userProblem) problems.push(userProblem);
  let host = rawHost;
  if (rawHost.startsWith('[')) {
    host = rawHost.slice(1, -1);
    if (isIP(host) !== 6) problems.push(`${field}: ${JSON.stringify(rawHost)} is not a bracketed IPv6 address`);
  } else {
    const hostProblem = checkHost(field, rawHost);
    if (hostProblem) problems.push(hostProblem);
  }
  let port = 22;
  if (rawPort !== undefined) {
    port = /^[0-9]{1,5}$/.test(rawPort) ? Number(rawPort) : Number.NaN;
    const portProblem = checkPort(field, port);
    if (portProblem) problems.push(Number.isNaN(port) ? `${field}: port ${JSON.stringify(rawPort)} is not between 1 and 65535` : portProblem);
  }
  if (problems.length > 0) throw new InputError(problems);
  return { user, host, port };
}

/** The canonical `ssh://user@host:port` form of a target (IPv6 hosts in brackets). */
export function formatSshUrl(target: SshTarget): string {
  const host = isIP(target.host) === 6 ? `[${target.host}]` : target.host;
  return `ssh://${target.user}@${host}:${target.port}`;
}
