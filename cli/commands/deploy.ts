import { Command } from 'commander';
import type { DeployResult } from '../../src/deploy.js';
import {
  addCompileOptions,
  addDeliveryOptions,
  compileOptions,
  forgeOf,
  type RawCompileOptions,
  type RawDeliveryOptions,
} from './_gitops-options.js';

/** `dokku-gitops deploy`: compile a state and commit it to the GitOps repository. */
export function deployCommand(): Command {
  const command = new Command('deploy')
    .description('Compile Dokku app state and commit it to the GitOps repository (only the folders of the apps in the state change)')
    .argument('<state...>', "state files or directories (YAML or JSON); '-' reads standard input");
  addDeliveryOptions(addCompileOptions(command)).addHelpText(
    'after',
    `
The same state twice commits nothing and prints 'up to date'. When the push fails, the
commit stays queued in the working clone; the next 'deploy' or 'dokku-gitops push'
delivers it, and the command exits 1 naming the remote.

Examples:
  $ dokku-gitops keys init
  $ dokku-gitops deploy examples --repo /srv/gitops.git
  $ dokku-gitops collect my-app | dokku-gitops deploy - --repo git@github.com:acme/gitops.git
  $ dokku-gitops deploy app.yaml --repo ssh://git@git.example.com/ops/gitops.git --mode pr \\
      --forge gitea --forge-url https://git.example.com/api/v1 --forge-repo ops/gitops`,
  );
  return command.action(async (states: string[], raw: RawCompileOptions & RawDeliveryOptions) => {
    const forge = forgeOf(raw);
    const { deploy } = await import('../../src/deploy.js');
    const result = await deploy({ ...compileOptions(states, raw), mode: raw.mode, forge });
    process.stdout.write(describeResult(result));
    if (process.env.DOKKU_GITOPS_TIMINGS) process.stderr.write(`timings: ${JSON.stringify({ ...result.timings, process: Math.round(performance.now()) })}\n`);
  });
}

/** What the user reads on stdout after a deploy, destroy or push. */
export function describeResult(result: DeployResult): string {
  const lines: string[] = [];
  if (result.reviews.length > 0) {
    for (const r of result.reviews) {
      if (r.pullRequest) lines.push(`${r.pullRequest.created ? 'opened' : 'updated'} ${r.pullRequest.url} (${r.branch}): ${r.title}`);
      else if (r.status === 'up-to-date') lines.push(`${r.branch} is up to date: ${r.title}`);
      else lines.push(`pushed ${r.branch} to ${result.remote}: ${r.title}`, '', r.body);
    }
  } else if (result.status === 'up-to-date') {
    lines.push('up to date');
  } else if (result.commit !== undefined) {
    const more = result.pushed > 1 ? ` (and ${result.pushed - 1} queued commit${result.pushed > 2 ? 's' : ''})` : '';
    lines.push(`pushed ${result.commit.slice(0, 12)}${more} to ${result.remote}: ${result.message?.split('\n')[0] ?? ''}`);
  } else {
    lines.push(`pushed ${result.pushed} queued commit${result.pushed === 1 ? '' : 's'} to ${result.remote}`);
  }
  return `${lines.join('\n')}\n`;
}
