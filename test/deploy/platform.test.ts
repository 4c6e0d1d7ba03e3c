import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, test } from 'vitest';
import { generatePlatform } from '../../src/bootstrap/platform.js';
import { IngressClass } from '../../src/bootstrap/choices.js';
import { commitPlatformCharts, deploy } from '../../src/deploy.js';
import { DokkuGitopsError } from '../../src/errors.js';
import { parseState } from '../../src/state/load.js';
import { compile } from '../../src/compile.js';
import { HMAC_KEY_HEX, bareRemote, useTestHmacKey, history, pathsAt, tempDir, treeAt } from './_repo-fixtures.js';

const APP = 'apiVersion: dokku-gitops/v1\nkind: App\nmetadata: {name: a}\nspec: {image: "x:1"}\n';
useTestHmacKey();

const compiledApp = () => compile(parseState([{ name: 'a.yaml', text: APP }]), { hmacKey: Buffer.from(HMAC_KEY_HEX, 'hex') });

describe('platform/ in the GitOps repository', () => {
  test('cluster platform --repo commits platform/charts/ and an index that lists it; a deploy adds platform/dokku/ to it', async () => {
    // GIVEN an empty remote
    const remote = bareRemote();
    const home = tempDir();
    // WHEN the platform charts are committed, then an app is deployed
    const charts = await commitPlatformCharts({ repo: remote, home, files: generatePlatform({ ingressClass: IngressClass.traefik() }) });
    const app = await deploy({ repo: remote, home, compiled: compiledApp(), secrets: 'plaintext', allowPlaintextSecrets: true });
    // THEN
    expect(charts.status).toBe('pushed');
    expect(app.status).toBe('pushed');
    expect(history(remote).map((c) => c.subject.split(':')[0])).toEqual(['deploy a', 'deploy platform/charts']);
    const files = treeAt(remote);
    expect(parse(files['platform/kustomization.yaml']!).resources).toEqual(['charts', 'dokku']);
    expect(pathsAt(remote).filter((p) => p.startsWith('platform/charts/'))).toEqual(generatePlatform({ ingressClass: IngressClass.traefik() }).map((f) => f.path).sort());
    // and kustomize builds platform/ as one unit, as the agents apply it
    const checkout = tempDir();
    execFileSync('git', ['clone', '-q', remote, checkout]);
    const built = execFileSync('kubectl', ['kustomize', join(checkout, 'platform')], { encoding: 'utf8' });
    expect(built).toContain('kind: HelmChartConfig');
  });

  test('the same charts twice commit nothing', async () => {
    const remote = bareRemote();
    const home = tempDir();
    await commitPlatformCharts({ repo: remote, home, files: generatePlatform() });
    const again = await commitPlatformCharts({ repo: remote, home, files: generatePlatform() });
    expect(again.status).toBe('up-to-date');
    expect(history(remote)).toHaveLength(1);
  });

  test('an index lists every platform sub-folder with a kustomization, the operator\'s own included', async () => {
    // GIVEN a repository whose platform/ has a folder of the operator's own
    const remote = bareRemote();
    const home = tempDir();
    const seed = tempDir();
    execFileSync('git', ['clone', '-q', remote, seed]);
    mkdirSync(join(seed, 'platform/mine'), { recursive: true });
    writeFileSync(join(seed, 'platform/mine/kustomization.yaml'), 'resources: []\n');
    execFileSync('git', ['-C', seed, 'add', '-A']);
    execFileSync('git', ['-C', seed, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'mine']);
    execFileSync('git', ['-C', seed, 'push', '-q', 'origin', 'HEAD:main']);
    // WHEN
    await deploy({ repo: remote, home, compiled: compiledApp(), secrets: 'plaintext', allowPlaintextSecrets: true });
    // THEN
    expect(parse(treeAt(remote)['platform/kustomization.yaml']!).resources).toEqual(['dokku', 'mine']);
  });

  test('fails if a chart file lies outside platform/charts/', async () => {
    const err = await commitPlatformCharts({ repo: bareRemote(), home: tempDir(), files: [{ path: 'apps/x/evil.yaml', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DokkuGitopsError);
    expect((err as DokkuGitopsError).message).toBe("platform charts must lie in 'platform/charts/': 'apps/x/evil.yaml'");
  });
});
