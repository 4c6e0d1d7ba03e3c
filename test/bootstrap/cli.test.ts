/**
 * `dokku-gitops cluster` as the CLI parses it: help and examples, option checks before anything
 * connects, `platform --out`, and the local commands against the stand-ins under `--root`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Command, CommanderError } from 'commander';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { clusterCommand } from '../../cli/commands/cluster.js';
import { InputError } from '../../src/errors.js';
import { AIRGAP_BUNDLE, type Lab, STANDIN_BIN, STANDIN_LIB, startLab } from './_lab.js';

const dir = mkdtempSync(join(tmpdir(), 'dokku-gitops-cluster-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
});
afterEach(() => vi.restoreAllMocks());

async function cluster(...args: string[]): Promise<void> {
  await clusterCommand().parseAsync(args, { from: 'user' });
}

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

describe('cluster --help', () => {
  it('lists the subcommands', () => {
    // GIVEN / WHEN
    const names = clusterCommand().commands.map((c) => c.name());
    // THEN
    expect(names).toEqual(['init', 'add', 'list', 'remove', 'kubeconfig', 'uninstall', 'platform', 'agent', 'scheduler-extender']);
  });

  it('gives every command a description and examples, and hides the test-only root options', async () => {
    // GIVEN
    const commands = allCommands(clusterCommand());
    // WHEN
    const helps = commands.map((c) => {
      let text = '';
      c.configureOutput({ writeOut: (s) => (text += s) });
      c.outputHelp();
      return { name: c.name(), description: c.description(), text };
    });
    // THEN
    expect(helps.map((h) => h.name)).toEqual(['cluster', 'init', 'add', 'list', 'remove', 'kubeconfig', 'uninstall', 'platform', 'agent', 'scheduler-extender', 'enable', 'disable']);
    for (const help of helps) {
      expect(help.description).not.toBe('');
      expect(help.text).toContain('Examples:\n  $ dokku-gitops cluster');
      expect(help.text).not.toContain('--root');
      expect(help.text).not.toContain('--remote-root');
    }
  });

  it('exits through the CLI with a usage error for a bad choice', async () => {
    // GIVEN / WHEN
    const error = await cluster('add', 'ssh://root@10.0.0.5', '--role', 'boss').catch((e: unknown) => e);
    // THEN
    expect(error).toBeInstanceOf(CommanderError);
    expect(err).toContain("error: option '--role <role>' argument 'boss' is invalid. Allowed choices are server, worker.");
  });
});

describe('option checks before connecting', () => {
  it('fails on an SSH address with shell metacharacters', async () => {
    // GIVEN / WHEN / THEN
    await expect(cluster('add', 'ssh://root@10.0.0.5;touch${IFS}x')).rejects.toThrow('<ssh-url>: "10.0.0.5;touch${IFS}x" is not a host name or IP address');
    await expect(cluster('add', 'ssh://root@10.0.0.5;touch /tmp/x')).rejects.toThrow('<ssh-url>: "ssh://root@10.0.0.5;touch /tmp/x" is not an address of the form ssh://user@host[:port]');
  });

  it('fails on --taint-scheduling for a worker and invalid kubelet args, together', async () => {
    // GIVEN / WHEN
    const error = (await cluster('add', 'ssh://root@10.0.0.5', '--taint-scheduling', '--kubelet-args', 'max-pods=10,bad', '--ssh-key', '/nonexistent').catch((e: unknown) => e)) as InputError;
    // THEN
    expect(error).toBeInstanceOf(InputError);
    expect(error.problems).toEqual(["'--taint-scheduling' is allowed only with '--role server', got '--role worker'", `'--kubelet-args': "bad" is not key=value, for example max-pods=110`]);
  });

  it('fails on an invalid extender option before touching any server', async () => {
    // GIVEN / WHEN / THEN
    await expect(cluster('scheduler-extender', 'enable', '--url', 'ftp://x', '--root', join(dir, 'nothing'))).rejects.toThrow(`'--url': "ftp://x" is not an http:// or https:// URL without credentials, query or fragment`);
    await expect(cluster('scheduler-extender', 'enable', '--url', 'http://x', '--weight', '0')).rejects.toThrow(CommanderError);
    expect(err).toContain("error: option '--weight <n>' argument '0' is invalid. expected a whole number of 1 or more");
  });
});

describe('cluster platform', () => {
  it('writes the platform files and reports them; again it is up to date', async () => {
    // GIVEN
    const repo = join(dir, 'repo');
    // WHEN
    await cluster('platform', '--out', repo, '--ingress-class', 'traefik');
    const first = out;
    out = '';
    await cluster('platform', '--out', repo, '--ingress-class', 'traefik');
    // THEN
    expect(first).toBe(
      [
        'wrote platform/charts/helmchart-cert-manager.yaml',
        'wrote platform/charts/helmchart-keda-add-ons-http.yaml',
        'wrote platform/charts/helmchart-keda.yaml',
        'wrote platform/charts/helmchartconfig-traefik.yaml',
        'wrote platform/charts/kustomization.yaml',
        'wrote platform/kustomization.yaml',
        '',
      ].join('\n'),
    );
    expect(out).toBe('platform files are up to date\n');
    expect(readFileSync(join(repo, 'platform/charts/helmchartconfig-traefik.yaml'), 'utf8').split('\n')[0]).toBe('# Generated by dokku-gitops from Dokku state. DO NOT EDIT.');
  });
});

describe('the cluster commands with --root, against the stand-ins and a real sshd node', () => {
  const root = join(dir, 'root');
  const saved = { ...process.env };
  let lab: Lab;
  let ssh: string[];
  beforeAll(async () => {
    lab = await startLab({ nodes: 1, subnet: 8 });
    ssh = ['--remote-root', lab.nodes[0]!.root, '--known-hosts', lab.knownHosts, '--ssh-key', lab.clientKey];
  });
  afterAll(async () => lab?.stop());
  beforeEach(() => {
    Object.assign(process.env, {
      PATH: `${STANDIN_BIN}:${saved.PATH}`,
      DOKKU_GITOPS_STANDIN_ROOT: root,
      DOKKU_GITOPS_STANDIN_CLUSTER: lab.clusterDir,
      DOKKU_GITOPS_STANDIN_LIB: STANDIN_LIB,
      DOKKU_GITOPS_STANDIN_NODE_IP: '198.51.100.7',
      SSH_AUTH_SOCK: '',
    });
  });
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  it('init, add, list, kubeconfig, scheduler-extender, remove, uninstall', async () => {
    // GIVEN
    const node = lab.nodes[0]!;
    const url = `ssh://root@${node.address}:${node.port}`;
    // WHEN
    await cluster('init', '--root', root, '--server-ip', '198.51.100.7', '--airgap-bundle', AIRGAP_BUNDLE, '--kubelet-args', 'max-pods=50,image-gc-high-threshold=80', '--kubelet-arg', 'eviction-hard=memory.available<100Mi,nodefs.available<10%', '--label', 'tier=edge', '--tls-san', 'k3s.example.com', '--ingress-class', 'traefik');
    const initOut = out;
    const config = parse(readFileSync(join(root, 'etc/rancher/k3s/config.yaml'), 'utf8'));
    out = '';
    await cluster('add', url, '--role', 'server', '--root', root, ...ssh, '--airgap-bundle', AIRGAP_BUNDLE);
    const addOut = out;
    out = '';
    await cluster('list', '--root', root, '--format', 'json');
    const listed = JSON.parse(out) as { name: string; roles: string[]; remoteHost?: string }[];
    await cluster('kubeconfig', '--root', root, '--output', join(dir, 'kube', 'config'));
    out = '';
    await cluster('scheduler-extender', 'enable', '--root', root, ...ssh, '--url', 'http://127.0.0.1:8889', '--ignorable', '--timeout', '20');
    const enableOut = out;
    const dropIn = readFileSync(join(node.root, 'etc/rancher/k3s/config.yaml.d/90-scheduler-extender.yaml'), 'utf8');
    out = '';
    await cluster('scheduler-extender', 'disable', '--root', root, ...ssh, '--timeout', '20');
    const disableOut = out;
    const joined = listed.find((n) => n.remoteHost !== undefined)!;
    out = '';
    await cluster('remove', joined.name, '--root', root, ...ssh);
    const removeOut = out;
    out = '';
    await cluster('uninstall', '--root', root);
    // THEN
    expect(initOut).toMatch(/^ip-198-51-100-7-[0-9a-f]{10} installed\n$/);
    expect([config['kubelet-arg'], config['node-label'], config['tls-san'], config.disable]).toEqual([
      ['max-pods=50', 'image-gc-high-threshold=80', 'eviction-hard=memory.available<100Mi,nodefs.available<10%'],
      ['svccontroller.k3s.cattle.io/enablelb=true', 'tier=edge'],
      ['198.51.100.7', 'k3s.example.com'],
      undefined,
    ]);
    expect(addOut).toBe(`${joined.name} joined (server, v1.30.4+k3s1)\n`);
    expect(listed.map((n) => `${n.roles.join(',')} ${n.remoteHost ?? 'local'}`).sort()).toEqual(['control-plane,etcd,master local', `control-plane,etcd,master ${url}`]);
    expect(parse(readFileSync(join(dir, 'kube', 'config'), 'utf8')).clusters[0]).toEqual({ name: 'k3s', cluster: expect.objectContaining({ server: 'https://198.51.100.7:6443' }) });
    expect((statSync(join(dir, 'kube', 'config')).mode & 0o777).toString(8)).toBe('600');
    expect(enableOut.split('\n').sort()).toEqual(['', `${joined.name}: enabled (kubescheduler.config.k8s.io/v1)`, `${listed.find((n) => n.remoteHost === undefined)!.name}: enabled (kubescheduler.config.k8s.io/v1)`].sort());
    expect(dropIn).toContain('config=/etc/rancher/k3s/scheduler/90-scheduler-extender.yaml');
    expect(disableOut).toContain(`${joined.name}: disabled\n`);
    expect(removeOut).toBe(`${joined.name} removed\n`);
    expect(out).toBe('k3s uninstalled\n');
    expect(existsSync(join(root, 'etc/rancher/k3s'))).toBe(false);
    expect(existsSync(join(node.root, 'etc/rancher/k3s'))).toBe(false);
    expect(err).toContain('► installing k3s server on local\n✔ installing k3s server on local\n');
  });
});
