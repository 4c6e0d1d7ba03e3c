import { Command } from 'commander';
import { describeResult } from './deploy.js';
import { addRepoOptions, repoOptions, type RawRepoOptions } from './_gitops-options.js';

/** `dokku-gitops push`: deliver commits queued by deploys whose push failed. */
export function pushCommand(): Command {
  const command = new Command('push').description('Deliver the commits queued in the working clone by deploys whose push failed');
  addRepoOptions(command).addHelpText(
    'after',
    `
Prints 'up to date' when nothing is queued; exits 1 naming the remote when it still cannot be reached.

Examples:
  $ dokku-gitops push --repo /srv/gitops.git
  $ dokku-gitops push --repo git@github.com:acme/gitops.git --branch live`,
  );
  return command.action(async (raw: RawRepoOptions) => {
    const { push } = await import('../../src/deploy.js');
    process.stdout.write(describeResult(await push(repoOptions(raw))));
  });
}
