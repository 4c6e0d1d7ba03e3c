import { describe, expect, it } from 'vitest';
import { parseK3sConfig } from '../../src/bootstrap/k3s-config.js';
import {
  extenderPaths,
  mergedConfigArgs,
  parseK3sVersionOutput,
  renderSchedulerConfiguration,
  renderSchedulerDropIn,
  schedulerConfigApiVersion,
  schedulerConfigFlag,
  schedulerConfiguration,
} from '../../src/bootstrap/scheduler-config.js';

describe('schedulerConfigApiVersion', () => {
  it('chooses v1beta1 up to 1.22, v1beta3 for 1.23-1.28, v1 from 1.29', () => {
    // GIVEN
    const versions = ['v1.19.1+k3s1', 'v1.22.17+k3s1', 'v1.23.0+k3s1', 'v1.25.3+k3s1', 'v1.28.15+k3s1', 'v1.29.0+k3s1', 'v1.31.2+k3s1', '1.33.1', 'v1.40.0-rc1+k3s1'];
    // WHEN / THEN
    expect(versions.map((v) => [v, schedulerConfigApiVersion(v).replace('kubescheduler.config.k8s.io/', '')])).toEqual([
      ['v1.19.1+k3s1', 'v1beta1'],
      ['v1.22.17+k3s1', 'v1beta1'],
      ['v1.23.0+k3s1', 'v1beta3'],
      ['v1.25.3+k3s1', 'v1beta3'],
      ['v1.28.15+k3s1', 'v1beta3'],
      ['v1.29.0+k3s1', 'v1'],
      ['v1.31.2+k3s1', 'v1'],
      ['1.33.1', 'v1'],
      ['v1.40.0-rc1+k3s1', 'v1'],
    ]);
  });

  it('fails for versions without config file support or that cannot be read', () => {
    // GIVEN / WHEN / THEN
    expect(() => schedulerConfigApiVersion('v1.18.20+k3s1')).toThrow('Kubernetes v1.18.20+k3s1 is too old: the scheduler extender needs 1.19 or later (k3s config files need v1.19.1+k3s1)');
    expect(() => schedulerConfigApiVersion('latest')).toThrow('cannot choose a KubeSchedulerConfiguration version for Kubernetes "latest"');
    expect(() => schedulerConfigApiVersion('v2.0.0')).toThrow('cannot choose a KubeSchedulerConfiguration version for Kubernetes "v2.0.0"');
  });

  it('reads the version from k3s --version', () => {
    // GIVEN / WHEN / THEN
    expect(parseK3sVersionOutput('k3s version v1.30.4+k3s1 (98262b5d)\ngo version go1.22.5\n')).toBe('v1.30.4+k3s1');
    expect(() => parseK3sVersionOutput('command not found')).toThrow('cannot read the k3s version from "command not found"');
  });
});

describe('schedulerConfiguration', () => {
  it('writes the proposal extender with defaults, leader election and the k3s scheduler kubeconfig', () => {
    // GIVEN / WHEN
    const config = schedulerConfiguration('kubescheduler.config.k8s.io/v1', { url: 'http://127.0.0.1:8889' });
    // THEN
    expect(config).toEqual({
      apiVersion: 'kubescheduler.config.k8s.io/v1',
      kind: 'KubeSchedulerConfiguration',
      clientConnection: { kubeconfig: '/var/lib/rancher/k3s/server/cred/scheduler.kubeconfig' },
      leaderElection: { leaderElect: true },
      extenders: [{ urlPrefix: 'http://127.0.0.1:8889', filterVerb: 'filter', prioritizeVerb: 'prioritize', weight: 1, enableHTTPS: false, nodeCacheCapable: false, ignorable: false, httpTimeout: '15s' }],
    });
  });

  it('applies every option, HTTPS from the URL, and drops empty verbs', () => {
    // GIVEN / WHEN
    const withAll = schedulerConfiguration('kubescheduler.config.k8s.io/v1beta3', { url: 'https://ext:8443/api', filterVerb: 'f', prioritizeVerb: 'p', weight: 5, ignorable: true, httpTimeout: '500ms', nodeCacheCapable: true });
    const filterOnly = schedulerConfiguration('kubescheduler.config.k8s.io/v1', { url: 'http://x', prioritizeVerb: '' });
    // THEN
    expect(withAll.extenders).toEqual([{ urlPrefix: 'https://ext:8443/api', filterVerb: 'f', prioritizeVerb: 'p', weight: 5, enableHTTPS: true, nodeCacheCapable: true, ignorable: true, httpTimeout: '500ms' }]);
    expect(filterOnly.extenders).toEqual([{ urlPrefix: 'http://x', filterVerb: 'filter', enableHTTPS: false, nodeCacheCapable: false, ignorable: false, httpTimeout: '15s' }]);
  });

  it('renders the files', () => {
    // GIVEN
    const paths = extenderPaths('90-csi');
    // WHEN / THEN
    expect(paths).toEqual({ dropIn: '/etc/rancher/k3s/config.yaml.d/90-csi.yaml', config: '/etc/rancher/k3s/scheduler/90-csi.yaml', unitEditRecord: '/etc/rancher/k3s/scheduler/90-csi.unit-edit.json' });
    expect(schedulerConfigFlag(paths.config)).toBe('--kube-scheduler-arg=config=/etc/rancher/k3s/scheduler/90-csi.yaml');
    expect(renderSchedulerDropIn('90-csi', paths.config)).toBe(`# Written by 'dokku-gitops cluster scheduler-extender enable' (90-csi); 'disable' removes it.
# The '+' appends to kube-scheduler-arg from earlier files instead of replacing it.
kube-scheduler-arg+:
  - config=/etc/rancher/k3s/scheduler/90-csi.yaml
`);
    expect(renderSchedulerConfiguration('90-csi', 'kubescheduler.config.k8s.io/v1beta1', { url: 'http://127.0.0.1:8889', ignorable: true })).toMatchSnapshot();
  });
});

describe('mergedConfigArgs', () => {
  const parse = (text: string, where: string) => parseK3sConfig(text, where);

  it('reads config.yaml then drop-ins in order, appending with + and replacing without', () => {
    // GIVEN
    const files = [
      { path: '/etc/rancher/k3s/config.yaml.d/50-b.yaml', content: 'kube-scheduler-arg+: [b=2]\n' },
      { path: '/etc/rancher/k3s/config.yaml', content: 'kube-scheduler-arg: [a=1]\n' },
      { path: '/etc/rancher/k3s/config.yaml.d/10-a.yaml', content: 'kube-scheduler-arg+: a2=1\n' },
      { path: '/etc/rancher/k3s/config.yaml.d/90-c.yaml', content: 'other: x\n' },
    ];
    // WHEN / THEN
    expect(mergedConfigArgs(files, 'kube-scheduler-arg', parse)).toEqual([
      { value: 'a=1', source: '/etc/rancher/k3s/config.yaml' },
      { value: 'a2=1', source: '/etc/rancher/k3s/config.yaml.d/10-a.yaml' },
      { value: 'b=2', source: '/etc/rancher/k3s/config.yaml.d/50-b.yaml' },
    ]);
  });

  it('lets a later file without + drop what came before', () => {
    // GIVEN
    const files = [
      { path: '/etc/rancher/k3s/config.yaml.d/90-scheduler-extender.yaml', content: 'kube-scheduler-arg+: [config=/x.yaml]\n' },
      { path: '/etc/rancher/k3s/config.yaml.d/95-other.yaml', content: 'kube-scheduler-arg: [v=2]\n' },
    ];
    // WHEN / THEN
    expect(mergedConfigArgs(files, 'kube-scheduler-arg', parse)).toEqual([{ value: 'v=2', source: '/etc/rancher/k3s/config.yaml.d/95-other.yaml' }]);
  });
});
