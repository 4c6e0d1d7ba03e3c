/**
 * Files written whole or not at all. A temporary file next to the target is written completely,
 * with its final mode, and then linked into place (which fails if the target exists) or, with
 * `replace`, renamed over it: a reader, a crash or a killed process never sees half a file.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';

/** Options of {@link writeFileWhole}. */
export interface WriteFileWholeOptions {
  /** The file's mode, exactly (the umask is undone). */
  readonly mode: number;
  /**
   * Replace a file that exists. Without it, an existing file is kept and `false` returned,
   * which makes the write a test-and-set between processes.
   */
  readonly replace: boolean;
}

/**
 * Write `text` to `path` whole, in a directory that exists. Temporaries are named
 * `<path>.<random>.tmp`, so that their owner can find ones left by a killed writer.
 *
 * @returns false when the target existed and `replace` was not set
 */
export function writeFileWhole(path: string, text: string, options: WriteFileWholeOptions): boolean {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, text, { mode: options.mode, flag: 'wx' });
  try {
    // the umask could have narrowed the mode, never widened it; make it exact anyway
    chmodSync(tmp, options.mode);
    if (options.replace) {
      renameSync(tmp, path);
      return true;
    }
    try {
      linkSync(tmp, path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // renamed away already
    }
  }
}
