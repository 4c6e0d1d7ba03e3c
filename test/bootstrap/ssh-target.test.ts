import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { formatSshUrl, parseSshUrl } from '../../src/bootstrap/ssh-target.js';

describe('parseSshUrl', () => {
  it('parses user, host and port with defaults', () => {
    // GIVEN / WHEN / THEN
    expect(parseSshUrl('ssh://ubuntu@10.0.0.5:2222')).toEqual({ user: 'ubuntu', host: '10.0.0.5', port: 2222 });
    expect(parseSshUrl('ssh://node1.example.com')).toEqual({ user: 'root', host: 'node1.example.com', port: 22 });
    expect(parseSshUrl('ssh://root@[fd00::5]:22/')).toEqual({ user: 'root', host: 'fd00::5', port: 22 });
  });

  it('fails if it is not an ssh:// address', () => {
    // GIVEN / WHEN / THEN
    expect(() => parseSshUrl('root@10.0.0.5', '<ssh-url>')).toThrow('<ssh-url>: "root@10.0.0.5" is not an address of the form ssh://user@host[:port]');
    expect(() => parseSshUrl('ssh://root@host/path')).toThrow(InputError);
  });

  it('fails if the host carries shell metacharacters', () => {
    // GIVEN / WHEN / THEN
    expect(() => parseSshUrl('ssh://root@host;touch${IFS}x')).toThrow('node: "host;touch${IFS}x" is not a host name or IP address');
    expect(() => parseSshUrl('ssh://root@$(id)')).toThrow('node: "$(id)" is not a host name or IP address');
    expect(() => parseSshUrl('ssh://root@[not-ipv6]')).toThrow('node: "[not-ipv6]" is not a bracketed IPv6 address');
  });

  it('fails if the user carries shell metacharacters, reporting every problem', () => {
    // GIVEN / WHEN
    let error: InputError | undefined;
    try {
      parseSshUrl('ssh://r`id`t@bad_host!:99999');
    } catch (err) {
      error = err as InputError;
    }
    // THEN
    expect(error?.problems).toEqual([
      `node: user "r\`id\`t" is not a valid login name (a letter or '_', then letters, digits, '.', '_' or '-', 32 characters at most)`,
      'node: "bad_host!" is not a host name or IP address',
      'node: port "99999" is not between 1 and 65535',
    ]);
    expect(error?.kind).toBe('input');
  });

  it('fails on a non-numeric port', () => {
    // GIVEN / WHEN / THEN
    expect(() => parseSshUrl('ssh://root@host:22;id')).toThrow('node: port "22;id" is not between 1 and 65535');
  });
});

describe('formatSshUrl', () => {
  it('writes the canonical form, bracketing IPv6', () => {
    // GIVEN / WHEN / THEN
    expect(formatSshUrl({ user: 'root', host: '10.0.0.5', port: 22 })).toBe('ssh://root@10.0.0.5:22');
    expect(formatSshUrl({ user: 'root', host: 'fd00::5', port: 2222 })).toBe('ssh://root@[fd00::5]:2222');
    expect(parseSshUrl(formatSshUrl({ user: 'ubuntu', host: 'fd00::5', port: 2222 }))).toEqual({ user: 'ubuntu', host: 'fd00::5', port: 2222 });
  });
});
