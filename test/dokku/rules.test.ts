import { describe, expect, it } from 'vitest';
import { securitySettings } from '../../src/dokku/docker-options.js';
import { completePortMaps, containerPorts, parsePortMap, type PortMap, portMap, primaryPortMap } from '../../src/dokku/ports.js';
import { canonicalQuantity } from '../../src/dokku/quantity.js';
import { containerResources } from '../../src/dokku/resources.js';
import { kubernetesArgs, shellSplit } from '../../src/dokku/shell.js';
import { parseProcfile } from '../../src/dokku/procfile.js';

describe('quantities are canonical, as resource.ParseQuantity(...).String() prints them', () => {
  it.each([
    ['100m', '100m'],
    ['0.5', '500m'],
    ['1000m', '1'],
    ['1500m', '1500m'],
    ['1', '1'],
    ['2.5', '2500m'],
    ['1024Mi', '1Gi'],
    ['1536Mi', '1536Mi'],
    ['0.5Gi', '512Mi'],
    ['300Mi', '300Mi'],
    ['1000', '1k'],
    ['128974848', '128974848'],
    ['1e3', '1e3'],
    ['0Mi', '0'],
    ['0m', '0'],
  ])('%s -> %s', (input, expected) => {
    expect(canonicalQuantity(input)).toBe(expected);
  });

  it.each(['12x', '', 'Mi', '1.2.3', '5 Mi'])('rejects %j', (input) => {
    expect(canonicalQuantity(input)).toBeUndefined();
  });
});

describe('resources follow Dokku: 100m/128Mi requests, no limits, bare memory in Mi, zero drops', () => {
  it('defaults to 100m CPU and 128Mi memory requests and no limits', () => {
    expect(containerResources(undefined, 'web').resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: {} });
  });

  it('reads bare memory numbers as Mi, and "0m"/"0Mi" drop the field (scheduler-k3s-2.bats)', () => {
    // GIVEN resource:reserve --memory 300 --cpu 0m and resource:limit --memory 512
    const { resources } = containerResources({ web: { reserve: { memory: '300', cpu: '0m' }, limit: { memory: '512' } } }, 'web');
    // THEN requests memory 300Mi, no cpu request, limit memory 512Mi
    expect(resources).toEqual({ requests: { memory: '300Mi' }, limits: { memory: '512Mi' } });
  });

  it('drops a zero memory quantity (Dokku compares against "0Mi" after canonicalising to "0", and never drops it)', () => {
    expect(containerResources({ web: { reserve: { memory: '0Mi' } } }, 'web').resources.requests).toEqual({ cpu: '100m' });
  });

  it('keeps the default for "" and "0", as Dokku does', () => {
    expect(containerResources({ web: { reserve: { memory: '0', cpu: '' } } }, 'web').resources.requests).toEqual({ cpu: '100m', memory: '128Mi' });
  });

  it('uses the process value, else _default_, key by key', () => {
    const all = { _default_: { reserve: { cpu: '250m', memory: '256' } }, web: { reserve: { memory: '1Gi' } } };
    expect(containerResources(all, 'web').resources.requests).toEqual({ cpu: '250m', memory: '1Gi' });
    expect(containerResources(all, 'worker').resources.requests).toEqual({ cpu: '250m', memory: '256Mi' });
  });

  it('renders GPU limits (Dokku reads them but its Deployment template drops them)', () => {
    expect(containerResources({ web: { limit: { 'nvidia-gpu': '2' } } }, 'web').resources.limits).toEqual({ 'nvidia.com/gpu': '2' });
  });
});

describe('shell splitting of Procfile and cron commands', () => {
  it.each([
    ['npm start', ['npm', 'start']],
    ['node worker.js  --queue "default jobs"', ['node', 'worker.js', '--queue', 'default jobs']],
    ["echo 'a $HOME b'", ['echo', 'a $HOME b']],
    ['echo a\\ b', ['echo', 'a b']],
    ['echo "x\\"y"', ['echo', 'x"y']],
    ['echo ""', ['echo', '']],
  ])('%s', (input, expected) => {
    expect(shellSplit(input)).toEqual(expected);
  });

  it('expands variables outside single quotes', () => {
    expect(shellSplit('run --port $PORT --db "${DB}" \'$X\'', { expand: (n) => `<${n}>` })).toEqual(['run', '--port', '<PORT>', '--db', '<DB>', '$X']);
  });

  it('throws if a quote is unterminated', () => {
    expect(() => shellSplit('echo "abc')).toThrow('unterminated double quote');
    expect(() => shellSplit("echo 'abc")).toThrow('unterminated single quote');
  });
});

describe('Procfile', () => {
  it('parses entries, skipping comments and blank lines', () => {
    expect(parseProcfile('# web\nweb: npm start\n\nworker:node w.js\n').entries).toEqual([
      { processType: 'web', command: 'npm start', line: 2 },
      { processType: 'worker', command: 'node w.js', line: 4 },
    ]);
  });

  it('reports malformed lines and duplicates', () => {
    expect(parseProcfile('web npm start\nweb: a\nweb: b').problems).toEqual([
      { line: 1, message: 'line 1 "web npm start" is not "<process type>: <command>"' },
      { line: 3, message: 'process type "web" is defined twice (line 3)' },
    ]);
  });
});

describe('port maps', () => {
  const maps = (...specs: string[]) => specs.map((s) => parsePortMap(s) as PortMap);

  it('names maps <scheme>-<host>-<container>', () => {
    expect(parsePortMap('http:80:5000')).toEqual({ scheme: 'http', hostPort: 80, containerPort: 5000, name: 'http-80-5000' });
  });

  it('keeps only http and https, adds https:443 twins with TLS and http:80 twins always, sorted', () => {
    expect(completePortMaps(maps('tcp:2222:22', 'http:8080:3000', 'https:8443:4000'), true).map((m) => m.name)).toEqual([
      'http-80-4000',
      'http-8080-3000',
      'https-443-3000',
      'https-8443-4000',
    ]);
    expect(completePortMaps(maps('http:80:5000'), false).map((m) => m.name)).toEqual(['http-80-5000']);
  });

  it('picks the primary port deterministically, whatever the input order', () => {
    const a = maps('http:8080:3000', 'http:80:5000', 'https:443:5000');
    expect(primaryPortMap(a)?.name).toBe('https-443-5000');
    expect(primaryPortMap([...a].reverse())?.name).toBe('https-443-5000');
    expect(primaryPortMap(maps('http:8080:3000', 'http:80:5000'))?.name).toBe('http-80-5000');
    expect(primaryPortMap(maps('http:9000:1', 'http:8080:3000'))?.name).toBe('http-8080-3000');
  });

  it('declares each container port once: an https map with an http-80 sibling is skipped', () => {
    expect(containerPorts(maps('https:443:5000', 'http:80:5000', 'http:8080:3000')).map((m) => m.name)).toEqual(['http-80-5000', 'http-8080-3000']);
  });

  it('builds twins with portMap()', () => {
    expect(portMap('https', 443, 5000).name).toBe('https-443-5000');
  });
});

describe('docker options', () => {
  it('reads capabilities, privileged and namespaced sysctls, ignoring other options', () => {
    const { settings, problems } = securitySettings([
      '--cap-add=NET_ADMIN',
      '--cap-add sys_ptrace --cap-drop=CAP_MKNOD',
      '--privileged',
      '--sysctl net.ipv4.ip_unprivileged_port_start=1024',
      '-v /data:/data --restart=always -p 80:80',
    ]);
    expect(problems).toEqual([]);
    expect(settings).toEqual({
      capabilitiesAdd: ['NET_ADMIN', 'SYS_PTRACE'],
      capabilitiesDrop: ['MKNOD'],
      privileged: true,
      sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '1024' }],
    });
  });

  it('fails if a sysctl is not name=value', () => {
    expect(securitySettings(['--sysctl=net.core.somaxconn']).problems).toEqual([{ index: 0, message: '--sysctl "net.core.somaxconn" is not name=value' }]);
  });
});

describe('container args that Kubernetes passes on exactly', () => {
  it('writes literal $ as $$ and turns only the asked-for references into $(VAR)', () => {
    expect(kubernetesArgs(`sh -c 'echo $$ $(date)' --port $PORT --db $DATABASE_URL`, { literals: { PORT: '5000' }, references: true })).toEqual([
      'sh',
      '-c',
      'echo $$$$ $$(date)',
      '--port',
      '5000',
      '--db',
      '$(DATABASE_URL)',
    ]);
  });

  it('keeps $VAR as literal text without references', () => {
    expect(kubernetesArgs('echo $HOME ${USER}')).toEqual(['echo', '$$HOME', '$${USER}']);
  });
});
