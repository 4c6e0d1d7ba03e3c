import { Command } from 'commander';

/** `dokku-gitops validate`: check a state without writing anything. */
export function validateCommand(): Command {
  return new Command('validate')
    .description('Check Dokku app state against the schema and Dokku\'s rules, without writing anything')
    .argument('<state...>', "state files or directories (YAML or JSON); '-' reads standard input")
    .addHelpText(
      'after',
      `
Exits 0 when the state is valid, 2 with every problem listed when it is not.

Examples:
  $ dokku-gitops validate examples
  $ dokku-gitops collect my-app | dokku-gitops validate -`,
    )
    .action(async (state: string[]) => {
      const { randomBytes } = await import('node:crypto');
      const { validateState } = await import('../../src/synth.js');
      // digests are never shown: a throwaway key, so that validate writes nothing, not even a key
      const compiled = validateState(state, randomBytes(32));
      process.stdout.write(`valid: ${compiled.apps.length} app(s): ${compiled.apps.map((a) => a.name).join(', ')}\n`);
    });
}
