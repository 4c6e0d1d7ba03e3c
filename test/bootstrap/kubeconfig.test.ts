import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { rewriteKubeconfig } from '../../src/bootstrap/kubeconfig.js';

const K3S_YAML = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: Q0E=
    server: https://127.0.0.1:6443
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
kind: Config
preferences: {}
users:
- name: default
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
`;

describe('rewriteKubeconfig', () => {
  it('points the server at the outside address, keeping scheme, port and credentials', () => {
    // GIVEN / WHEN
    const config = parse(rewriteKubeconfig(K3S_YAML, { host: '203.0.113.10' }));
    // THEN
    expect(config.clusters).toEqual([{ cluster: { 'certificate-authority-data': 'Q0E=', server: 'https://203.0.113.10:6443' }, name: 'default' }]);
    expect(config.users[0].user).toEqual({ 'client-certificate-data': 'Q0VSVA==', 'client-key-data': 'S0VZ' });
  });

  it('brackets IPv6 and accepts DNS names', () => {
    // GIVEN / WHEN / THEN
    expect(parse(rewriteKubeconfig(K3S_YAML, { host: 'fd00::5' })).clusters[0].cluster.server).toBe('https://[fd00::5]:6443');
    expect(parse(rewriteKubeconfig(K3S_YAML, { host: 'k3s.example.com' })).clusters[0].cluster.server).toBe('https://k3s.example.com:6443');
  });

  it("renames k3s's default cluster, user and context", () => {
    // GIVEN / WHEN
    const config = parse(rewriteKubeconfig(K3S_YAML, { host: '10.0.0.5', name: 'prod' }));
    // THEN
    expect([config.clusters[0].name, config.users[0].name, config.contexts[0], config['current-context']]).toEqual(['prod', 'prod', { context: { cluster: 'prod', user: 'prod' }, name: 'prod' }, 'prod']);
  });

  it('fails if the text is not a kubeconfig', () => {
    // GIVEN / WHEN / THEN
    expect(() => rewriteKubeconfig('kind: Config\n', { host: 'x' })).toThrow('kubeconfig: no clusters found; is this a k3s kubeconfig?');
    expect(() => rewriteKubeconfig('clusters: [\n', { host: 'x' })).toThrow(/^kubeconfig: not valid YAML: /);
    expect(() => rewriteKubeconfig('clusters:\n- name: a\n  cluster: {}\n', { host: 'x' })).toThrow('kubeconfig: cluster "a" has no server');
  });
});
