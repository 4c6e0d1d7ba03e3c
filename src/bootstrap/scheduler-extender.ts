/**
 * `cluster scheduler-extender enable|disable`: the CSI scheduler-extender proposal done so that it
 * survives k3s upgrades. k3s runs kube-scheduler inside its server process, so the extender is
 * configured with `--kube-scheduler-arg config=<file>` on every server, one server at a time,
 * each restarted and checked before the next (etcd keeps its quorum).
 *
 * Two ways to pass the flag:
 * - config-file (default): a drop-in `/etc/rancher/k3s/config.yaml.d/<name>.yaml` with
 *   `kube-scheduler-arg+:`. install.sh never touches it, so upgrades keep it.
 * - unit-file: for units whose ExecStart already has `--kube-scheduler-arg` (a command-line list
 *   replaces the config file's list). The flag is appended to ExecStart and the edit recorded, so
 *   `disable` removes exactly it.
 */
import { DokkuGitopsError, InputError } from '../errors.js';
import { poll, type PollOptions, readOptionalFile, run } from './_run.js';
import { SchedulerExtenderMethod } from './choices.js';
import { dateCommand, journalCommand, k3sVersionCommand, parseFileListing, readFilesCommand, removeFileCommand, schedulerHealthCommand, systemctlCommand } from './commands.js';
import { parseK3sConfig } from './k3s-config.js';
import { type StepLogger, NopStepLogger, step } from './logger.js';
import type { ClusterNode } from './nodes.js';
import type { CommandOperator } from './operator.js';
import { K3S_PATHS } from './paths.js';
import {
  extenderPaths,
  mergedConfigArgs,
  parseK3sVersionOutput,
  renderSchedulerConfiguration,
  renderSchedulerDropIn,
  schedulerConfigApiVersion,
  schedulerConfigArg,
  schedulerConfigFlag,
  type SchedulerExtenderConfig,
} from './scheduler-config.js';
import { appendExecStartArg, commandWords, effectiveExecStart, execStartOverrides, kubeSchedulerArgs, parseUnitFile, removeExecStartArg, type UnitEdit } from './unit-file.js';
import { checkDuration, checkExtenderName, checkHttpUrl, checkVerb } from './validate.js';

/** The default extender name, which sorts late among drop-ins so earlier files cannot follow it. */
export const DEFAULT_EXTENDER_NAME = '90-scheduler-extender';

/** The k3s server unit install.sh writes. */
export const K3S_UNIT = `${K3S_PATHS.systemdDir}/k3s.service`;

/** A k3s server the extender is configured on. */
export interface ServerTarget {
  /** The node name, for messages. */
  readonly name: string;
  /** How to reach it. */
  readonly operator: CommandOperator;
}

/** Options both `enable` and `disable` take. */
export interface SchedulerExtenderRunOptions {
  /**
   * The extender's name, used for its file names.
   *
   * @default '90-scheduler-extender'
   */
  readonly name?: string;
  /**
   * Receives each step.
   *
   * @default - a logger that drops everything
   */
  readonly logger?: StepLogger;
  /**
   * How long and how often to wait for k3s and its scheduler after a restart.
   *
   * @default - 300 s, every 2 s
   */
  readonly poll?: PollOptions;
}

/** Options of `enableSchedulerExtender`. */
export interface SchedulerExtenderEnableOptions extends SchedulerExtenderRunOptions, SchedulerExtenderConfig {
  /**
   * How the flag reaches k3s.
   *
   * @default SchedulerExtenderMethod.configFile()
   */
  readonly method?: SchedulerExtenderMethod;
}

/** What happened on one server. */
export interface ServerOutcome {
  /** The node name. */
  readonly node: string;
  /** Whether files changed and k3s was restarted. */
  readonly changed: boolean;
  /** The KubeSchedulerConfiguration apiVersion written (enable only). */
  readonly apiVersion?: string;
}

/** Every problem with the options of `enable`, as messages naming the flags. */
export function checkEnableOptions(options: SchedulerExtenderEnableOptions): string[] {
  const problems: string[] = [];
  const push = (p: string | undefined) => {
    if (p) problems.push(p);
  };
  push(checkHttpUrl("'--url'", options.url));
  push(checkExtenderName("'--name'", options.name ?? DEFAULT_EXTENDER_NAME));
  if (options.filterVerb !== undefined && options.filterVerb !== '') push(checkVerb("'--filter-verb'", options.filterVerb));
  if (options.prioritizeVerb !== undefined && options.prioritizeVerb !== '') push(checkVerb("'--prioritize-verb'", options.prioritizeVerb));
  if (options.weight !== undefined && !(Number.isInteger(options.weight) && options.weight >= 1)) problems.push(`'--weight': ${JSON.stringify(String(options.weight))} is not a whole number of 1 or more`);
  if (options.httpTimeout !== undefined) push(checkDuration("'--http-timeout'", options.httpTimeout));
  if (options.filterVerb === '' && options.prioritizeVerb === '') problems.push("'--filter-verb' and '--prioritize-verb' are both empty; the extender would never be called");
  return problems;
}

/** Read the unit and its drop-ins, returning the unit text (or undefined) and the drop-ins overriding ExecStart. */
async function readUnit(operator: CommandOperator): Promise<{ text: string; overrides: string[] }> {
  const text = await readOptionalFile(operator, K3S_UNIT);
  if (text === undefined) throw new DokkuGitopsError(`${operator.target}: ${K3S_UNIT} does not exist; is this a k3s server installed with install.sh?`, 'failure');
  const listing = await run(operator, readFilesCommand(operator, [], [`${K3S_UNIT}.d`], 'conf'), `reading ${K3S_UNIT}.d`);
  return { text, overrides: execStartOverrides(parseFileListing(listing.stdout, operator.root)) };
}

async function readConfigFiles(operator: CommandOperator): Promise<{ path: string; content: string }[]> {
  const listing = await run(operator, readFilesCommand(operator, [K3S_PATHS.config], [K3S_PATHS.configDir], 'yaml'), 'reading the k3s config files');
  return parseFileListing(listing.stdout, operator.root);
}

/**
 * Restart k3s and wait until the service is active, the scheduler answers `/healthz`, and the
 * scheduler's start message in the journal does (or does not) carry `--config=<configPath>`.
 */
async function restartAndVerify(operator: CommandOperator, configPath: string, expectConfig: boolean, options: SchedulerExtenderRunOptions): Promise<void> {
  const since = Number((await run(operator, dateCommand(), 'reading the clock')).stdout.trim());
  await run(operator, systemctlCommand(operator, ['restart', 'k3s']), 'restarting k3s');
  const flag = `--config=${configPath}`;
  await poll(
    operator,
    'the scheduler to come back',
    async () => {
      const active = await operator.execute(systemctlCommand(operator, ['is-active', 'k3s']));
      if (active.stdout.trim() !== 'active') return { reason: `k3s is ${active.stdout.trim() || 'not active'}` };
      const health = await operator.execute(schedulerHealthCommand());
      if (health.exitCode !== 0 || health.stdout.trim() !== 'ok') return { reason: `the scheduler's /healthz did not answer ok (exit ${health.exitCode})` };
      const journal = await operator.execute(journalCommand(operator, 'k3s', since));
      const started = journal.stdout.split('\n').filter((l) => l.includes('Running kube-scheduler'));
      const last = started[started.length - 1];
      if (last === undefined) return { reason: "the journal has no 'Running kube-scheduler' message since the restart" };
      const words = last.split(/\s+/);
      if (words.includes(flag) !== expectConfig) {
        throw new DokkuGitopsError(`${operator.target}: k3s restarted, but its scheduler runs ${expectConfig ? 'without' : 'still with'} ${flag}: ${last.trim()}`, 'failure');
      }
      return { value: undefined };
    },
    options.poll,
  );
}

/**
 * Whether the scheduler's last start (in k3s's journal) had `--config=<configPath>`. An enable
 * whose files are all in place but whose restart failed earlier must still restart.
 */
async function schedulerRunsWith(operator: CommandOperator, configPath: string): Promise<boolean> {
  const journal = await operator.execute(journalCommand(operator, 'k3s', 0));
  const started = journal.stdout.split('\n').filter((l) => l.includes('Running kube-scheduler'));
  const last = started[started.length - 1];
  return last !== undefined && last.split(/\s+/).includes(`--config=${configPath}`);
}

async function enableOn(server: ServerTarget, options: SchedulerExtenderEnableOptions, logger: StepLogger): Promise<ServerOutcome> {
  const op = server.operator;
  const name = options.name ?? DEFAULT_EXTENDER_NAME;
  const method = options.method ?? SchedulerExtenderMethod.configFile();
  const paths = extenderPaths(name);
  const version = parseK3sVersionOutput((await run(op, k3sVersionCommand(op), 'reading the k3s version')).stdout);
  const apiVersion = schedulerConfigApiVersion(version);
  const configContent = renderSchedulerConfiguration(name, apiVersion, options);
  const unit = await readUnit(op);
  const execStart = effectiveExecStart(parseUnitFile(unit.text));
  const cliArgs = kubeSchedulerArgs(execStart ? commandWords(execStart).map((w) => w.value) : []);
  const ourArg = schedulerConfigArg(paths.config);
  const otherCliArgs = cliArgs.filter((a) => a !== ourArg);
  const record = await readOptionalFile(op, paths.unitEditRecord);
  const files = await readConfigFiles(op);
  const existingDropIn = files.find((f) => f.path === paths.dropIn)?.content;
  const existingConfig = await readOptionalFile(op, paths.config);
  const parse = (text: string, where: string) => parseK3sConfig(text, `${op.target}:${where}`);

  let changed = false;
  let unitChanged = false;
  if (method.name === 'config-file') {
    if (record !== undefined) throw new DokkuGitopsError(`${op.target}: scheduler extender ${JSON.stringify(name)} is enabled with '--method unit-file'; run 'scheduler-extender disable --name ${name}' first`, 'input');
    if (unit.overrides.length > 0 || cliArgs.length > 0) {
      const where = unit.overrides.length > 0 ? `a drop-in (${unit.overrides.join(', ')}) that replaces ExecStart` : `--kube-scheduler-arg on the ExecStart line of ${K3S_UNIT}`;
      throw new DokkuGitopsError(`${op.target}: k3s is started with ${where}, and a command-line list replaces the config file's kube-scheduler-arg, so a drop-in would be ignored; rerun with '--method unit-file'`, 'input');
    }
    const dropInContent = renderSchedulerDropIn(name, paths.config);
    const merged = mergedConfigArgs([...files.filter((f) => f.path !== paths.dropIn), { path: paths.dropIn, content: dropInContent }], 'kube-scheduler-arg', parse);
    const configs = merged.filter((a) => a.value.startsWith('config='));
    if (!configs.some((a) => a.value === ourArg)) {
      const replacer = merged[0]?.source ?? 'a later file';
      throw new DokkuGitopsError(`${op.target}: ${replacer} sets kube-scheduler-arg without '+' after ${paths.dropIn}, which would drop the extender; change it to 'kube-scheduler-arg+:' or choose a '--name' that sorts later`, 'input');
    }
    const other = configs.find((a) => a.value !== ourArg);
    if (other) throw new DokkuGitopsError(`${op.target}: kube-scheduler already gets ${other.value} from ${other.source}; the scheduler takes one config file, so merge the extender into it instead`, 'input');
    if (existingConfig !== configContent) {
      await op.upload({ path: paths.config, mode: 0o600, content: configContent });
      changed = true;
    }
    if (existingDropIn !== dropInContent) {
      await op.upload({ path: paths.dropIn, mode: 0o600, content: dropInContent });
      changed = true;
    }
  } else {
    if (existingDropIn !== undefined) throw new DokkuGitopsError(`${op.target}: scheduler extender ${JSON.stringify(name)} is enabled with '--method config-file'; run 'scheduler-extender disable --name ${name}' first`, 'input');
    if (unit.overrides.length > 0) throw new DokkuGitopsError(`${op.target}: ExecStart of k3s is replaced by ${unit.overrides.join(', ')}; edit that file by hand instead`, 'input');
    const otherConfig = otherCliArgs.find((a) => a.startsWith('config='));
    if (otherConfig) throw new DokkuGitopsError(`${op.target}: ExecStart of ${K3S_UNIT} already passes --kube-scheduler-arg=${otherConfig}; the scheduler takes one config file, so merge the extender into it instead`, 'input');
    if (otherCliArgs.length === 0) {
      const ignored = mergedConfigArgs(files, 'kube-scheduler-arg', parse);
      if (ignored.length > 0) logger.warning(`${op.target}: with a --kube-scheduler-arg on ExecStart, k3s ignores kube-scheduler-arg from ${[...new Set(ignored.map((a) => a.source))].join(', ')} (${ignored.map((a) => a.value).join(', ')})`);
    }
    if (existingConfig !== configContent) {
      await op.upload({ path: paths.config, mode: 0o600, content: configContent });
      changed = true;
    }
    const appended = appendExecStartArg(unit.text, schedulerConfigFlag(paths.config));
    if (appended.changed) {
      await op.upload({ path: K3S_UNIT, mode: 0o644, content: appended.text });
      const edit: UnitEdit & { unit: string } = { unit: K3S_UNIT, ...appended.edit };
      await op.upload({ path: paths.unitEditRecord, mode: 0o600, content: `${JSON.stringify(edit, null, 2)}\n` });
      changed = true;
      unitChanged = true;
    } else if (record === undefined) {
      // the flag was already on ExecStart, put there by hand: record that nothing was added
      await op.upload({ path: paths.unitEditRecord, mode: 0o600, content: `${JSON.stringify({ unit: K3S_UNIT, arg: schedulerConfigFlag(paths.config), addedContinuation: false, addedByHand: true }, null, 2)}\n` });
    }
  }
  if (!changed && !(await schedulerRunsWith(op, paths.config))) {
    // the files are in place, but the scheduler is not running with them (an earlier restart failed)
    logger.warning(`${op.target}: the extender's files are in place but the scheduler runs without them; restarting k3s`);
    if (method.name === 'unit-file') unitChanged = true;
    changed = true;
  }
  if (unitChanged) await run(op, systemctlCommand(op, ['daemon-reload']), 'reloading systemd');
  if (changed) await restartAndVerify(op, paths.config, true, options);
  return { node: server.name, changed, apiVersion };
}

async function disableOn(server: ServerTarget, options: SchedulerExtenderRunOptions): Promise<ServerOutcome> {
  const op = server.operator;
  const name = options.name ?? DEFAULT_EXTENDER_NAME;
  const paths = extenderPaths(name);
  const recordText = await readOptionalFile(op, paths.unitEditRecord);
  const dropIn = await readOptionalFile(op, paths.dropIn);
  const config = await readOptionalFile(op, paths.config);
  let affectsK3s = false;
  if (recordText !== undefined) {
    let record: UnitEdit & { unit?: string; addedByHand?: boolean };
    try {
      record = JSON.parse(recordText) as UnitEdit & { unit?: string; addedByHand?: boolean };
    } catch {
      throw new DokkuGitopsError(`${op.target}: ${paths.unitEditRecord} is not valid JSON; fix or delete it by hand`, 'failure');
    }
    if (!record.addedByHand) {
      const unitText = await readOptionalFile(op, K3S_UNIT);
      if (unitText !== undefined) {
        const removed = removeExecStartArg(unitText, record);
        if (removed.changed) {
          await op.upload({ path: K3S_UNIT, mode: 0o644, content: removed.text });
          await run(op, systemctlCommand(op, ['daemon-reload']), 'reloading systemd');
          affectsK3s = true;
        }
      }
    }
    await run(op, removeFileCommand(op, paths.unitEditRecord), `removing ${paths.unitEditRecord}`);
  }
  if (dropIn !== undefined) {
    await run(op, removeFileCommand(op, paths.dropIn), `removing ${paths.dropIn}`);
    affectsK3s = true;
  }
  if (config !== undefined) await run(op, removeFileCommand(op, paths.config), `removing ${paths.config}`);
  if (affectsK3s) await restartAndVerify(op, paths.config, false, options);
  return { node: server.name, changed: affectsK3s || config !== undefined || recordText !== undefined };
}

/**
 * Configure the extender on every server, one at a time: write the KubeSchedulerConfiguration
 * for the server's Kubernetes version, pass it to k3s (drop-in or unit file), restart k3s and
 * check that the scheduler came back with it. Servers already configured are left alone.
 *
 * @throws InputError for invalid options; DokkuGitopsError when a server cannot be configured (the
 *   servers after it are not touched)
 */
export async function enableSchedulerExtender(servers: readonly ServerTarget[], options: SchedulerExtenderEnableOptions): Promise<ServerOutcome[]> {
  const problems = checkEnableOptions(options);
  if (problems.length > 0) throw new InputError(problems);
  const logger = options.logger ?? new NopStepLogger();
  const method = options.method ?? SchedulerExtenderMethod.configFile();
  const outcomes: ServerOutcome[] = [];
  for (const server of servers) {
    outcomes.push(
      await step(
        logger,
        `enabling scheduler extender ${options.name ?? DEFAULT_EXTENDER_NAME} on ${server.name} (${server.operator.target}) with --method ${method.name}`,
        () => enableOn(server, options, logger),
        (o) => (o.changed ? `${server.name}: k3s restarted, its scheduler runs with the extender (${o.apiVersion})` : `${server.name}: already enabled, nothing changed`),
      ),
    );
  }
  return outcomes;
}

/**
 * Remove what `enable` added on every server (the drop-in, or exactly the recorded ExecStart
 * argument, and the KubeSchedulerConfiguration), restart k3s where that changed its command line,
 * and check that the scheduler came back without it.
 */
export async function disableSchedulerExtender(servers: readonly ServerTarget[], options: SchedulerExtenderRunOptions = {}): Promise<ServerOutcome[]> {
  const problem = checkExtenderName("'--name'", options.name ?? DEFAULT_EXTENDER_NAME);
  if (problem) throw new InputError([problem]);
  const logger = options.logger ?? new NopStepLogger();
  const outcomes: ServerOutcome[] = [];
  for (const server of servers) {
    outcomes.push(
      await step(
        logger,
        `disabling scheduler extender ${options.name ?? DEFAULT_EXTENDER_NAME} on ${server.name} (${server.operator.target})`,
        () => disableOn(server, options),
        (o) => (o.changed ? `${server.name}: removed` : `${server.name}: not enabled, nothing changed`),
      ),
    );
  }
  return outcomes;
}

/** How to reach one server: through the local operator, or over SSH at `remoteHost`. */
export interface ServerRoute {
  /** The node name. */
  readonly name: string;
  /** True for the server this tool runs on. */
  readonly local: boolean;
  /** The `ssh://` address for other servers. */
  readonly remoteHost?: string;
}

/**
 * The servers of a cluster and how to reach each: the one named `localNodeName` locally, the
 * others through their `dokku.com/remote-host` annotation.
 *
 * @throws DokkuGitopsError (input) for a server that is neither local nor annotated
 */
export function serverRoutes(nodes: readonly ClusterNode[], localNodeName: string | undefined): ServerRoute[] {
  return nodes
    .filter((n) => n.isServer)
    .map((n) => {
      if (n.name === localNodeName) return { name: n.name, local: true };
      if (n.remoteHost !== undefined) return { name: n.name, local: false, remoteHost: n.remoteHost };
      throw new DokkuGitopsError(`server ${JSON.stringify(n.name)} is not this machine and has no dokku.com/remote-host annotation, so it cannot be reached; add the annotation (ssh://user@host:port) by hand`, 'input');
    });
}
