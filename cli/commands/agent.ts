import { Argument, Command } from 'commander';
import { DokkuGitopsError } from '../../src/errors.js';

interface AgentOptions {
  readonly repoUrl: string;
  readonly branch: string;
  readonly cluster: string;
  readonly out: string;
  readonly gitSecret?: string;
  readonly home?: string;
}

/** `dokku-gitops agent`: the Flux or Argo CD objects that make a cluster apply the repo. */
export function agentCommand(): Command {
  return new Command('agent')
    .description('Write the Flux or Argo CD objects that make a cluster apply the GitOps repository, under clusters/<cluster>/')
    .addArgument(new Argument('<agent>', 'the GitOps agent the cluster runs').choices(['flux', 'argocd']))
    .requiredOption('--repo-url <url>', 'URL the cluster clones the repository from (Flux: https://, http:// or ssh://)')
    .option('--branch <name>', 'branch the cluster applies', 'main')
    .option('--cluster <name>', 'cluster name: the files go to clusters/<name>/', 'default')
    .option('--git-secret <name>', 'Flux only: Secret in flux-system holding the Git credentials (flux create secret git)')
    .option('-o, --out <dir>', 'root of a checkout of the GitOps repository', '.')
    .option('--home <dir>', 'directory of the host keys, for the age key path printed (default: $DOKKU_GITOPS_HOME, else ~/.dokku-gitops)')
    // usage errors then reach cli/index.ts (exit 2) instead of commander exiting with 1
    .exitOverride()
    .addHelpText(
      'after',
      `
Writes clusters/<cluster>/ (files whose content is already right are left alone), then
prints the one-time commands that make the cluster apply the repository. Per-app files
(clusters/<cluster>/apps/<app>.yaml) are written by 'deploy'. See docs/gitops.md.

Examples:
  $ dokku-gitops agent flux --repo-url ssh://git@github.com/acme/gitops.git
  $ dokku-gitops agent flux --repo-url https://git.example.com/ops/gitops.git --git-secret gitops-auth --cluster prod
  $ dokku-gitops agent argocd --repo-url git@github.com:acme/gitops.git --branch live -o ~/src/gitops`,
    )
    .action(async (agent: 'flux' | 'argocd', opts: AgentOptions) => {
      if (agent === 'argocd' && opts.gitSecret !== undefined) {
        throw new DokkuGitopsError("'--git-secret' applies to Flux only; register the repository's credentials with Argo CD instead", 'input');
      }
      const { writeAgentFiles, bootstrapSteps } = await import('../../src/agents/index.js');
      const { AGE_KEY_FILE, keysHome } = await import('../../src/secrets/keys.js');
      const { join } = await import('node:path');
      const result = await writeAgentFiles({
        agent,
        repoUrl: opts.repoUrl,
        branch: opts.branch,
        cluster: opts.cluster,
        out: opts.out,
        ...(opts.gitSecret === undefined ? {} : { gitSecret: opts.gitSecret }),
      });
      const lines = [
        ...result.written.map((path) => `wrote ${path}`),
        ...result.unchanged.map((path) => `unchanged ${path}`),
        '',
        'Next, once per cluster:',
        ...bootstrapSteps({ agent, cluster: opts.cluster, branch: opts.branch, identityPath: join(keysHome(opts.home), AGE_KEY_FILE) }).map((line) => `  ${line}`),
        '',
      ];
      process.stdout.write(lines.join('\n'));
    });
}
