/**
 * The bootstrap against real sshd: three nodes, each its own OpenSSH server with its own host key
 * (in its own network namespace when this machine allows it), the stand-in k3s installer delivered
 * through the air-gap bundle, and the stand-in systemctl/journalctl/curl on the nodes' PATH.
 *
 * The tests run in order and build one cluster: init on node1, node2 joins as a server, node3 as a
 * worker; then kubeconfig, list, the scheduler extender with both methods, remove and uninstall.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addNode,
  disableSchedulerExtender,
  enableSchedulerExtender,
  fetchKubeconfig,
  fingerprint,
  initCluster,
  IngressClass,
  listNodes,
  NodeRole,
  RecordingStepLogger,
  removeNode,
  SchedulerExtenderMethod,
  SshOperator,
  type SshOperatorProps,
  uninstallNode,
  writeSecretFile,
} from '../../src/bootstrap/index.js';
import { AIRGAP_BUNDLE, airgapBundleOf, jsonLines, type Lab, type LabNode, readOnNode, startLab } from './_lab.js';

const FAST = { timeoutMs: 20_000, intervalMs: 100 };
let lab: Lab;
let node1: LabNode;
let node2: LabNode;
let node3: LabNode;
const operators: SshOperator[] = [];

function ssh(node: LabNode, props: Partial<SshOperatorProps> = {}): SshOperator {
  const op = new SshOperator({ target: { user: 'root', host: node.address, port: node.port }, knownHostsPath: lab.knownHosts, privateKeyPath: lab.clientKey, agent: '', root: node.root, readyTimeoutMs: 10_000, ...props });
  operators.push(op);
  return op;
}

function hostKeyBlob(node: LabNode): Buffer {
  return Buffer.from(node.hostKey.split(' ')[1]!, 'base64');
}

function installs(node: LabNode): { argv: string[]; env: Record<string, string> }[] {
  return jsonLines(join(node.root, 'var/log/standin/install.jsonl'));
}

function systemctlCalls(node: LabNode): string[] {
  return jsonLines<{ args: string[] }>(join(node.root, 'var/log/standin/systemctl.jsonl')).map((e) => e.args.join(' '));
}

function schedulerStarts(node: LabNode): string[] {
  return jsonLines<{ unit: string; message: string }>(join(node.root, 'var/log/standin/journal.jsonl'))
    .filter((e) => e.message.startsWith('Running kube-scheduler'))
    .map((e) => e.message);
}

function mode(node: LabNode, path: string): string {
  return (statSync(join(node.root, path)).mode & 0o777).toString(8).padStart(4, '0');
}

beforeAll(async () => {
  lab = await startLab({ nodes: 3, subnet: 7, versions: ['v1.28.9+k3s1', 'v1.31.2+k3s1', 'v1.31.2+k3s1'] });
  [node1, node2, node3] = lab.nodes as [LabNode, LabNode, LabNode];
});

afterAll(async () => {
  for (const op of operators) await op.close();
  await lab?.stop();
});

describe('ssh operator against real sshd', () => {
  it('runs a command and returns output and exit status', async () => {
    // GIVEN
    const op = ssh(node1);
    // WHEN
    const result = await op.execute({ argv: ['sh', '-c', 'echo out; echo err >&2; exit 7'] });
    // THEN
    expect(result).toEqual({ stdout: 'out\n', stderr: 'err\n', exitCode: 7 });
  });

  it('reaches each node at its own address with its own host key', async () => {
    // GIVEN / WHEN
    const seen = await Promise.all(lab.nodes.map(async (node) => (await ssh(node).execute({ argv: ['printenv', 'DOKKU_GITOPS_STANDIN_ROOT'] })).stdout.trim()));
    // THEN
    expect(seen).toEqual(lab.nodes.map((n) => n.root));
    expect(new Set(lab.nodes.map((n) => n.hostKey)).size).toBe(3);
    if (lab.mode === 'netns') expect(lab.nodes.map((n) => n.address)).toEqual([11, 12, 13].map((host) => `10.203.${lab.subnet}.${host}`));
  });

  it('fails if the host key is not in known_hosts', async () => {
    // GIVEN
    const empty = join(lab.dir, 'known_hosts.empty');
    writeFileSync(empty, '');
    const op = ssh(node1, { knownHostsPath: empty });
    // WHEN / THEN
    await expect(op.execute({ argv: ['true'] })).rejects.toThrow(
      `ssh://root@${node1.address}:${node1.port}: host key ssh-ed25519 ${fingerprint(hostKeyBlob(node1))} is not in known_hosts ${JSON.stringify(empty)}; check the fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub) and add the line "${node1.port === 22 ? node1.address : `[${node1.address}]:${node1.port}`} ${node1.hostKey}", or pass '--insecure-allow-unknown-hosts'`,
    );
  });

  it('accepts an unknown host key with --insecure-allow-unknown-hosts, and says so', async () => {
    // GIVEN
    const empty = join(lab.dir, 'known_hosts.empty2');
    writeFileSync(empty, '');
    const warnings: string[] = [];
    const op = ssh(node1, { knownHostsPath: empty, allowUnknownHosts: true, onWarning: (m) => warnings.push(m) });
    // WHEN
    const result = await op.execute({ argv: ['id', '-u'] });
    // THEN
    expect(result.stdout).toBe('0\n');
    expect(warnings).toEqual([`ssh://root@${node1.address}:${node1.port}: accepting unknown host key ssh-ed25519 ${fingerprint(hostKeyBlob(node1))} because of '--insecure-allow-unknown-hosts'`]);
  });

  it('fails if the host key changed, even with --insecure-allow-unknown-hosts', async () => {
    // GIVEN known_hosts lists node2's key for node1's address
    const wrong = join(lab.dir, 'known_hosts.wrong');
    const name = node1.port === 22 ? node1.address : `[${node1.address}]:${node1.port}`;
    writeFileSync(wrong, `# a comment\n${name} ${node2.hostKey}\n`);
    const op = ssh(node1, { knownHostsPath: wrong, allowUnknownHosts: true });
    // WHEN / THEN
    await expect(op.execute({ argv: ['true'] })).rejects.toThrow(
      `ssh://root@${node1.address}:${node1.port}: host key ssh-ed25519 ${fingerprint(hostKeyBlob(node1))} does not match known_hosts ${JSON.stringify(wrong)} line 2; the host was reinstalled or someone is intercepting the connection. Remove the old line only after checking the new fingerprint`,
    );
  });

  it('accepts a hashed known_hosts entry written by ssh-keygen -H', async () => {
    // GIVEN
    const hashed = join(lab.dir, 'known_hosts.hashed');
    writeFileSync(hashed, readFileSync(lab.knownHosts));
    const { execFileSync } = await import('node:child_process');
    execFileSync('ssh-keygen', ['-H', '-f', hashed], { stdio: 'ignore' });
    expect(readFileSync(hashed, 'utf8')).toMatch(/^\|1\|/);
    // WHEN
    const result = await ssh(node2, { knownHostsPath: hashed }).execute({ argv: ['true'] });
    // THEN
    expect(result.exitCode).toBe(0);
  });

  it('fails with a clear error for a key the node does not accept', async () => {
    // GIVEN
    const op = ssh(node1, { privateKeyPath: lab.otherKey });
    // WHEN / THEN
    await expect(op.execute({ argv: ['true'] })).rejects.toThrow(
      `ssh://root@${node1.address}:${node1.port}: authentication failed for user "root" (tried: publickey (${lab.otherKey})); check '--ssh-key', the DOKKU_GITOPS_SSH_PASSWORD variable or the user's authorized_keys`,
    );
  });

  it('fails with a clear error for a wrong password', async () => {
    // GIVEN
    const op = new SshOperator({ target: { user: 'root', host: node1.address, port: node1.port }, knownHostsPath: lab.knownHosts, password: 'not-the-password', agent: '', root: node1.root });
    operators.push(op);
    // WHEN / THEN
    await expect(op.execute({ argv: ['true'] })).rejects.toThrow(
      `ssh://root@${node1.address}:${node1.port}: authentication failed for user "root" (tried: password); check '--ssh-key', the DOKKU_GITOPS_SSH_PASSWORD variable or the user's authorized_keys`,
    );
  });

  it('fails with a clear error when nothing listens', async () => {
    // GIVEN
    const op = new SshOperator({ target: { user: 'root', host: node1.address, port: 2 }, knownHostsPath: lab.knownHosts, privateKeyPath: lab.clientKey, agent: '' });
    operators.push(op);
    // WHEN / THEN
    await expect(op.execute({ argv: ['true'] })).rejects.toThrow(`ssh://root@${node1.address}:2: connection refused; is sshd listening on port 2?`);
  });

  it('passes arguments with shell metacharacters through intact and runs nothing else', async () => {
    // GIVEN
    const marker = join(lab.dir, 'injected-marker');
    const nasty = [`$(touch ${marker})`, `\`touch ${marker}\``, `; touch ${marker}`, `' ; touch ${marker}; '`, `" && touch ${marker} && "`, `| touch ${marker}`, `\n touch ${marker}`, '${HOME}', '*', '', "it's"];
    const op = ssh(node1);
    // WHEN
    const result = await op.execute({ argv: ['printf', '%s\\0', ...nasty] });
    // THEN
    expect(result.stdout.split('\0').slice(0, -1)).toEqual(nasty);
    expect(existsSync(marker)).toBe(false);
  });

  it('uploads a file atomically with its mode, creating directories', async () => {
    // GIVEN
    const op = ssh(node3);
    // WHEN
    await op.upload({ path: '/etc/dokku-gitops-test/secret', mode: 0o600, content: 'top secret\n' });
    // THEN
    expect(readOnNode(node3, '/etc/dokku-gitops-test/secret')).toBe('top secret\n');
    expect(mode(node3, '/etc/dokku-gitops-test/secret')).toBe('0600');
    expect(mode(node3, '/etc/dokku-gitops-test')).toBe('0755');
  });
});

describe('cluster bootstrap against real sshd', () => {
  let token: string;

  it('init installs the first server from the air-gap bundle with settings in config.yaml', async () => {
    // GIVEN
    const op = ssh(node1);
    const logger = new RecordingStepLogger();
    // WHEN
    const result = await initCluster(op, { serverIp: node1.address, ingressClass: IngressClass.nginx(), k3sVersion: 'v1.28.9+k3s1', tlsSans: ['k3s.example.com'], kubeletArgs: ['max-pods=150'], airgapBundle: AIRGAP_BUNDLE, logger, poll: FAST, randomHex: (n) => 'ab'.repeat(n) });
    // THEN the installer ran once, with only the subcommand and air-gap environment
    const name = `ip-${node1.address.replace(/\./g, '-')}-ababababab`;
    expect(result).toEqual({ nodeName: name, changed: true, version: 'v1.28.9+k3s1' });
    expect(installs(node1).map((i) => ({ argv: i.argv, env: i.env }))).toEqual([{ argv: [], env: { INSTALL_K3S_EXEC: 'server', INSTALL_K3S_SKIP_DOWNLOAD: 'true', INSTALL_K3S_VERSION: 'v1.28.9+k3s1' } }]);
    // AND the bundle's files are where k3s expects them
    expect(readOnNode(node1, '/usr/local/bin/k3s')).toBe(readFileSync(join(AIRGAP_BUNDLE, 'k3s'), 'utf8'));
    expect(mode(node1, '/usr/local/bin/k3s')).toBe('0755');
    expect(readOnNode(node1, '/var/lib/rancher/k3s/agent/images/k3s-airgap-images-amd64.tar.zst')).toBe('stand-in k3s airgap images (amd64)\n');
    // AND the settings are in config.yaml, not on the unit's command line
    expect(parse(readOnNode(node1, '/etc/rancher/k3s/config.yaml')!)).toEqual({
      'cluster-init': true,
      'node-name': name,
      'token-file': '/etc/rancher/k3s/dokku-gitops.token',
      'write-kubeconfig-mode': '0600',
      'tls-san': [node1.address, 'k3s.example.com'],
      disable: ['traefik'],
      'node-label': ['svccontroller.k3s.cattle.io/enablelb=true'],
      'kubelet-arg': ['max-pods=150'],
    });
    expect(readOnNode(node1, '/etc/systemd/system/k3s.service')).toContain('ExecStart=/usr/local/bin/k3s \\\n    server \\\n\n');
    // AND the token is a generated secret stored 0600, like config.yaml and the kubeconfig
    expect(readOnNode(node1, '/etc/rancher/k3s/dokku-gitops.token')).toBe(`${'ab'.repeat(16)}\n`);
    expect(mode(node1, '/etc/rancher/k3s/dokku-gitops.token')).toBe('0600');
    expect(mode(node1, '/etc/rancher/k3s/config.yaml')).toBe('0600');
    expect(mode(node1, '/etc/rancher/k3s/k3s.yaml')).toBe('0600');
    token = readOnNode(node1, '/var/lib/rancher/k3s/server/token')!.trim();
    expect(token).toMatch(new RegExp(`^K10[0-9a-f]{64}::server:${'ab'.repeat(16)}$`));
    expect(logger.lines).toContain(`success: installing k3s server on ssh://root@${node1.address}:${node1.port}`);
  });

  it('init again with the same options changes nothing', async () => {
    // GIVEN
    const before = systemctlCalls(node1).length;
    // WHEN
    const result = await initCluster(ssh(node1), { serverIp: node1.address, k3sVersion: 'v1.28.9+k3s1', tlsSans: ['k3s.example.com'], kubeletArgs: ['max-pods=150'], airgapBundle: AIRGAP_BUNDLE, poll: FAST });
    // THEN
    expect(result.changed).toBe(false);
    expect(installs(node1)).toHaveLength(1);
    expect(systemctlCalls(node1)).toHaveLength(before);
  });

  it('fails if init runs again with different settings', async () => {
    // GIVEN / WHEN / THEN
    await expect(initCluster(ssh(node1), { serverIp: node1.address, ingressClass: IngressClass.traefik(), tlsSans: ['k3s.example.com'], kubeletArgs: ['max-pods=150'], airgapBundle: AIRGAP_BUNDLE, poll: FAST })).rejects.toThrow(
      `ssh://root@${node1.address}:${node1.port}: k3s is already installed with different settings (disable); pass the same flags as before, or run 'dokku-gitops cluster uninstall' first`,
    );
  });

  it('fails if the air-gap bundle holds another k3s than the lowest server version, before installing anything', async () => {
    // GIVEN node2's default bundle binary is v1.31.2, the server runs v1.28.9
    const control = ssh(node1);
    const node = ssh(node2);
    // WHEN / THEN
    await expect(
      addNode(control, node, { target: { user: 'root', host: node2.address, port: node2.port }, role: NodeRole.server(), airgapBundle: AIRGAP_BUNDLE, poll: FAST, randomHex: (n) => 'cd'.repeat(n) }),
    ).rejects.toThrow(
      `'--airgap-bundle': its k3s is v1.31.2+k3s1, but ssh://root@${node2.address}:${node2.port} must run v1.28.9+k3s1 (the installer ignores INSTALL_K3S_VERSION in air-gap mode); use a bundle of v1.28.9+k3s1`,
    );
    expect(installs(node2)).toEqual([]);
    rmSync(join(node2.root, 'usr/local/bin/k3s'), { force: true });
  });

  it('add joins a server pinned to the lowest server version, sharing cluster-wide settings', async () => {
    // GIVEN a bundle of the lowest server version (node2's own default is v1.31.2)
    const control = ssh(node1);
    const node = ssh(node2);
    // WHEN
    const result = await addNode(control, node, { target: { user: 'root', host: node2.address, port: node2.port }, role: NodeRole.server(), taintScheduling: true, airgapBundle: airgapBundleOf('v1.28.9+k3s1'), poll: FAST, randomHex: (n) => 'cd'.repeat(n) });
    // THEN
    const name = `ip-${node2.address.replace(/\./g, '-')}-cdcdcdcdcd`;
    expect(result).toEqual({ nodeName: name, changed: true, version: 'v1.28.9+k3s1' });
    expect(installs(node2).map((i) => i.env)).toEqual([{ INSTALL_K3S_EXEC: 'server', INSTALL_K3S_SKIP_DOWNLOAD: 'true', INSTALL_K3S_VERSION: 'v1.28.9+k3s1' }]);
    expect(parse(readOnNode(node2, '/etc/rancher/k3s/config.yaml')!)).toEqual({
      server: `https://${node1.address}:6443`,
      'node-name': name,
      'token-file': '/etc/rancher/k3s/dokku-gitops.token',
      disable: ['traefik'],
      'write-kubeconfig-mode': '0600',
      'node-label': ['svccontroller.k3s.cattle.io/enablelb=true'],
      'node-taint': ['CriticalAddonsOnly=true:NoSchedule'],
    });
    expect(readOnNode(node2, '/etc/rancher/k3s/dokku-gitops.token')).toBe(`${token}\n`);
    expect(mode(node2, '/etc/rancher/k3s/dokku-gitops.token')).toBe('0600');
    const joined = (await listNodes(control)).find((n) => n.name === name)!;
    expect(joined).toEqual({ name, ready: true, roles: ['control-plane', 'etcd', 'master'], isServer: true, version: 'v1.28.9+k3s1', internalIp: node2.address, remoteHost: `ssh://root@${node2.address}:${node2.port}`, unschedulable: false });
  });

  it('fails if --taint-scheduling is given for a worker, before connecting', async () => {
    // GIVEN
    const control = ssh(node1);
    const node = ssh(node3);
    // WHEN / THEN
    await expect(addNode(control, node, { target: { user: 'root', host: node3.address, port: node3.port }, role: NodeRole.worker(), taintScheduling: true, poll: FAST })).rejects.toThrow("'--taint-scheduling' is allowed only with '--role server', got '--role worker'");
    expect(installs(node3)).toEqual([]);
  });

  it('add joins a worker; labels and kubelet args with shell metacharacters are quoted, never run', async () => {
    // GIVEN
    const marker = join(lab.dir, 'kubelet-marker');
    const kubeletArgs = [`eviction-hard=memory.available<100Mi;touch ${marker}`, `system-reserved=cpu=$(touch ${marker})`, `node-labels=\`touch ${marker}\``];
    // WHEN
    const result = await addNode(ssh(node1), ssh(node3), { target: { user: 'root', host: node3.address, port: node3.port }, kubeletArgs, labels: ['tier=batch'], airgapBundle: airgapBundleOf('v1.28.9+k3s1'), poll: FAST, randomHex: (n) => 'ef'.repeat(n) });
    // THEN
    expect(existsSync(marker)).toBe(false);
    expect(installs(node3).map((i) => i.env)).toEqual([{ INSTALL_K3S_EXEC: 'agent', INSTALL_K3S_SKIP_DOWNLOAD: 'true', INSTALL_K3S_VERSION: 'v1.28.9+k3s1' }]);
    expect(parse(readOnNode(node3, '/etc/rancher/k3s/config.yaml')!)).toEqual({
      server: `https://${node1.address}:6443`,
      'node-name': result.nodeName,
      'token-file': '/etc/rancher/k3s/dokku-gitops.token',
      'node-label': ['tier=batch'],
      'kubelet-arg': kubeletArgs,
    });
    const worker = (await listNodes(ssh(node1))).find((n) => n.name === result.nodeName)!;
    expect(worker.roles).toEqual(['worker']);
    expect(worker.isServer).toBe(false);
  });

  it('add again for the same node changes nothing', async () => {
    // GIVEN / WHEN
    const result = await addNode(ssh(node1), ssh(node3), { target: { user: 'root', host: node3.address, port: node3.port }, kubeletArgs: [`eviction-hard=memory.available<100Mi;touch ${join(lab.dir, 'kubelet-marker')}`, `system-reserved=cpu=$(touch ${join(lab.dir, 'kubelet-marker')})`, `node-labels=\`touch ${join(lab.dir, 'kubelet-marker')}\``], labels: ['tier=batch'], airgapBundle: airgapBundleOf('v1.28.9+k3s1'), poll: FAST });
    // THEN
    expect(result.changed).toBe(false);
    expect(installs(node3)).toHaveLength(1);
  });

  it('list shows every node with its role and version', async () => {
    // GIVEN / WHEN
    const nodes = await listNodes(ssh(node1));
    // THEN
    expect(nodes.map((n) => [n.roles.join(','), n.version, n.ready])).toEqual([
      ['control-plane,etcd,master', 'v1.28.9+k3s1', true],
      ['control-plane,etcd,master', 'v1.28.9+k3s1', true],
      ['worker', 'v1.28.9+k3s1', true],
    ]);
  });

  it('kubeconfig points at an address reachable from outside the node and is saved 0600', async () => {
    // GIVEN a listener standing in for the API server inside node1's network
    const listener = lab.spawnIn(node1, process.execPath, ['-e', `require('net').createServer((s) => s.end('k3s-api')).listen(${node1.apiPort}, '${node1.address}', () => console.log('listening'))`]);
    await new Promise((resolve) => listener.stdout!.once('data', resolve));
    // WHEN
    const text = await fetchKubeconfig(ssh(node1), { name: 'lab' });
    const file = join(lab.dir, 'kubeconfig', 'config');
    mkdirSync(join(lab.dir, 'kubeconfig'));
    writeFileSync(file, 'old', { mode: 0o644 });
    writeSecretFile(file, text);
    // THEN
    const config = parse(text) as { clusters: { name: string; cluster: { server: string } }[]; 'current-context': string };
    expect(config.clusters.map((c) => [c.name, c.cluster.server])).toEqual([['lab', `https://${node1.address}:${node1.apiPort}`]]);
    expect(config['current-context']).toBe('lab');
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    const answer = await new Promise<string>((resolve, reject) => {
      const url = new URL(config.clusters[0]!.cluster.server);
      const socket = connect(Number(url.port), url.hostname);
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(answer).toBe('k3s-api');
    listener.kill();
  });
});

describe('scheduler extender against real sshd', () => {
  const servers = () => [
    { name: 'node1', operator: ssh(node1) },
    { name: 'node2', operator: ssh(node2) },
  ];
  const configPath = '/etc/rancher/k3s/scheduler/90-scheduler-extender.yaml';
  const dropInPath = '/etc/rancher/k3s/config.yaml.d/90-scheduler-extender.yaml';

  it('enable with a config drop-in writes the config for each server version and restarts servers one by one', async () => {
    // GIVEN node2 runs a newer k3s than node1 (joined with an explicit version)
    writeFileSync(join(node2.root, 'var/lib/standin/version'), 'v1.30.4+k3s1\n');
    const logger = new RecordingStepLogger();
    // WHEN
    const outcomes = await enableSchedulerExtender(servers(), { url: 'http://127.0.0.1:8889', ignorable: true, logger, poll: FAST });
    // THEN
    expect(outcomes).toEqual([
      { node: 'node1', changed: true, apiVersion: 'kubescheduler.config.k8s.io/v1beta3' },
      { node: 'node2', changed: true, apiVersion: 'kubescheduler.config.k8s.io/v1' },
    ]);
    expect(parse(readOnNode(node1, dropInPath)!)).toEqual({ 'kube-scheduler-arg+': [`config=${configPath}`] });
    expect(parse(readOnNode(node2, configPath)!)).toEqual({
      apiVersion: 'kubescheduler.config.k8s.io/v1',
      kind: 'KubeSchedulerConfiguration',
      clientConnection: { kubeconfig: '/var/lib/rancher/k3s/server/cred/scheduler.kubeconfig' },
      leaderElection: { leaderElect: true },
      extenders: [{ urlPrefix: 'http://127.0.0.1:8889', filterVerb: 'filter', prioritizeVerb: 'prioritize', weight: 1, enableHTTPS: false, nodeCacheCapable: false, ignorable: true, httpTimeout: '15s' }],
    });
    for (const node of [node1, node2]) {
      expect(schedulerStarts(node).at(-1)).toContain(`--config=${configPath}`);
      expect(systemctlCalls(node).at(-1)).toBe('is-active k3s');
      expect(systemctlCalls(node)).toContain('restart k3s');
    }
    expect(logger.lines.filter((l) => l.startsWith('success'))).toEqual([
      'success: node1: k3s restarted, its scheduler runs with the extender (kubescheduler.config.k8s.io/v1beta3)',
      'success: node2: k3s restarted, its scheduler runs with the extender (kubescheduler.config.k8s.io/v1)',
    ]);
  });

  it('enable again changes nothing and restarts nothing', async () => {
    // GIVEN
    const restarts = [node1, node2].map((n) => systemctlCalls(n).filter((c) => c === 'restart k3s').length);
    // WHEN
    const outcomes = await enableSchedulerExtender(servers(), { url: 'http://127.0.0.1:8889', ignorable: true, poll: FAST });
    // THEN
    expect(outcomes.map((o) => o.changed)).toEqual([false, false]);
    expect([node1, node2].map((n) => systemctlCalls(n).filter((c) => c === 'restart k3s').length)).toEqual(restarts);
  });

  it('disable removes the drop-in and config, and the scheduler comes back without it; again changes nothing', async () => {
    // GIVEN / WHEN
    const first = await disableSchedulerExtender(servers(), { poll: FAST });
    const second = await disableSchedulerExtender(servers(), { poll: FAST });
    // THEN
    expect(first.map((o) => o.changed)).toEqual([true, true]);
    expect(second.map((o) => o.changed)).toEqual([false, false]);
    for (const node of [node1, node2]) {
      expect(readOnNode(node, dropInPath)).toBeUndefined();
      expect(readOnNode(node, configPath)).toBeUndefined();
      expect(schedulerStarts(node).at(-1)).not.toContain('--config=');
    }
  });

  it('fails with config-file when ExecStart already passes --kube-scheduler-arg, and suggests --method unit-file', async () => {
    // GIVEN node1's k3s was installed with a scheduler flag on its command line
    const op = ssh(node1);
    const reinstall = await op.execute({ argv: ['sh', join(node1.root, '/var/lib/rancher/k3s/dokku-gitops/install.sh')], env: { INSTALL_K3S_EXEC: 'server --kube-scheduler-arg=v=2', INSTALL_K3S_SKIP_DOWNLOAD: 'true' } });
    expect(reinstall.exitCode).toBe(0);
    expect(schedulerStarts(node1).at(-1)).toContain('--v=2');
    // WHEN / THEN
    await expect(enableSchedulerExtender([{ name: 'node1', operator: op }], { url: 'http://127.0.0.1:8889', poll: FAST })).rejects.toThrow(
      `ssh://root@${node1.address}:${node1.port}: k3s is started with --kube-scheduler-arg on the ExecStart line of /etc/systemd/system/k3s.service, and a command-line list replaces the config file's kube-scheduler-arg, so a drop-in would be ignored; rerun with '--method unit-file'`,
    );
    expect(readOnNode(node1, dropInPath)).toBeUndefined();
  });

  it('enable --method unit-file appends the flag, reloads systemd and restarts; disable removes only it and keeps later edits', async () => {
    // GIVEN
    const op = ssh(node1);
    const original = readOnNode(node1, '/etc/systemd/system/k3s.service')!;
    // WHEN
    const enabled = await enableSchedulerExtender([{ name: 'node1', operator: op }], { url: 'http://127.0.0.1:8889', method: SchedulerExtenderMethod.unitFile(), poll: FAST });
    // THEN the flag is the only change to the unit, and systemd reloaded before the restart
    expect(enabled).toEqual([{ node: 'node1', changed: true, apiVersion: 'kubescheduler.config.k8s.io/v1beta3' }]);
    const edited = readOnNode(node1, '/etc/systemd/system/k3s.service')!;
    expect(edited).toBe(original.replace("\t'--kube-scheduler-arg=v=2' \\\n", `\t'--kube-scheduler-arg=v=2' \\\n\t'--kube-scheduler-arg=config=${configPath}' \\\n`));
    expect(JSON.parse(readOnNode(node1, '/etc/rancher/k3s/scheduler/90-scheduler-extender.unit-edit.json')!)).toEqual({ unit: '/etc/systemd/system/k3s.service', arg: `--kube-scheduler-arg=config=${configPath}`, addedContinuation: false });
    const calls = systemctlCalls(node1);
    expect(calls.lastIndexOf('daemon-reload')).toBeLessThan(calls.lastIndexOf('restart k3s'));
    expect(calls.lastIndexOf('daemon-reload')).toBeGreaterThan(calls.length - 6);
    expect(schedulerStarts(node1).at(-1)).toContain('--v=2');
    expect(schedulerStarts(node1).at(-1)).toContain(`--config=${configPath}`);

    // WHEN enable runs again, then someone edits the unit, then disable runs
    const again = await enableSchedulerExtender([{ name: 'node1', operator: op }], { url: 'http://127.0.0.1:8889', method: SchedulerExtenderMethod.unitFile(), poll: FAST });
    const laterEdit = edited.replace('RestartSec=5s', 'RestartSec=10s').replace(`\t'--kube-scheduler-arg=config=${configPath}' \\\n`, `\t'--kube-scheduler-arg=config=${configPath}' \\\n\t'--node-label=edited=later' \\\n`);
    writeFileSync(join(node1.root, 'etc/systemd/system/k3s.service'), laterEdit);
    await op.execute({ argv: ['systemctl', 'daemon-reload'] });
    const disabled = await disableSchedulerExtender([{ name: 'node1', operator: op }], { poll: FAST });
    // THEN
    expect(again.map((o) => o.changed)).toEqual([false]);
    expect(disabled.map((o) => o.changed)).toEqual([true]);
    expect(readOnNode(node1, '/etc/systemd/system/k3s.service')).toBe(original.replace('RestartSec=5s', 'RestartSec=10s').replace("\t'--kube-scheduler-arg=v=2' \\\n", "\t'--kube-scheduler-arg=v=2' \\\n\t'--node-label=edited=later' \\\n"));
    expect(readOnNode(node1, '/etc/rancher/k3s/scheduler/90-scheduler-extender.unit-edit.json')).toBeUndefined();
    expect(readOnNode(node1, configPath)).toBeUndefined();
    expect(schedulerStarts(node1).at(-1)).toContain('--v=2');
    expect(schedulerStarts(node1).at(-1)).not.toContain('--config=');
  });
});

describe('removing nodes against real sshd', () => {
  it('remove cordons, drains and deletes the worker, then runs the agent uninstall script over SSH', async () => {
    // GIVEN
    const control = ssh(node1);
    const worker = (await listNodes(control)).find((n) => n.roles.includes('worker'))!;
    const logger = new RecordingStepLogger();
    // WHEN
    await removeNode(control, worker.name, (target) => ssh(node3, { target }), { logger, poll: FAST });
    // THEN
    const kubectl = jsonLines<{ args: string[] }>(join(lab.clusterDir, 'kubectl.log')).map((e) => e.args.join(' '));
    expect(kubectl.slice(-4)).toEqual([`get node ${worker.name} -o json`, `cordon ${worker.name}`, `drain ${worker.name} --ignore-daemonsets --delete-emptydir-data --timeout=300s`, `delete node ${worker.name}`]);
    expect(readOnNode(node3, '/var/log/standin/uninstall.log')).toBe('uninstall k3s-agent\n');
    expect(readOnNode(node3, '/etc/rancher/k3s/config.yaml')).toBeUndefined();
    expect((await listNodes(control)).map((n) => n.name)).not.toContain(worker.name);
    expect(logger.lines.at(-1)).toBe(`success: uninstalling k3s agent on ssh://root@${node3.address}:${node3.port}`);
  });

  it('remove runs the server uninstall script for a server', async () => {
    // GIVEN
    const control = ssh(node1);
    const server = (await listNodes(control)).find((n) => n.remoteHost !== undefined)!;
    // WHEN
    await removeNode(control, server.name, (target) => ssh(node2, { target }), { poll: FAST });
    // THEN
    expect(readOnNode(node2, '/var/log/standin/uninstall.log')).toBe('uninstall k3s\n');
    expect((await listNodes(control)).map((n) => n.name)).toEqual([`ip-${node1.address.replace(/\./g, '-')}-ababababab`]);
  });

  it('fails if the node was not added over SSH', async () => {
    // GIVEN
    const control = ssh(node1);
    const [first] = await listNodes(control);
    // WHEN / THEN
    await expect(removeNode(control, first!.name, () => ssh(node1), { poll: FAST })).rejects.toThrow(`node "${first!.name}" has no dokku.com/remote-host annotation, so it was not added with 'cluster add'; remove it by hand`);
  });

  it('uninstall removes k3s from the first server; again it has nothing to do', async () => {
    // GIVEN
    const op = ssh(node1);
    // WHEN
    const first = await uninstallNode(op);
    const second = await uninstallNode(op);
    // THEN
    expect([first, second]).toEqual([true, false]);
    expect(readOnNode(node1, '/etc/rancher/k3s/config.yaml')).toBeUndefined();
    expect(readOnNode(node1, '/var/log/standin/uninstall.log')).toBe('uninstall k3s\n');
  });
});
