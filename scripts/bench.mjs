#!/usr/bin/env node
// `npm run bench`: speed and memory of the CLI against a measured floor, on this machine.
//
//   synth   N = 1, 100, 1000 generated apps: median wall time and peak RSS of a cold
//           `dokku-gitops synth` into an empty directory, and of the floor (a plain script that
//           writes the same finished objects as YAML: no cdk8s), and their ratio.
//   deploy  one changed app into a repo of 1000 apps, pushed to a local bare remote, against
//           the floor: that app's cold synth plus plain `git add/commit/push` of that folder.
//
// Options: --quick (fewer runs, N up to 100), --only synth|deploy
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const work = join(root, '.bench');
const cli = join(root, 'dist', 'cli.mjs');
const rssFile = join(work, 'rss');
const env = { ...process.env, DOKKU_GITOPS_HMAC_KEY: 'ab'.repeat(32), DOKKU_GITOPS_HOME: join(work, 'home') };

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

/** A realistic app: web + worker, 10 env vars, a domain, a port map, resources. */
function appDoc(i) {
  const name = `app-${String(i).padStart(4, '0')}`;
  const config = Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`VAR_${k}`, `value-${i}-${k}`]));
  return [
    'apiVersion: dokku-gitops/v1',
    'kind: App',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    `  image: registry.example.com/dokku/${name}:${i % 7}`,
    '  builder: herokuish',
    '  procfile: "web: npm start\\nworker: node worker.js"',
    '  scale: {web: 2, worker: 1}',
    `  config: ${JSON.stringify(config)}`,
    `  domains: [${name}.example.com]`,
    '  ports: ["http:80:5000"]',
    '  resources: {web: {limit: {memory: "512"}}}',
  ].join('\n');
}

function writeState(n, file) {
  writeFileSync(file, Array.from({ length: n }, (_, i) => appDoc(i)).join('\n---\n') + '\n');
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Runs a node script cold, `runs` times; `prepare` runs untimed before each. */
function measure(nodeArgs, runs, prepare) {
  const times = [];
  const rss = [];
  for (let r = 0; r < runs + 1; r++) {
    prepare?.();
    const t0 = process.hrtime.bigint();
    const res = spawnSync(process.execPath, ['-r', join(root, 'scripts/_rss.cjs'), ...nodeArgs], {
      env: { ...env, BENCH_RSS_FILE: rssFile },
      encoding: 'utf8',
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (res.status !== 0) throw new Error(`${nodeArgs.join(' ')} failed: ${res.stderr}`);
    if (r === 0) continue; // warm-up (page cache), as hyperfine does
    times.push(ms);
    rss.push(Number(readFileSync(rssFile, 'utf8')) / 1024);
  }
  return { ms: median(times), min: Math.min(...times), max: Math.max(...times), rss: median(rss) };
}

const fmt = (m) => `${m.ms.toFixed(0).padStart(6)} ms (${m.min.toFixed(0)}-${m.max.toFixed(0)})  ${m.rss.toFixed(0).padStart(4)} MiB`;

if (!existsSync(cli)) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });

if (!only || only === 'synth') {
  console.log('synth: cold `dokku-gitops synth` into an empty directory vs the floor (same objects, yaml.stringify + writes, no cdk8s)');
  console.log('   N apps   files |             synth          |             floor          | ratio time | ratio RSS');
  for (const n of quick ? [1, 100] : [1, 100, 1000]) {
    const state = join(work, `state-${n}.yaml`);
    writeState(n, state);
    const out = join(work, `out-${n}`);
    const runs = n >= 1000 ? 5 : n >= 100 ? 7 : 15;
    const synth = measure([cli, 'synth', state, '--out', out], quick ? 3 : runs, () => rmSync(out, { recursive: true, force: true }));
    // the finished objects, for the floor: what synth produced, as { path, object }
    const objects = join(work, `objects-${n}.json`);
    execFileSync(process.execPath, [join(root, 'scripts/_dump-objects.mjs'), state, objects], { env, stdio: 'inherit' });
    const floorOut = join(work, `floor-${n}`);
    const floor = measure([join(root, 'scripts/_floor.mjs'), objects, floorOut], quick ? 3 : runs, () => rmSync(floorOut, { recursive: true, force: true }));
    const files = JSON.parse(readFileSync(objects, 'utf8')).length;
    console.log(
      `${String(n).padStart(9)} ${String(files).padStart(7)} | ${fmt(synth)} | ${fmt(floor)} | ${(synth.ms / floor.ms).toFixed(2).padStart(9)}x | ${(synth.rss / floor.rss).toFixed(2).padStart(8)}x`,
    );
  }
}

if (!only || only === 'deploy') {
  const deployBench = join(root, 'scripts/_bench-deploy.mjs');
  if (existsSync(deployBench)) await import(deployBench).then((m) => m.benchDeploy({ root, work, cli, env, measure, fmt, writeState, appDoc, quick }));
  else console.log('deploy: not measured (scripts/_bench-deploy.mjs is not there yet)');
}
