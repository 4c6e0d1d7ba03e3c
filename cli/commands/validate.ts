import { Command } from 'commander';

/** `dokku-gitops validate`: check a state without writing anything. */
export function validateCommand(): Command {
  return new Command('validate')
    .description('Check Dokku app state against the schema and Dokku\'s rules, without writing anything')
    .argument('<state...>', "state files or directories (YAML or JSON); '-' reads standard input")
    .option('--home <dir>', 'directory of the host-held keys (default: $DOKKU_GITOPS_HOME or ~/.dokku-gitops)')
    .addHelpText(
      'after',
      `
Exits 0 when the state is valid, 2 with every problem listed when it is not.

Examples:
  $ dokku-gitops validate examples
  $ dokku-gitops collect my-app | dokku-gitops validate -`,
    )
    .action(async (state: string[], opts: { home?: string }) => {
      const { hmacKey } = await import('../../src/secrets/keys.js');
      const { validateState } = await import('../../src/synth.js');
      const compiled = validateState(state, hmacKey(opts.home));
      process.stdout.write(`valid: ${compiled.apps.length} app(s): ${compiled.apps.map((a) => a.name).join(', ')}\n`);
    });
}
