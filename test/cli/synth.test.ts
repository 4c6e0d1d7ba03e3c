import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { app, problemsOf } from '../_support/compile.js';
import { runCli } from '../_support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'dokku-gitops-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const examples = resolve(import.meta.dirname, '..', '..', 'examples');

describe('dokku-gitops synth', () => {
  it('writes one folder per app under <out>/apps, byte-identical on a second run', () => {
    // GIVEN
    const out = join(dir, 'out');
    // WHEN
    const first = runCli(['synth', examples, '--out', out]);
    // app folders may hold release/ and postdeploy/ sub-folders
    const tree = () => readdirSync(join(out, 'apps'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => [join(e.parentPath, e.name), readFileSync(join(e.parentPath, e.name), 'utf8')]).sort();
    const snapshot = tree();
    const second = runCli(['synth', examples, '--out', out]);
    // THEN
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^synthesized 3 app\(s\) \(go-grpc, node-js-app, python-api\) into .*: \d+ written, 0 removed, 0 unchanged\n$/);
    expect(second.stdout).toMatch(/: 0 written, 0 removed, \d+ unchanged\n$/);
    expect(tree()).toEqual(snapshot);
    expect(snapshot.some(([path]) => path!.includes('/release/'))).toBe(true);
  });

  it('prunes files an app no longer produces, and leaves other apps alone', () => {
    const out = join(dir, 'prune');
    const state = join(dir, 'prune.yaml');
    writeFileSync(state, app('a', 'image: x:1\nprocfile: "web: a\\nworker: b"'));
    writeFileSync(join(dir, 'other.yaml'), app('b', 'image: x:1'));
    runCli(['synth', state, join(dir, 'other.yaml'), '--out', out]);
    writeFileSync(state, app('a', 'image: x:1\nprocfile: "web: a"'));
    const result = runCli(['synth', state, '--out', out]);
    // the kustomization loses the worker's entry
    expect(result.stdout).toMatch(/: 1 written, 1 removed, \d+ unchanged\n$/);
    expect(existsSync(join(out, 'apps/a/deployment-a-worker.yaml'))).toBe(false);
    expect(existsSync(join(out, 'apps/b/deployment-b-web.yaml'))).toBe(true);
  });

  it('reads standard input with -', () => {
    const out = join(dir, 'stdin');
    const result = runCli(['synth', '-', '--out', out], { input: app('from-stdin', 'image: x:1') });
    expect(result.status).toBe(0);
    expect(existsSync(join(out, 'apps/from-stdin/deployment-from-stdin-web.yaml'))).toBe(true);
  });

  it('fails with exit code 2, every problem, no stack trace and nothing written on bad input', () => {
    // GIVEN a state with two problems
    const state = join(dir, 'bad.yaml');
    const text = app('a', 'image: x:1\nbuilder: rocket\ndockerOptions: {deploy: ["--sysctl vm.swappiness=1"]}');
    writeFileSync(state, text);
    const out = join(dir, 'never');
    // WHEN
    const result = runCli(['synth', state, '--out', out], { cwd: dir });
    // THEN the bundled (precompiled) validator says exactly what the library says
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`error: ${problemsOf(text).map((p) => p.replace('state-1.yaml', 'bad.yaml')).join('\n')}\n`);
    expect(result.stderr).not.toMatch(/at .*\.(ts|js|mjs):\d+/);
    expect(existsSync(out)).toBe(false);
  });

  it('fails with exit code 2 when a state file does not exist', () => {
    const result = runCli(['synth', join(dir, 'missing.yaml'), '--out', join(dir, 'x')]);
    expect(result).toEqual({ status: 2, stdout: '', stderr: `error: ${join(dir, 'missing.yaml')}: no such file or directory\n` });
  });
});

describe('dokku-gitops validate and schema', () => {
  it('validate exits 0 on a valid state and writes nothing', () => {
    const cwd = mkdtempSync(join(dir, 'validate-'));
    const result = runCli(['validate', examples], { cwd });
    expect(result).toEqual({ status: 0, stdout: 'valid: 3 app(s): go-grpc, node-js-app, python-api\n', stderr: '' });
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('validate exits 2 with the problems of a bad state', () => {
    const state = join(dir, 'bad-validate.yaml');
    writeFileSync(state, app('a', 'builder: pack'));
    const result = runCli(['validate', state], { cwd: dir });
    expect(result).toEqual({ status: 2, stdout: '', stderr: 'error: bad-validate.yaml:6: app a: spec.image: is required\n' });
  });

  it('schema prints the JSON Schema of state documents', () => {
    const result = runCli(['schema']);
    const schema = JSON.parse(result.stdout);
    expect(result.status).toBe(0);
    expect(schema.$id).toBe('https://dokku-gitops.dev/schema/state-v1.json');
    expect(schema.then.properties.spec.required).toEqual(['image']);
  });
});

describe('help', () => {
  it.each(['synth', 'validate', 'schema'])('%s --help has examples', (command) => {
    const result = runCli([command, '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Examples:');
  });

  it('an unknown command exits 2', () => {
    expect(runCli(['sinth']).status).toBe(2);
  });
});

describe('file-system errors', () => {
  it('fails with a message, not a stack trace, when the output is a file', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const result = runCli(['synth', examples, '--out', file]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^error: ENOTDIR: not a directory/);
    expect(result.stderr).not.toContain('internal error');
  });

  it('validate writes no key file', () => {
    const home = mkdtempSync(join(dir, 'home-'));
    const result = runCli(['validate', examples], { env: { DOKKU_GITOPS_HMAC_KEY: undefined, DOKKU_GITOPS_HOME: home } });
    expect(result.status).toBe(0);
    expect(readdirSync(home)).toEqual([]);
  });
});
