/**
 * A Dokku host for the plugin's scripts: a copy of a recorded scenario (the stand-in `dokku`
 * replays it), stand-ins of Dokku's core `common/functions` and `common/property-functions`,
 * a stand-in `plugn` that records the triggers fired, the plugin enabled the way `plugin:install`
 * enables it (plugins/enabled/gitops -> plugins/available/gitops), the built `dokku-gitops` on
 * PATH, and a real bare Git remote.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BIN } from '../_support/cli.js';
import { HOST_FIXTURES, STAND_IN_BIN } from '../collect/_host.js';

/** The plugin of this checkout. */
export const PLUGIN_DIR = resolve(import.meta.dirname, '..', '..', 'dokku-plugin');

/** A fixed HMAC key, so that digests are stable. */
const HMAC_KEY = '07'.repeat(32);

/** What one script printed and returned. */
export interface ScriptRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A stand-in Dokku host with the gitops plugin enabled. */
export class PluginHost {
  /** The temporary root of everything below. */
  public readonly root: string;
  /** The scenario copy: recordings (dokku/), $DOKKU_LIB_ROOT (lib/), $DOKKU_ROOT (home/). */
  public readonly fixture: string;
  /** The bare remote the apps are committed to. */
  public readonly remote: string;
  /** $DOKKU_GITOPS_HOME: the age identity and the working clones. */
  public readonly gitopsHome: string;
  /** The enabled plugin: $PLUGIN_ENABLED_PATH/gitops. */
  public readonly enabled: string;
  private readonly plugnLog: string;
  private readonly dokkuLog: string;
  private readonly binDir: string;

  constructor(scenario: string, plugin: string = PLUGIN_DIR) {
    this.root = mkdtempSync(join(tmpdir(), `dokku-plugin-${scenario}-`));
    this.fixture = join(this.root, 'host');
    cpSync(join(HOST_FIXTURES, scenario), this.fixture, { recursive: true });
    mkdirSync(join(this.fixture, 'lib', 'data'), { recursive: true });
    this.gitopsHome = join(this.root, 'gitops-home');
    this.plugnLog = join(this.root, 'plugn.log');
    this.dokkuLog = join(this.root, 'dokku.log');

    // plugin:install puts the plugin in plugins/available/<name> and links it from plugins/enabled
    const available = join(this.root, 'plugins', 'available');
    mkdirSync(available, { recursive: true });
    mkdirSync(join(this.root, 'plugins', 'enabled'));
    symlinkSync(plugin, join(available, 'gitops'));
    this.enabled = join(this.root, 'plugins', 'enabled', 'gitops');
    symlinkSync(join(available, 'gitops'), this.enabled);

    this.binDir = join(this.root, 'bin');
    mkdirSync(this.binDir);
    writeFileSync(join(this.binDir, 'dokku-gitops'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(join(this.binDir, 'dokku-gitops'), 0o755);

    this.remote = join(this.root, 'remote.git');
    git(this.root, 'init', '-q', '--bare', '-b', 'main', this.remote);
    const seed = join(this.root, 'seed');
    git(this.root, 'clone', '-q', this.remote, seed);
    writeFileSync(join(seed, 'README.md'), '# GitOps repository\n');
    git(seed, 'add', 'README.md');
    git(seed, '-c', 'user.name=seed', '-c', 'user.email=seed@example.com', 'commit', '-q', '-m', 'init');
    git(seed, 'push', '-q', 'origin', 'main');
    rmSync(seed, { recursive: true, force: true });

    const keys = spawnSync(process.execPath, [BIN, 'keys', 'init', '--home', this.gitopsHome], { encoding: 'utf8', env: this.env() });
    if (keys.status !== 0) throw new Error(`keys init failed: ${keys.stderr}`);
  }

  /** The environment plugn gives a trigger on this host. */
  public env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${this.binDir}:${STAND_IN_BIN}:${process.env.PATH ?? ''}`,
      DOKKU_FIXTURE: this.fixture,
      DOKKU_FIXTURE_LOG: this.dokkuLog,
      DOKKU_LIB_ROOT: join(this.fixture, 'lib'),
      DOKKU_ROOT: join(this.fixture, 'home'),
      PLUGIN_PATH: join(this.root, 'plugins'),
      PLUGIN_AVAILABLE_PATH: join(this.root, 'plugins', 'available'),
      PLUGIN_ENABLED_PATH: join(this.root, 'plugins', 'enabled'),
      PLUGIN_CORE_AVAILABLE_PATH: join(HOST_FIXTURES, 'core-plugins', 'available'),
      DOKKU_NOT_IMPLEMENTED_EXIT: '10',
      DOKKU_GITOPS_HOME: this.gitopsHome,
      DOKKU_GITOPS_HMAC_KEY: HMAC_KEY,
      PLUGN_LOG: this.plugnLog,
      DOKKU_PID: undefined,
      DOKKU_TRACE: undefined,
      ...extra,
    };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    return env;
  }

  /** Runs trigger `name` with `args`, as plugn runs it: $PLUGIN_ENABLED_PATH/gitops/<name> <args>. */
  public trigger(name: string, args: readonly string[], env: Record<string, string | undefined> = {}): ScriptRun {
    return this.run(join(this.enabled, name), args, env);
  }

  /** Runs `dokku gitops:<name> <args>` as Dokku does: subcommands/<name> gitops:<name> <args>. */
  public subcommand(name: string, args: readonly string[], env: Record<string, string | undefined> = {}): ScriptRun {
    return this.run(join(this.enabled, 'subcommands', name), [`gitops:${name}`, ...args], env);
  }

  /** Runs a script of the plugin. */
  public run(script: string, args: readonly string[], env: Record<string, string | undefined> = {}): ScriptRun {
    const result = spawnSync(script, [...args], { encoding: 'utf8', env: this.env(env), cwd: this.root });
    if (result.error) throw result.error;
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  /** `dokku scheduler:set <app> selected <scheduler>`: the scheduler plugin's property file. */
  public selectScheduler(app: string, scheduler: string): void {
    const dir = join(this.fixture, 'lib', 'config', 'scheduler', app);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'selected'), scheduler);
  }

  /**
   * What Dokku's core plugins do on `core-post-deploy` with the files of a deploy: the
   * process-specific Procfile and app.json replace the deployed ones.
   */
  public corePostDeploy(app: string, pid: string): void {
    for (const file of [join('ps', app, 'Procfile'), join('app-json', app, 'app.json')]) {
      const path = join(this.fixture, 'lib', 'data', file);
      if (existsSync(`${path}.${pid}`)) renameSync(`${path}.${pid}`, path);
      if (existsSync(`${path}.${pid}.missing`)) rmSync(path, { force: true });
      rmSync(`${path}.${pid}.missing`, { force: true });
    }
  }

  /** Replaces the recorded output of `dokku <args>`. */
  public record(args: string, stdout: string): void {
    writeFileSync(join(this.fixture, 'dokku', `${args}.stdout`), stdout);
  }

  /** A property of a plugin, as Dokku stores it; undefined when unset. */
  public property(plugin: string, app: string, key: string): string | undefined {
    const path = join(this.fixture, 'lib', 'config', plugin, app, key);
    return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  }

  /** The triggers fired through `plugn trigger`, one array of arguments per call. */
  public plugnCalls(): string[][] {
    return existsSync(this.plugnLog) ? readFileSync(this.plugnLog, 'utf8').trimEnd().split('\n').filter(Boolean).map((l) => l.split('\t')) : [];
  }

  /** The `dokku` subcommands run, one line each. */
  public dokkuCalls(): string[] {
    return existsSync(this.dokkuLog) ? readFileSync(this.dokkuLog, 'utf8').trimEnd().split('\n').filter(Boolean) : [];
  }

  /** Commits of the remote's main branch, newest first: `<subject>`. */
  public commits(): string[] {
    return git(this.root, '--git-dir', this.remote, 'log', '--format=%s', 'main').trimEnd().split('\n');
  }

  /** The folders of apps/ on the remote's main branch, sorted. */
  public appFolders(): string[] {
    const out = git(this.root, '--git-dir', this.remote, 'ls-tree', '--name-only', 'main', 'apps/').trim();
    return out ? out.split('\n').map((p) => p.replace(/^apps\//, '')).sort() : [];
  }

  /** A file of the remote's main branch. */
  public file(path: string): string {
    return git(this.root, '--git-dir', this.remote, 'show', `main:${path}`);
  }

  /** The files of a folder on the remote's main branch. */
  public files(dir: string): string[] {
    return git(this.root, '--git-dir', this.remote, 'ls-tree', '-r', '--name-only', 'main', `${dir}/`).trim().split('\n').filter(Boolean);
  }

  /** Removes everything. */
  public cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Runs git; throws with its stderr on failure. */
export function git(cwd: string, ...args: string[]): string {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}
