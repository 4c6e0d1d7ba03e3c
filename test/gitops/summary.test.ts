import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { DokkuGitopsError } from '../../src/errors.js';
import { commitMessage, reviewBody, summarizeApp } from '../../src/gitops/summary.js';
import { renderYamlFile } from '../../src/gitops/tree.js';
import { appFiles, keyHmacs } from './_app-files.js';

const APP = 'node-js-app';
const IMAGE = 'registry.example.com:5000/dokku/node-js-app';

describe('summarizeApp', () => {
  test('lists added, changed and removed objects, image, replica, secret key and cronjob changes', () => {
    // GIVEN
    const before = appFiles(APP, { image: `${IMAGE}:6`, replicas: { web: 2, worker: 1 }, env: { A: '1', B: '2', C: '3' }, releaseHash: 'aaaa' });
    const after = appFiles(APP, { image: `${IMAGE}:7`, replicas: { web: 3, worker: 1 }, cron: ['3k2j1h0a9z'], env: { A: '1', B: 'x', D: '4' }, releaseHash: 'bbbb' });
    // WHEN
    const change = summarizeApp(APP, before, after);
    // THEN
    expect(change).toEqual({
      app: APP,
      added: [
        { kind: 'CronJob', name: 'node-js-app-cron-3k2j1h0a9z', namespace: 'default' },
        { kind: 'Job', name: 'node-js-app-release-bbbb', namespace: 'default' },
      ],
      changed: [
        { kind: 'Deployment', name: 'node-js-app-web', namespace: 'default' },
        { kind: 'Deployment', name: 'node-js-app-worker', namespace: 'default' },
        { kind: 'Secret', name: 'config-node-js-app', namespace: 'default' },
      ],
      removed: [{ kind: 'Job', name: 'node-js-app-release-aaaa', namespace: 'default' }],
      images: [
        { container: 'node-js-app-cron-3k2j1h0a9z/node-js-app-cron', to: `${IMAGE}:7` },
        { container: 'node-js-app-release-aaaa/node-js-app-release', from: `${IMAGE}:6` },
        { container: 'node-js-app-release-bbbb/node-js-app-release', to: `${IMAGE}:7` },
        { container: 'node-js-app-web', from: `${IMAGE}:6`, to: `${IMAGE}:7` },
        { container: 'node-js-app-worker', from: `${IMAGE}:6`, to: `${IMAGE}:7` },
      ],
      replicas: [{ name: 'node-js-app-web', from: 2, to: 3 }],
      // every ciphertext changed on re-encryption, but the HMACs show only B's value changed
      secretKeys: [{ secret: 'config-node-js-app', added: ['D'], changed: ['B'], removed: ['C'] }],
      cronjobs: { added: ['node-js-app-cron-3k2j1h0a9z'], removed: [] },
    });
  });

  test('reports nothing for the same files', () => {
    const files = appFiles(APP, { image: `${IMAGE}:6`, env: { A: '1' }, secretMode: 'plaintext' });
    expect(summarizeApp(APP, files, { ...files })).toEqual({ app: APP, added: [], changed: [], removed: [], images: [], replicas: [], secretKeys: [], cronjobs: { added: [], removed: [] } });
  });

  test('marks a first deploy as created and a destroy as deleted', () => {
    const files = appFiles('api', { image: 'dokku/api:1' });
    expect(summarizeApp('api', {}, files).created).toBe(true);
    expect(summarizeApp('api', files, {}).deleted).toBe(true);
    expect(summarizeApp('api', files, files).created).toBeUndefined();
  });

  test('compares SealedSecret keys by their HMACs too', () => {
    const before = appFiles(APP, { image: `${IMAGE}:6`, env: { A: '1', B: '2' }, secretMode: 'sealed' });
    const after = appFiles(APP, { image: `${IMAGE}:6`, env: { A: '1', B: '3' }, secretMode: 'sealed' });
    expect(summarizeApp(APP, before, after).secretKeys).toEqual([{ secret: 'config-node-js-app', added: [], changed: ['B'], removed: [] }]);
  });

  test('falls back to key sets and stored texts without the HMAC annotation', () => {
    // GIVEN SOPS files without key HMACs: every value is re-encrypted, so every key looks changed
    const before = appFiles(APP, { image: `${IMAGE}:6`, env: { A: '1', B: '2' }, secretMode: 'sops-no-hmacs' });
    const after = appFiles(APP, { image: `${IMAGE}:6`, env: { A: '1', C: '3' }, secretMode: 'sops-no-hmacs' });
    // THEN
    expect(summarizeApp(APP, before, after).secretKeys).toEqual([{ secret: 'config-node-js-app', added: ['C'], changed: ['A'], removed: ['B'] }]);
  });

  test('reads stringData keys of a plaintext Secret', () => {
    const secret = (data: Record<string, string>) => ({
      'apps/x/secret-s.yaml': renderYamlFile([{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: data }]),
    });
    expect(summarizeApp('x', secret({ A: '1', B: '2' }), secret({ A: '1', B: '9' })).secretKeys).toEqual([{ secret: 's', added: [], changed: ['B'], removed: [] }]);
    expect(summarizeApp('x', {}, secret({ A: '1' })).secretKeys).toEqual([{ secret: 's', added: ['A'], changed: [], removed: [] }]);
    expect(summarizeApp('x', secret({ A: '1' }), {}).secretKeys).toEqual([{ secret: 's', added: [], changed: [], removed: ['A'] }]);
  });

  test('reports a Deployment that loses its replicas to an autoscaler as unset', () => {
    const before = appFiles(APP, { image: `${IMAGE}:6`, replicas: { web: 2 } });
    const after = appFiles(APP, { image: `${IMAGE}:6`, replicas: { web: undefined } });
    expect(summarizeApp(APP, before, after).replicas).toEqual([{ name: 'node-js-app-web', from: 2 }]);
  });
});

describe('commitMessage', () => {
  test('names the image, replica and cronjob changes in the subject, with trailers', () => {
    // GIVEN
    const before = appFiles(APP, { image: `${IMAGE}:6`, replicas: { web: 2 } });
    const after = appFiles(APP, { image: `${IMAGE}:7`, replicas: { web: 3 }, cron: ['3k2j1h0a9z'] });
    // WHEN
    const message = commitMessage('deploy', [summarizeApp(APP, before, after)], { 'Dokku-State-Digest': 'hmac-sha256:0123abcd' });
    // THEN
    expect(message).toBe(
      [
        'deploy node-js-app: image :6 -> :7, web replicas 2 -> 3, +cronjob node-js-app-cron-3k2j1h0a9z',
        '',
        `- image ${IMAGE}:6 -> ${IMAGE}:7: node-js-app-web`,
        `- image (none) -> ${IMAGE}:7: node-js-app-cron-3k2j1h0a9z/node-js-app-cron`,
        '- replicas node-js-app-web: 2 -> 3',
        '- added: CronJob node-js-app-cron-3k2j1h0a9z',
        '- changed: Deployment node-js-app-web',
        '',
        'Dokku-App: node-js-app',
        'Dokku-State-Digest: hmac-sha256:0123abcd',
        '',
      ].join('\n'),
    );
  });

  test('writes trailers that git reads back', () => {
    const change = summarizeApp(APP, appFiles(APP, { image: `${IMAGE}:6` }), appFiles(APP, { image: `${IMAGE}:7` }));
    const message = commitMessage('deploy', [change], { 'Dokku-State-Digest': 'abc123' });
    const parsed = execFileSync('git', ['interpret-trailers', '--parse'], { input: message, encoding: 'utf8' });
    expect(parsed).toBe('Dokku-App: node-js-app\nDokku-State-Digest: abc123\n');
  });

  test('keeps a long subject near 100 characters and counts what it left out', () => {
    // GIVEN
    const before = appFiles(APP, { image: `${IMAGE}:6`, replicas: { web: 2 }, env: { A: '1', B: '2' } });
    const after = appFiles(APP, { image: `${IMAGE}:7`, replicas: { web: 3 }, cron: ['3k2j1h0a9z', 'abcdefghij'], env: { A: '1', B: '3' }, releaseHash: 'cccc' });
    // WHEN
    const subject = commitMessage('deploy', [summarizeApp(APP, before, after)], {}).split('\n')[0];
    // THEN the env part and the second cronjob are counted; the new release Job follows the image change
    expect(subject).toBe('deploy node-js-app: image :6 -> :7, web replicas 2 -> 3, +cronjob node-js-app-cron-3k2j1h0a9z, +2 more');
  });

  test('names secret key changes of the env without values', () => {
    const before = appFiles(APP, { image: `${IMAGE}:6`, env: { A: 'secret-a', B: 'secret-b' } });
    const after = appFiles(APP, { image: `${IMAGE}:6`, env: { A: 'secret-a2', C: 'secret-c' } });
    const message = commitMessage('deploy', [summarizeApp(APP, before, after)], {});
    expect(message.split('\n').slice(0, 4)).toEqual(['deploy node-js-app: env +C ~A -B', '', '- secret config-node-js-app keys: added C; changed A; removed B', '- changed: Secret config-node-js-app']);
    expect(message).not.toMatch(/secret-a|secret-b|secret-c/);
  });

  test('shows whole image references when the repository changes, and short digests', () => {
    const moved = summarizeApp(APP, appFiles(APP, { image: 'dokku/node-js-app:6' }), appFiles(APP, { image: 'ghcr.io/acme/node-js-app:6' }));
    expect(commitMessage('deploy', [moved], {}).split('\n')[0]).toBe('deploy node-js-app: image dokku/node-js-app:6 -> ghcr.io/acme/node-js-app:6');
    const a = `${IMAGE}@sha256:${'a'.repeat(64)}`;
    const b = `${IMAGE}@sha256:${'b'.repeat(64)}`;
    const pinned = summarizeApp(APP, appFiles(APP, { image: a }), appFiles(APP, { image: b }));
    expect(commitMessage('deploy', [pinned], {}).split('\n')[0]).toBe(`deploy node-js-app: image @sha256:${'a'.repeat(12)} -> @sha256:${'b'.repeat(12)}`);
  });

  test('names other changed objects, and counts them when there are many', () => {
    const base = appFiles(APP, { image: `${IMAGE}:6` });
    const port = summarizeApp(APP, base, appFiles(APP, { image: `${IMAGE}:6`, servicePort: 8080 }));
    expect(commitMessage('deploy', [port], {}).split('\n')[0]).toBe('deploy node-js-app: ~service node-js-app-web');
    const many = summarizeApp(APP, base, appFiles(APP, { image: `${IMAGE}:6`, servicePort: 8080, replicas: { web: 1, a: 1, b: 1, c: 1 } }));
    expect(commitMessage('deploy', [many], {}).split('\n')[0]).toBe('deploy node-js-app: +3 ~1 resources');
  });

  test('describes a new app and a destroyed one', () => {
    const files = appFiles('api', { image: 'dokku/api:1', cron: ['x1'] });
    expect(commitMessage('deploy', [summarizeApp('api', {}, files)], {}).split('\n')[0]).toBe('deploy api: new app, image dokku/api:1, web replicas 1, +cronjob api-cron-x1');
    expect(commitMessage('destroy', [summarizeApp('api', files, {})], {})).toBe(
      [
        'destroy api: remove 3 resources',
        '',
        '- image dokku/api:1 -> (none): api-cron-x1/api-cron, api-web',
        '- replicas api-web: 1 -> (removed)',
        '- removed: CronJob api-cron-x1, Deployment api-web, Service api-web',
        '',
        'Dokku-App: api',
        '',
      ].join('\n'),
    );
  });

  test('names several apps in the subject and details each in the body', () => {
    // GIVEN
    const changes = ['web', 'api', 'worker'].map((app) => summarizeApp(app, appFiles(app, { image: `dokku/${app}:1` }), appFiles(app, { image: `dokku/${app}:2` })));
    // WHEN
    const message = commitMessage('deploy', changes, { 'Dokku-State-Digest': 'd1' });
    // THEN
    expect(message).toBe(
      [
        'deploy 3 apps: api, web, worker',
        '',
        'api:',
        '  - image dokku/api:1 -> dokku/api:2: api-web',
        '  - changed: Deployment api-web',
        'web:',
        '  - image dokku/web:1 -> dokku/web:2: web-web',
        '  - changed: Deployment web-web',
        'worker:',
        '  - image dokku/worker:1 -> dokku/worker:2: worker-web',
        '  - changed: Deployment worker-web',
        '',
        'Dokku-App: api',
        'Dokku-App: web',
        'Dokku-App: worker',
        'Dokku-State-Digest: d1',
        '',
      ].join('\n'),
    );
  });

  test('counts apps only, and names a platform folder apart, without a Dokku-App trailer for it', () => {
    // GIVEN two apps and the platform folder (a unit named after its folder: no app name has a '/')
    const changes = ['web', 'api'].map((app) => summarizeApp(app, appFiles(app, { image: `dokku/${app}:1` }), appFiles(app, { image: `dokku/${app}:2` })));
    changes.push({ ...summarizeApp('platform/dokku', {}, {}), app: 'platform/dokku' });
    // WHEN
    const message = commitMessage('deploy', changes, {});
    // THEN
    expect(message.split('\n')[0]).toBe('deploy 2 apps and platform/dokku: api, web');
    expect(message.split('\n').filter((l) => l.startsWith('Dokku-App:'))).toEqual(['Dokku-App: api', 'Dokku-App: web']);
  });

  test('shortens a subject over many apps', () => {
    const changes = Array.from({ length: 20 }, (_, i) => `app-number-${String(i).padStart(2, '0')}`).map((app) =>
      summarizeApp(app, appFiles(app, { image: `dokku/${app}:1` }), appFiles(app, { image: `dokku/${app}:2` })),
    );
    expect(commitMessage('deploy', changes, {}).split('\n')[0]).toBe(
      'deploy 20 apps: app-number-00, app-number-01, app-number-02, app-number-03, app-number-04, +15 more',
    );
  });

  test('uses given Dokku-App trailers and one trailer per line of a value', () => {
    const change = summarizeApp('api', appFiles('api', { image: 'dokku/api:1' }), appFiles('api', { image: 'dokku/api:2' }));
    const message = commitMessage('stop', [change], { 'Dokku-App': 'api', 'Dokku-State-Digest': 'a\nb' });
    expect(message.split('\n').slice(-4)).toEqual(['Dokku-App: api', 'Dokku-State-Digest: a', 'Dokku-State-Digest: b', '']);
  });

  test('fails if a trailer key is not a git trailer token', () => {
    let error: unknown;
    try {
      commitMessage('deploy', [], { 'State Digest': 'x' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DokkuGitopsError);
    expect((error as Error).message).toBe("commit trailer key 'State Digest' is invalid: use letters, digits and dashes, such as 'Dokku-State-Digest'");
  });
});

describe('reviewBody', () => {
  test('summarizes each app in a table and diffs non-secret files, hiding secret ones', () => {
    // GIVEN
    const env1 = { DATABASE_URL: 'postgres://user:hunter2@db/app', TOKEN: 'tok-1' };
    const env2 = { DATABASE_URL: 'postgres://user:hunter3@db/app', TOKEN: 'tok-1', NEW_KEY: 'value-new' };
    const before = appFiles(APP, { image: `${IMAGE}:6`, replicas: { web: 2 }, env: env1, secretMode: 'plaintext' });
    const after = appFiles(APP, { image: `${IMAGE}:7`, replicas: { web: 3 }, cron: ['3k2j1h0a9z'], env: env2, secretMode: 'plaintext' });
    const changes = [summarizeApp(APP, before, after)];
    // WHEN
    const body = reviewBody(changes, before, after);
    // THEN
    const [summary, diff] = body.split('## Diff\n');
    expect(summary).toBe(
      [
        '## Summary',
        '',
        '### node-js-app',
        '',
        '| Change | Details |',
        '| --- | --- |',
        '| Resources added (1) | `CronJob/node-js-app-cron-3k2j1h0a9z` |',
        '| Resources changed (2) | `Deployment/node-js-app-web`, `Secret/config-node-js-app` |',
        '| Resources removed (0) | none |',
        `| Image | \`${IMAGE}:6\` → \`${IMAGE}:7\`: \`node-js-app-web\`<br>(none) → \`${IMAGE}:7\`: \`node-js-app-cron-3k2j1h0a9z/node-js-app-cron\` |`,
        '| Replicas | `node-js-app-web`: 2 → 3 |',
        '| Secret keys | `config-node-js-app`: added `NEW_KEY`; changed `DATABASE_URL` |',
        '',
        '',
      ].join('\n'),
    );
    expect(diff).toContain('- `apps/node-js-app/secret-config-node-js-app.yaml` (secret, diff hidden)\n');
    expect(diff).toContain('--- a/apps/node-js-app/deployment-node-js-app-web.yaml\n+++ b/apps/node-js-app/deployment-node-js-app-web.yaml\n');
    expect(diff).toContain('\n-  replicas: 2\n+  replicas: 3\n');
    expect(diff).toContain('--- /dev/null\n+++ b/apps/node-js-app/cronjob-node-js-app-cron-3k2j1h0a9z.yaml\n');
    // no secret value, in plain text or base64, and no key HMAC reaches the body
    for (const value of [...Object.values(env1), ...Object.values(env2)]) {
      expect(body).not.toContain(value);
      expect(body).not.toContain(Buffer.from(value).toString('base64'));
    }
    expect(body).not.toContain(JSON.parse(keyHmacs(env2)).NEW_KEY as string);
    expect(body).toMatchSnapshot();
  });

  test('hides SOPS and SealedSecret files too', () => {
    for (const secretMode of ['sops', 'sealed'] as const) {
      const before = appFiles(APP, { image: `${IMAGE}:6`, env: { A: 'value-one' }, secretMode });
      const after = appFiles(APP, { image: `${IMAGE}:6`, env: { A: 'value-two' }, secretMode });
      const body = reviewBody([summarizeApp(APP, before, after)], before, after);
      expect(body).toContain('(secret, diff hidden)');
      expect(body).not.toContain('ENC[');
      expect(body).not.toContain('sealed-');
      expect(body).not.toContain('```diff');
    }
  });

  test('says so when nothing changed', () => {
    const files = appFiles(APP, { image: `${IMAGE}:6` });
    expect(reviewBody([], files, files)).toBe('## Summary\n\nNo app changes.\n\n## Diff\n\nNo file changes.\n');
  });

  test('cuts a diff too long for a pull request at a file boundary, naming the files left out', () => {
    // GIVEN two files of about 40000 characters each
    const big = (tag: string) => Array.from({ length: 2000 }, (_, i) => `key${i}: ${tag}\n`).join('');
    const before = { 'apps/x/a.yaml': big('a1'), 'apps/x/b.yaml': big('b1') };
    const after = { 'apps/x/a.yaml': big('a2'), 'apps/x/b.yaml': big('b2') };
    // WHEN
    const body = reviewBody([], before, after);
    // THEN
    expect(body.length).toBeLessThan(65_536);
    expect(body).toContain('--- a/apps/x/a.yaml');
    expect(body).not.toContain('--- a/apps/x/b.yaml');
    expect(body.endsWith('The diff is too long for this description; not shown: `apps/x/b.yaml`. Run `dokku-gitops diff` to see all of it.\n')).toBe(true);
  });

  test('fences a diff that contains backticks with a longer fence', () => {
    const body = reviewBody([], { 'apps/x/c.yaml': 'a: 1\n' }, { 'apps/x/c.yaml': 'a: "```"\n' });
    expect(body).toContain('````diff\n--- a/apps/x/c.yaml');
    expect(body.trimEnd().endsWith('````')).toBe(true);
  });
});
