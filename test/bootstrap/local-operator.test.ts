/**
 * The local operator, and the cluster commands on this machine (as `cluster init` runs them) with
 * the stand-ins under a root directory: nothing touches this machine's /etc.
 */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { enableSchedulerExtender, disableSchedulerExtender, fetchKubeconfig, initCluster, LocalOperator, uninstallNode } from '../../src/bootstrap/index.js';
import { AIRGAP_BUNDLE, jsonLines, STANDIN_BIN, STANDIN_LIB } from './_lab.js';

const dir = mkdtempSync(join(tmpdir(), 'dokku-gitops-local-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FAST = { timeoutMs: 20_000, intervalMs: 100 };

describe('LocalOperator', () => {
  it('returns output and exit status, and feeds standard input', async () => {
    // GIVEN
    const op = new LocalOperator({ sudo: false });
    // WHEN
    const results = await Promise.all([op.execute({ argv: ['sh', '-c', 'echo out; echo err >&2; exit 4'] }), op.execute({ argv: ['cat'], stdin: 'piped' }), op.execute({ argv: ['sh', '-c', 'kill -TERM $$'] })]);
    // THEN
    expect(results).toEqual([
      { stdout: 'out\n', stderr: 'err\n', exitCode: 4 },
      { stdout: 'piped', stderr: '', exitCode: 0 },
      { stdout: '', stderr: expect.stringContaining('Terminated'), exitCode: 143 },
    ]);
  });

  it('streams a local file to standard input and adds its environment', async () => {
    // GIVEN
    const source = join(dir, 'big');
    writeFileSync(source, Buffer.alloc(3 * 1024 * 1024, 7));
    const op = new LocalOperator({ root: join(dir, 'root'), sudo: false, env: { DOKKU_GITOPS_TEST: 'yes' } });
    // WHEN
    await op.upload({ path: '/usr/local/bin/k3s', mode: 0o755, localPath: source });
    const env = await op.execute({ argv: ['printenv', 'DOKKU_GITOPS_TEST'] });
    // THEN
    expect(readFileSync(join(dir, 'root/usr/local/bin/k3s')).equals(readFileSync(source))).toBe(true);
    expect((statSync(join(dir, 'root/usr/local/bin/k3s')).mode & 0o777).toString(8)).toBe('755');
    expect(env.stdout).toBe('yes\n');
  });

  it('fails an upload that cannot be written, with the reason', async () => {
    // GIVEN a file where a directory is needed
    writeFileSync(join(dir, 'blocker'), '');
    const op = new LocalOperator({ root: join(dir, 'blocker'), sudo: false });
    // WHEN / THEN
    await expect(op.upload({ path: '/etc/x', mode: 0o600, content: 'x' })).rejects.toThrow(/^local: writing \/etc\/x failed \(exit 1\): mkdir: /);
  });

  it('defaults to sudo unless running as root', () => {
    // GIVEN / WHEN / THEN
    expect(new LocalOperator().sudo).toBe(process.getuid!() !== 0);
    expect(new LocalOperator().root).toBe('/');
  });
});

describe('cluster commands on this machine, under a root directory', () => {
  const root = join(dir, 'server');
  const cluster = join(dir, 'cluster');
  mkdirSync(root, { recursive: true });
  const op = new LocalOperator({
    root,
    sudo: false,
    env: {
      PATH: `${STANDIN_BIN}:${process.env.PATH}`,
      DOKKU_GITOPS_STANDIN_ROOT: root,
      DOKKU_GITOPS_STANDIN_CLUSTER: cluster,
      DOKKU_GITOPS_STANDIN_LIB: STANDIN_LIB,
      DOKKU_GITOPS_STANDIN_K3S_VERSION: 'v1.22.17+k3s1',
      DOKKU_GITOPS_STANDIN_NODE_IP: '192.0.2.10',
    },
  });

  it('init installs from the air-gap bundle with the stand-in installer', async () => {
    // GIVEN / WHEN
    const result = await initCluster(op, { serverIp: '192.0.2.10', airgapBundle: AIRGAP_BUNDLE, kubeletArgs: ['max-pods=$(reboot)'], poll: FAST, randomHex: (n) => '0'.repeat(2 * n) });
    // THEN
    expect(result).toEqual({ nodeName: 'ip-192-0-2-10-0000000000', changed: true });
    expect(jsonLines<{ env: Record<string, string> }>(join(root, 'var/log/standin/install.jsonl')).map((i) => i.env)).toEqual([{ INSTALL_K3S_EXEC: 'server', INSTALL_K3S_SKIP_DOWNLOAD: 'true' }]);
    expect(parse(readFileSync(join(root, 'etc/rancher/k3s/config.yaml'), 'utf8'))['kubelet-arg']).toEqual(['max-pods=$(reboot)']);
    expect(existsSync('/etc/rancher/k3s/dokku-gitops.token')).toBe(false);
  });

  it('kubeconfig uses the server address', async () => {
    // GIVEN / WHEN
    const config = parse(await fetchKubeconfig(op));
    // THEN
    expect(config.clusters[0].cluster.server).toBe('https://192.0.2.10:6443');
  });

  it('the extender gets a v1beta1 config on Kubernetes 1.22 and goes away again', async () => {
    // GIVEN / WHEN
    const enabled = await enableSchedulerExtender([{ name: 'local', operator: op }], { url: 'http://127.0.0.1:8889', poll: FAST });
    const config = parse(readFileSync(join(root, 'etc/rancher/k3s/scheduler/90-scheduler-extender.yaml'), 'utf8'));
    const disabled = await disableSchedulerExtender([{ name: 'local', operator: op }], { poll: FAST });
    // THEN
    expect(enabled).toEqual([{ node: 'local', changed: true, apiVersion: 'kubescheduler.config.k8s.io/v1beta1' }]);
    expect(config.apiVersion).toBe('kubescheduler.config.k8s.io/v1beta1');
    expect(disabled).toEqual([{ node: 'local', changed: true }]);
    expect(existsSync(join(root, 'etc/rancher/k3s/config.yaml.d/90-scheduler-extender.yaml'))).toBe(false);
  });

  it('restarts k3s when the extender files are in place but the scheduler runs without them (an earlier restart failed)', async () => {
    // GIVEN an enabled extender, then a scheduler start without the config (as after a failed restart)
    await enableSchedulerExtender([{ name: 'local', operator: op }], { url: 'http://127.0.0.1:8889', poll: FAST });
    appendFileSync(join(root, 'var/log/standin/journal.jsonl'), `${JSON.stringify({ unit: 'k3s', time: Date.now() / 1000, message: 'Running kube-scheduler --bind-address=127.0.0.1' })}\n`);
    // WHEN enable runs again with the same options
    const again = await enableSchedulerExtender([{ name: 'local', operator: op }], { url: 'http://127.0.0.1:8889', poll: FAST });
    const third = await enableSchedulerExtender([{ name: 'local', operator: op }], { url: 'http://127.0.0.1:8889', poll: FAST });
    // THEN the second run restarted k3s (and the scheduler came back with the config); the third changed nothing
    expect(again).toEqual([{ node: 'local', changed: true, apiVersion: 'kubescheduler.config.k8s.io/v1beta1' }]);
    expect(third).toEqual([{ node: 'local', changed: false, apiVersion: 'kubescheduler.config.k8s.io/v1beta1' }]);
    await disableSchedulerExtender([{ name: 'local', operator: op }], { poll: FAST });
  });

  it('uninstall removes it', async () => {
    // GIVEN / WHEN / THEN
    expect(await uninstallNode(op)).toBe(true);
    expect(existsSync(join(root, 'etc/rancher/k3s'))).toBe(false);
  });
});
