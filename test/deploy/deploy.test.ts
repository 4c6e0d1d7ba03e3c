import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { decryptSops as sopsAgeDecrypt } from 'sops-age';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { agentManifests } from '../../src/agents/manifests.js';
import { deploy, destroy, diff, push, type DeployOptions } from '../../src/deploy.js';
import { DokkuGitopsError } from '../../src/errors.js';
import { summarizeApp } from '../../src/gitops/summary.js';
import { initKeys } from '../../src/secrets/keys.js';
import { NO_AGE_RECIPIENT_MESSAGE } from '../../src/secrets/sops.js';
import { parseState } from '../../src/state/load.js';
import { validateFiles } from '../_support/validate.js';
import { sealingCert } from '../secrets/_fixtures.js';
import { HMAC_KEY_HEX, bareRemote, cleanup, compiled, git, history, pathsAt, pushFiles, syntheticApp, tempDir, treeAt } from './_repo-fixtures.js';

let recipient: string;
let identity: string;

beforeAll(async () => {
  process.env.DOKKU_GITOPS_HMAC_KEY = HMAC_KEY_HEX;
  identity = await generateX25519Identity();
  recipient = await identityToRecipient(identity);
});
afterAll(cleanup);

/** A fresh remote and home, and deploy options pointing at them. */
function setup(): { remote: string; home: string; base: Pick<DeployOptions, 'repo' | 'home' | 'ageRecipients'> } {
  const remote = bareRemote();
  const home = tempDir();
  return { remote, home, base: { repo: remote, home, ageRecipients: [recipient] } };
}

/** What a call rejects with. */
async function failure(p: Promise<unknown>): Promise<DokkuGitopsError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DokkuGitopsError) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

describe('deploy: layout and determinism', () => {
  test('two deploys of the same state give exactly one commit', async () => {
    // GIVEN
    const { remote, base } = setup();
    const state = compiled(syntheticApp('a', { secret: { TOKEN: 's3cret-a' } }), syntheticApp('b'));
    // WHEN
    const first = await deploy({ ...base, compiled: state });
    const second = await deploy({ ...base, compiled: state });
    // THEN
    expect(first.status).toBe('pushed');
    expect(first.pushed).toBe(1);
    expect(second.status).toBe('up-to-date');
    expect(second.commit).toBeUndefined();
    expect(second.pushed).toBe(0);
    expect(history(remote)).toHaveLength(1);
    expect(pathsAt(remote)).toEqual([
      '.sops.yaml',
      'apps/a/deployment-a-web.yaml',
      'apps/a/kustomization.yaml',
      'apps/a/secret-a-env.yaml',
      'apps/a/service-a-web.yaml',
      'apps/b/deployment-b-web.yaml',
      'apps/b/kustomization.yaml',
      'apps/b/service-b-web.yaml',
    ]);
    const files = treeAt(remote);
    expect(files['apps/b/service-b-web.yaml']).toBe(state.apps[1]!.manifests.find((m) => m.path === 'apps/b/service-b-web.yaml')!.content);
    // the two Deployments and Services (SOPS files are not schema-validated: their values are encrypted)
    expect(await validateFiles(files)).toBe(4);
  });

  test('replaces only the folders of the apps in the state: files no longer produced are pruned, other apps are untouched', async () => {
    // GIVEN a repository with apps a and b, and a file of someone else's
    const { remote, base } = setup();
    await deploy({ ...base, compiled: compiled(syntheticApp('a', { configMaps: ['one', 'two'] }), syntheticApp('b')) });
    pushFiles(remote, { 'README.md': 'hand-written\n' }, 'docs');
    const treeOfB = git(remote, 'rev-parse', 'main:apps/b').trim();
    // WHEN app a alone is deployed with one ConfigMap fewer
    const result = await deploy({ ...base, compiled: compiled(syntheticApp('a', { configMaps: ['one'] })) });
    // THEN
    expect(result.status).toBe('pushed');
    expect(git(remote, 'diff-tree', '--no-commit-id', '--name-status', '-r', 'main').trim().split('\n')).toEqual([
      'D\tapps/a/configmap-two.yaml',
      'M\tapps/a/kustomization.yaml',
    ]);
    expect(git(remote, 'rev-parse', 'main:apps/b').trim()).toBe(treeOfB);
    expect(treeAt(remote)['README.md']).toBe('hand-written\n');
    expect(history(remote).map((c) => c.subject)).toEqual(['deploy a: -configmap one... ', 'docs', 'deploy 2 apps: a, b'].map((s, i) => (i === 0 ? result.message!.split('\n')[0]! : s)));
  });

  test('the commit message names the changes and carries the state digest and start time as trailers', async () => {
    // GIVEN
    const { remote, base } = setup();
    await deploy({ ...base, compiled: compiled(syntheticApp('node-js-app', { image: 'registry.example.com/node-js-app:6', replicas: 2 })) });
    const app = syntheticApp('node-js-app', { image: 'registry.example.com/node-js-app:7', replicas: 3 });
    // WHEN
    const startedAt = new Date(Date.now() + 1000);
    const result = await deploy({ ...base, compiled: compiled(app), startedAt });
    // THEN
    const digest = execFileSync('node', ['-e', `process.stdout.write(require('node:crypto').createHmac('sha256', Buffer.from('${HMAC_KEY_HEX}', 'hex')).update(${JSON.stringify(app.stateDigestInput)}).digest('hex'))`], { encoding: 'utf8' });
    const expected = [
      'deploy node-js-app: image :6 -> :7, web replicas 2 -> 3',
      '',
      '- image registry.example.com/node-js-app:6 -> registry.example.com/node-js-app:7: node-js-app-web',
      '- replicas node-js-app-web: 2 -> 3',
      '- changed: Deployment node-js-app-web',
      '',
      'Dokku-App: node-js-app',
      `Dokku-State-Digest: node-js-app ${digest}`,
      `Dokku-Deploy-Started: ${startedAt.toISOString()}`,
      '',
    ].join('\n');
    expect(result.message!.split('\n')).toEqual(expected.split('\n'));
    expect(history(remote)[0]!.message).toBe(expected);
  });

  test('a state whose apps are all stopped commits as stop; the real compiler output validates', async () => {
    // GIVEN
    const { remote, base } = setup();
    const doc = (stopped: boolean) =>
      parseState([
        {
          name: 'shop.yaml',
          text: `apiVersion: dokku-gitops/v1\nkind: App\nmetadata:\n  name: shop\nspec:\n  image: registry.example.com/shop:4\n  procfile: "web: npm start"\n  scale: {web: 2}\n  stopped: ${stopped}\n`,
        },
      ]);
    await deploy({ ...base, state: doc(false) });
    // WHEN
    const result = await deploy({ ...base, state: doc(true) });
    // THEN
    expect(result.message!.split('\n')[0]).toBe('stop shop: web replicas 2 -> 0');
    expect(await validateFiles(treeAt(remote))).toBeGreaterThan(2);
  });

  test('the summary of each change equals the summary of the whole app folders before and after', async () => {
    // GIVEN
    const { remote, base } = setup();
    const steps = [
      syntheticApp('a', { secret: { K: 'v1' } }),
      syntheticApp('a', { secret: { K: 'v1' }, configMaps: ['one'] }),
      syntheticApp('a', { secret: { K: 'v2' }, configMaps: ['one'], image: 'x:2' }),
      syntheticApp('a', { secret: { K: 'v2' }, replicas: 5 }),
    ];
    const folder = () => Object.fromEntries(Object.entries(treeAt(remote)).filter(([p]) => p.startsWith('apps/a/')));
    let before: Record<string, string> = {};
    for (const app of steps) {
      // WHEN
      const result = await deploy({ ...base, compiled: compiled(app) });
      // THEN
      const after = folder();
      expect(result.changes).toEqual([summarizeApp('a', before, after)]);
      before = after;
    }
  });

  test('author and committer are configurable', async () => {
    // GIVEN
    const { remote, base } = setup();
    // WHEN
    await deploy({ ...base, compiled: compiled(syntheticApp('a')), author: 'Dokku Host <dokku@example.com>', committer: 'Bot <bot@example.com>' });
    await deploy({ ...base, compiled: compiled(syntheticApp('b')), workdir: join(tempDir(), 'w') });
    // THEN
    expect(git(remote, 'log', '--format=%an <%ae> / %cn <%ce>').trim().split('\n')).toEqual([
      'dokku-gitops <dokku-gitops@localhost> / dokku-gitops <dokku-gitops@localhost>',
      'Dokku Host <dokku@example.com> / Bot <bot@example.com>',
    ]);
  });

  test("fails if '--author' is not 'Name <email>'", async () => {
    const { base } = setup();
    const err = await failure(deploy({ ...base, compiled: compiled(syntheticApp('a')), author: 'nobody' }));
    expect([err.kind, err.message]).toEqual(['input', "'--author' must look like 'Name <email>', got 'nobody'"]);
  });
});

describe('deploy: secrets', () => {
  test('no plaintext secret value reaches any blob of the remote history; sops-age decrypts every value', async () => {
    // GIVEN three deploys with changing secret values
    const { remote, base } = setup();
    const values = ['first-Value-7f3a', 'second-Value-91bc', 'third-Value-c0de', 'pull-Secret-55aa'];
    // WHEN
    await deploy({ ...base, compiled: compiled(syntheticApp('a', { secret: { TOKEN: values[0]!, PULL: values[3]! } })) });
    await deploy({ ...base, compiled: compiled(syntheticApp('a', { secret: { TOKEN: values[1]!, PULL: values[3]! } })) });
    await deploy({ ...base, compiled: compiled(syntheticApp('a', { secret: { TOKEN: values[2]!, PULL: values[3]! }, image: 'x:2' })) });
    // THEN
    const blobs = execFileSync('git', ['cat-file', '--batch-all-objects', '--batch'], { cwd: remote, maxBuffer: 1 << 28 }).toString('latin1');
    expect(history(remote)).toHaveLength(3);
    for (const value of values) {
      expect(blobs.includes(value)).toBe(false);
      expect(blobs.includes(Buffer.from(value).toString('base64'))).toBe(false);
    }
    const file = treeAt(remote)['apps/a/secret-a-env.yaml']!;
    const decrypted = (await sopsAgeDecrypt(file, { secretKey: identity, fileType: 'yaml' })) as { stringData: Record<string, string> };
    expect(decrypted.stringData).toEqual({ TOKEN: values[2], PULL: values[3] });
    expect(parse(treeAt(remote)['.sops.yaml']!)).toEqual({
      creation_rules: [{ path_regex: '(apps|platform)/.*\\.ya?ml$', encrypted_regex: '^(data|stringData)$', age: recipient }],
    });
  });

  test('an unchanged plaintext leaves the Secret file byte-identical', async () => {
    // GIVEN
    const { remote, base } = setup();
    await deploy({ ...base, compiled: compiled(syntheticApp('a', { secret: { TOKEN: 'same' }, image: 'x:1' })) });
    const before = git(remote, 'rev-parse', 'main:apps/a/secret-a-env.yaml').trim();
    // WHEN only the image changes
    await deploy({ ...base, compiled: compiled(syntheticApp('a', { secret: { TOKEN: 'same' }, image: 'x:2' })) });
    // THEN
    expect(history(remote)).toHaveLength(2);
    expect(git(remote, 'rev-parse', 'main:apps/a/secret-a-env.yaml').trim()).toBe(before);
    expect(git(remote, 'diff-tree', '--no-commit-id', '--name-only', '-r', 'main').trim()).toBe('apps/a/deployment-a-web.yaml');
  });

  test("recipients: the repository's .sops.yaml, '--age-recipient' and the host identity", async () => {
    // GIVEN a repository whose .sops.yaml names another recipient, and a host identity
    const { remote, home } = setup();
    const other = await identityToRecipient(await generateX25519Identity());
    pushFiles(remote, { '.sops.yaml': `creation_rules:\n  - path_regex: apps/.*\n    age: ${other}\n` });
    const host = await initKeys({ home });
    // WHEN
    await deploy({ repo: remote, home, ageRecipients: [recipient], compiled: compiled(syntheticApp('a', { secret: { K: 'v' } })) });
    // THEN
    const age = parse(treeAt(remote)['.sops.yaml']!).creation_rules[0].age as string;
    expect(age.split(',')).toEqual([other, recipient, host.recipient].sort());
    const file = parse(treeAt(remote)['apps/a/secret-a-env.yaml']!);
    expect(file.sops.age.map((a: { recipient: string }) => a.recipient)).toEqual([other, recipient, host.recipient].sort());
  });

  test('fails if no age recipient is configured, and commits nothing', async () => {
    // GIVEN
    const { remote, home } = setup();
    // WHEN
    const err = await failure(deploy({ repo: remote, home, compiled: compiled(syntheticApp('a', { secret: { K: 'v' } })) }));
    // THEN
    expect([err.kind, err.message]).toEqual(['input', NO_AGE_RECIPIENT_MESSAGE]);
    expect(err.message).toBe("no age recipient configured: run 'dokku-gitops keys init' or pass --age-recipient, or add one to .sops.yaml");
    expect(git(remote, 'for-each-ref').trim()).toBe('');
  });

  test('fails if plaintext Secrets would be committed without --allow-plaintext-secrets', async () => {
    const { remote, home } = setup();
    const err = await failure(deploy({ repo: remote, home, secrets: 'plaintext', compiled: compiled(syntheticApp('a', { secret: { K: 'v' } })) }));
    expect([err.kind, err.message]).toEqual([
      'input',
      "refusing to commit plaintext Secrets (apps/a/secret-a-env.yaml): use '--secrets sops' or '--secrets sealed-secrets', or pass '--allow-plaintext-secrets' for a throwaway demo",
    ]);
    expect(git(remote, 'for-each-ref').trim()).toBe('');
  });

  test('--allow-plaintext-secrets commits them with a warning', async () => {
    // GIVEN
    const { remote, home } = setup();
    const lines: string[] = [];
    // WHEN
    await deploy({ repo: remote, home, secrets: 'plaintext', allowPlaintextSecrets: true, log: (l) => lines.push(l), compiled: compiled(syntheticApp('a', { secret: { K: 'plain-v' } })) });
    // THEN
    expect(lines[0]).toBe(
      "warning: committing plaintext Secrets to the repository ('--allow-plaintext-secrets'): anyone who can read the repository can read them; use it for throwaway demos only",
    );
    expect(treeAt(remote)['apps/a/secret-a-env.yaml']).toContain('K: plain-v');
    expect(pathsAt(remote)).not.toContain('.sops.yaml');
  });

  test('sealed-secrets: the SealedSecret file replaces the Secret and the kustomization lists it', async () => {
    // GIVEN
    const { remote, home } = setup();
    const { cert } = sealingCert(tempDir());
    // WHEN
    await deploy({ repo: remote, home, secrets: 'sealed-secrets', sealedCert: cert, compiled: compiled(syntheticApp('a', { secret: { K: 'sealed-v' } })) });
    // THEN
    const files = treeAt(remote);
    expect(Object.keys(files).sort()).toEqual(['apps/a/deployment-a-web.yaml', 'apps/a/kustomization.yaml', 'apps/a/sealedsecret-a-env.yaml', 'apps/a/service-a-web.yaml']);
    expect(parse(files['apps/a/kustomization.yaml']!).resources).toEqual(['sealedsecret-a-env.yaml', 'service-a-web.yaml', 'deployment-a-web.yaml']);
    expect(parse(files['apps/a/sealedsecret-a-env.yaml']!).kind).toBe('SealedSecret');
    expect(Object.values(files).join('')).not.toContain('sealed-v');
    const work = tempDir();
    git(work, 'clone', '--quiet', remote, 'c');
    const out = execFileSync('kubectl', ['kustomize', join(work, 'c', 'apps/a')], { encoding: 'utf8' });
    expect(out).toContain('kind: SealedSecret');
  });
});

describe('deploy: bad input', () => {
  test('fails if the repository does not exist', async () => {
    const home = tempDir();
    const missing = join(tempDir(), 'nope.git');
    const err = await failure(deploy({ repo: missing, home, compiled: compiled(syntheticApp('a')) }));
    expect([err.kind, err.message]).toEqual(['input', `'--repo' '${missing}' does not exist or is not a git repository`]);
  });

  test('fails if the branch does not exist in a repository that has others', async () => {
    const { remote, base } = setup();
    pushFiles(remote, { 'README.md': 'x\n' });
    pushFiles(remote, { 'README.md': 'y\n' }, 'seed', 'staging');
    const err = await failure(deploy({ ...base, branch: 'live', compiled: compiled(syntheticApp('a')) }));
    expect([err.kind, err.message]).toEqual(['input', `'--branch' 'live' does not exist in '${remote}' (branches: main, staging)`]);
  });

  test('creates the branch in an empty repository', async () => {
    const { remote, base } = setup();
    const result = await deploy({ ...base, branch: 'live', compiled: compiled(syntheticApp('a')) });
    expect(result.status).toBe('pushed');
    expect(pathsAt(remote, 'live')).toEqual(['apps/a/deployment-a-web.yaml', 'apps/a/kustomization.yaml', 'apps/a/service-a-web.yaml']);
  });

  test('fails if a compiled path would leave its app folder', async () => {
    const { base } = setup();
    const app = syntheticApp('a');
    const evil = { ...app, manifests: [...app.manifests, { path: 'apps/b/x.yaml', content: '# x\n' }, { path: 'apps/a/../../etc/x', content: '# x\n' }] };
    const err = await failure(deploy({ ...base, compiled: compiled(evil) }));
    expect([err.kind, err.message]).toEqual([
      'input',
      "app 'a': output path 'apps/b/x.yaml' is outside 'apps/a/'\napp 'a': output path 'apps/a/../../etc/x' is outside 'apps/a/'",
    ]);
  });

  test('fails if a compiled app name would escape apps/', async () => {
    const { base } = setup();
    const err = await failure(deploy({ ...base, compiled: compiled({ ...syntheticApp('a'), name: '../a' }) }));
    expect([err.kind, err.message]).toEqual([
      'input',
      "app name '../a' would escape 'apps/' or is not a valid app name: use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters",
    ]);
  });

  test("fails if the working clone belongs to another repository", async () => {
    const { base } = setup();
    const workdir = join(tempDir(), 'w');
    await deploy({ ...base, workdir, compiled: compiled(syntheticApp('a')) });
    const other = bareRemote();
    const err = await failure(deploy({ ...base, repo: other, workdir, compiled: compiled(syntheticApp('a')) }));
    expect([err.kind, err.message]).toEqual(['input', `'--workdir' '${workdir}' is a working clone of '${base.repo}', not of '${other}': give another '--workdir'`]);
  });
});

describe('deploy: an unreachable remote', () => {
  test('the commit is queued; push and the next deploy deliver it, nothing is lost', async () => {
    // GIVEN a deployed repository whose remote goes away
    const { remote, base } = setup();
    const workdir = join(tempDir(), 'w');
    await deploy({ ...base, workdir, compiled: compiled(syntheticApp('a')) });
    const away = `${remote}.away`;
    renameSync(remote, away);
    // WHEN
    const err = await failure(deploy({ ...base, workdir, compiled: compiled(syntheticApp('a', { image: 'x:2' })) }));
    // THEN
    expect(err.kind).toBe('failure');
    expect(err.message).toBe(
      `could not push to '${remote}' (branch 'main'): cannot reach the remote: '${remote}' does not appear to be a git repository; ` +
        `1 commit is queued in '${workdir}' and will be delivered by the next 'dokku-gitops deploy' or 'dokku-gitops push'`,
    );
    // a second deploy of another app queues a second commit
    await failure(deploy({ ...base, workdir, compiled: compiled(syntheticApp('b')) }));
    // WHEN the remote is back
    renameSync(away, remote);
    const pushed = await push({ repo: remote, workdir });
    // THEN
    expect([pushed.status, pushed.pushed]).toEqual(['pushed', 2]);
    expect(history(remote).map((c) => c.subject)).toEqual(['deploy b: new app, image registry.example.com/b:1, web replicas 1', 'deploy a: image registry.example.com/a:1 -> x:2', 'deploy a: new app, image registry.example.com/a:1, web replicas 1']);
    expect((await push({ repo: remote, workdir })).status).toBe('up-to-date');
  });

  test('the next deploy delivers a queued commit, after others pushed meanwhile', async () => {
    // GIVEN a queued commit for app a, and someone else's push for app b while the remote was away
    const { remote, base } = setup();
    const workdir = join(tempDir(), 'w');
    await deploy({ ...base, workdir, compiled: compiled(syntheticApp('a')) });
    renameSync(remote, `${remote}.away`);
    await failure(deploy({ ...base, workdir, compiled: compiled(syntheticApp('a', { image: 'x:2' })) }));
    renameSync(`${remote}.away`, remote);
    await deploy({ ...base, workdir: join(tempDir(), 'other'), compiled: compiled(syntheticApp('b')) });
    // WHEN the same state is deployed again
    const result = await deploy({ ...base, workdir, compiled: compiled(syntheticApp('a', { image: 'x:2' })) });
    // THEN
    expect([result.status, result.commit, result.pushed]).toEqual(['pushed', undefined, 1]);
    const log = history(remote);
    expect(log.map((c) => c.subject)).toEqual(['deploy a: image registry.example.com/a:1 -> x:2', 'deploy b: new app, image registry.example.com/b:1, web replicas 1', 'deploy a: new app, image registry.example.com/a:1, web replicas 1']);
    expect(log.every((c) => c.parents.length <= 1)).toBe(true);
  });
});

describe('deploy: the newer state wins', () => {
  test('a deploy that started earlier does not overwrite an app written by one that started later', async () => {
    // GIVEN the later deploy (v2) reached the repository first
    const { remote, base } = setup();
    const lines: string[] = [];
    const t = Date.now() + 10_000;
    await deploy({ ...base, compiled: compiled(syntheticApp('a', { image: 'x:2' })), startedAt: new Date(t + 2000) });
    // WHEN the earlier one (v1) arrives, with another app
    const result = await deploy({
      ...base,
      log: (l) => lines.push(l),
      compiled: compiled(syntheticApp('a', { image: 'x:1' }), syntheticApp('b')),
      startedAt: new Date(t + 1000),
    });
    // THEN
    expect(result.superseded).toEqual(['a']);
    expect(lines[0]).toMatch(new RegExp(`^apps/a: not written, the repository holds a deploy that started later \\(${new Date(t + 2000).toISOString()}, commit [0-9a-f]{12}\\)$`));
    expect(treeAt(remote)['apps/a/deployment-a-web.yaml']).toContain('image: x:2');
    expect(pathsAt(remote)).toContain('apps/b/kustomization.yaml');
  });

  test('a queued commit is dropped when the remote got a later-started deploy of the same app, kept when its own is later', async () => {
    // GIVEN two working clones; clone 1 queues v1 of app a while the remote is away
    const { remote, base } = setup();
    const w1 = join(tempDir(), 'w1');
    const w2 = join(tempDir(), 'w2');
    await deploy({ ...base, workdir: w1, compiled: compiled(syntheticApp('a'), syntheticApp('c')) });
    await deploy({ ...base, workdir: w2, compiled: compiled(syntheticApp('a'), syntheticApp('c')) });
    renameSync(remote, `${remote}.away`);
    const t = Date.now() + 10_000;
    await failure(deploy({ ...base, workdir: w1, compiled: compiled(syntheticApp('a', { image: 'x:1' })), startedAt: new Date(t + 1000) }));
    await failure(deploy({ ...base, workdir: w1, compiled: compiled(syntheticApp('c', { image: 'c:9' })), startedAt: new Date(t + 5000) }));
    renameSync(`${remote}.away`, remote);
    // clone 2 pushes v2 of a (started later than the queued v1) and v3 of c (earlier than the queued c:9)
    await deploy({ ...base, workdir: w2, compiled: compiled(syntheticApp('a', { image: 'x:2' })), startedAt: new Date(t + 2000) });
    await deploy({ ...base, workdir: w2, compiled: compiled(syntheticApp('c', { image: 'c:3' })), startedAt: new Date(t + 3000) });
    // WHEN clone 1 delivers its queue
    const result = await push({ repo: remote, workdir: w1 });
    // THEN a keeps the later-started v2, c gets the later-started c:9
    expect(result.pushed).toBe(1);
    const files = treeAt(remote);
    expect(files['apps/a/deployment-a-web.yaml']).toContain('image: x:2');
    expect(files['apps/c/deployment-c-web.yaml']).toContain('image: c:9');
    expect(history(remote).every((c) => c.parents.length <= 1)).toBe(true);
  });
});

describe('diff', () => {
  test('reports changes without writing to the remote; none once deployed', async () => {
    // GIVEN
    const { remote, base } = setup();
    await deploy({ ...base, compiled: compiled(syntheticApp('a', { replicas: 1 })) });
    const head = git(remote, 'rev-parse', 'main').trim();
    // WHEN
    const changed = await diff({ ...base, compiled: compiled(syntheticApp('a', { replicas: 4, secret: { K: 'hidden-value' } })) });
    const same = await diff({ ...base, compiled: compiled(syntheticApp('a', { replicas: 1 })) });
    // THEN
    expect(changed.changed).toBe(true);
    expect(changed.paths).toEqual(['.sops.yaml', 'apps/a/deployment-a-web.yaml', 'apps/a/kustomization.yaml', 'apps/a/secret-a-env.yaml']);
    expect(changed.summary).toContain('| Replicas | `a-web`: 1 → 4 |');
    expect(changed.summary).toContain('- `apps/a/secret-a-env.yaml` (secret, diff hidden)');
    expect(changed.summary).not.toContain('hidden-value');
    expect(same.changed).toBe(false);
    expect(git(remote, 'rev-parse', 'main').trim()).toBe(head);
  });
});

describe('destroy', () => {
  test("removes the app's folder and its agent objects, and commits", async () => {
    // GIVEN a Flux-managed repository with apps a and b
    const { remote, base } = setup();
    pushFiles(remote, agentManifests({ agent: 'flux', repoUrl: 'ssh://git@git.example.com/gitops.git', branch: 'main', cluster: 'default' }), 'agent');
    await deploy({ ...base, compiled: compiled(syntheticApp('a'), syntheticApp('b')) });
    expect(pathsAt(remote)).toContain('clusters/default/apps/a.yaml');
    expect(await validateFiles({ 'clusters/default/apps/a.yaml': treeAt(remote)['clusters/default/apps/a.yaml']! })).toBe(1);
    // WHEN
    const result = await destroy({ repo: base.repo, home: base.home, app: 'a' });
    // THEN
    expect(result.status).toBe('pushed');
    expect(history(remote)[0]!.subject).toBe('destroy a: remove 2 resources');
    expect(pathsAt(remote).filter((p) => p.startsWith('apps/a/') || p === 'clusters/default/apps/a.yaml')).toEqual([]);
    expect(pathsAt(remote)).toContain('clusters/default/apps/b.yaml');
    expect(pathsAt(remote)).toContain('apps/b/kustomization.yaml');
    expect((await destroy({ repo: base.repo, home: base.home, app: 'a' })).status).toBe('up-to-date');
  });

  test('fails if the app name would escape apps/', async () => {
    const { base } = setup();
    const err = await failure(destroy({ repo: base.repo, home: base.home, app: '../../etc' }));
    expect([err.kind, err.message]).toEqual([
      'input',
      "app name '../../etc' would escape 'apps/' or is not a valid app name: use lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters",
    ]);
  });
});

describe('--mode pr', () => {
  test('pushes dokku-gitops/<app> and leaves the branch alone; the same state again is up to date', async () => {
    // GIVEN
    const { remote, base } = setup();
    await deploy({ ...base, compiled: compiled(syntheticApp('a'), syntheticApp('b')) });
    const main = git(remote, 'rev-parse', 'main').trim();
    // WHEN
    const result = await deploy({ ...base, mode: 'pr', compiled: compiled(syntheticApp('a', { image: 'x:2' }), syntheticApp('b')) });
    const again = await deploy({ ...base, mode: 'pr', compiled: compiled(syntheticApp('a', { image: 'x:2' }), syntheticApp('b')) });
    // THEN
    expect(result.status).toBe('review');
    expect(result.reviews.map((r) => [r.app, r.branch, r.status, r.title])).toEqual([['a', 'dokku-gitops/a', 'pushed', 'deploy a: image registry.example.com/a:1 -> x:2']]);
    expect(result.reviews[0]!.body).toContain('| Image | `registry.example.com/a:1` → `x:2`: `a-web` |');
    expect(git(remote, 'rev-parse', 'main').trim()).toBe(main);
    expect(git(remote, 'rev-parse', 'dokku-gitops/a^').trim()).toBe(main);
    expect(treeAt(remote, 'dokku-gitops/a')['apps/a/deployment-a-web.yaml']).toContain('image: x:2');
    expect(again.reviews.map((r) => r.status)).toEqual(['up-to-date']);
    // the review commit is not queued for the branch
    expect((await push({ repo: base.repo, home: base.home })).status).toBe('up-to-date');
    expect(git(remote, 'rev-parse', 'main').trim()).toBe(main);
  });

  test.each([
    {
      kind: 'github' as const,
      apiPath: '',
      requests: ['GET /repos/acme/gitops/pulls?state=open&head=acme%3Adokku-gitops%2Fa', 'POST /repos/acme/gitops/pulls'],
      created: { number: 7, html_url: 'https://forge.example/acme/gitops/pull/7' },
      body: (title: string, text: string) => ({ title, head: 'dokku-gitops/a', base: 'main', body: text }),
    },
    {
      kind: 'gitlab' as const,
      apiPath: '/api/v4',
      requests: ['GET /api/v4/projects/acme%2Fgitops/merge_requests?state=opened&source_branch=dokku-gitops%2Fa', 'POST /api/v4/projects/acme%2Fgitops/merge_requests'],
      created: { iid: 7, web_url: 'https://forge.example/acme/gitops/pull/7' },
      body: (title: string, text: string) => ({ source_branch: 'dokku-gitops/a', target_branch: 'main', title, description: text }),
    },
    {
      kind: 'gitea' as const,
      apiPath: '/api/v1',
      requests: ['GET /api/v1/repos/acme/gitops/pulls?state=open&limit=50&page=1', 'POST /api/v1/repos/acme/gitops/pulls'],
      created: { number: 7, html_url: 'https://forge.example/acme/gitops/pull/7' },
      body: (title: string, text: string) => ({ head: 'dokku-gitops/a', base: 'main', title, body: text }),
    },
  ])('opens the pull request through the $kind API, with the real summary as its body', async ({ kind, apiPath, requests: expected, created, body }) => {
    // GIVEN a forge API that has no open pull request
    const { base } = setup();
    await deploy({ ...base, compiled: compiled(syntheticApp('a')) });
    const requests: { method: string; url: string; body: unknown }[] = [];
    const server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        requests.push({ method: req.method!, url: req.url!, body: text ? JSON.parse(text) : undefined });
        res.writeHead(req.method === 'GET' ? 200 : 201, { 'content-type': 'application/json' });
        res.end(JSON.stringify(req.method === 'GET' ? [] : created));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${apiPath}`;
    process.env.TEST_FORGE_TOKEN = 'tok';
    try {
      // WHEN
      const result = await deploy({
        ...base,
        mode: 'pr',
        forge: { kind, apiUrl: url, repo: 'acme/gitops', tokenEnv: 'TEST_FORGE_TOKEN' },
        compiled: compiled(syntheticApp('a', { replicas: 3 })),
      });
      // THEN the forge got the real title and the real summary (table, then the diff)
      const review = result.reviews[0]!;
      expect(review.pullRequest).toEqual({ url: 'https://forge.example/acme/gitops/pull/7', number: 7, created: true });
      expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(expected);
      expect(requests[1]!.body).toEqual(body('deploy a: web replicas 1 -> 3', review.body));
      expect(review.body).toContain('| Replicas | `a-web`: 1 → 3 |');
      expect(review.body).toContain('```diff');
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('agents', () => {
  test('per-app agent objects are written when the repository has an agent, or when one is given', async () => {
    // GIVEN an Argo CD cluster folder
    const { remote, base } = setup();
    pushFiles(remote, agentManifests({ agent: 'argocd', repoUrl: 'git@github.com:acme/gitops.git', branch: 'main', cluster: 'default' }), 'agent');
    // WHEN
    await deploy({ ...base, compiled: compiled(syntheticApp('a', { namespace: 'shop' })) });
    await deploy({ ...base, cluster: 'prod', agent: 'flux', agentRepoUrl: 'ssh://git@x/y.git', compiled: compiled(syntheticApp('b')) });
    // THEN
    const files = treeAt(remote);
    const argo = parse(files['clusters/default/apps/a.yaml']!);
    expect([argo.kind, argo.spec.source.repoURL, argo.spec.destination.namespace]).toEqual(['Application', 'git@github.com:acme/gitops.git', 'shop']);
    expect(parse(files['clusters/prod/apps/b.yaml']!).kind).toBe('Kustomization');
    expect(await validateFiles({ a: '', 'clusters/default/apps/a.yaml': files['clusters/default/apps/a.yaml']!, 'clusters/prod/apps/b.yaml': files['clusters/prod/apps/b.yaml']! })).toBe(2);
  });
});

describe('recovery of the working clone', () => {
  test('a killed run leaves half-written files, stale locks and a detached HEAD: the next deploy recovers and keeps queued commits', async () => {
    // GIVEN a working clone with a queued commit, then the debris of a killed run
    const { remote, base } = setup();
    const workdir = join(tempDir(), 'w');
    await deploy({ ...base, workdir, compiled: compiled(syntheticApp('a')) });
    renameSync(remote, `${remote}.away`);
    await failure(deploy({ ...base, workdir, compiled: compiled(syntheticApp('b')) }));
    renameSync(`${remote}.away`, remote);
    writeFileSync(join(workdir, 'apps/a/deployment-a-web.yaml'), 'half-writ');
    mkdirSync(join(workdir, 'apps/zz'));
    writeFileSync(join(workdir, 'apps/zz/junk.yaml'), 'junk');
    git(workdir, 'checkout', '--quiet', '--detach', 'HEAD~1');
    writeFileSync(join(workdir, '.git/dokku-gitops-writing'), '1\n');
    for (const lock of ['.git/index.lock', '.git/refs/heads/main.lock']) {
      writeFileSync(join(workdir, lock), '');
      // left by a git process killed a while ago
      utimesSync(join(workdir, lock), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    }
    writeFileSync(`${workdir}.lock`, JSON.stringify({ pid: 999999, host: (await import('node:os')).hostname(), token: 'dead', since: '2020-01-01T00:00:00Z' }));
    // WHEN
    const lines: string[] = [];
    const result = await deploy({ ...base, workdir, log: (l) => lines.push(l), compiled: compiled(syntheticApp('c')) });
    // THEN
    expect(result.pushed).toBe(2);
    expect(history(remote).map((c) => c.subject.split(':')[0])).toEqual(['deploy c', 'deploy b', 'deploy a']);
    expect(pathsAt(remote).some((p) => p.startsWith('apps/zz'))).toBe(false);
    expect(treeAt(remote)['apps/a/deployment-a-web.yaml']).toBe(syntheticApp('a').manifests.find((m) => m.path === 'apps/a/deployment-a-web.yaml')!.content);
    expect(lines.filter((l) => l.startsWith('recovering'))).toEqual([
      "recovering the working clone: back to branch 'main' from a detached HEAD",
      'recovering the working clone: resetting files a previous run left half-written',
    ]);
    expect(existsSync(join(workdir, 'apps/zz'))).toBe(false);
    expect(readFileSync(join(workdir, '.git/HEAD'), 'utf8')).toBe('ref: refs/heads/main\n');
  });
});
