import { Command } from 'commander';
import { requestExitCode, setFailureExitCode } from '../exit.js';
import { addCompileOptions, compileOptions, type RawCompileOptions } from './_gitops-options.js';

/** `dokku-gitops diff`: what a deploy would change in the GitOps repository. */
export function diffCommand(): Command {
  const command = new Command('diff')
    .description('Show what a deploy of the state would change in the GitOps repository (summary and diff), without writing to it')
    .argument('<state...>', "state files or directories (YAML or JSON); '-' reads standard input");
  addCompileOptions(command).addHelpText(
    'after',
    `
Exit code 0: no change; 1: changes (printed as a summary table and a diff, Secret values hidden);
2: bad input; 3: the comparison could not be made (for example, the remote cannot be reached).

Examples:
  $ dokku-gitops diff examples --repo /srv/gitops.git
  $ dokku-gitops collect my-app | dokku-gitops diff - --repo git@github.com:acme/gitops.git || echo "changes pending"`,
  );
  return command.action(async (states: string[], raw: RawCompileOptions) => {
    // 1 means "changes": a diff that could not be made must not look like one
    setFailureExitCode(3);
    const { diff } = await import('../../src/deploy.js');
    const result = await diff(compileOptions(states, raw));
    process.stdout.write(result.changed ? result.summary : 'up to date\n');
    requestExitCode(result.changed ? 1 : 0);
  });
}
