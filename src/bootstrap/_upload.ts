/** Upload implemented on top of `execute`: the file travels on the command's standard input. */
import { writeFileCommand } from './commands.js';
import type { CommandOperator, UploadFile } from './operator.js';
import { DokkuGitopsError } from '../errors.js';

/** Write `file` on the node behind `operator` with `writeFileCommand`, failing on a non-zero exit. */
export async function uploadThroughExecute(operator: CommandOperator, file: UploadFile): Promise<void> {
  const input = file.content !== undefined ? { content: file.content } : file.localPath !== undefined ? { localPath: file.localPath } : { content: '' };
  const result = await operator.execute(writeFileCommand(operator, file.path, file.mode, input));
  if (result.exitCode !== 0) {
    throw new DokkuGitopsError(`${operator.target}: writing ${file.path} failed (exit ${result.exitCode}): ${result.stderr.trim() || 'no error output'}`, 'failure');
  }
}
