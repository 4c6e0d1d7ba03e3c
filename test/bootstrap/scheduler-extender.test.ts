/**
 * The scheduler extender against fake servers: the exact sequence of reads, writes and restarts,
 * and every refusal that keeps the extender from being silently ignored by k3s.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SchedulerExtenderMethod } from '../../src/bootstrap/choices.js';
import { RecordingStepLogger } from '../../src/bootstrap/logger.js';
import { parseNodeList } from '../../src/bootstrap/nodes.js';
import { checkEnableOptions, disableSchedulerExtender, enableSchedulerExtender, serverRoutes } from '../../src/bootstrap/scheduler-extender.js';
import { InputError } from '../../src/errors.js';
import { FakeNode, nodeJson } from './_fake-node.js';

const FAST = { timeoutMs: 200, intervalMs: 10 };
const UNIT = '/etc/systemd/system/k3s.service';
const CONFIG = '/etc/rancher/k3s/scheduler/90-scheduler-extender.yaml';
const DROP_IN = '/etc/rancher/k3s/config.yaml.d/90-scheduler-extender.yaml';
const RECORD = '/etc/rancher/k3s/scheduler/90-scheduler-extender.unit-edit.json';
const FLAG = `--kube-scheduler-arg=config=${CONFIG}`;
const INSTALLED_UNIT = `[Service]\nType=notify\nExecStart=/usr/local/bin/k3s \\\n    server \\\n\n`;

/** A k3s server whose scheduler starts with --config when the drop-in exists or the unit carries the flag. */
function k3sServer(name: string, files: Record<string, string> = {}, version = 'v1.30.4+k3s1'): FakeNode {
  const node = new FakeNode({ target: `ssh://root@${name}:22`, files: { [UNIT]: INSTALLED_UNIT, '/etc/rancher/k3s/config.yaml': 'cluster-init: true\n', ...files } });
  return node
    .when('k3s --version', { stdout: `k3s version ${version} (abc)\ngo version go1.22\n` })
    .when('date +%s', { stdout: '1700000000\n' })
    .when('systemctl is-active k3s', { stdout: 'active\n' })
    .when('curl -fsSk', { stdout: 'ok' })
    .on((command) => {
      if (command.argv[0] !== 'journalctl') return undefined;
      const withConfig = node.files.has(DROP_IN) || (node.files.get(UNIT) ?? '').includes(FLAG);
      return { stdout: `Starting k3s\nRunning kube-scheduler --bind-address=127.0.0.1${withConfig ? ` --config=${CONFIG}` : ''} --secure-port=10259\n`, stderr: '', exitCode: 0 };
    });
}

describe('checkEnableOptions', () => {
  it('accepts the defaults', () => {
    // GIVEN / WHEN / THEN
    expect(checkEnableOptions({ url: 'http://127.0.0.1:8889' })).toEqual([]);
  });

  it('names every invalid flag', () => {
    // GIVEN / WHEN / THEN
    expect(checkEnableOptions({ url: 'http://x/?a=1', name: 'Bad Name', filterVerb: 'a b', prioritizeVerb: 'p;q', weight: 0, httpTimeout: '15' })).toEqual([
      `'--url': "http://x/?a=1" is not an http:// or https:// URL without credentials, query or fragment`,
      `'--name': "Bad Name" is not a valid name (lowercase letters, digits and '-', 63 characters at most)`,
      `'--filter-verb': "a b" is not a valid verb (letters, digits, '_', '-' and '/')`,
      `'--prioritize-verb': "p;q" is not a valid verb (letters, digits, '_', '-' and '/')`,
      `'--weight': "0" is not a whole number of 1 or more`,
      `'--http-timeout': "15" is not a duration such as 15s, 500ms or 1m`,
    ]);
    expect(checkEnableOptions({ url: 'http://x', filterVerb: '', prioritizeVerb: '' })).toEqual(["'--filter-verb' and '--prioritize-verb' are both empty; the extender would never be called"]);
  });
});

describe('enableSchedulerExtender with a config drop-in', () => {
  it('writes the config and drop-in, restarts k3s and checks the scheduler, server after server', async () => {
    // GIVEN
    const s1 = k3sServer('s1', {}, 'v1.28.9+k3s1');
    const s2 = k3sServer('s2');
    const logger = new RecordingStepLogger();
    // WHEN
    const outcomes = await enableSchedulerExtender([{ name: 's1', operator: s1 }, { name: 's2', operator: s2 }], { url: 'http://127.0.0.1:8889', weight: 3, poll: FAST, logger });
    // THEN
    expect(outcomes).toEqual([
      { node: 's1', changed: true, apiVersion: 'kubescheduler.config.k8s.io/v1beta3' },
      { node: 's2', changed: true, apiVersion: 'kubescheduler.config.k8s.io/v1' },
    ]);
    expect(s1.trace).toEqual([
      '/usr/local/bin/k3s --version',
      `read ${UNIT}`,
      `list conf ${UNIT}.d`,
      `read ${RECORD}`,
      'list yaml /etc/rancher/k3s/config.yaml /etc/rancher/k3s/config.yaml.d',
      `read ${CONFIG}`,
      `upload ${CONFIG} 0600`,
      `upload ${DROP_IN} 0600`,
      'date +%s',
      'systemctl restart k3s',
      'systemctl is-active k3s',
      'curl -fsSk --max-time 5 https://127.0.0.1:10259/healthz',
      'journalctl -u k3s --since @1700000000 --no-pager -o cat',
    ]);
    expect(parse(s1.files.get(DROP_IN)!)).toEqual({ 'kube-scheduler-arg+': [`config=${CONFIG}`] });
    expect(parse(s1.files.get(CONFIG)!).apiVersion).toBe('kubescheduler.config.k8s.io/v1beta3');
    expect(parse(s2.files.get(CONFIG)!).extenders[0].weight).toBe(3);
    expect(logger.lines[0]).toBe('action: enabling scheduler extender 90-scheduler-extender on s1 (ssh://root@s1:22) with --method config-file');
  });

  it('stops at the first server whose scheduler does not come back with the config', async () => {
    // GIVEN s1 restarts, but its scheduler still runs without --config
    const s1 = k3sServer('s1').when('journalctl', { stdout: 'Running kube-scheduler --bind-address=127.0.0.1\n' });
    const s2 = k3sServer('s2');
    // WHEN / THEN
    await expect(enableSchedulerExtender([{ name: 's1', operator: s1 }, { name: 's2', operator: s2 }], { url: 'http://127.0.0.1:8889', poll: FAST })).rejects.toThrow(
      `ssh://root@s1:22: k3s restarted, but its scheduler runs without --config=${CONFIG}: Running kube-scheduler --bind-address=127.0.0.1`,
    );
    expect(s2.commands).toEqual([]);
  });

  it('times out naming what it waited for', async () => {
    // GIVEN
    const s1 = k3sServer('s1').when('systemctl is-active k3s', { stdout: 'failed\n', exitCode: 3 });
    // WHEN / THEN
    await expect(enableSchedulerExtender([{ name: 's1', operator: s1 }], { url: 'http://127.0.0.1:8889', poll: FAST })).rejects.toThrow('ssh://root@s1:22: timed out after 0s waiting for the scheduler to come back: k3s is failed');
  });

  it('fails if ExecStart passes --kube-scheduler-arg, pointing at --method unit-file', async () => {
    // GIVEN
    const s1 = k3sServer('s1', { [UNIT]: "[Service]\nExecStart=/usr/local/bin/k3s \\\n    server \\\n\t'--kube-scheduler-arg' \\\n\t'v=2' \\\n\n" });
    // WHEN / THEN
    await expect(enableSchedulerExtender([{ name: 's1', operator: s1 }], { url: 'http://127.0.0.1:8889', poll: FAST })).rejects.toThrow(
      "ssh://root@s1:22: k3s is started with --kube-scheduler-arg on the ExecStart line of /etc/systemd/system/k3s.service, and a command-line list replaces the config file's kube-scheduler-arg, so a drop-in would be ignored; rerun with '--method unit-file'",
    );
    expect(s1.uploads).toEqual([]);
  });

  it('fails if a systemd drop-in replaces ExecStart', async () => {
    // GIVEN
    const s1 = k3sServer('s1', { [`${UNIT}.d/override.conf`]: '[Service]\nExecStart=\nExecStart=/usr/local/bin/k3s server\n' });
    // WHEN / THEN
    await expect(enableSchedulerExtender([{ name: 's1', operator: s1 }], { url: 'http://127.0.0.1:8889', poll: FAST })).rejects.toThrow(`k3s is started with a drop-in (${UNIT}.d/override.conf) that replaces ExecStart`);
  });

  it('fails if a later config file replaces kube-scheduler-arg without +', async () => {
    // GIVEN
    const s1 = k3sServer('s1', { '/etc/rancher/k3s/config.yaml.d/99-site.yaml': 'kube-scheduler-arg: [v=2]\n' });
    // WHEN / THEN
    await expect(enableSchedulerExtender([{ name: 's1', operator: s1 }], { url: 'http://127.0.0.1:8889', poll: FAST })).rejects.toThrow(
      "ssh://root@s1:22: /etc/rancher/k3s/config.yaml.d/99-site.yaml sets kube-scheduler-arg without '+' after /etc/rancher/k3s/config.yaml.d/90-scheduler-extender.yaml, which would drop the extender; change it to 'kube-scheduler-arg+:' or choose a '--name' that sorts later",
    );
  });

  it('fails if the scheduler already gets another config file', async () => {
    // GIVEN
    const s1 = k3sServer('s1', { '/etc/rancher/k3s/config.yaml': 'kube-scheduler-arg: [config=/etc/other.yaml]\n' });
    // WHEN / THEN
    await expect(enableSchedulerExtender([{ name: 's1', operator: s1 }], { url: 'http://127.0.0.1:8889', poll: FAST })).rejects.toThrow(
      'ssh://root@s1:22: kube-scheduler already gets config=/etc/other.yaml from /etc/rancher/k3s/config.yaml; the scheduler takes one config file, so merge the extender into it instead',
    );
  });

  it('fails if enabled with the other method', async () => {
    // GIVEN
    const s1 = k3sServer('s1', { [RECORD]: '{}' });
    const s2 = k3sServer('s2', { [DROP_IN]: 'kube-scheduler-arg+: [x]\n' });
    // WHEN / THEN
    await expect(enableSchedulerExtender([{ name: 's1', operator: s1 }], { url: 'http://127.0.0.1:8889', poll: FAST })).rejects.toThrow(
      `ssh://root@s1:22: scheduler extender "90-scheduler-extender" is enabled with '--method unit-file'; run 'scheduler-extender disable --name 90-scheduler-extender' first`,
    );
    await expect(enableSchedulerExtender([{ name: 's2', operator: s2 }], { url: 'http://127.0.0.1:8889', method: SchedulerExtenderMethod.unitFile(), poll: FAST })).rejects.toThrow(
      `ssh://root@s2:22: scheduler extender "90-scheduler-extender" is enabled with '--method config-file'; run 'scheduler-extender disable --name 90-scheduler-extender' first`,
    );
  });

  it('fails if k3s is not installed as a service, or options are invalid', async () => {
    // GIVEN
    const bare = new FakeNode({ target: 'local' }).when('k3s --version', { stdout: 'k3s version v1.30.4+k3s1 (x)\n' });
    // WHEN / THEN
    await expect(enableSchedulerExtender([{ name: 'x', operator: bare }], { url: 'http://127.0.0.1:8889', poll: FAST })).rejects.toThrow('local: /etc/systemd/system/k3s.service does not exist; is this a k3s server installed with install.sh?');
    await expect(enableSchedulerExtender([{ name: 'x', operator: bare }], { url: 'nope' })).rejects.toThrow(InputError);
  });
});

describe('enableSchedulerExtender with the unit file', () => {
  it('appends the flag, records it, reloads systemd and restarts', async () => {
    // GIVEN
    const s1 = k3sServer('s1');
    // WHEN
    await enableSchedulerExtender([{ name: 's1', operator: s1 }], { url: 'http://127.0.0.1:8889', method: SchedulerExtenderMethod.unitFile(), poll: FAST });
    // THEN
    expect(s1.files.get(UNIT)).toBe(`[Service]\nType=notify\nExecStart=/usr/local/bin/k3s \\\n    server \\\n\t'${FLAG}' \\\n\n`);
    expect(JSON.parse(s1.files.get(RECORD)!)).toEqual({ unit: UNIT, arg: FLAG, addedContinuation: false });
    expect(s1.trace.slice(6)).toEqual([`upload ${CONFIG} 0600`, `upload ${UNIT} 0644`, `upload ${RECORD} 0600`, 'systemctl daemon-reload', 'date +%s', 'systemctl restart k3s', 'systemctl is-active k3s', 'curl -fsSk --max-time 5 https://127.0.0.1:10259/healthz', 'journalctl -u k3s --since @1700000000 --no-pager -o cat']);
  });

  it('warns that config-file scheduler args stop applying once ExecStart has one', async () => {
    // GIVEN
    const s1 = k3sServer('s1', { '/etc/rancher/k3s/config.yaml': 'kube-scheduler-arg: [v=2]\n' });
    const logger = new RecordingStepLogger();
    // WHEN
    await enableSchedulerExtender([{ name: 's1', operator: s1 }], { url: 'http://127.0.0.1:8889', method: SchedulerExtenderMethod.unitFile(), poll: FAST, logger });
    // THEN
    expect(logger.lines).toContain('warning: ssh://root@s1:22: with a --kube-scheduler-arg on ExecStart, k3s ignores kube-scheduler-arg from /etc/rancher/k3s/config.yaml (v=2)');
  });

  it('fails if ExecStart already passes another scheduler config', async () => {
    // GIVEN
    const s1 = k3sServer('s1', { [UNIT]: "[Service]\nExecStart=/usr/local/bin/k3s server '--kube-scheduler-arg=config=/etc/other.yaml'\n" });
    // WHEN / THEN
    await expect(enableSchedulerExtender([{ name: 's1', operator: s1 }], { url: 'http://127.0.0.1:8889', method: SchedulerExtenderMethod.unitFile(), poll: FAST })).rejects.toThrow(
      'ssh://root@s1:22: ExecStart of /etc/systemd/system/k3s.service already passes --kube-scheduler-arg=config=/etc/other.yaml; the scheduler takes one config file, so merge the extender into it instead',
    );
  });

  it('records a flag that was already there by hand, so disable leaves it', async () => {
    // GIVEN
    const unit = `[Service]\nExecStart=/usr/local/bin/k3s server '${FLAG}'\n`;
    const s1 = k3sServer('s1', { [UNIT]: unit });
    // WHEN
    const enabled = await enableSchedulerExtender([{ name: 's1', operator: s1 }], { url: 'http://127.0.0.1:8889', method: SchedulerExtenderMethod.unitFile(), poll: FAST });
    await disableSchedulerExtender([{ name: 's1', operator: s1 }], { poll: FAST });
    // THEN
    expect(enabled[0]!.changed).toBe(true);
    expect(s1.files.get(UNIT)).toBe(unit);
    expect(s1.files.has(RECORD)).toBe(false);
  });
});

describe('disableSchedulerExtender', () => {
  it('does nothing where nothing is enabled', async () => {
    // GIVEN
    const s1 = k3sServer('s1');
    // WHEN
    const outcomes = await disableSchedulerExtender([{ name: 's1', operator: s1 }], { poll: FAST });
    // THEN
    expect(outcomes).toEqual([{ node: 's1', changed: false }]);
    expect(s1.commands.some((c) => c.includes('restart'))).toBe(false);
  });

  it('fails if the record is not JSON, or the name is invalid', async () => {
    // GIVEN
    const s1 = k3sServer('s1', { [RECORD]: 'garbage' });
    // WHEN / THEN
    await expect(disableSchedulerExtender([{ name: 's1', operator: s1 }], { poll: FAST })).rejects.toThrow(`ssh://root@s1:22: ${RECORD} is not valid JSON; fix or delete it by hand`);
    await expect(disableSchedulerExtender([{ name: 's1', operator: s1 }], { name: '../x' })).rejects.toThrow(`'--name': "../x" is not a valid name (lowercase letters, digits and '-', 63 characters at most)`);
  });
});

describe('serverRoutes', () => {
  it('reaches this machine locally and other servers over their annotation', () => {
    // GIVEN
    const nodes = parseNodeList(JSON.stringify({ items: [nodeJson('n1', { server: true }), nodeJson('n2', { server: true, remote: 'ssh://root@10.0.0.6:22' }), nodeJson('w1', { remote: 'ssh://root@10.0.0.7:22' })] }));
    // WHEN / THEN
    expect(serverRoutes(nodes, 'n1')).toEqual([
      { name: 'n1', local: true },
      { name: 'n2', local: false, remoteHost: 'ssh://root@10.0.0.6:22' },
    ]);
    expect(() => serverRoutes(nodes, undefined)).toThrow(`server "n1" is not this machine and has no dokku.com/remote-host annotation, so it cannot be reached; add the annotation (ssh://user@host:port) by hand`);
  });
});
