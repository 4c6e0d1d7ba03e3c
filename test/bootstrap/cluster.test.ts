/**
 * The cluster commands against fake nodes: the exact commands, environment and files for each
 * option combination, and the decisions (idempotency, pinning, refusals) without any shell.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { IngressClass, NodeRole } from '../../src/bootstrap/choices.js';
import { addNode, checkInitOptions, fetchKubeconfig, firstAddress, initCluster, listNodes, removeNode, uninstallNode } from '../../src/bootstrap/cluster.js';
import { RecordingStepLogger } from '../../src/bootstrap/logger.js';
import { InputError } from '../../src/errors.js';
import { FakeNode, nodeJson } from './_fake-node.js';

const FAST = { timeoutMs: 200, intervalMs: 10 };
const hex = (n: number) => '12'.repeat(n);
const INSTALL = '/var/lib/rancher/k3s/dokku-gitops/install.sh';
const DOWNLOAD = `sh -c 'umask 022 && mkdir -p -- "$(dirname -- "$1")" && curl -sfL --retry 3 -o "$1" "$2"' sh ${INSTALL} https://get.k3s.io`;

function server(props: ConstructorParameters<typeof FakeNode>[0] = {}): FakeNode {
  return new FakeNode({ target: 'local', ...props })
    .when('hostname -I', { stdout: '10.0.0.5 172.17.0.1 fd00::5\n' })
    .when('kubectl get node ip-10-0-0-5-1212121212 -o json', { stdout: JSON.stringify(nodeJson('ip-10-0-0-5-1212121212', { server: true })) });
}

describe('initCluster', () => {
  it('downloads the installer and installs a server through sudo, with every setting in config.yaml', async () => {
    // GIVEN
    const op = server({ sudo: true });
    const logger = new RecordingStepLogger();
    // WHEN
    const result = await initCluster(op, { randomHex: hex, poll: FAST, logger });
    // THEN
    expect(result).toEqual({ nodeName: 'ip-10-0-0-5-1212121212', changed: true });
    expect(op.trace).toEqual([
      'hostname -I',
      'sudo read /etc/systemd/system/k3s.service',
      'sudo read /etc/rancher/k3s/config.yaml',
      `sudo -n -- ${DOWNLOAD}`,
      'sudo read /etc/rancher/k3s/dokku-gitops.token',
      'upload /etc/rancher/k3s/dokku-gitops.token 0600',
      'upload /etc/rancher/k3s/config.yaml 0600',
      `sudo -n -- env INSTALL_K3S_EXEC=server sh ${INSTALL}`,
      'sudo -n -- /usr/local/bin/k3s kubectl get node ip-10-0-0-5-1212121212 -o json',
    ]);
    expect(op.files.get('/etc/rancher/k3s/dokku-gitops.token')).toBe(`${'12'.repeat(16)}\n`);
    expect(parse(op.files.get('/etc/rancher/k3s/config.yaml')!)).toEqual({
      'cluster-init': true,
      'node-name': 'ip-10-0-0-5-1212121212',
      'token-file': '/etc/rancher/k3s/dokku-gitops.token',
      'write-kubeconfig-mode': '0600',
      'tls-san': ['10.0.0.5'],
      disable: ['traefik'],
      'node-label': ['svccontroller.k3s.cattle.io/enablelb=true'],
    });
    expect(logger.lines).toEqual([
      'action: downloading the k3s install script on local',
      'success: downloading the k3s install script on local',
      'action: writing the join token to local:/etc/rancher/k3s/dokku-gitops.token (mode 0600)',
      'success: writing the join token to local:/etc/rancher/k3s/dokku-gitops.token (mode 0600)',
      'action: writing local:/etc/rancher/k3s/config.yaml',
      'success: writing local:/etc/rancher/k3s/config.yaml',
      'action: installing k3s server on local',
      'success: installing k3s server on local',
      'action: waiting for node ip-10-0-0-5-1212121212 to become Ready',
      'success: waiting for node ip-10-0-0-5-1212121212 to become Ready',
    ]);
  });

  it('copies an air-gap bundle and pins the version when asked, without sudo as root', async () => {
    // GIVEN
    const op = server().when('uname -m', { stdout: 'x86_64\n' }).when('/usr/local/bin/k3s --version', { stdout: 'k3s version v1.30.4+k3s1 (abc123)\ngo version go1.22.5\n' });
    const bundle = new URL('../fixtures/bootstrap/airgap', import.meta.url).pathname;
    // WHEN
    await initCluster(op, { serverIp: '10.0.0.5', ingressClass: IngressClass.traefik(), k3sVersion: 'v1.30.4+k3s1', taintScheduling: true, airgapBundle: bundle, randomHex: hex, poll: FAST });
    // THEN
    expect(op.trace).toEqual([
      'read /etc/systemd/system/k3s.service',
      'read /etc/rancher/k3s/config.yaml',
      'uname -m',
      'upload /usr/local/bin/k3s 0755',
      'upload /var/lib/rancher/k3s/agent/images/k3s-airgap-images-amd64.tar.zst 0644',
      `upload ${INSTALL} 0755`,
      '/usr/local/bin/k3s --version',
      'read /etc/rancher/k3s/dokku-gitops.token',
      'upload /etc/rancher/k3s/dokku-gitops.token 0600',
      'upload /etc/rancher/k3s/config.yaml 0600',
      `env INSTALL_K3S_EXEC=server INSTALL_K3S_SKIP_DOWNLOAD=true INSTALL_K3S_VERSION=v1.30.4+k3s1 sh ${INSTALL}`,
      '/usr/local/bin/k3s kubectl get node ip-10-0-0-5-1212121212 -o json',
    ]);
    expect(op.uploads.find((u) => u.path === '/usr/local/bin/k3s')).toEqual({ path: '/usr/local/bin/k3s', mode: 0o755, localPath: `${bundle}/k3s` });
    const config = parse(op.files.get('/etc/rancher/k3s/config.yaml')!);
    expect([config.disable, config['node-taint']]).toEqual([undefined, ['CriticalAddonsOnly=true:NoSchedule']]);
  });

  it('fails if the air-gap bundle holds another k3s than the pinned version, before writing the token', async () => {
    // GIVEN a bundle whose k3s is v1.31.2
    const op = server().when('uname -m', { stdout: 'x86_64\n' }).when('/usr/local/bin/k3s --version', { stdout: 'k3s version v1.31.2+k3s1 (abc123)\n' });
    const bundle = new URL('../fixtures/bootstrap/airgap', import.meta.url).pathname;
    // WHEN / THEN
    await expect(initCluster(op, { serverIp: '10.0.0.5', k3sVersion: 'v1.30.4+k3s1', airgapBundle: bundle, randomHex: hex, poll: FAST })).rejects.toThrow(
      "'--airgap-bundle': its k3s is v1.31.2+k3s1, but local must run v1.30.4+k3s1 (the installer ignores INSTALL_K3S_VERSION in air-gap mode); use a bundle of v1.30.4+k3s1",
    );
    expect(op.trace.filter((t) => t.includes('dokku-gitops.token') || t.startsWith('env INSTALL_K3S'))).toEqual([]);
  });

  it('resumes after a failed install: keeps the node name and the token already written', async () => {
    // GIVEN a config and token from an earlier run, but no unit (install.sh did not finish)
    const op = server({ files: { '/etc/rancher/k3s/config.yaml': 'node-name: ip-10-0-0-5-1212121212\n', '/etc/rancher/k3s/dokku-gitops.token': 'kept\n' } });
    // WHEN
    await initCluster(op, { randomHex: () => 'ff', poll: FAST });
    // THEN
    expect(op.trace.filter((t) => t.startsWith('upload'))).toEqual(['upload /etc/rancher/k3s/config.yaml 0600']);
    expect(op.files.get('/etc/rancher/k3s/dokku-gitops.token')).toBe('kept\n');
  });

  it('changes nothing when installed with the same settings', async () => {
    // GIVEN
    const first = server();
    await initCluster(first, { randomHex: hex, poll: FAST });
    const op = server({ files: { ...Object.fromEntries(first.files), '/etc/systemd/system/k3s.service': '[Service]\n' } });
    const logger = new RecordingStepLogger();
    // WHEN
    const result = await initCluster(op, { randomHex: () => 'ff', poll: FAST, logger });
    // THEN
    expect(result).toEqual({ nodeName: 'ip-10-0-0-5-1212121212', changed: false });
    expect(op.uploads).toEqual([]);
    expect(logger.lines[0]).toBe('success: k3s is already installed on local with these settings');
  });

  it('fails if installed with other settings, naming them', async () => {
    // GIVEN
    const first = server();
    await initCluster(first, { randomHex: hex, poll: FAST });
    const op = server({ files: { ...Object.fromEntries(first.files), '/etc/systemd/system/k3s.service': '[Service]\n' } });
    // WHEN / THEN
    await expect(initCluster(op, { ingressClass: IngressClass.traefik(), tlsSans: ['k3s.example.com'], poll: FAST })).rejects.toThrow("local: k3s is already installed with different settings (tls-san, disable); pass the same flags as before, or run 'dokku-gitops cluster uninstall' first");
  });

  it('fails if k3s was installed by something else', async () => {
    // GIVEN
    const op = server({ files: { '/etc/systemd/system/k3s.service': '[Service]\n' } });
    // WHEN / THEN
    await expect(initCluster(op, { poll: FAST })).rejects.toThrow('local: k3s is installed (/etc/systemd/system/k3s.service) but has no /etc/rancher/k3s/config.yaml; it was not installed by dokku-gitops, run its k3s-uninstall.sh first');
  });

  it('fails if no address can be found', async () => {
    // GIVEN
    const op = new FakeNode({ target: 'local' }).when('hostname -I', { stdout: '\n' });
    // WHEN / THEN
    await expect(initCluster(op, { poll: FAST })).rejects.toThrow("local: cannot find an address for the server; pass '--server-ip'");
  });

  it('fails if the node does not become Ready in time', async () => {
    // GIVEN
    const op = server().when('kubectl get node', { stderr: 'Error from server (NotFound): nodes "x" not found', exitCode: 1 });
    // WHEN / THEN
    await expect(initCluster(op, { randomHex: hex, poll: FAST })).rejects.toThrow('local: timed out after 0s waiting for node ip-10-0-0-5-1212121212 to become Ready: Error from server (NotFound): nodes "x" not found');
  });

  it('fails if the installer fails, with its output', async () => {
    // GIVEN
    const op = server().when('INSTALL_K3S_EXEC', { stderr: '[ERROR]  Download failed\n', exitCode: 1 });
    // WHEN / THEN
    await expect(initCluster(op, { randomHex: hex, poll: FAST })).rejects.toThrow('local: installing k3s failed (exit 1): [ERROR]  Download failed');
  });

  it('explains a sudo that asks for a password', async () => {
    // GIVEN
    const op = server({ sudo: true }).when('sudo -n -- sh -c', { stderr: 'sudo: a password is required\n', exitCode: 1 });
    // WHEN / THEN
    await expect(initCluster(op, { poll: FAST })).rejects.toThrow('local: reading /etc/systemd/system/k3s.service failed: sudo asks for a password; give the user passwordless sudo (NOPASSWD) or connect as root');
  });

  it('reports every invalid option at once, before running anything', async () => {
    // GIVEN
    const op = server();
    const options = { serverIp: 'not-an-ip', k3sVersion: 'latest', kubeletArgs: ['max-pods'], tlsSans: ['bad host'], labels: ['x=$(id)'] };
    // WHEN
    const error = await initCluster(op, options).catch((e: unknown) => e);
    // THEN
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).problems).toEqual(checkInitOptions(options));
    expect((error as InputError).problems).toHaveLength(5);
    expect(op.commands).toEqual([]);
  });
});

describe('firstAddress', () => {
  it('prefers IPv4', () => {
    // GIVEN / WHEN / THEN
    expect(firstAddress('fd00::5 10.0.0.5\n')).toBe('10.0.0.5');
    expect(firstAddress('fd00::5\n')).toBe('fd00::5');
    expect(firstAddress('')).toBeUndefined();
  });
});

function control(): FakeNode {
  const nodes = { items: [nodeJson('n1', { server: true, version: 'v1.30.4+k3s1', ip: '10.0.0.5' }), nodeJson('n0', { server: true, version: 'v1.29.9+k3s1', ip: '10.0.0.4', ready: false })] };
  return new FakeNode({
    target: 'local',
    files: { '/var/lib/rancher/k3s/server/token': 'K10abc::server:secret\n', '/etc/rancher/k3s/config.yaml': 'cluster-init: true\ndisable: [traefik]\nnode-name: n1\n' },
  })
    .when('kubectl get nodes -o json', { stdout: JSON.stringify(nodes) })
    .on((command) => (command.argv.join(' ').includes('kubectl get node ip-10-0-0-7-') ? { stdout: JSON.stringify(nodeJson(command.argv[4]!)), stderr: '', exitCode: 0 } : undefined));
}

describe('addNode', () => {
  const target = { user: 'ubuntu', host: '10.0.0.7', port: 22 };

  it('joins a server through sudo, pinned to the lowest server version, with the cluster-wide settings', async () => {
    // GIVEN
    const ctl = control();
    const node = new FakeNode({ target: 'ssh://ubuntu@10.0.0.7:22', sudo: true });
    // WHEN
    const result = await addNode(ctl, node, { target, role: NodeRole.server(), taintScheduling: true, kubeletArgs: ['max-pods=50'], randomHex: hex, poll: FAST });
    // THEN
    expect(result).toEqual({ nodeName: 'ip-10-0-0-7-1212121212', changed: true, version: 'v1.29.9+k3s1' });
    expect(ctl.trace).toEqual([
      'read /var/lib/rancher/k3s/server/token',
      '/usr/local/bin/k3s kubectl get nodes -o json',
      'read /etc/rancher/k3s/config.yaml',
      '/usr/local/bin/k3s kubectl get node ip-10-0-0-7-1212121212 -o json',
      '/usr/local/bin/k3s kubectl annotate node ip-10-0-0-7-1212121212 dokku.com/remote-host=ssh://ubuntu@10.0.0.7:22 --overwrite',
    ]);
    expect(node.trace).toEqual([
      'sudo read /etc/systemd/system/k3s.service',
      'sudo read /etc/rancher/k3s/config.yaml',
      `sudo -n -- ${DOWNLOAD}`,
      'upload /etc/rancher/k3s/dokku-gitops.token 0600',
      'upload /etc/rancher/k3s/config.yaml 0600',
      `sudo -n -- env INSTALL_K3S_EXEC=server INSTALL_K3S_VERSION=v1.29.9+k3s1 sh ${INSTALL}`,
    ]);
    expect(node.files.get('/etc/rancher/k3s/dokku-gitops.token')).toBe('K10abc::server:secret\n');
    expect(parse(node.files.get('/etc/rancher/k3s/config.yaml')!)).toEqual({
      server: 'https://10.0.0.5:6443',
      'node-name': 'ip-10-0-0-7-1212121212',
      'token-file': '/etc/rancher/k3s/dokku-gitops.token',
      disable: ['traefik'],
      'write-kubeconfig-mode': '0600',
      'node-label': ['svccontroller.k3s.cattle.io/enablelb=true'],
      'node-taint': ['CriticalAddonsOnly=true:NoSchedule'],
      'kubelet-arg': ['max-pods=50'],
    });
  });

  it('fails if a worker would be newer than the oldest server, before touching the node', async () => {
    const node = new FakeNode({ target: 'ssh://root@10.0.0.7:22' });
    await expect(addNode(control(), node, { target: { ...target, user: 'root' }, serverIp: '10.0.0.4', k3sVersion: 'v1.30.4+k3s1', randomHex: hex, poll: FAST })).rejects.toThrow(
      "'--k3s-version' v1.30.4+k3s1 is newer than the oldest server (v1.29.9+k3s1); a worker must not be newer than the servers: upgrade the servers first, or omit '--k3s-version'",
    );
    expect(node.trace).toEqual([]);
  });

  it('warns, and joins, when a server is newer than the oldest server (how upgrades start)', async () => {
    const node = new FakeNode({ target: 'ssh://root@10.0.0.7:22' });
    const logger = new RecordingStepLogger();
    const result = await addNode(control(), node, { target: { ...target, user: 'root' }, role: NodeRole.server(), serverIp: '10.0.0.4', k3sVersion: 'v1.30.4+k3s1', randomHex: hex, poll: FAST, logger });
    expect(result.version).toBe('v1.30.4+k3s1');
    expect(logger.lines[0]).toBe("warning: '--k3s-version' v1.30.4+k3s1 is newer than the oldest server (v1.29.9+k3s1); k3s supports nodes no newer than the servers, so upgrade the servers first");
  });

  it('joins a worker with an explicit server address and version, and labels it', async () => {
    // GIVEN
    const ctl = control();
    const node = new FakeNode({ target: 'ssh://root@10.0.0.7:22' });
    const logger = new RecordingStepLogger();
    // WHEN the worker gets the oldest server's version
    const result = await addNode(ctl, node, { target: { ...target, user: 'root' }, serverIp: '10.0.0.4', k3sVersion: 'v1.29.9+k3s1', labels: ['tier=batch'], randomHex: hex, poll: FAST, logger });
    // THEN
    expect(result.version).toBe('v1.29.9+k3s1');
    expect(logger.lines.filter((l) => l.startsWith('warning:'))).toEqual([]);
    expect(node.trace.at(-1)).toBe(`env INSTALL_K3S_EXEC=agent INSTALL_K3S_VERSION=v1.29.9+k3s1 sh ${INSTALL}`);
    expect(ctl.trace).toContain('/usr/local/bin/k3s kubectl label node ip-10-0-0-7-1212121212 node-role.kubernetes.io/worker=worker --overwrite');
    expect(ctl.trace).not.toContain('read /etc/rancher/k3s/config.yaml');
    expect(parse(node.files.get('/etc/rancher/k3s/config.yaml')!)).toEqual({ server: 'https://10.0.0.4:6443', 'node-name': 'ip-10-0-0-7-1212121212', 'token-file': '/etc/rancher/k3s/dokku-gitops.token', 'node-label': ['tier=batch'] });
  });

  it('changes nothing on a node already joined the same way, but keeps its label and annotation', async () => {
    // GIVEN
    const first = new FakeNode({ target: 'ssh://root@10.0.0.7:22' });
    await addNode(control(), first, { target, randomHex: hex, poll: FAST });
    const node = new FakeNode({ target: 'ssh://root@10.0.0.7:22', files: { ...Object.fromEntries(first.files), '/etc/systemd/system/k3s-agent.service': '[Service]\n' } });
    const ctl = control();
    // WHEN
    const result = await addNode(ctl, node, { target, randomHex: () => 'ff', poll: FAST });
    // THEN
    expect(result.changed).toBe(false);
    expect(node.uploads).toEqual([]);
    expect(ctl.trace.slice(-2)).toEqual([
      '/usr/local/bin/k3s kubectl label node ip-10-0-0-7-1212121212 node-role.kubernetes.io/worker=worker --overwrite',
      '/usr/local/bin/k3s kubectl annotate node ip-10-0-0-7-1212121212 dokku.com/remote-host=ssh://root@10.0.0.7:22 --overwrite',
    ]);
  });

  it('fails if the node already runs k3s joined elsewhere', async () => {
    // GIVEN
    const node = new FakeNode({ target: 'ssh://root@10.0.0.7:22', files: { '/etc/systemd/system/k3s-agent.service': '[Service]\n', '/etc/rancher/k3s/config.yaml': 'server: https://192.0.2.1:6443\nnode-name: old\ntoken-file: /etc/rancher/k3s/dokku-gitops.token\n' } });
    // WHEN / THEN
    await expect(addNode(control(), node, { target, poll: FAST })).rejects.toThrow("ssh://root@10.0.0.7:22: k3s is already installed with different settings (server); run 'dokku-gitops cluster remove old' first");
  });

  it('fails if this machine is not a server', async () => {
    // GIVEN
    const ctl = new FakeNode({ target: 'local' });
    // WHEN / THEN
    await expect(addNode(ctl, new FakeNode(), { target, poll: FAST })).rejects.toThrow("local: /var/lib/rancher/k3s/server/token does not exist; is this machine a k3s server? run 'dokku-gitops cluster init' first");
  });

  it('fails if no server reports an address', async () => {
    // GIVEN
    const ctl = new FakeNode({ target: 'local', files: { '/var/lib/rancher/k3s/server/token': 't' } }).when('kubectl get nodes -o json', { stdout: JSON.stringify({ items: [nodeJson('n1', { server: true })] }) });
    // WHEN / THEN
    await expect(addNode(ctl, new FakeNode(), { target, poll: FAST })).rejects.toThrow("local: no ready server reports an InternalIP; pass '--server-ip'");
  });

  it('fails if the cluster has no servers', async () => {
    // GIVEN
    const ctl = new FakeNode({ target: 'local', files: { '/var/lib/rancher/k3s/server/token': 't' } }).when('kubectl get nodes -o json', { stdout: '{"items":[]}' });
    // WHEN / THEN
    await expect(addNode(ctl, new FakeNode(), { target, poll: FAST })).rejects.toThrow('local: the cluster has no server nodes to join');
  });

  it('fails if a worker is tainted or a value is invalid, before running anything', async () => {
    // GIVEN
    const ctl = control();
    // WHEN
    const error = (await addNode(ctl, new FakeNode(), { target, taintScheduling: true, serverIp: 'x', labels: ['a b=c'], poll: FAST }).catch((e: unknown) => e)) as InputError;
    // THEN
    expect(error.problems).toEqual([
      "'--taint-scheduling' is allowed only with '--role server', got '--role worker'",
      `'--server-ip': "x" is not an IP address`,
      `'--label': "a b=c" has an invalid label key (optional DNS prefix and '/', then 63 characters at most: letters, digits, '-', '_', '.')`,
    ]);
    expect(ctl.commands).toEqual([]);
  });
});

describe('listNodes', () => {
  it('lists through the embedded kubectl', async () => {
    // GIVEN / WHEN
    const nodes = await listNodes(control());
    // THEN
    expect(nodes.map((n) => `${n.name}:${n.ready}`)).toEqual(['n0:false', 'n1:true']);
  });
});

describe('removeNode', () => {
  function withNode(node: Record<string, unknown>): FakeNode {
    return new FakeNode({ target: 'local' }).when('kubectl get node', { stdout: JSON.stringify(node) });
  }

  it('cordons, drains, deletes, then runs the agent uninstall script on the SSH address of the annotation', async () => {
    // GIVEN
    const ctl = withNode(nodeJson('w1', { remote: 'ssh://ubuntu@10.0.0.7:2222' }));
    const remote = new FakeNode({ target: 'ssh://ubuntu@10.0.0.7:2222', sudo: true, files: { '/usr/local/bin/k3s-agent-uninstall.sh': '' } });
    const targets: unknown[] = [];
    // WHEN
    await removeNode(ctl, 'w1', (t) => (targets.push(t), remote), { drainTimeoutSeconds: 60 });
    // THEN
    expect(targets).toEqual([{ user: 'ubuntu', host: '10.0.0.7', port: 2222 }]);
    expect(ctl.commands).toEqual([
      '/usr/local/bin/k3s kubectl get node w1 -o json',
      '/usr/local/bin/k3s kubectl cordon w1',
      '/usr/local/bin/k3s kubectl drain w1 --ignore-daemonsets --delete-emptydir-data --timeout=60s',
      '/usr/local/bin/k3s kubectl delete node w1',
    ]);
    expect(remote.commands).toEqual(['sudo -n -- test -x /usr/local/bin/k3s-agent-uninstall.sh', 'sudo -n -- /usr/local/bin/k3s-agent-uninstall.sh']);
    expect(remote.closeCount).toBe(1);
  });

  it('runs the server uninstall script for a server, and warns if it is gone', async () => {
    // GIVEN
    const ctl = withNode(nodeJson('s2', { server: true, remote: 'ssh://root@10.0.0.8:22' }));
    const remote = new FakeNode({ target: 'ssh://root@10.0.0.8:22' });
    const logger = new RecordingStepLogger();
    // WHEN
    await removeNode(ctl, 's2', () => remote, { logger });
    // THEN
    expect(remote.commands).toEqual(['test -x /usr/local/bin/k3s-uninstall.sh']);
    expect(logger.lines).toContain('warning: ssh://root@10.0.0.8:22: /usr/local/bin/k3s-uninstall.sh does not exist; k3s is already uninstalled');
  });

  it('fails if the node is unknown, invalid, or has a bad annotation', async () => {
    // GIVEN
    const missing = new FakeNode({ target: 'local' }).when('kubectl get node', { stderr: 'Error from server (NotFound): nodes "nope" not found', exitCode: 1 });
    const tampered = withNode(nodeJson('w1', { remote: 'ssh://root@host;rm -rf /' }));
    // WHEN / THEN
    await expect(removeNode(missing, 'nope', () => new FakeNode())).rejects.toThrow(`node "nope" is not in the cluster; see 'dokku-gitops cluster list'`);
    await expect(removeNode(missing, 'Bad;Name', () => new FakeNode())).rejects.toThrow(`node: "Bad;Name" is not a node name (lowercase letters, digits, '-' and '.')`);
    await expect(removeNode(tampered, 'w1', () => new FakeNode())).rejects.toThrow('node w1 annotation dokku.com/remote-host: "host;rm -rf " is not a host name or IP address');
    expect(tampered.commands).toEqual(['/usr/local/bin/k3s kubectl get node w1 -o json']);
  });
});

describe('fetchKubeconfig', () => {
  const KUBECONFIG = 'apiVersion: v1\nkind: Config\nclusters:\n- name: default\n  cluster:\n    server: https://127.0.0.1:6443\ncontexts: []\nusers: []\n';

  it('uses the first tls-san of config.yaml', async () => {
    // GIVEN
    const op = new FakeNode({ files: { '/etc/rancher/k3s/k3s.yaml': KUBECONFIG, '/etc/rancher/k3s/config.yaml': 'tls-san: [203.0.113.10, k3s.example.com]\n' } });
    // WHEN / THEN
    expect(parse(await fetchKubeconfig(op)).clusters[0].cluster.server).toBe('https://203.0.113.10:6443');
  });

  it('falls back to the first address, and takes an explicit one', async () => {
    // GIVEN
    const op = new FakeNode({ files: { '/etc/rancher/k3s/k3s.yaml': KUBECONFIG } }).when('hostname -I', { stdout: '10.0.0.5\n' });
    // WHEN / THEN
    expect(parse(await fetchKubeconfig(op)).clusters[0].cluster.server).toBe('https://10.0.0.5:6443');
    expect(parse(await fetchKubeconfig(op, { serverIp: 'k3s.example.com', name: 'prod' })).clusters[0]).toEqual({ name: 'prod', cluster: { server: 'https://k3s.example.com:6443' } });
  });

  it('fails if this machine is not a server or the address is invalid', async () => {
    // GIVEN / WHEN / THEN
    await expect(fetchKubeconfig(new FakeNode({ target: 'local' }))).rejects.toThrow("local: /etc/rancher/k3s/k3s.yaml does not exist; is this machine a k3s server? run 'dokku-gitops cluster init' first");
    await expect(fetchKubeconfig(new FakeNode(), { serverIp: 'a b' })).rejects.toThrow(`'--server-ip': "a b" is not a host name or IP address`);
  });
});

describe('uninstallNode', () => {
  it('runs whichever uninstall script exists, and nothing when none does', async () => {
    // GIVEN
    const agent = new FakeNode({ files: { '/usr/local/bin/k3s-agent-uninstall.sh': '' } });
    const none = new FakeNode();
    // WHEN / THEN
    expect(await uninstallNode(agent)).toBe(true);
    expect(agent.commands).toEqual(['test -x /usr/local/bin/k3s-uninstall.sh', 'test -x /usr/local/bin/k3s-agent-uninstall.sh', '/usr/local/bin/k3s-agent-uninstall.sh']);
    expect(await uninstallNode(none)).toBe(false);
  });
});
