import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeRole } from '../../src/bootstrap/choices.js';
import {
  archCommand,
  dateCommand,
  downloadInstallerCommand,
  hostAddressesCommand,
  installCommand,
  isExecutableCommand,
  journalCommand,
  k3sVersionCommand,
  kubectlCommand,
  parseFileListing,
  readFileCommand,
  readFilesCommand,
  removeFileCommand,
  schedulerHealthCommand,
  systemctlCommand,
  uninstallCommand,
  writeFileCommand,
} from '../../src/bootstrap/commands.js';
import { LocalOperator } from '../../src/bootstrap/local-operator.js';
import { renderCommand } from '../../src/bootstrap/shell.js';

const ROOT = { root: '/', sudo: false };
const SUDO = { root: '/', sudo: true };
const PREFIXED = { root: '/tmp/node1', sudo: false };
const dir = mkdtempSync(join(tmpdir(), 'dokku-gitops-commands-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('installCommand', () => {
  const cases: [string, Parameters<typeof installCommand>, string][] = [
    ['a server from the download', [ROOT, { role: NodeRole.server() }], 'env INSTALL_K3S_EXEC=server sh /var/lib/rancher/k3s/dokku-gitops/install.sh'],
    ['a pinned server', [ROOT, { role: NodeRole.server(), version: 'v1.30.4+k3s1' }], 'env INSTALL_K3S_EXEC=server INSTALL_K3S_VERSION=v1.30.4+k3s1 sh /var/lib/rancher/k3s/dokku-gitops/install.sh'],
    ['an air-gapped, pinned agent', [ROOT, { role: NodeRole.worker(), version: 'v1.30.4+k3s1', airgap: true }], 'env INSTALL_K3S_EXEC=agent INSTALL_K3S_SKIP_DOWNLOAD=true INSTALL_K3S_VERSION=v1.30.4+k3s1 sh /var/lib/rancher/k3s/dokku-gitops/install.sh'],
    ['an agent through sudo', [SUDO, { role: NodeRole.worker() }], 'sudo -n -- env INSTALL_K3S_EXEC=agent sh /var/lib/rancher/k3s/dokku-gitops/install.sh'],
    ['a server under a root directory', [PREFIXED, { role: NodeRole.server(), airgap: true }], 'env INSTALL_K3S_EXEC=server INSTALL_K3S_SKIP_DOWNLOAD=true sh /tmp/node1/var/lib/rancher/k3s/dokku-gitops/install.sh'],
  ];
  for (const [name, args, expected] of cases) {
    it(`installs ${name} with the settings in config.yaml, never on the command line`, () => {
      // GIVEN / WHEN / THEN
      expect(renderCommand(installCommand(...args))).toBe(expected);
    });
  }

  it('carries no token and no flags', () => {
    // GIVEN / WHEN
    const command = installCommand(ROOT, { role: NodeRole.worker(), version: 'v1.30.4+k3s1', airgap: true });
    // THEN
    expect(command).toEqual({ argv: ['sh', '/var/lib/rancher/k3s/dokku-gitops/install.sh'], env: { INSTALL_K3S_EXEC: 'agent', INSTALL_K3S_SKIP_DOWNLOAD: 'true', INSTALL_K3S_VERSION: 'v1.30.4+k3s1' } });
  });
});

describe('node commands', () => {
  it('renders each command exactly, with and without sudo and root directory', () => {
    // GIVEN / WHEN / THEN
    expect(
      [
        downloadInstallerCommand(ROOT),
        uninstallCommand(ROOT, NodeRole.server()),
        uninstallCommand(SUDO, NodeRole.worker()),
        uninstallCommand(PREFIXED, NodeRole.worker()),
        k3sVersionCommand(PREFIXED),
        kubectlCommand(SUDO, ['drain', 'ip-10-0-0-5-abc', '--ignore-daemonsets']),
        kubectlCommand(ROOT, ['annotate', 'node', 'n1', 'dokku.com/remote-host=ssh://root@10.0.0.5:22', '--overwrite']),
        systemctlCommand(SUDO, ['restart', 'k3s']),
        journalCommand(ROOT, 'k3s', 1700000000),
        schedulerHealthCommand(),
        dateCommand(),
        archCommand(),
        hostAddressesCommand(),
        removeFileCommand(PREFIXED, '/etc/rancher/k3s/config.yaml.d/90-x.yaml'),
        isExecutableCommand(SUDO, '/usr/local/bin/k3s-uninstall.sh'),
      ].map(renderCommand),
    ).toEqual([
      `sh -c 'umask 022 && mkdir -p -- "$(dirname -- "$1")" && curl -sfL --retry 3 -o "$1" "$2"' sh /var/lib/rancher/k3s/dokku-gitops/install.sh https://get.k3s.io`,
      '/usr/local/bin/k3s-uninstall.sh',
      'sudo -n -- /usr/local/bin/k3s-agent-uninstall.sh',
      '/tmp/node1/usr/local/bin/k3s-agent-uninstall.sh',
      '/tmp/node1/usr/local/bin/k3s --version',
      'sudo -n -- /usr/local/bin/k3s kubectl drain ip-10-0-0-5-abc --ignore-daemonsets',
      '/usr/local/bin/k3s kubectl annotate node n1 dokku.com/remote-host=ssh://root@10.0.0.5:22 --overwrite',
      'sudo -n -- systemctl restart k3s',
      'journalctl -u k3s --since @1700000000 --no-pager -o cat',
      'curl -fsSk --max-time 5 https://127.0.0.1:10259/healthz',
      'date +%s',
      'uname -m',
      'hostname -I',
      'rm -f -- /tmp/node1/etc/rancher/k3s/config.yaml.d/90-x.yaml',
      'sudo -n -- test -x /usr/local/bin/k3s-uninstall.sh',
    ]);
  });

  it('quotes a node name or annotation that would otherwise reach the shell', () => {
    // GIVEN / WHEN / THEN
    expect(renderCommand(kubectlCommand(ROOT, ['annotate', 'node', 'n1', 'a=$(id)']))).toBe("/usr/local/bin/k3s kubectl annotate node n1 'a=$(id)'");
  });
});

describe('file commands', () => {
  it('writes from standard input with a constant script and the path as a parameter', () => {
    // GIVEN / WHEN
    const command = writeFileCommand(SUDO, '/etc/rancher/k3s/dokku-gitops.token', 0o600, { content: 'secret\n' });
    // THEN
    expect(command).toEqual({
      argv: ['sh', '-c', 'umask 022 && mkdir -p -- "$(dirname -- "$1")" && umask 077 && cat > "$1.dokku-gitops.tmp" && chmod "$2" "$1.dokku-gitops.tmp" && mv -f -- "$1.dokku-gitops.tmp" "$1"', 'sh', '/etc/rancher/k3s/dokku-gitops.token', '0600'],
      sudo: true,
      stdin: 'secret\n',
    });
    expect(writeFileCommand(PREFIXED, '/usr/local/bin/k3s', 0o755, { localPath: '/srv/bundle/k3s' })).toMatchObject({ argv: expect.arrayContaining(['/tmp/node1/usr/local/bin/k3s', '0755']), stdinFile: '/srv/bundle/k3s' });
  });

  it('writes, reads and lists files on this machine under a root directory', async () => {
    // GIVEN
    const op = new LocalOperator({ root: dir, sudo: false });
    // WHEN
    await op.upload({ path: '/etc/rancher/k3s/config.yaml', mode: 0o600, content: 'a: 1\n' });
    await op.upload({ path: '/etc/rancher/k3s/config.yaml.d/10-b.yaml', mode: 0o644, content: 'b: 2\n' });
    await op.upload({ path: '/etc/rancher/k3s/config.yaml.d/05-empty.yaml', mode: 0o644, content: '' });
    writeFileSync(join(dir, 'etc/rancher/k3s/config.yaml.d/ignored.txt'), 'x');
    mkdirSync(join(dir, 'etc/rancher/k3s/config.yaml.d/dir.yaml'));
    const read = await op.execute(readFileCommand(op, '/etc/rancher/k3s/config.yaml'));
    const absent = await op.execute(readFileCommand(op, '/etc/rancher/k3s/absent.yaml'));
    const listing = await op.execute(readFilesCommand(op, ['/etc/rancher/k3s/config.yaml', '/etc/rancher/k3s/absent.yaml'], ['/etc/rancher/k3s/config.yaml.d', '/etc/rancher/k3s/no-such-dir'], 'yaml'));
    // THEN
    expect(read).toEqual({ stdout: 'a: 1\n', stderr: '', exitCode: 0 });
    expect(absent).toEqual({ stdout: '', stderr: '', exitCode: 3 });
    expect(parseFileListing(listing.stdout, dir)).toEqual([
      { path: '/etc/rancher/k3s/config.yaml', content: 'a: 1\n' },
      { path: '/etc/rancher/k3s/config.yaml.d/05-empty.yaml', content: '' },
      { path: '/etc/rancher/k3s/config.yaml.d/10-b.yaml', content: 'b: 2\n' },
    ]);
    expect((statSync(join(dir, 'etc/rancher/k3s/config.yaml')).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(join(dir, 'etc/rancher/k3s/config.yaml.d/10-b.yaml')).mode & 0o777).toString(8)).toBe('644');
    expect(readFileSync(join(dir, 'etc/rancher/k3s/config.yaml'), 'utf8')).toBe('a: 1\n');
  });

  it('parses listings at the real root', () => {
    // GIVEN / WHEN / THEN
    expect(parseFileListing(`/etc/a.yaml\t${Buffer.from('x: "tab\there"\n').toString('base64')}\nnot a listing line\n`, '/')).toEqual([{ path: '/etc/a.yaml', content: 'x: "tab\there"\n' }]);
  });
});
