/**
 * Runs commands on a node over SSH with the `ssh2` package. Host keys are checked against a
 * known_hosts file: an unknown host is refused unless `allowUnknownHosts` is set, and a host
 * whose key differs from the file, or is revoked, is always refused.
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Client, ClientChannel, ConnectConfig } from 'ssh2';
import { DokkuGitopsError } from '../errors.js';
import { uploadThroughExecute } from './_upload.js';
import { checkHostKey, fingerprint, type HostKeyCheck, keyTypeOf, knownHostsLine, knownKeyTypes, parseKnownHosts } from './known-hosts.js';
import type { CommandOperator, UploadFile } from './operator.js';
import { type CommandResult, type RemoteCommand, renderCommand } from './shell.js';
import { formatSshUrl, type SshTarget } from './ssh-target.js';

/** Options of `SshOperator`. */
export interface SshOperatorProps {
  /** The node to connect to. */
  readonly target: SshTarget;

  /**
   * The known_hosts file host keys are checked against.
   *
   * @default - `~/.ssh/known_hosts`
   */
  readonly knownHostsPath?: string;

  /**
   * Accept a host that known_hosts does not list (a changed or revoked key is still refused).
   *
   * @default false
   */
  readonly allowUnknownHosts?: boolean;

  /**
   * A private key file for public key authentication.
   *
   * @default - the first of `~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa` that exists, unless a
   *   password is given
   */
  readonly privateKeyPath?: string;

  /**
   * The passphrase of the private key.
   *
   * @default - the key is not encrypted
   */
  readonly passphrase?: string;

  /**
   * A password for password authentication.
   *
   * @default - no password authentication
   */
  readonly password?: string;

  /**
   * An ssh-agent socket.
   *
   * @default - `SSH_AUTH_SOCK` when set
   */
  readonly agent?: string;

  /**
   * See `CommandOperator.root`.
   *
   * @default '/'
   */
  readonly root?: string;

  /**
   * See `CommandOperator.sudo`.
   *
   * @default - true unless the user is `root`
   */
  readonly sudo?: boolean;

  /**
   * How long to wait for the connection and handshake.
   *
   * @default 20000
   */
  readonly readyTimeoutMs?: number;

  /**
   * Called with a message when an unknown host is accepted because `allowUnknownHosts` is set.
   *
   * @default - the message is dropped
   */
  readonly onWarning?: (message: string) => void;
}

const DEFAULT_HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/**
 * Host key algorithms with those known_hosts lists for the host first, so that the server
 * presents a key the file can vouch for (as OpenSSH does).
 */
export function preferredHostKeyAlgorithms(knownTypes: readonly string[]): string[] {
  const preferred = knownTypes.flatMap((t) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t])).filter((a) => DEFAULT_HOST_KEY_ALGORITHMS.includes(a));
  return [...new Set([...preferred, ...DEFAULT_HOST_KEY_ALGORITHMS])];
}

/** A `CommandOperator` for a node reached over SSH. The connection opens on first use. */
export class SshOperator implements CommandOperator {
  public readonly target: string;
  public readonly root: string;
  public readonly sudo: boolean;
  private readonly props: SshOperatorProps;
  private readonly knownHostsPath: string;
  private connection: Promise<Client> | undefined;
  private client: Client | undefined;

  constructor(props: SshOperatorProps) {
    this.props = props;
    this.target = formatSshUrl(props.target);
    this.root = props.root ?? '/';
    this.sudo = props.sudo ?? props.target.user !== 'root';
    this.knownHostsPath = props.knownHostsPath ?? join(homedir(), '.ssh', 'known_hosts');
  }

  /** Open the connection now (it otherwise opens on the first command), to fail early. */
  public async connect(): Promise<void> {
    await this.connected();
  }

  public async execute(command: RemoteCommand): Promise<CommandResult> {
    const client = await this.connected();
    const line = renderCommand(command);
    return new Promise((resolve, reject) => {
      client.exec(line, (err: Error | undefined, stream: ClientChannel) => {
        if (err) {
          reject(new DokkuGitopsError(`${this.target}: could not start a command: ${err.message}`, 'failure', { cause: err }));
          return;
        }
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        let exitCode: number | undefined;
        stream.on('data', (chunk: Buffer) => stdout.push(chunk));
        stream.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
        stream.on('exit', (code: number | null, signal?: string) => {
          exitCode = typeof code === 'number' ? code : signal ? 128 + (signal === 'KILL' ? 9 : signal === 'TERM' ? 15 : 1) : 255;
        });
        stream.on('close', () => {
          resolve({ stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'), exitCode: exitCode ?? 255 });
        });
        if (command.stdin !== undefined) stream.end(command.stdin);
        else if (command.stdinFile !== undefined) {
          const input = createReadStream(command.stdinFile);
          input.on('error', (readErr) => {
            stream.close();
            reject(readErr);
          });
          input.pipe(stream);
        } else stream.end();
      });
    });
  }

  public upload(file: UploadFile): Promise<void> {
    return uploadThroughExecute(this, file);
  }

  public async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.connection = undefined;
    if (!client) return;
    // wait for the socket to close, so the server's session ends before the caller moves on
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      client.end();
    });
  }

  private connected(): Promise<Client> {
    this.connection ??= this.open();
    return this.connection;
  }

  private authMethods(): { config: Partial<ConnectConfig>; tried: string[] } {
    const config: Partial<ConnectConfig> = {};
    const tried: string[] = [];
    const keyPath = this.props.privateKeyPath ?? (this.props.password === undefined ? defaultKeyPath() : undefined);
    if (keyPath !== undefined) {
      try {
        config.privateKey = readFileSync(keyPath);
      } catch (err) {
        throw new DokkuGitopsError(`'--ssh-key': cannot read ${JSON.stringify(keyPath)}: ${(err as Error).message}`, 'input', { cause: err });
      }
      if (this.props.passphrase !== undefined) config.passphrase = this.props.passphrase;
      tried.push(`publickey (${keyPath})`);
    }
    if (this.props.password !== undefined) {
      config.password = this.props.password;
      tried.push('password');
    }
    const agent = this.props.agent ?? process.env.SSH_AUTH_SOCK;
    if (agent) {
      config.agent = agent;
      tried.push('agent');
    }
    return { config, tried };
  }

  private async open(): Promise<Client> {
    const { Client: SshClient } = await loadSsh2();
    const { target } = this.props;
    const knownHostsText = existsSync(this.knownHostsPath) ? readFileSync(this.knownHostsPath, 'utf8') : '';
    const entries = parseKnownHosts(knownHostsText);
    const { config: auth, tried } = this.authMethods();
    let hostCheck: { check: HostKeyCheck; key: Buffer } | undefined;
    const client = new SshClient();
    return new Promise<Client>((resolve, reject) => {
      let settled = false;
      const fail = (err: DokkuGitopsError) => {
        if (settled) return;
        settled = true;
        client.end();
        this.connection = undefined;
        reject(err);
      };
      client.on('ready', () => {
        settled = true;
        this.client = client;
        resolve(client);
      });
      client.on('error', (err: Error & { level?: string; code?: string }) => {
        fail(this.describeError(err, hostCheck, tried));
      });
      client.on('close', () => {
        if (!settled) fail(new DokkuGitopsError(`${this.target}: the connection closed before login`, 'failure'));
      });
      try {
        client.connect({
        host: target.host,
        port: target.port,
        username: target.user,
        readyTimeout: this.props.readyTimeoutMs ?? 20_000,
        algorithms: { serverHostKey: preferredHostKeyAlgorithms(knownKeyTypes(entries, target.host, target.port)) as never },
        hostVerifier: (key: Buffer) => {
          const check = checkHostKey(entries, target.host, target.port, key);
          hostCheck = { check, key };
          if (check.status === 'known') return true;
          if (check.status === 'unknown' && this.props.allowUnknownHosts) {
            this.props.onWarning?.(`${this.target}: accepting unknown host key ${keyTypeOf(key)} ${fingerprint(key)} because of '--insecure-allow-unknown-hosts'`);
            return true;
          }
          return false;
        },
        ...auth,
        });
      } catch (err) {
        // ssh2 throws synchronously for a private key it cannot parse
        fail(this.describeError(err as Error, hostCheck, tried));
      }
    });
  }

  private describeError(err: Error & { level?: string; code?: string }, hostCheck: { check: HostKeyCheck; key: Buffer } | undefined, tried: string[]): DokkuGitopsError {
    const { target } = this.props;
    if (hostCheck && hostCheck.check.status !== 'known' && !(hostCheck.check.status === 'unknown' && this.props.allowUnknownHosts)) {
      const { check, key } = hostCheck;
      const shown = `${keyTypeOf(key)} ${fingerprint(key)}`;
      if (check.status === 'unknown') {
        return new DokkuGitopsError(
          `${this.target}: host key ${shown} is not in known_hosts ${JSON.stringify(this.knownHostsPath)}; check the fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub) and add the line "${knownHostsLine(target.host, target.port, key)}", or pass '--insecure-allow-unknown-hosts'`,
          'failure',
        );
      }
      if (check.status === 'revoked') {
        return new DokkuGitopsError(`${this.target}: host key ${shown} is marked @revoked in known_hosts ${JSON.stringify(this.knownHostsPath)} line ${check.lines[0]}`, 'failure');
      }
      return new DokkuGitopsError(
        `${this.target}: host key ${shown} does not match known_hosts ${JSON.stringify(this.knownHostsPath)} line ${check.lines.join(', ')}; the host was reinstalled or someone is intercepting the connection. Remove the old line only after checking the new fingerprint`,
        'failure',
      );
    }
    if (err.level === 'client-authentication') {
      const methods = tried.length > 0 ? tried.join(', ') : 'none (no key, password or agent)';
      return new DokkuGitopsError(`${this.target}: authentication failed for user ${JSON.stringify(target.user)} (tried: ${methods}); check '--ssh-key', the DOKKU_GITOPS_SSH_PASSWORD variable or the user's authorized_keys`, 'failure', { cause: err });
    }
    if (err.level === 'client-timeout') {
      return new DokkuGitopsError(`${this.target}: timed out after ${this.props.readyTimeoutMs ?? 20_000}ms waiting for the SSH handshake`, 'failure', { cause: err });
    }
    if (err.code === 'ECONNREFUSED') return new DokkuGitopsError(`${this.target}: connection refused; is sshd listening on port ${target.port}?`, 'failure', { cause: err });
    if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return new DokkuGitopsError(`${this.target}: host ${JSON.stringify(target.host)} not found`, 'failure', { cause: err });
    if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH' || err.code === 'ETIMEDOUT') {
      return new DokkuGitopsError(`${this.target}: host unreachable (${err.code})`, 'failure', { cause: err });
    }
    if (/parse privateKey|Encrypted private key|Cannot parse/i.test(err.message)) {
      return new DokkuGitopsError(`${this.target}: cannot use the private key: ${err.message}; check '--ssh-key' and its passphrase`, 'input', { cause: err });
    }
    return new DokkuGitopsError(`${this.target}: ${err.message}`, 'failure', { cause: err });
  }
}

/**
 * ssh2, loaded when the first connection opens: commands that never connect (platform, list) do
 * not load it. It is bundled into its own chunk (the bundle defines `__dirname` for it), so the
 * CLI packed into the Dokku plugin needs no node_modules.
 */
async function loadSsh2(): Promise<typeof import('ssh2')> {
  const mod = (await import('ssh2')) as typeof import('ssh2') & { default?: typeof import('ssh2') };
  return mod.default ?? mod;
}

function defaultKeyPath(): string | undefined {
  for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
    const path = join(homedir(), '.ssh', name);
    if (existsSync(path)) return path;
  }
  return undefined;
}
