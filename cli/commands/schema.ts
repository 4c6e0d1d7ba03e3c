import { Command } from 'commander';

/** `dokku-gitops schema`: print the JSON Schema of state documents. */
export function schemaCommand(): Command {
  return new Command('schema')
    .description('Print the JSON Schema of state documents (App and Global)')
    .addHelpText(
      'after',
      `
Examples:
  $ dokku-gitops schema > dokku-gitops-state.schema.json`,
    )
    .action(async () => {
      const { STATE_SCHEMA } = await import('../../src/state/schema.js');
      process.stdout.write(`${JSON.stringify(STATE_SCHEMA, null, 2)}\n`);
    });
}
