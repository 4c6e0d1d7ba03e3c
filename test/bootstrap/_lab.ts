/**
 * A lab of real OpenSSH servers standing in for cluster nodes. Each node is its own sshd process
 * (Debian openssh-server) with its own host key, started by the test with a generated config:
 * - in a network namespace with its own address on a private /24 joined by a bridge, when this
 *   machine allows creating namespaces (root with iproute2);
 * - otherwise on a loopback port.
 * Every node has a root directory that the stand-ins (test/fixtures/bootstrap) treat as "/", set
 * with sshd's SetEnv together with a PATH that puts the stand-in systemctl, journalctl and curl
 * first. `stop()` kills the servers and deletes the namespaces, bridge and temporary files.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { knownHostName } from '../../src/bootstrap/known-hosts.js';

/** The test fixtures directory with the stand-ins. */
export const FIXTURES = fileURLToPath(new URL('../fixtures/bootstrap', import.meta.url));
/** The air-gap bundle with the stand-in k3s and install.sh; its k3s has each node's default version. */
export const AIRGAP_BUNDLE = join(FIXTURES, 'airgap');

/** A copy of the air-gap bundle whose stand-in k3s binary is of `version` (as a real bundle's is). */
export function airgapBundleOf(version: string): string {
  const dir = mkdtempSync(join(tmpdir(), `dokku-gitops-bundle-${version.replace(/[^a-z0-9.]/gi, '-')}-`));
  // verbatim: k3s-arm64 is a relative link to k3s, which must stay inside the copy
  cpSync(AIRGAP_BUNDLE, dir, { recursive: true, verbatimSymlinks: true });
  const path = join(dir, 'k3s');
  writeFileSync(path, readFileSync(path, 'utf8').replace(/^#!\/bin\/sh\n/, `#!/bin/sh\n# STANDIN_BUNDLE_VERSION=${version}\n`));
  return dir;
}
/** The stand-in systemctl, journalctl and curl. */
export const STANDIN_BIN = join(FIXTURES, 'bin');
/** The stand-ins' logic. */
export const STANDIN_LIB = join(FIXTURES, 'lib');

/** One node of the lab. */
export interface LabNode {
  /** `node1`, `node2`, ... */
  readonly name: string;
  /** The address sshd listens on. */
  readonly address: string;
  /** The port sshd listens on. */
  readonly port: number;
  /** The directory the stand-ins treat as "/". */
  readonly root: string;
  /** The host public key line (`ssh-ed25519 AAAA...`). */
  readonly hostKey: string;
  /** The network namespace, in netns mode. */
  readonly netns?: string;
  /** The port the stand-in API server address uses in kubeconfigs. */
  readonly apiPort: number;
  /** The environment the stand-ins get on this node (what sshd's SetEnv sets). */
  readonly env: Readonly<Record<string, string>>;
}

/** A running lab. */
export interface Lab {
  /** `netns` when nodes have their own network namespaces, `loopback` otherwise. */
  readonly mode: 'netns' | 'loopback';
  /** The third octet of the lab's 10.203.X.0/24 in netns mode. */
  readonly subnet: number;
  /** The nodes. */
  readonly nodes: readonly LabNode[];
  /** Temporary directory of the lab. */
  readonly dir: string;
  /** The shared stand-in cluster state. */
  readonly clusterDir: string;
  /** A private key authorized on every node. */
  readonly clientKey: string;
  /** A private key no node authorizes. */
  readonly otherKey: string;
  /** A known_hosts file listing every node. */
  readonly knownHosts: string;
  /** Run a program inside a node's network (for listeners); returns the child. */
  spawnIn(node: LabNode, command: string, args: readonly string[]): ChildProcess;
  /** Kill everything and clean up. */
  stop(): Promise<void>;
}

function run(command: string, args: readonly string[]): void {
  execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** How many child processes `pid` has (sshd's sessions), from /proc. */
function sessionsOf(pid: number): number {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter((c) => c !== '').length;
  } catch {
    return 0;
  }
}

/** Whether network namespaces can be created here (root, iproute2, kernel support). */
export function canCreateNetns(): boolean {
  if (process.env.DOKKU_GITOPS_TEST_NO_NETNS === '1') return false;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return false;
  const probe = `dgprobe${process.pid % 100000}`;
  const add = spawnSync('ip', ['netns', 'add', probe], { stdio: 'ignore' });
  if (add.status !== 0) return false;
  spawnSync('ip', ['netns', 'del', probe], { stdio: 'ignore' });
  return true;
}

function waitForListening(child: ChildProcess, what: string): Promise<void> {
  return new Promise((resolveReady, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${output}`)), 15_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Server listening on')) {
        clearTimeout(timer);
        resolveReady();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}: ${output}`));
    });
  });
}

/**
 * Claim a free 10.203.X.0/24 for this lab, starting at `preferred`: one not on any interface and not
 * claimed by another running lab (a directory created atomically, naming its owner's pid), so that
 * test runs at the same time on this machine never share addresses.
 */
function claimSubnet(preferred: number): { subnet: number; release: () => void } {
  const inUse = spawnSync('ip', ['-4', '-o', 'addr'], { encoding: 'utf8' }).stdout ?? '';
  for (let i = 0; i < 200; i += 1) {
    const subnet = ((preferred + i) % 250) + 1;
    if (inUse.includes(`10.203.${subnet}.`)) continue;
    const claim = join(tmpdir(), `dokku-gitops-lab-subnet-${subnet}`);
    try {
      mkdirSync(claim);
    } catch {
      const owner = Number(existsSync(join(claim, 'pid')) ? readFileSync(join(claim, 'pid'), 'utf8') : '0');
      let alive = false;
      try {
        alive = owner > 0 && process.kill(owner, 0);
      } catch {
        alive = false;
      }
      // a claim whose owner died (or never wrote its pid) more than a minute ago is stale
      if (alive || Date.now() - statSync(claim).mtimeMs < 60_000) continue;
      rmSync(claim, { recursive: true, force: true });
      try {
        mkdirSync(claim);
      } catch {
        continue;
      }
    }
    writeFileSync(join(claim, 'pid'), String(process.pid));
    return { subnet, release: () => rmSync(claim, { recursive: true, force: true }) };
  }
  throw new Error('no free 10.203.X.0/24 for the lab');
}

/** Options of `startLab`. */
export interface LabOptions {
  /** How many nodes. */
  readonly nodes: number;
  /** The preferred third octet of the lab's 10.203.X.0/24; a free one is claimed from there on. */
  readonly subnet: number;
  /** The k3s version each node's stand-in reports before anything pins one. */
  readonly versions?: readonly string[];
}

/** Start a lab. Call `stop()` in `afterAll`. */
export async function startLab(options: LabOptions): Promise<Lab> {
  const dir = mkdtempSync(join(tmpdir(), 'dokku-gitops-lab-'));
  const mode = canCreateNetns() ? 'netns' : 'loopback';
  const claimed = mode === 'netns' ? claimSubnet(options.subnet) : { subnet: options.subnet, release: () => undefined };
  const subnet = claimed.subnet;
  const tag = `dg${subnet}x${process.pid % 1000}`;
  const bridge = `${tag}br`;
  const children: ChildProcess[] = [];
  const namespaces: string[] = [];
  let bridgeCreated = false;

  const stop = async () => {
    for (const child of children) {
      // sshd's session processes call setsid(); let them end while sshd can still reap them
      for (let i = 0; i < 30 && child.pid !== undefined && sessionsOf(child.pid) > 0; i += 1) await new Promise((r) => setTimeout(r, 100));
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    }
    for (const ns of namespaces) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    if (bridgeCreated) spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
    claimed.release();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const clientKey = join(dir, 'client_ed25519');
    const otherKey = join(dir, 'other_ed25519');
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'dokku-gitops-test-client', '-f', clientKey]);
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'dokku-gitops-test-other', '-f', otherKey]);
    const authorizedKeys = join(dir, 'authorized_keys');
    writeFileSync(authorizedKeys, readFileSync(`${clientKey}.pub`), { mode: 0o600 });
    const clusterDir = join(dir, 'cluster');
    mkdirSync(clusterDir);

    if (mode === 'netns') {
      run('ip', ['link', 'add', bridge, 'type', 'bridge']);
      bridgeCreated = true;
      run('ip', ['addr', 'add', `10.203.${subnet}.1/24`, 'dev', bridge]);
      run('ip', ['link', 'set', bridge, 'up']);
    }

    const nodes: LabNode[] = [];
    const knownHostsLines: string[] = [];
    for (let i = 1; i <= options.nodes; i += 1) {
      const name = `node${i}`;
      const nodeDir = join(dir, name);
      const root = join(nodeDir, 'root');
      mkdirSync(root, { recursive: true });
      const hostKeyPath = join(nodeDir, 'ssh_host_ed25519_key');
      run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${name}-host`, '-f', hostKeyPath]);
      const hostKey = readFileSync(`${hostKeyPath}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
      let address = '127.0.0.1';
      let port = await freePort();
      let apiPort = await freePort();
      let netns: string | undefined;
      if (mode === 'netns') {
        netns = `${tag}n${i}`;
        address = `10.203.${subnet}.${10 + i}`;
        port = 22;
        apiPort = 6443;
        run('ip', ['netns', 'add', netns]);
        namespaces.push(netns);
        run('ip', ['link', 'add', `${tag}h${i}`, 'type', 'veth', 'peer', 'name', `${tag}p${i}`]);
        run('ip', ['link', 'set', `${tag}p${i}`, 'netns', netns]);
        run('ip', ['link', 'set', `${tag}h${i}`, 'master', bridge]);
        run('ip', ['link', 'set', `${tag}h${i}`, 'up']);
        run('ip', ['netns', 'exec', netns, 'ip', 'addr', 'add', `${address}/24`, 'dev', `${tag}p${i}`]);
        run('ip', ['netns', 'exec', netns, 'ip', 'link', 'set', `${tag}p${i}`, 'up']);
        run('ip', ['netns', 'exec', netns, 'ip', 'link', 'set', 'lo', 'up']);
      }
      const env: Record<string, string> = {
        PATH: `${STANDIN_BIN}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
        DOKKU_GITOPS_STANDIN_ROOT: root,
        DOKKU_GITOPS_STANDIN_CLUSTER: clusterDir,
        DOKKU_GITOPS_STANDIN_LIB: STANDIN_LIB,
        DOKKU_GITOPS_STANDIN_K3S_VERSION: options.versions?.[i - 1] ?? 'v1.30.4+k3s1',
        DOKKU_GITOPS_STANDIN_NODE_IP: address,
        DOKKU_GITOPS_STANDIN_API_PORT: String(apiPort),
      };
      const config = join(nodeDir, 'sshd_config');
      writeFileSync(
        config,
        [
          `ListenAddress ${address}:${port}`,
          `HostKey ${hostKeyPath}`,
          'PidFile none',
          'UsePAM no',
          'PermitRootLogin yes',
          'PubkeyAuthentication yes',
          'PasswordAuthentication yes',
          'KbdInteractiveAuthentication no',
          `AuthorizedKeysFile ${authorizedKeys}`,
          // the temporary directory is under world-writable /tmp
          'StrictModes no',
          'MaxStartups 50',
          'MaxSessions 50',
          `SetEnv ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')}`,
          '',
        ].join('\n'),
      );
      const args = ['-D', '-e', '-f', config];
      const child = netns ? spawn('ip', ['netns', 'exec', netns, '/usr/sbin/sshd', ...args], { stdio: ['ignore', 'ignore', 'pipe'] }) : spawn('/usr/sbin/sshd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
      children.push(child);
      await waitForListening(child, `sshd of ${name}`);
      knownHostsLines.push(`${knownHostName(address, port)} ${hostKey}`);
      nodes.push({ name, address, port, root, hostKey, ...(netns ? { netns } : {}), apiPort, env });
    }
    const knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, `${knownHostsLines.join('\n')}\n`);
    return {
      mode,
      subnet,
      nodes,
      dir,
      clusterDir,
      clientKey,
      otherKey,
      knownHosts,
      spawnIn(node, command, args) {
        const child = node.netns ? spawn('ip', ['netns', 'exec', node.netns, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        children.push(child);
        return child;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Read a file under a node's root, or undefined. */
export function readOnNode(node: LabNode, path: string): string | undefined {
  const full = join(node.root, path);
  return existsSync(full) ? readFileSync(full, 'utf8') : undefined;
}

/** The JSON lines of a stand-in log under a node's root. */
export function jsonLines<T = Record<string, unknown>>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);
}
