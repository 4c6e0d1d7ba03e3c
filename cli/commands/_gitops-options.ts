/**
 * Options shared by `deploy`, `diff`, `destroy` and `push`: where the repository is, how Secrets
 * are sealed, and how changes are delivered. Parsed and validated here; the work is in src/deploy.ts.
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { DokkuGitopsError } from '../../src/errors.js';
import type { CompileInputOptions, DeliveryMode, RepoOptions } from '../../src/deploy.js';
import type { ForgeConfig } from '../../src/gitops/forge.js';

/** Raw commander values of the repository options. */
export interface RawRepoOptions {
  readonly repo: string;
  readonly branch: string;
  readonly workdir?: string;
  readonly home?: string;
  readonly author?: string;
  readonly committer?: string;
}

/** Raw commander values of the compile options. */
export interface RawCompileOptions extends RawRepoOptions {
  readonly cluster: string;
  readonly agent?: 'flux' | 'argocd';
  readonly agentRepoUrl?: string;
  readonly secrets: 'sops' | 'sealed-secrets' | 'plaintext';
  readonly ageRecipient: string[];
  readonly cert?: string;
  readonly allowPlaintextSecrets?: boolean;
}

/** Raw commander values of the delivery options. */
export interface RawDeliveryOptions {
  readonly mode: DeliveryMode;
  readonly forge?: ForgeConfig['kind'];
  readonly forgeUrl?: string;
  readonly forgeRepo?: string;
  readonly forgeTokenEnv?: string;
}

/**
 * `--repo`, `--branch`, `--workdir`, `--home`, `--author`, `--committer`.
 *
 * @param repoRequired false where `--repo` is one of two destinations (`cluster platform --out|--repo`)
 */
export function addRepoOptions(command: Command, repoRequired = true): Command {
  const repo = 'the GitOps repository: a git URL, or the path of a local or bare repository';
  return (repoRequired ? command.requiredOption('--repo <url|path>', repo) : command.option('--repo <url|path>', repo))
    .option('--branch <name>', 'branch the GitOps agent applies', 'main')
    .option('--workdir <dir>', 'working clone kept between runs (default: $DOKKU_GITOPS_HOME/work/<repo-and-branch>)')
    .option('--home <dir>', 'directory of the host keys and working clones (default: $DOKKU_GITOPS_HOME, else ~/.dokku-gitops)')
    .option('--author <"Name <email>">', 'commit author (default: "dokku-gitops <dokku-gitops@localhost>")')
    .option('--committer <"Name <email>">', 'commit committer (default: the author)');
}

/** Secrets and agent options of commands that compile a state. */
export function addCompileOptions(command: Command): Command {
  return addRepoOptions(command)
    .option('--cluster <name>', 'cluster whose per-app agent objects (clusters/<cluster>/apps/) follow the apps', 'default')
    .addOption(new Option('--agent <agent>', 'GitOps agent of the per-app objects (default: detected from clusters/<cluster>/)').choices(['flux', 'argocd']))
    .option('--agent-repo-url <url>', 'URL the agent clones, for its per-app objects (default: read from clusters/<cluster>/, else --repo)')
    .addOption(new Option('--secrets <mode>', 'how Secrets are written').choices(['sops', 'sealed-secrets', 'plaintext']).default('sops'))
    .addOption(
      new Option('--age-recipient <recipient>', 'age recipient (age1...) for SOPS, repeatable; added to those of .sops.yaml and the host key')
        .argParser(collect)
        .default([], 'none'),
    )
    .option('--cert <pem>', "Sealed Secrets controller certificate file (from 'kubeseal --fetch-cert'), for --secrets sealed-secrets")
    .option('--allow-plaintext-secrets', 'allow --secrets plaintext to commit Secrets unencrypted (throwaway demos only)', false);
}

/** `--mode` and the forge options. */
export function addDeliveryOptions(command: Command): Command {
  return command
    .addOption(new Option('--mode <mode>', 'commit to the branch, or push a review branch dokku-gitops/<app> and open a pull request').choices(['direct', 'pr']).default('direct'))
    .addOption(new Option('--forge <kind>', 'forge whose REST API opens the pull request (--mode pr)').choices(['github', 'gitlab', 'gitea']))
    .option('--forge-url <url>', 'API base URL (default: https://api.github.com, https://gitlab.com/api/v4; required for gitea)')
    .option('--forge-repo <owner/name>', 'repository on the forge (GitLab: the project path)')
    .option('--forge-token-env <var>', 'environment variable holding the API token (default: GITHUB_TOKEN, GITLAB_TOKEN, GITEA_TOKEN)');
}

/** The repository options for src/deploy.ts, with progress lines on stderr. */
export function repoOptions(raw: RawRepoOptions): RepoOptions {
  return {
    repo: raw.repo,
    branch: raw.branch,
    workdir: raw.workdir,
    home: raw.home,
    author: raw.author,
    committer: raw.committer,
    // when this process started, not when its modules finished loading: of two deploys of an app
    // started one after the other, the later one must win even if it loads faster
    startedAt: new Date(performance.timeOrigin),
    log: (line) => process.stderr.write(`${line}\n`),
  };
}

/** The compile options for src/deploy.ts; reads the certificate file. */
export function compileOptions(states: string[], raw: RawCompileOptions): CompileInputOptions {
  let sealedCert: string | undefined;
  if (raw.cert !== undefined) {
    try {
      sealedCert = readFileSync(raw.cert, 'utf8');
    } catch (err) {
      throw new DokkuGitopsError(`'--cert' '${raw.cert}' cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'input');
    }
  } else if (raw.secrets === 'sealed-secrets') {
    throw new DokkuGitopsError("'--secrets sealed-secrets' needs '--cert <pem>', the controller's certificate (from 'kubeseal --fetch-cert')", 'input');
  }
  return {
    ...repoOptions(raw),
    states,
    cluster: raw.cluster,
    agent: raw.agent,
    agentRepoUrl: raw.agentRepoUrl,
    secrets: raw.secrets,
    ageRecipients: raw.ageRecipient,
    sealedCert,
    allowPlaintextSecrets: raw.allowPlaintextSecrets,
  };
}

const FORGE_DEFAULTS: Record<ForgeConfig['kind'], { url?: string; tokenEnv: string }> = {
  github: { url: 'https://api.github.com', tokenEnv: 'GITHUB_TOKEN' },
  gitlab: { url: 'https://gitlab.com/api/v4', tokenEnv: 'GITLAB_TOKEN' },
  gitea: { tokenEnv: 'GITEA_TOKEN' },
};

/** The forge of `--mode pr`, or undefined; refuses forge options that cannot be used. */
export function forgeOf(raw: RawDeliveryOptions): ForgeConfig | undefined {
  const given = raw.forgeUrl !== undefined || raw.forgeRepo !== undefined || raw.forgeTokenEnv !== undefined;
  if (raw.forge === undefined) {
    if (given) throw new DokkuGitopsError("'--forge-url', '--forge-repo' and '--forge-token-env' need '--forge github|gitlab|gitea'", 'input');
    return undefined;
  }
  if (raw.mode !== 'pr') throw new DokkuGitopsError(`'--forge ${raw.forge}' needs '--mode pr', got '--mode ${raw.mode}'`, 'input');
  const defaults = FORGE_DEFAULTS[raw.forge];
  const apiUrl = raw.forgeUrl ?? defaults.url;
  if (apiUrl === undefined) throw new DokkuGitopsError(`'--forge ${raw.forge}' needs '--forge-url', the API base URL such as 'https://codeberg.org/api/v1'`, 'input');
  if (raw.forgeRepo === undefined) throw new DokkuGitopsError(`'--forge ${raw.forge}' needs '--forge-repo owner/name'`, 'input');
  return { kind: raw.forge, apiUrl, repo: raw.forgeRepo, tokenEnv: raw.forgeTokenEnv ?? defaults.tokenEnv };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
