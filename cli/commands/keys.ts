import { Command } from 'commander';

interface KeysOptions {
  readonly home?: string;
  readonly force?: boolean;
}

const HOME_HELP = 'directory of the host keys (default: $DOKKU_GITOPS_HOME, else ~/.dokku-gitops)';

/** `dokku-gitops keys`: the host's age identity for SOPS-encrypted Secrets. */
export function keysCommand(): Command {
  const keys = new Command('keys')
    .description("manage the host's age identity that encrypts Secrets for the GitOps repo")
    .addHelpText(
      'after',
      `
Examples:
  $ dokku-gitops keys init
  $ dokku-gitops keys show`,
    );

  keys
    .command('init')
    .description('create the age identity (kept if it exists) and print what the cluster needs')
    .option('--home <dir>', HOME_HELP)
    .option('--force', 'replace an existing identity with a new one', false)
    .addHelpText(
      'after',
      `
Examples:
  $ dokku-gitops keys init
  $ dokku-gitops keys init --home /var/lib/dokku-gitops`,
    )
    .action(async (options: KeysOptions) => {
      const { initKeys } = await import('../../src/secrets/keys.js');
      const result = await initKeys({ home: options.home, force: options.force });
      const state = result.created ? 'created, mode 0600' : 'exists, kept; --force replaces it';
      process.stdout.write(
        [
          `age public key: ${result.recipient}`,
          `private key:    ${result.identityPath} (${state})`,
          '',
          'Secrets are SOPS-encrypted to the public key; the cluster decrypts them with the private key.',
          "For Flux, create once the Secret that the Kustomizations' decryption.secretRef names:",
          `  kubectl -n flux-system create secret generic sops-age --from-file=age.agekey=${result.identityPath}`,
          'Keep a copy of the private key off this host: without it the secrets in Git cannot be recovered.',
          '',
        ].join('\n'),
      );
    });

  keys
    .command('show')
    .description('print the age public key (the recipient to encrypt to)')
    .option('--home <dir>', HOME_HELP)
    .addHelpText(
      'after',
      `
Examples:
  $ dokku-gitops keys show
  $ dokku-gitops deploy state.json --repo ../gitops --age-recipient "$(dokku-gitops keys show)"`,
    )
    .action(async (options: KeysOptions) => {
      const { loadIdentity, recipientOf } = await import('../../src/secrets/keys.js');
      process.stdout.write(`${await recipientOf(loadIdentity(options.home))}\n`);
    });

  return keys;
}
