// The deploy half of `npm run bench` (called by scripts/bench.mjs).
//
// A repo already holds N apps (1000; 100 with --quick) and is pushed to a local bare remote.
// Timed: a cold `dokku-gitops deploy` of one app whose image changed, from the state of that app
// alone, with SOPS-encrypted Secrets, pushing to the remote. Floor, measured in the same run:
// that app's cold `synth`, plus the same change done with plain git (`git add`, `git commit`,
// `git push` of just that folder) in a plain clone.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function git(cwd, ...args) {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export async function benchDeploy({ work, cli, env, measure, fmt, writeState, appDoc, quick }) {
  const n = quick ? 100 : 1000;
  const runs = quick ? 3 : 7;
  const dir = join(work, 'deploy');
  mkdirSync(dir, { recursive: true });
  const remote = join(dir, 'remote.git');
  const home = env.DOKKU_GITOPS_HOME;
  const benv = { ...env, DOKKU_GITOPS_HOME: home, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@localhost', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@localhost' };
  git(dir, 'init', '-q', '--bare', '-b', 'main', remote);
  const node = (args) => {
    const res = spawnSync(process.execPath, [cli, ...args], { env: benv, encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`dokku-gitops ${args.join(' ')}: ${res.stderr}`);
    return res.stdout;
  };
  node(['keys', 'init', '--home', home]);

  // seed: N apps in one deploy (not timed)
  const all = join(dir, 'all.yaml');
  writeState(n, all);
  const workdir = join(dir, 'work');
  const t0 = Date.now();
  node(['deploy', all, '--repo', remote, '--workdir', workdir]);
  console.log(`\ndeploy: repo of ${n} apps seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s (one commit, not timed)`);

  // the app that changes: its image tag flips on every run, so every run has a commit to make
  const target = Math.floor(n / 2);
  const one = join(dir, 'one.yaml');
  let flip = 0;
  const changeImage = () => {
    flip += 1;
    writeFileSync(one, appDoc(target).replace(/:(\d+)\n/, `:${100 + flip}\n`) + '\n');
  };
  const deploy = measure([cli, 'deploy', one, '--repo', remote, '--workdir', workdir], runs, changeImage);

  // floor: cold synth of that app into a plain clone, then plain git add/commit/push of its folder
  const clone = join(dir, 'plain');
  git(dir, 'clone', '-q', remote, clone);
  const synth = measure([cli, 'synth', one, '--out', clone], runs, changeImage);
  const gitTimes = [];
  for (let r = 0; r < runs + 1; r++) {
    changeImage();
    node(['synth', one, '--out', clone]);
    const folder = `apps/${appDoc(target).match(/name: (\S+)/)[1]}`;
    const start = process.hrtime.bigint();
    git(clone, 'add', '--', folder);
    git(clone, '-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'commit', '-q', '-m', `bench ${r}`);
    git(clone, 'push', '-q', 'origin', 'HEAD:main');
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r > 0) gitTimes.push(ms);
  }
  const gitMs = median(gitTimes);
  const floorMs = synth.ms + gitMs;
  console.log(`   deploy of 1 changed app into ${n} apps, pushed: ${fmt(deploy)}`);
  console.log(`   floor: cold synth of that app ${synth.ms.toFixed(0)} ms + git add/commit/push of its folder ${gitMs.toFixed(0)} ms = ${floorMs.toFixed(0)} ms`);
  console.log(`   ratio: ${(deploy.ms / floorMs).toFixed(2)}x the floor (target <= 1.5x, < 1500 ms)`);
}
