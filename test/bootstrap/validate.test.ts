import { describe, expect, it } from 'vitest';
import {
  checkDuration,
  checkExtenderName,
  checkHost,
  checkHttpUrl,
  checkIp,
  checkK3sVersion,
  checkKubeletArg,
  checkLabel,
  checkNodeName,
  checkPort,
  checkSshUser,
  checkVerb,
  compareK3sVersions,
  isDnsName,
  parseK3sVersion,
} from '../../src/bootstrap/validate.js';

describe('host names and addresses', () => {
  it('accepts DNS names and IP addresses', () => {
    // GIVEN / WHEN / THEN
    expect(['node-1', 'k3s.example.com', '10.0.0.5', 'fd00::2', 'A.B'].map((v) => checkHost('node', v))).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it('rejects shell metacharacters and malformed names', () => {
    // GIVEN / WHEN / THEN
    expect(checkHost('node', 'host;touch /tmp/x')).toBe('node: "host;touch /tmp/x" is not a host name or IP address');
    expect(['$(id)', 'a b', '-oProxyCommand=x', 'a..b', '', `${'a'.repeat(64)}.com`, 'host`id`'].map((v) => checkHost('node', v) !== undefined)).toEqual([true, true, true, true, true, true, true]);
    expect(isDnsName(`${'a.'.repeat(126)}ab`)).toBe(false);
  });

  it('checks IP addresses and ports', () => {
    // GIVEN / WHEN / THEN
    expect(checkIp("'--server-ip'", '10.0.0.1')).toBeUndefined();
    expect(checkIp("'--server-ip'", 'example.com')).toBe(`'--server-ip': "example.com" is not an IP address`);
    expect(checkPort('node', 22)).toBeUndefined();
    expect(checkPort('node', 70000)).toBe('node: port "70000" is not between 1 and 65535');
  });
});

describe('checkSshUser', () => {
  it('accepts login names', () => {
    // GIVEN / WHEN / THEN
    expect(['root', 'ubuntu', 'deploy-user', '_svc', 'first.last'].map((u) => checkSshUser('node', u))).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it('rejects metacharacters', () => {
    // GIVEN / WHEN / THEN
    expect(checkSshUser('node', 'ro$(id)ot')).toBe(`node: user "ro$(id)ot" is not a valid login name (a letter or '_', then letters, digits, '.', '_' or '-', 32 characters at most)`);
    expect(['-oProxyCommand', 'a b', 'a;b', '', 'x'.repeat(33)].map((u) => checkSshUser('node', u) !== undefined)).toEqual([true, true, true, true, true]);
  });
});

describe('checkLabel', () => {
  it('accepts Kubernetes labels', () => {
    // GIVEN / WHEN / THEN
    expect(['tier=edge', 'example.com/zone=a', 'empty=', 'a.b_c-d=E.f_g-H'].map((l) => checkLabel("'--label'", l))).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('rejects labels with shell metacharacters or bad syntax, with the reason', () => {
    // GIVEN / WHEN / THEN
    expect(checkLabel("'--label'", 'tier')).toBe(`'--label': "tier" is not key=value, for example tier=edge`);
    expect(checkLabel("'--label'", 'ti;er=x')).toBe(`'--label': "ti;er=x" has an invalid label key (optional DNS prefix and '/', then 63 characters at most: letters, digits, '-', '_', '.')`);
    expect(checkLabel("'--label'", 'tier=$(touch /tmp/x)')).toBe(`'--label': "tier=$(touch /tmp/x)" has an invalid label value (63 characters at most: letters, digits, '-', '_', '.', starting and ending with a letter or digit)`);
    expect(checkLabel("'--label'", `tier=${'a'.repeat(64)}`)).not.toBeUndefined();
    expect(checkLabel("'--label'", 'Example.com/zone=a')).not.toBeUndefined();
  });
});

describe('checkKubeletArg', () => {
  it('accepts key=value with any printable value', () => {
    // GIVEN / WHEN / THEN
    expect(['max-pods=110', 'eviction-hard=memory.available<100Mi,nodefs.available<10%', 'system-reserved=cpu=$(touch /tmp/x)'].map((a) => checkKubeletArg("'--kubelet-args'", a))).toEqual([undefined, undefined, undefined]);
  });

  it('rejects bad flag names and control characters', () => {
    // GIVEN / WHEN / THEN
    expect(checkKubeletArg("'--kubelet-args'", 'max-pods')).toBe(`'--kubelet-args': "max-pods" is not key=value, for example max-pods=110`);
    expect(checkKubeletArg("'--kubelet-args'", '--max-pods=1')).toBe(`'--kubelet-args': "--max-pods=1" has an invalid flag name "--max-pods" (lowercase letters, digits and '-', without leading dashes)`);
    expect(checkKubeletArg("'--kubelet-args'", 'a;b=1')).toBe(`'--kubelet-args': "a;b=1" has an invalid flag name "a;b" (lowercase letters, digits and '-', without leading dashes)`);
    expect(checkKubeletArg("'--kubelet-args'", 'max-pods=1\nrm -rf /')).toBe(`'--kubelet-args': "max-pods=1\\nrm -rf /" contains a control character`);
  });
});

describe('versions', () => {
  it('checks k3s release names', () => {
    // GIVEN / WHEN / THEN
    expect(['v1.30.4+k3s1', 'v1.31.0-rc2+k3s1'].map((v) => checkK3sVersion("'--k3s-version'", v))).toEqual([undefined, undefined]);
    expect(checkK3sVersion("'--k3s-version'", '1.30.4')).toBe(`'--k3s-version': "1.30.4" is not a k3s release, for example v1.30.4+k3s1`);
    expect(checkK3sVersion("'--k3s-version'", 'v1.30.4+k3s1; id')).not.toBeUndefined();
  });

  it('orders versions, release candidates before releases', () => {
    // GIVEN
    const versions = ['v1.30.4+k3s2', 'v1.29.10+k3s1', 'v1.30.4+k3s1', 'v1.30.4-rc1+k3s1', 'v1.9.0+k3s1'];
    // WHEN / THEN
    expect([...versions].sort(compareK3sVersions)).toEqual(['v1.9.0+k3s1', 'v1.29.10+k3s1', 'v1.30.4-rc1+k3s1', 'v1.30.4+k3s1', 'v1.30.4+k3s2']);
    expect(parseK3sVersion('v1.28.9')).toEqual({ major: 1, minor: 28, patch: 9, rc: Number.MAX_SAFE_INTEGER, k3s: 0 });
    expect(parseK3sVersion('garbage')).toBeUndefined();
    expect(compareK3sVersions('garbage', 'v1.0.0')).toBe(1);
  });
});

describe('scheduler extender values', () => {
  it('checks names, verbs, durations and URLs', () => {
    // GIVEN / WHEN / THEN
    expect(checkNodeName('node', 'ip-10-0-0-5-abcdef')).toBeUndefined();
    expect(checkNodeName('node', 'Node;1')).toBe(`node: "Node;1" is not a node name (lowercase letters, digits, '-' and '.')`);
    expect(checkExtenderName("'--name'", '90-scheduler-extender')).toBeUndefined();
    expect(checkExtenderName("'--name'", '../etc/passwd')).toBe(`'--name': "../etc/passwd" is not a valid name (lowercase letters, digits and '-', 63 characters at most)`);
    expect(checkVerb("'--filter-verb'", 'api/filter')).toBeUndefined();
    expect(checkVerb("'--filter-verb'", 'filter?x=1')).toBe(`'--filter-verb': "filter?x=1" is not a valid verb (letters, digits, '_', '-' and '/')`);
    expect(checkDuration("'--http-timeout'", '500ms')).toBeUndefined();
    expect(checkDuration("'--http-timeout'", '15')).toBe(`'--http-timeout': "15" is not a duration such as 15s, 500ms or 1m`);
    expect(checkHttpUrl("'--url'", 'http://127.0.0.1:8889')).toBeUndefined();
    expect(checkHttpUrl("'--url'", 'ftp://x')).toBe(`'--url': "ftp://x" is not an http:// or https:// URL without credentials, query or fragment`);
    expect(checkHttpUrl("'--url'", 'not a url')).toBe(`'--url': "not a url" is not a URL such as http://127.0.0.1:8889`);
    expect(checkHttpUrl("'--url'", 'http://user:pw@x:1')).not.toBeUndefined();
  });
});
