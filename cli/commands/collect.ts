import { Command, Option } from 'commander';
import type { CollectOptions } from '../../src/dokku-host/collect.js';

type CollectFlags = Pick<CollectOptions, 'global' | 'imageTag' | 'name' | 'clone' | 'stopped' | 'releaseTasks'>;

/** `dokku-gitops collect`: print an app's state document, read from the Dokku host. */
export function collectCommand(): Command {
  return new Command('collect')
    .description("On a Dokku host: print an app's state document (YAML), read from Dokku's own reports")
    .argument('[app]', 'the Dokku app (optional with --global)')
    .option('--global', 'also print the Global document: global scheduler-k3s properties, annotations, labels and autoscaling auth', false)
    .option('--image-tag <tag>', "the deploy's image tag (scheduler-deploy's third argument); the registry's tag-version wins when it pushes on release (default: latest)")
    .option('--name <app>', 'name the App document <app>: the new name of an app being renamed or cloned, collected from the old one')
    .option('--clone', 'with --name: the new app is a clone, with its own domains and no certificate', false)
    .option('--stopped', 'mark the app stopped (ps:stop): Deployments at 0 replicas, CronJobs suspended', false)
    .addOption(new Option('--release-tasks <where>', 'where predeploy, release and postdeploy run: Jobs in the cluster, or on the Dokku host (no Jobs)').choices(['cluster', 'host']))
    .addHelpText(
      'after',
      `
Runs 'dokku' subcommands (as the dokku user) and reads the Procfile and app.json that Dokku
stored for the deployed image under $DOKKU_LIB_ROOT (default /var/lib/dokku). Prints nothing
on stdout when a subcommand fails; the error names it (exit 1). Settings that have no place in
the state are listed as warnings on stderr.

Examples:
  $ dokku-gitops collect node-js-app --global > state.yaml
  $ dokku-gitops collect node-js-app --global | dokku-gitops deploy - --repo /srv/gitops.git
  $ dokku-gitops collect --global
  $ dokku-gitops collect node-js-app --image-tag latest --stopped`,
    )
    .action(async (app: string | undefined, flags: CollectFlags) => {
      const { collect, collectedYaml } = await import('../../src/dokku-host/collect.js');
      const result = await collect({ ...flags, app });
      for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
      process.stdout.write(collectedYaml(result));
    });
}
