/**
 * The plugin as `dokku plugin:install` gets it: the tarball of `npm run plugin:pack`, whose
 * install trigger installs the bundled CLI with npm (offline: the CLI has no dependencies).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { PluginHost } from './_host.js';

// each test runs several deploys (node, git, SOPS); under a full parallel run they take a while
vi.setConfig({ testTimeout: 180_000 });

const ROOT = resolve(import.meta.dirname, '..', '..');

describe('plugin tarball and install trigger', () => {
  let host: PluginHost;
  let scratch: string;
  let plugin: string;
  beforeAll(() => {
    // GIVEN the packed plugin, extracted as plugn extracts a .tar.gz into plugins/available/<name>
    scratch = mkdtempSync(join(tmpdir(), 'dokku-gitops-plugin-pack-'));
    const tarball = join(scratch, 'dokku-gitops-plugin.tar.gz');
    const pack = spawnSync(process.execPath, [join(ROOT, 'scripts', 'pack-plugin.mjs'), tarball], { encoding: 'utf8' });
    if (pack.status !== 0) throw new Error(`pack-plugin failed: ${pack.stderr}`);
    plugin = join(scratch, 'gitops');
    mkdirSync(plugin);
    const untar = spawnSync('tar', ['xzf', tarball, '-C', plugin], { encoding: 'utf8' });
    if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr}`);
    host = new PluginHost('herokuish-app', plugin);
  });
  afterAll(() => {
    host.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('holds the triggers at its root and the CLI package in cli/', () => {
    // GIVEN / WHEN
    const files = readdirSync(plugin).sort();

    // THEN
    expect(files).toEqual(expect.arrayContaining(['plugin.toml', 'install', 'dependencies', 'commands', 'subcommands', 'scheduler-deploy', 'internal-functions', 'cli']));
    expect(readdirSync(join(plugin, 'cli'))).toEqual(['dokku-gitops-0.1.0.tgz']);
  });

  test('the install trigger sets up the plugin and installs the CLI with npm', () => {
    // GIVEN no dokku-gitops on PATH, and an npm prefix of the test
    const prefix = join(host.root, 'npm-prefix');
    const path = (process.env.PATH ?? '')
      .split(':')
      .filter((dir) => !existsSync(join(dir, 'dokku-gitops')))
      .join(':');

    // WHEN plugin:install runs the install trigger (no arguments)
    const run = host.trigger('install', [], {
      PATH: `${join(ROOT, 'test', 'fixtures', 'dokku-host', 'bin')}:${path}`,
      DOKKU_GITOPS_NPM_PREFIX: prefix,
      npm_config_offline: 'true',
      npm_config_update_notifier: 'false',
    });

    // THEN
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`-----> Installing dokku-gitops from ${join(host.enabled, 'cli', 'dokku-gitops-0.1.0.tgz')}\n`);
    const version = spawnSync(join(prefix, 'bin', 'dokku-gitops'), ['--version'], { encoding: 'utf8' });
    expect(version.stdout).toBe('0.1.0\n');
    expect(existsSync(join(host.fixture, 'lib', 'data', 'gitops'))).toBe(true);
    expect(existsSync(join(host.fixture, 'lib', 'config', 'gitops'))).toBe(true);

    // AND WHEN it runs again (plugin:install runs every plugin's install trigger)
    const again = host.trigger('install', [], {
      PATH: `${join(prefix, 'bin')}:${join(ROOT, 'test', 'fixtures', 'dokku-host', 'bin')}:${path}`,
      DOKKU_GITOPS_NPM_PREFIX: prefix,
      npm_config_offline: 'true',
    });

    // THEN the installed version is kept
    expect(again.status).toBe(0);
    expect(again.stdout).toBe('       dokku-gitops 0.1.0 is installed\n');
  });

  test('fails if DOKKU_GITOPS_CLI_SOURCE is not a built checkout', () => {
    // GIVEN a folder without dist/
    const run = host.trigger('dependencies', [], { DOKKU_GITOPS_CLI_SOURCE: host.root });

    // THEN
    expect(run.stderr).toBe(` !     ${host.root} is not a built dokku-gitops checkout: run 'npm ci && npm run build' in it first\n`);
    expect(run.status).toBe(1);
  });
});
