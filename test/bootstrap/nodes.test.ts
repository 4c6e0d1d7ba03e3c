import { describe, expect, it } from 'vitest';
import { formatNodeTable, lowestServerVersion, parseNode, parseNodeList } from '../../src/bootstrap/nodes.js';

function node(name: string, version: string, server: boolean, extra: { ready?: boolean; remote?: string; unschedulable?: boolean; ip?: string } = {}) {
  return {
    metadata: {
      name,
      labels: server ? { 'node-role.kubernetes.io/control-plane': 'true', 'node-role.kubernetes.io/etcd': 'true', 'node-role.kubernetes.io/master': 'true' } : { 'node-role.kubernetes.io/worker': 'worker' },
      annotations: extra.remote ? { 'dokku.com/remote-host': extra.remote } : {},
    },
    spec: extra.unschedulable ? { unschedulable: true } : {},
    status: { conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: extra.ready === false ? 'False' : 'True' }], nodeInfo: { kubeletVersion: version }, addresses: extra.ip ? [{ type: 'InternalIP', address: extra.ip }] : [] },
  };
}

const LIST = JSON.stringify({ items: [node('n3', 'v1.30.4+k3s1', false, { remote: 'ssh://root@10.0.0.7:22', ip: '10.0.0.7', unschedulable: true }), node('n1', 'v1.30.4+k3s1', true, { ip: '10.0.0.5' }), node('n2', 'v1.29.9+k3s1', true, { ready: false, remote: 'ssh://root@10.0.0.6:22' })] });

describe('parseNodeList', () => {
  it('reads readiness, roles, versions, addresses and the SSH address, sorted by name', () => {
    // GIVEN / WHEN / THEN
    expect(parseNodeList(LIST)).toEqual([
      { name: 'n1', ready: true, roles: ['control-plane', 'etcd', 'master'], isServer: true, version: 'v1.30.4+k3s1', internalIp: '10.0.0.5', unschedulable: false },
      { name: 'n2', ready: false, roles: ['control-plane', 'etcd', 'master'], isServer: true, version: 'v1.29.9+k3s1', remoteHost: 'ssh://root@10.0.0.6:22', unschedulable: false },
      { name: 'n3', ready: true, roles: ['worker'], isServer: false, version: 'v1.30.4+k3s1', internalIp: '10.0.0.7', remoteHost: 'ssh://root@10.0.0.7:22', unschedulable: true },
    ]);
  });

  it('fails if kubectl did not print JSON', () => {
    // GIVEN / WHEN / THEN
    expect(() => parseNodeList('The connection to the server was refused')).toThrow('listing nodes: kubectl did not print JSON: The connection to the server was refused');
    expect(() => parseNode('nope')).toThrow('reading a node: kubectl did not print JSON: nope');
  });
});

describe('lowestServerVersion', () => {
  it('picks the lowest server version, ignoring workers', () => {
    // GIVEN
    const nodes = parseNodeList(JSON.stringify({ items: [node('a', 'v1.30.4+k3s1', true), node('b', 'v1.30.10+k3s1', true), node('w', 'v1.28.0+k3s1', false)] }));
    // WHEN / THEN
    expect(lowestServerVersion(nodes)).toBe('v1.30.4+k3s1');
    expect(lowestServerVersion(parseNodeList(JSON.stringify({ items: [node('w', 'v1.28.0+k3s1', false)] })))).toBeUndefined();
  });
});

describe('formatNodeTable', () => {
  it('aligns columns', () => {
    // GIVEN / WHEN / THEN
    expect(formatNodeTable(parseNodeList(LIST))).toBe(
      [
        'NAME   STATUS                     ROLES                       VERSION        INTERNAL-IP   REMOTE-HOST',
        'n1     Ready                      control-plane,etcd,master   v1.30.4+k3s1   10.0.0.5      <none>',
        'n2     NotReady                   control-plane,etcd,master   v1.29.9+k3s1   <none>        ssh://root@10.0.0.6:22',
        'n3     Ready,SchedulingDisabled   worker                      v1.30.4+k3s1   10.0.0.7      ssh://root@10.0.0.7:22',
        '',
      ].join('\n'),
    );
  });
});
