#!/usr/bin/env node
// `npm run demo`: the main job on the bundled examples, with no cluster and no remote.
//
// Compiles examples/ and deploys it into a local bare Git repository (.demo/gitops.git), the
// way the Dokku hook does on every deploy: Secrets SOPS-encrypted to an age identity created
// for the demo, one commit, pushed. A second deploy of the same state commits nothing.
// Everything lives in .demo/ (git-ignored); ~/.dokku-gitops is not touched.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const demo = join(root, '.demo');
const remote = join(demo, 'gitops.git');
const env = { ...process.env, DOKKU_GITOPS_HOME: join(demo, 'home') };
const cli = (...args) => execFileSync(process.execPath, [join(root, 'bin', 'dokku-gitops.cjs'), ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const say = (text) => process.stdout.write(`${text}\n`);

mkdirSync(demo, { recursive: true });
if (!existsSync(remote)) execFileSync('git', ['init', '-q', '--bare', '-b', 'main', remote]);
if (!existsSync(join(demo, 'home', 'age.key'))) cli('keys', 'init');

say(`$ dokku-gitops deploy examples --repo ${remote}`);
say(cli('deploy', join(root, 'examples'), '--repo', remote).trimEnd());
say('$ dokku-gitops deploy examples --repo ... (again: the same state commits nothing)');
say(cli('deploy', join(root, 'examples'), '--repo', remote).trimEnd());
say(`\n$ git -C ${remote} log --stat -1`);
say(execFileSync('git', ['-C', remote, 'log', '--stat', '-1', '--format=%h %s%n%n%b'], { encoding: 'utf8' }).trimEnd());
say(`\nThe GitOps repository is ${remote}: clone it to read the manifests.`);
