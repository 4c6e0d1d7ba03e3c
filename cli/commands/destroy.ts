import { Command } from 'commander';
import { describeResult } from './deploy.js';
import { addDeliveryOptions, addRepoOptions, forgeOf, repoOptions, type RawDeliveryOptions, type RawRepoOptions } from './_gitops-options.js';

/** `dokku-gitops destroy`: remove an app from the GitOps repository. */
export function destroyCommand(): Command {
  const command = new Command('destroy')
    .description("Remove an app's folder (apps/<app>/) and its agent objects from the GitOps repository, and commit")
    .argument('<app>', 'the Dokku app name');
  addDeliveryOptions(addRepoOptions(command)).addHelpText(
    'after',
    `
An app that is not in the repository gives 'up to date'. The agent then prunes the app
from the cluster.

Examples:
  $ dokku-gitops destroy node-js-app --repo /srv/gitops.git
  $ dokku-gitops destroy node-js-app --repo git@github.com:acme/gitops.git --mode pr --forge github --forge-repo acme/gitops`,
  );
  return command.action(async (app: string, raw: RawRepoOptions & RawDeliveryOptions) => {
    const forge = forgeOf(raw);
    const { destroy } = await import('../../src/deploy.js');
    process.stdout.write(describeResult(await destroy({ ...repoOptions(raw), app, mode: raw.mode, forge })));
  });
}
