/**
 * A `FakeOperator` with a small in-memory file system: reads, listings and `test -x` are answered
 * from it and uploads and removals update it, so orchestration tests can follow state across steps
 * without any shell. Other commands are answered by the rules the test adds.
 */
import { posix } from 'node:path';
import { FakeOperator, type FakeOperatorProps } from '../../src/bootstrap/fake-operator.js';
import type { UploadFile } from '../../src/bootstrap/operator.js';
import type { RemoteCommand } from '../../src/bootstrap/shell.js';

export class FakeNode extends FakeOperator {
  public readonly files = new Map<string, string>();

  constructor(props: FakeOperatorProps & { files?: Record<string, string> } = {}) {
    super(props);
    for (const [path, content] of Object.entries(props.files ?? {})) this.files.set(path, content);
    const strip = (p: string) => (this.root === '/' ? p : p.slice(this.root.length));
    this.on((command) => {
      const [program, flag, script] = command.argv;
      if (program === 'sh' && flag === '-c' && script?.startsWith('if [ -e "$1" ]')) {
        const content = this.files.get(strip(command.argv[4]!));
        return content === undefined ? { stdout: '', stderr: '', exitCode: 3 } : { stdout: content, stderr: '', exitCode: 0 };
      }
      if (program === 'sh' && flag === '-c' && script?.startsWith('ext="$1"')) {
        const ext = command.argv[4]!;
        const lines: string[] = [];
        for (const arg of command.argv.slice(5).map(strip)) {
          const inDir = [...this.files.keys()].filter((p) => posix.dirname(p) === arg && p.endsWith(`.${ext}`)).sort();
          for (const p of this.files.has(arg) ? [arg] : inDir) lines.push(`${p}\t${Buffer.from(this.files.get(p)!).toString('base64')}`);
        }
        return { stdout: lines.map((l) => `${l}\n`).join(''), stderr: '', exitCode: 0 };
      }
      if (program === 'test' && flag === '-x') return { stdout: '', stderr: '', exitCode: this.files.has(strip(command.argv[2]!)) ? 0 : 1 };
      if (program === 'rm') {
        this.files.delete(strip(command.argv[3]!));
        return { stdout: '', stderr: '', exitCode: 0 };
      }
      return undefined;
    });
  }

  public override async upload(file: UploadFile): Promise<void> {
    await super.upload(file);
    this.files.set(file.path, file.content === undefined ? `<${file.localPath}>` : Buffer.from(file.content).toString('utf8'));
  }

  /** The recorded events, short: `read <path>`, `list ...`, `upload <path> <mode>`, or the rendered command. */
  public get trace(): string[] {
    return this.events.map((e) => {
      if (e.kind === 'upload') return `upload ${e.file.path} ${e.file.mode.toString(8).padStart(4, '0')}`;
      return summarise(e.command, e.rendered);
    });
  }
}

function summarise(command: RemoteCommand, rendered: string): string {
  const [program, flag, script] = command.argv;
  const sudo = command.sudo ? 'sudo ' : '';
  if (program === 'sh' && flag === '-c' && script?.startsWith('if [ -e "$1" ]')) return `${sudo}read ${command.argv[4]}`;
  if (program === 'sh' && flag === '-c' && script?.startsWith('ext="$1"')) return `${sudo}list ${command.argv.slice(4).join(' ')}`;
  return rendered;
}

/** A Node object as `kubectl get node -o json` prints it. */
export function nodeJson(name: string, options: { server?: boolean; version?: string; ip?: string; ready?: boolean; remote?: string } = {}): Record<string, unknown> {
  return {
    metadata: {
      name,
      labels: options.server ? { 'node-role.kubernetes.io/control-plane': 'true', 'node-role.kubernetes.io/etcd': 'true', 'node-role.kubernetes.io/master': 'true' } : {},
      annotations: options.remote ? { 'dokku.com/remote-host': options.remote } : {},
    },
    status: { conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True' }], nodeInfo: { kubeletVersion: options.version ?? 'v1.30.4+k3s1' }, addresses: options.ip ? [{ type: 'InternalIP', address: options.ip }] : [] },
  };
}
