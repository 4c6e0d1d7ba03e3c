import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderCommand, shellQuote, shScript } from '../../src/bootstrap/shell.js';

const dir = mkdtempSync(join(tmpdir(), 'dokku-gitops-shell-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('shellQuote', () => {
  it('leaves plain words alone', () => {
    // GIVEN / WHEN / THEN
    expect(['k3s', '/usr/local/bin/k3s', 'INSTALL_K3S_EXEC=server', 'a,b', 'user@host:22', '--timeout=300s', '50%'].map(shellQuote)).toEqual(['k3s', '/usr/local/bin/k3s', 'INSTALL_K3S_EXEC=server', 'a,b', 'user@host:22', '--timeout=300s', '50%']);
  });

  it('single-quotes everything else, including the empty word', () => {
    // GIVEN / WHEN / THEN
    expect(['', 'a b', '$(id)', '`id`', 'a;b', 'x|y', '*', '~', '!', 'a\nb', "it's"].map(shellQuote)).toEqual(["''", "'a b'", "'$(id)'", "'`id`'", "'a;b'", "'x|y'", "'*'", "'~'", "'!'", "'a\nb'", "'it'\\''s'"]);
  });

  it('round-trips any string through a real sh, running nothing', () => {
    // GIVEN
    const marker = join(dir, 'marker');
    const words = [`$(touch ${marker})`, `\`touch ${marker}\``, `'; touch ${marker}; '`, `"; touch ${marker}; "`, `\\'; touch ${marker}`, '$HOME ${PATH}', '\t\n\r', 'é ü 日本', "'''", '-n', '--', '\\'];
    // WHEN
    const out = execFileSync('sh', ['-c', `printf '%s\\0' ${words.map(shellQuote).join(' ')}`], { encoding: 'utf8' });
    // THEN
    expect(out.split('\0').slice(0, -1)).toEqual(words);
    expect(existsSync(marker)).toBe(false);
  });
});

describe('renderCommand', () => {
  it('renders argv only', () => {
    // GIVEN / WHEN / THEN
    expect(renderCommand({ argv: ['systemctl', 'restart', 'k3s'] })).toBe('systemctl restart k3s');
  });

  it('puts sudo -n first and sorted env through env', () => {
    // GIVEN / WHEN / THEN
    expect(renderCommand({ argv: ['sh', '/var/lib/x/install.sh'], env: { INSTALL_K3S_VERSION: 'v1.30.4+k3s1', INSTALL_K3S_EXEC: 'server' }, sudo: true })).toBe('sudo -n -- env INSTALL_K3S_EXEC=server INSTALL_K3S_VERSION=v1.30.4+k3s1 sh /var/lib/x/install.sh');
  });

  it('quotes env values with metacharacters', () => {
    // GIVEN / WHEN / THEN
    expect(renderCommand({ argv: ['true'], env: { A: 'x y;z' } })).toBe("env 'A=x y;z' true");
  });

  it('throws if argv is empty or an env name is invalid', () => {
    // GIVEN / WHEN / THEN
    expect(() => renderCommand({ argv: [] })).toThrow('renderCommand: empty argv');
    expect(() => renderCommand({ argv: ['true'], env: { 'A;B': 'x' } })).toThrow('renderCommand: invalid environment variable name "A;B"');
  });
});

describe('shScript', () => {
  it('passes values as positional parameters, never inside the script', () => {
    // GIVEN
    const command = shScript('printf "%s|%s" "$1" "$2"', ['$(id)', "a'b"], { sudo: true, stdin: 'x' });
    // WHEN / THEN
    expect(command).toEqual({ argv: ['sh', '-c', 'printf "%s|%s" "$1" "$2"', 'sh', '$(id)', "a'b"], sudo: true, stdin: 'x' });
    expect(execFileSync('sh', ['-c', renderCommand({ argv: command.argv })], { encoding: 'utf8' })).toBe("$(id)|a'b");
  });
});
