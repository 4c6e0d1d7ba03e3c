/**
 * Edge cases of the report parsers that the recorded scenarios do not reach.
 */
import { describe, expect, test } from 'vitest';
import { imageOf, portsOf, resourcesOf, scopedMetadataOf, storageEntryOf, ANNOTATION_TYPES } from '../../src/dokku-host/_reports.js';

describe('resource:report', () => {
  test('a process type named resource-* is kept; its legacy twin is dropped', () => {
    // GIVEN the report of `resource:limit --process-type resource-sync --memory 256`
    const report = { 'resource-sync.limit.memory': '256', 'resource-resource-sync.limit.memory': '256' };

    // WHEN
    const warnings: string[] = [];
    const resources = resourcesOf(report, (m) => warnings.push(m));

    // THEN
    expect(resources).toEqual({ 'resource-sync': { limit: { memory: '256' } } });
    expect(warnings).toEqual([]);
  });
});

describe('ports:report', () => {
  test('user maps win over detected ones; one map per scheme and host port; internal maps dropped', () => {
    // GIVEN
    const report = {
      'map-json': '[{"container_port":5000,"host_port":80,"scheme":"http"},{"container_port":6000,"host_port":80,"scheme":"http"},{"container_port":1,"host_port":1,"scheme":"__internal__"}]',
      'map-detected-json': '[{"container_port":8080,"host_port":80,"scheme":"http"}]',
    };

    // WHEN / THEN
    expect(portsOf('dokku ports:report app --format json', report)).toEqual(['http:80:5000']);
  });

  test('fails if a map list is not JSON, naming the command and key', () => {
    // GIVEN / WHEN / THEN
    expect(() => portsOf('dokku ports:report app --format json', { 'map-json': 'http:80:5000' })).toThrow(
      `'dokku ports:report app --format json (map-json)' did not print JSON: got "http:80:5000"`,
    );
  });
});

describe('registry:report', () => {
  test('push on release without a tag version is tag 1; no repo means dokku/<app>', () => {
    // GIVEN / WHEN / THEN
    expect(imageOf('app', { 'computed-server': 'ghcr.io/', 'computed-push-on-release': 'true' }, 'latest')).toBe('ghcr.io/dokku/app:1');
  });
});

describe('annotations report', () => {
  test('a process type literally named like a resource type is still the process type', () => {
    // GIVEN
    const report = { 'service.service.example.com/a': 'x' };

    // WHEN / THEN
    expect(scopedMetadataOf(report, ANNOTATION_TYPES, 'annotation', () => {})).toEqual({ service: { service: { 'example.com/a': 'x' } } });
  });
});

describe('storage entries', () => {
  test('fails if a k3s entry has no size', () => {
    // GIVEN / WHEN / THEN
    expect(() =>
      storageEntryOf(
        { index: 1, entryName: 'data', containerPath: '/data', phases: ['deploy'], processType: '_default_', subpath: '', readonly: false },
        { name: 'data', scheduler: 'k3s' },
        () => {},
      ),
    ).toThrow("storage entry 'data' has no size: set one with 'dokku storage:set data size 1Gi'");
  });

  test('a process-specific attachment is mounted everywhere, with a warning', () => {
    // GIVEN
    const warnings: string[] = [];

    // WHEN
    const entry = storageEntryOf(
      { index: 1, entryName: 'data', containerPath: '/data', phases: ['deploy'], processType: 'web', subpath: 'uploads', readonly: true },
      { name: 'data', scheduler: 'k3s', size: '1Gi', access_mode: 'ReadWriteMany' },
      (m) => warnings.push(m),
    );

    // THEN
    expect(entry).toEqual({ name: 'data', mountPath: '/data', size: '1Gi', subPath: 'uploads', readOnly: true, accessMode: 'ReadWriteMany' });
    expect(warnings).toEqual(["storage entry 'data' is attached for process type 'web' only, but is mounted in every process (as scheduler-k3s does)"]);
  });
});
