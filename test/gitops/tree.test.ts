import { describe, expect, test } from 'vitest';
import { DokkuGitopsError } from '../../src/errors.js';
import { orderManifest } from '../../src/canonical.js';
import { GENERATED_HEADER, isSecretFile, parseDocuments, renderYamlFile, subtree, treeObjects } from '../../src/gitops/tree.js';

describe('parseDocuments', () => {
  test('skips the generated header and empty documents', () => {
    // GIVEN
    const content = `${GENERATED_HEADER}\napiVersion: v1\nkind: Service\nmetadata:\n  name: a\n---\n# only a comment\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: b\n`;
    // WHEN
    const objects = parseDocuments('apps/x/service.yaml', content);
    // THEN
    expect(objects).toEqual([
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a' } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'b' } },
    ]);
  });

  test('reads a header-only file as no objects', () => {
    expect(parseDocuments('x.yaml', `${GENERATED_HEADER}\n`)).toEqual([]);
  });

  test('fails if the file is not YAML, naming the file', () => {
    let error: unknown;
    try {
      parseDocuments('apps/x/broken.yaml', 'a: [1, 2\n');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DokkuGitopsError);
    expect((error as Error).message).toMatch(/^cannot parse 'apps\/x\/broken.yaml' as YAML \(document 1\): /);
  });

  test('fails if a document is not a mapping', () => {
    expect(() => parseDocuments('apps/x/list.yaml', '- a\n- b\n')).toThrow("cannot read 'apps/x/list.yaml' (document 1): expected a mapping, received a sequence");
  });
});

describe('treeObjects', () => {
  test('lists objects by path and position, without kustomize files or non-YAML files', () => {
    // GIVEN
    const tree = {
      'apps/x/kustomization.yaml': renderYamlFile([{ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['a.yaml'] }]),
      'apps/x/b.yaml': renderYamlFile([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }]),
      'apps/x/a.yaml': renderYamlFile([
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x-web', namespace: 'shop' } },
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x-web', namespace: 'shop' } },
      ]),
      'apps/x/README.md': '# not a manifest\n',
      'apps/x/.gitkeep': '',
    };
    // WHEN
    const objects = treeObjects(tree).map(({ object: _object, ...rest }) => rest);
    // THEN
    expect(objects).toEqual([
      { path: 'apps/x/a.yaml', index: 0, apiVersion: 'apps/v1', kind: 'Deployment', name: 'x-web', namespace: 'shop' },
      { path: 'apps/x/a.yaml', index: 1, apiVersion: 'v1', kind: 'Service', name: 'x-web', namespace: 'shop' },
      { path: 'apps/x/b.yaml', index: 0, apiVersion: 'v1', kind: 'Namespace', name: 'shop' },
    ]);
  });
});

describe('subtree', () => {
  test('keeps the files under a folder only, not a sibling with the same prefix', () => {
    const tree = { 'apps/web/a.yaml': 'a', 'apps/web/release/b.yaml': 'b', 'apps/web-2/c.yaml': 'c', 'platform/d.yaml': 'd' };
    expect(subtree(tree, 'apps/web')).toEqual({ 'apps/web/a.yaml': 'a', 'apps/web/release/b.yaml': 'b' });
    expect(subtree(tree, 'apps/web/')).toEqual({ 'apps/web/a.yaml': 'a', 'apps/web/release/b.yaml': 'b' });
  });
});

describe('isSecretFile', () => {
  test.each([
    ['a plaintext Secret', 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  A: YQ==\n', true],
    ['a SOPS-encrypted Secret', 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  A: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\nsops:\n  mac: x\n', true],
    ['a SealedSecret', 'apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: s\nspec:\n  encryptedData:\n    A: AgB\n', true],
    ['a SOPS file of another kind', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\nsops:\n  mac: x\n', true],
    ['a file that cannot be parsed', 'a: [1\n', true],
    ['a Deployment', 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n', false],
    ['a Secret of another API group', 'apiVersion: example.com/v1\nkind: Secret\nmetadata:\n  name: d\n', false],
  ])('%s: %s', (_label, content, expected) => {
    expect(isSecretFile('apps/x/file.yaml', content)).toBe(expected);
  });

  test('finds SOPS ciphertext in any file, and ignores non-YAML files otherwise', () => {
    expect(isSecretFile('apps/x/env.txt', 'A=ENC[AES256_GCM,data:x]')).toBe(true);
    expect(isSecretFile('apps/x/notes.txt', 'kind: Secret')).toBe(false);
  });
});

describe('renderYamlFile', () => {
  test('puts apiVersion, kind, metadata first, sorts other keys, quotes what YAML 1.1 reads as booleans (on, n, yes) or octal', () => {
    // WHEN
    const text = renderYamlFile([
      { spec: { b: 'yes', a: '0755', list: [{ z: 1, kind: 'x' }] }, metadata: { name: 'n', annotations: { on: 'on' } }, kind: 'ConfigMap', apiVersion: 'v1' },
      { kind: 'Service', apiVersion: 'v1', metadata: { name: 's' }, data: undefined },
    ]);
    // THEN
    expect(text).toBe(
      [
        GENERATED_HEADER,
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  annotations:',
        '    "on": "on"',
        '  name: "n"',
        'spec:',
        '  a: "0755"',
        '  b: "yes"',
        '  list:',
        '    - kind: x',
        '      z: 1',
        '---',
        'apiVersion: v1',
        'kind: Service',
        'metadata:',
        '  name: s',
        '',
      ].join('\n'),
    );
  });

  test('never folds long lines', () => {
    const long = 'x'.repeat(300);
    expect(renderYamlFile([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: `${long} ${long}` } }]).split('\n')).toContain(`  a: ${long} ${long}`);
  });
});

describe('orderManifest', () => {
  test('keeps arrays in order and sorts nested keys alphabetically', () => {
    expect(JSON.stringify(orderManifest({ b: [{ y: 1, x: 2 }], metadata: {}, a: { kind: 1, apiVersion: 2 } }))).toBe('{"metadata":{},"a":{"apiVersion":2,"kind":1},"b":[{"x":2,"y":1}]}');
  });
});
