import { describe, expect, it } from 'vitest';
import { IngressClass, NodeRole } from '../../src/bootstrap/choices.js';
import { clusterWideSettings, configDifferences, initServerConfig, joinConfig, nodeNameFor, parseK3sConfig, renderK3sConfig } from '../../src/bootstrap/k3s-config.js';

describe('initServerConfig', () => {
  it('defaults to embedded etcd, a token file, kubeconfig 0600, nginx (Traefik disabled) and the load-balancer label', () => {
    // GIVEN / WHEN
    const config = initServerConfig({ nodeName: 'ip-10-0-0-5-abc' });
    // THEN
    expect(config).toEqual({
      'cluster-init': true,
      'node-name': 'ip-10-0-0-5-abc',
      'token-file': '/etc/rancher/k3s/dokku-gitops.token',
      'write-kubeconfig-mode': '0600',
      disable: ['traefik'],
      'node-label': ['svccontroller.k3s.cattle.io/enablelb=true'],
    });
  });

  it('keeps Traefik for the traefik class', () => {
    // GIVEN / WHEN
    const config = initServerConfig({ nodeName: 'n', ingressClass: IngressClass.traefik() });
    // THEN
    expect(config.disable).toBeUndefined();
  });

  it('adds the server IP and names to the certificate, the taint, labels and kubelet args', () => {
    // GIVEN / WHEN
    const config = initServerConfig({ nodeName: 'n', serverIp: '203.0.113.10', tlsSans: ['k3s.example.com', '203.0.113.10'], taintScheduling: true, labels: ['tier=edge'], kubeletArgs: ['max-pods=150', 'eviction-hard=memory.available<100Mi'] });
    // THEN
    expect(config).toEqual({
      'cluster-init': true,
      'node-name': 'n',
      'token-file': '/etc/rancher/k3s/dokku-gitops.token',
      'write-kubeconfig-mode': '0600',
      'tls-san': ['203.0.113.10', 'k3s.example.com'],
      disable: ['traefik'],
      'node-label': ['svccontroller.k3s.cattle.io/enablelb=true', 'tier=edge'],
      'node-taint': ['CriticalAddonsOnly=true:NoSchedule'],
      'kubelet-arg': ['max-pods=150', 'eviction-hard=memory.available<100Mi'],
    });
  });
});

describe('joinConfig', () => {
  const settings = clusterWideSettings({ 'cluster-init': true, disable: ['traefik'], 'write-kubeconfig-mode': '0644', 'flannel-backend': 'wireguard-native', 'node-name': 'first', 'tls-san': ['x'] });

  it('joins a server with the cluster-wide settings of the first server', () => {
    // GIVEN / WHEN
    const config = joinConfig({ role: NodeRole.server(), server: 'https://10.0.0.5:6443', nodeName: 'n2', clusterSettings: settings, taintScheduling: true });
    // THEN
    expect(config).toEqual({
      server: 'https://10.0.0.5:6443',
      'node-name': 'n2',
      'token-file': '/etc/rancher/k3s/dokku-gitops.token',
      'flannel-backend': 'wireguard-native',
      disable: ['traefik'],
      'write-kubeconfig-mode': '0644',
      'node-label': ['svccontroller.k3s.cattle.io/enablelb=true'],
      'node-taint': ['CriticalAddonsOnly=true:NoSchedule'],
    });
  });

  it('joins a worker with only what an agent takes', () => {
    // GIVEN / WHEN
    const config = joinConfig({ role: NodeRole.worker(), server: 'https://10.0.0.5:6443', nodeName: 'n3', clusterSettings: settings, labels: ['tier=batch'], kubeletArgs: ['max-pods=50'] });
    // THEN
    expect(config).toEqual({ server: 'https://10.0.0.5:6443', 'node-name': 'n3', 'token-file': '/etc/rancher/k3s/dokku-gitops.token', 'node-label': ['tier=batch'], 'kubelet-arg': ['max-pods=50'] });
  });

  it('joins a server without settings with kubeconfig 0600', () => {
    // GIVEN / WHEN / THEN
    expect(joinConfig({ role: NodeRole.server(), server: 'https://10.0.0.5:6443', nodeName: 'n2' })['write-kubeconfig-mode']).toBe('0600');
  });

  it('throws if a worker is tainted', () => {
    // GIVEN / WHEN / THEN
    expect(() => joinConfig({ role: NodeRole.worker(), server: 'https://10.0.0.5:6443', nodeName: 'n3', taintScheduling: true })).toThrow("'--taint-scheduling' is allowed only with '--role server', got '--role worker'");
  });
});

describe('renderK3sConfig and parseK3sConfig', () => {
  it('writes YAML under a header, quoting the mode so k3s reads a string', () => {
    // GIVEN / WHEN
    const text = renderK3sConfig(initServerConfig({ nodeName: 'n', kubeletArgs: ['eviction-hard=memory.available<100Mi;touch /tmp/x'] }));
    // THEN
    expect(text).toBe(`# Written by dokku-gitops. k3s reads this file on every start; install.sh never rewrites it,
# so these settings survive upgrades. It holds no secrets: the token is in token-file.
cluster-init: true
node-name: n
token-file: /etc/rancher/k3s/dokku-gitops.token
write-kubeconfig-mode: "0600"
disable:
  - traefik
node-label:
  - svccontroller.k3s.cattle.io/enablelb=true
kubelet-arg:
  - eviction-hard=memory.available<100Mi;touch /tmp/x
`);
    expect(parseK3sConfig(text, 'config.yaml')['write-kubeconfig-mode']).toBe('0600');
  });

  it('parses an empty file as no settings', () => {
    // GIVEN / WHEN / THEN
    expect(parseK3sConfig('# only a comment\n', 'c')).toEqual({});
  });

  it('fails if the file is not a mapping or not YAML', () => {
    // GIVEN / WHEN / THEN
    expect(() => parseK3sConfig('- a\n- b\n', 'node1:/etc/rancher/k3s/config.yaml')).toThrow('node1:/etc/rancher/k3s/config.yaml: expected a mapping of k3s flags');
    expect(() => parseK3sConfig('a: [\n', 'c')).toThrow(/^c: not valid YAML: /);
  });
});

describe('configDifferences', () => {
  it('names the keys that differ, treating numbers written by hand as strings', () => {
    // GIVEN
    const desired = initServerConfig({ nodeName: 'n', serverIp: '10.0.0.5' });
    const existing = { ...parseK3sConfig(renderK3sConfig(desired), 'c'), 'write-kubeconfig-mode': 600, extra: true };
    // WHEN / THEN
    expect(configDifferences(existing, desired)).toEqual(['write-kubeconfig-mode', 'extra']);
    expect(configDifferences(parseK3sConfig(renderK3sConfig(desired), 'c'), desired)).toEqual([]);
    expect(configDifferences(existing, desired, ['write-kubeconfig-mode', 'extra'])).toEqual([]);
  });
});

describe('nodeNameFor', () => {
  it('names nodes like Dokku, within 63 characters', () => {
    // GIVEN / WHEN / THEN
    expect(nodeNameFor('10.0.0.5', 'a1b2c3d4e5')).toBe('ip-10-0-0-5-a1b2c3d4e5');
    expect(nodeNameFor('fd00::5', 'a1b2c3d4e5')).toBe('ip-fd00-5-a1b2c3d4e5');
    expect(nodeNameFor('Node1.Example.com', 'a1b2c3d4e5')).toBe('node1-example-com-a1b2c3d4e5');
    const long = nodeNameFor(`${'a'.repeat(60)}.example.com`, 'a1b2c3d4e5');
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long.endsWith('-a1b2c3d4e5')).toBe(true);
  });
});
