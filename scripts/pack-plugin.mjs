#!/usr/bin/env node
// Packs the Dokku plugin: dist/dokku-gitops-plugin.tar.gz holds dokku-plugin/ at its root (as
// `dokku plugin:install <url ending in .tar.gz>` extracts it) and, in cli/, the npm tarball of
// the CLI, which the plugin's install trigger installs with npm. The CLI is bundled (dist/), so
// that tarball declares no dependencies and installs offline. Run after `npm run build`.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(root, process.argv[2] ?? 'dist/dokku-gitops-plugin.tar.gz');
if (!existsSync(join(root, 'dist', 'cli.mjs'))) {
  process.stderr.write('pack-plugin: dist/cli.mjs is missing; run `npm run build` first\n');
  process.exit(2);
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const work = mkdtempSync(join(tmpdir(), 'dokku-gitops-pack-'));
try {
  // the CLI package: the bundle and its launcher, nothing to download
  const cli = join(work, 'cli-package');
  mkdirSync(join(cli, 'bin'), { recursive: true });
  cpSync(join(root, 'bin', 'dokku-gitops.cjs'), join(cli, 'bin', 'dokku-gitops.cjs'));
  cpSync(join(root, 'dist'), join(cli, 'dist'), { recursive: true, filter: (src) => !src.endsWith('.tar.gz') });
  const manifest = {
    name: pkg.name,
    version: pkg.version,
    description: pkg.description,
    license: pkg.license,
    type: pkg.type,
    bin: pkg.bin,
    engines: pkg.engines,
    files: ['bin/', 'dist/'],
  };
  writeFileSync(join(cli, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  const plugin = join(work, 'plugin');
  cpSync(join(root, 'dokku-plugin'), plugin, { recursive: true, filter: (src) => !src.endsWith('.shellcheckrc') });
  mkdirSync(join(plugin, 'cli'));
  execFileSync('npm', ['pack', '--silent', '--pack-destination', join(plugin, 'cli')], { cwd: cli, stdio: ['ignore', 'ignore', 'inherit'] });

  mkdirSync(dirname(out), { recursive: true });
  rmSync(out, { force: true });
  execFileSync('tar', ['-czf', out, '--owner=0', '--group=0', '-C', plugin, '.'], { stdio: 'inherit' });
  process.stdout.write(`${out}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
