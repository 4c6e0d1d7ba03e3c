import { Command } from 'commander';

/** `dokku-gitops synth`: compile state into a folder per app. */
export function synthCommand(): Command {
  return new Command('synth')
    .description('Compile Dokku app state into Kubernetes manifests, one folder per app under <out>/apps/')
    .argument('<state...>', "state files or directories (YAML or JSON); '-' reads standard input")
    .option('-o, --out <dir>', 'output directory', 'out')
    .option('--home <dir>', 'directory of the host-held keys (default: $DOKKU_GITOPS_HOME or ~/.dokku-gitops)')
    .addHelpText(
      'after',
      `
Secrets are written in plain text here: synth output is for local review and tests.
Use 'deploy' to write a Git repository; it encrypts every Secret.

Examples:
  $ dokku-gitops synth examples                 # every state file under examples/ into out/
  $ dokku-gitops synth app.yaml global.yaml -o /tmp/manifests
  $ dokku-gitops collect my-app | dokku-gitops synth -`,
    )
    .action(async (state: string[], opts: { out: string; home?: string }) => {
      const { hmacKey } = await import('../../src/secrets/keys.js');
      const { synthesize } = await import('../../src/synth.js');
      const result = synthesize({ state, out: opts.out, hmacKey: hmacKey(opts.home) });
      const apps = result.compiled.apps.map((a) => a.name).join(', ');
      process.stdout.write(
        `synthesized ${result.compiled.apps.length} app(s) (${apps}) into ${opts.out}: ` +
          `${result.written.length} written, ${result.removed.length} removed, ${result.unchanged.length} unchanged\n`,
      );
    });
}
