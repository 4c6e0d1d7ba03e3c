#!/usr/bin/env node
/**
 * The dokku-gitops command line. Commands parse their arguments here and call into
 * `src/`; this file is the only place that turns an outcome into an exit code.
 */
import { Command, CommanderError } from 'commander';
import { DokkuGitopsError } from '../src/errors.js';
import { commands } from './commands/index.js';
import { exitCodeRequested, failureExitCode } from './exit.js';

const program = new Command('dokku-gitops')
  .description('Compile Dokku app state into Kubernetes manifests and deliver them to a GitOps repository')
  .version(process.env.DOKKU_GITOPS_VERSION ?? '0.1.0')
  .showHelpAfterError()
  .exitOverride();

for (const command of commands) program.addCommand(command());

/** Usage errors of every (sub)command must reach `handleError` (exit 2), not commander's own exit. */
function overrideExits(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) overrideExits(sub);
}
overrideExits(program);

function handleError(err: unknown): number {
  if (err instanceof CommanderError) {
    // help and version are not errors; commander printed them already
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return 0;
    return 2;
  }
  if (err instanceof DokkuGitopsError) {
    process.stderr.write(`error: ${err.message}\n`);
    return err.kind === 'input' ? 2 : failureExitCode();
  }
  // a file that cannot be read or written (ENOTDIR, EACCES, ENOSPC...) is the user's to fix
  const errno = err as NodeJS.ErrnoException;
  if (errno instanceof Error && typeof errno.code === 'string' && typeof errno.syscall === 'string') {
    process.stderr.write(`error: ${errno.message}\n`);
    return failureExitCode();
  }
  process.stderr.write(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}

program
  .parseAsync(process.argv)
  .then(() => {
    process.exitCode = exitCodeRequested();
  })
  .catch((err: unknown) => {
    process.exitCode = handleError(err);
  });
