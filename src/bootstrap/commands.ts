/**
 * Pure builders for every command the bootstrap runs on a node. Each takes the node's context
 * (root directory, sudo) and the values it needs, and returns a `RemoteCommand`; nothing here
 * runs anything. Tests assert their exact output for each option combination.
 */
import type { NodeRole } from './choices.js';
import type { NodeContext } from './operator.js';
import { INSTALL_SCRIPT, K3S_PATHS, onNode } from './paths.js';
import { type RemoteCommand, shScript } from './shell.js';

/** The exit status `readFileCommand` uses for a file that does not exist. */
export const ABSENT_EXIT_CODE = 3;

/** The URL of the k3s install script, used when no air-gap bundle is given. */
export const K3S_INSTALL_URL = 'https://get.k3s.io';

/** The local secure port of the scheduler embedded in a k3s server. */
export const SCHEDULER_HEALTHZ_URL = 'https://127.0.0.1:10259/healthz';

function sudoOf(ctx: NodeContext): { sudo?: true } {
  return ctx.sudo ? { sudo: true } : {};
}

/**
 * Write standard input to `path` atomically with permission bits `mode`, creating missing parent
 * directories with mode 0755. The temporary file is created under umask 077, so a secret is never
 * readable by others, even for a moment.
 */
export function writeFileCommand(ctx: NodeContext, path: string, mode: number, input: { content: string | Uint8Array } | { localPath: string }): RemoteCommand {
  const script = 'umask 022 && mkdir -p -- "$(dirname -- "$1")" && umask 077 && cat > "$1.dokku-gitops.tmp" && chmod "$2" "$1.dokku-gitops.tmp" && mv -f -- "$1.dokku-gitops.tmp" "$1"';
  const args = [onNode(ctx.root, path), mode.toString(8).padStart(4, '0')];
  return 'content' in input
    ? shScript(script, args, { ...sudoOf(ctx), stdin: input.content })
    : shScript(script, args, { ...sudoOf(ctx), stdinFile: input.localPath });
}

/** Print a file; exit with `ABSENT_EXIT_CODE` when it does not exist. */
export function readFileCommand(ctx: NodeContext, path: string): RemoteCommand {
  return shScript(`if [ -e "$1" ]; then exec cat -- "$1"; else exit ${ABSENT_EXIT_CODE}; fi`, [onNode(ctx.root, path)], sudoOf(ctx));
}

/** Remove a file if it exists. */
export function removeFileCommand(ctx: NodeContext, path: string): RemoteCommand {
  return { argv: ['rm', '-f', '--', onNode(ctx.root, path)], ...sudoOf(ctx) };
}

/** Exit 0 when `path` exists and is executable. */
export function isExecutableCommand(ctx: NodeContext, path: string): RemoteCommand {
  return { argv: ['test', '-x', onNode(ctx.root, path)], ...sudoOf(ctx) };
}

/**
 * Print every existing file among `files` and the `*.<extension>` files of `dirs`, one per line as
 * `<path>\t<base64 content>`, so that any content survives the trip intact.
 */
export function readFilesCommand(ctx: NodeContext, files: readonly string[], dirs: readonly string[], extension: string): RemoteCommand {
  const script = [
    'ext="$1"; shift',
    'emit() { [ -f "$1" ] || return 0; printf \'%s\\t\' "$1"; base64 -w0 -- "$1"; printf \'\\n\'; }',
    'for a in "$@"; do if [ -d "$a" ]; then for f in "$a"/*."$ext"; do emit "$f"; done; else emit "$a"; fi; done',
  ].join('\n');
  return shScript(script, [extension, ...files.map((f) => onNode(ctx.root, f)), ...dirs.map((d) => onNode(ctx.root, d))], sudoOf(ctx));
}

/**
 * Parse the output of `readFilesCommand` into node-absolute paths (the root prefix removed) and
 * contents.
 */
export function parseFileListing(stdout: string, root: string): { path: string; content: string }[] {
  const prefix = root === '/' ? '' : root.replace(/\/+$/, '');
  const files: { path: string; content: string }[] = [];
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const tab = line.lastIndexOf('\t');
    if (tab === -1) continue;
    const fullPath = line.slice(0, tab);
    const path = prefix !== '' && fullPath.startsWith(`${prefix}/`) ? fullPath.slice(prefix.length) : fullPath;
    files.push({ path, content: Buffer.from(line.slice(tab + 1), 'base64').toString('utf8') });
  }
  return files;
}

/** `k3s --version`, which prints `k3s version v1.30.4+k3s1 (<commit>)`. */
export function k3sVersionCommand(ctx: NodeContext): RemoteCommand {
  return { argv: [onNode(ctx.root, K3S_PATHS.binary), '--version'], ...sudoOf(ctx) };
}

/** The kubectl embedded in k3s (servers only; it reads the admin kubeconfig). */
export function kubectlCommand(ctx: NodeContext, args: readonly string[]): RemoteCommand {
  return { argv: [onNode(ctx.root, K3S_PATHS.binary), 'kubectl', ...args], ...sudoOf(ctx) };
}

/** Download the k3s install script to the staging directory (online installs). */
export function downloadInstallerCommand(ctx: NodeContext): RemoteCommand {
  return shScript('umask 022 && mkdir -p -- "$(dirname -- "$1")" && curl -sfL --retry 3 -o "$1" "$2"', [onNode(ctx.root, INSTALL_SCRIPT), K3S_INSTALL_URL], sudoOf(ctx));
}

/** Options of `installCommand`. */
export interface InstallCommandOptions {
  /** The role, which picks `INSTALL_K3S_EXEC=server` or `agent`. */
  readonly role: NodeRole;
  /**
   * The exact k3s release to install.
   *
   * @default - the installer's `stable` channel
   */
  readonly version?: string;
  /**
   * The binary and images were copied from an air-gap bundle: `INSTALL_K3S_SKIP_DOWNLOAD=true`.
   *
   * @default false
   */
  readonly airgap?: boolean;
}

/**
 * Run the staged install script. Every k3s setting lives in config.yaml, so the command line
 * carries only the subcommand: upgrades that re-run install.sh keep the settings.
 */
export function installCommand(ctx: NodeContext, options: InstallCommandOptions): RemoteCommand {
  const env: Record<string, string> = { INSTALL_K3S_EXEC: options.role.k3sCommand };
  if (options.airgap) env.INSTALL_K3S_SKIP_DOWNLOAD = 'true';
  if (options.version !== undefined) env.INSTALL_K3S_VERSION = options.version;
  return { argv: ['sh', onNode(ctx.root, INSTALL_SCRIPT)], env, ...sudoOf(ctx) };
}

/** The uninstall script install.sh wrote for `role`. */
export function uninstallCommand(ctx: NodeContext, role: NodeRole): RemoteCommand {
  return { argv: [onNode(ctx.root, role.uninstallScript)], ...sudoOf(ctx) };
}

/** `systemctl <args>`. */
export function systemctlCommand(ctx: NodeContext, args: readonly string[]): RemoteCommand {
  return { argv: ['systemctl', ...args], ...sudoOf(ctx) };
}

/** The messages of `unit` since Unix time `since`, without decoration. */
export function journalCommand(ctx: NodeContext, unit: string, since: number): RemoteCommand {
  return { argv: ['journalctl', '-u', unit, '--since', `@${since}`, '--no-pager', '-o', 'cat'], ...sudoOf(ctx) };
}

/** Ask the scheduler embedded in k3s whether it is healthy (prints `ok`). */
export function schedulerHealthCommand(): RemoteCommand {
  return { argv: ['curl', '-fsSk', '--max-time', '5', SCHEDULER_HEALTHZ_URL] };
}

/** The node's clock, in Unix seconds. */
export function dateCommand(): RemoteCommand {
  return { argv: ['date', '+%s'] };
}

/** The node's machine architecture (`x86_64`, `aarch64`, ...). */
export function archCommand(): RemoteCommand {
  return { argv: ['uname', '-m'] };
}

/** The node's addresses, space-separated. */
export function hostAddressesCommand(): RemoteCommand {
  return { argv: ['hostname', '-I'] };
}
