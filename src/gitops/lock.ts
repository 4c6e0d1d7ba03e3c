/**
 * An exclusive lock between processes on one host, robust to holders that die (SIGKILL included).
 *
 * The lock is a file whose content names its holder (pid, process start time, host, random token).
 * It is created complete, in one step, with `link(2)` from a fully written temporary file, so a
 * reader never sees a half-written lock. A waiter that finds the holder dead (no such pid, or a
 * pid reused by a process that started at another time) breaks the lock at once; breaking is
 * itself serialised by a short-lived `<lock>.break` file, so two waiters never both break, and a
 * lock that a live process just took is never removed.
 */
import { randomBytes } from 'node:crypto';
import { openSync, closeSync, readFileSync, statSync, unlinkSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DokkuGitopsError } from '../errors.js';
import { writeFileWhole } from '../files.js';

/** Options of {@link acquireLock}. */
export interface AcquireLockOptions {
  /**
   * How long to wait for a live holder before giving up, in milliseconds.
   *
   * @default 600000 (10 minutes)
   */
  readonly timeoutMs?: number;
  /**
   * Called once, when the lock is found held by a live process and the caller starts waiting.
   *
   * @default - nothing is reported
   */
  readonly onWait?: (holder: LockHolder) => void;
}

/** Who holds a lock, as recorded in the lock file. */
export interface LockHolder {
  /** Process id of the holder. */
  readonly pid: number;
  /** Host name of the holder; liveness is only judged for holders on this host. */
  readonly host: string;
  /** Start time of the holder process (Linux `/proc/<pid>/stat` field 22), to detect pid reuse. */
  readonly start?: string;
  /** Random token that tells this acquisition apart from any other. */
  readonly token: string;
  /** When the lock was taken (ISO 8601). */
  readonly since: string;
}

/** A held lock. */
export interface Lock {
  /** Path of the lock file. */
  readonly path: string;
  /** Release the lock; releasing twice, or a lock that was broken meanwhile, does nothing. */
  release(): void;
}

/** A breaker that died mid-break leaves `<lock>.break`; it is stale after this long. */
const BREAK_STALE_MS = 10_000;

/**
 * Take the exclusive lock at `path`, waiting while a live process holds it.
 *
 * The parent directory must exist. A lock left by a dead process (same host) is broken
 * immediately; one held by a live process is waited for, polling every 20–70 ms.
 *
 * @throws DokkuGitopsError ('failure') when a live holder keeps the lock past `timeoutMs`
 */
export async function acquireLock(path: string, options: AcquireLockOptions = {}): Promise<Lock> {
  const timeoutMs = options.timeoutMs ?? 600_000;
  const deadline = Date.now() + timeoutMs;
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    start: processStart(process.pid),
    token: randomBytes(12).toString('hex'),
    since: new Date().toISOString(),
  };
  const content = JSON.stringify(me) + '\n';
  let reportedWait = false;
  for (;;) {
    if (tryCreate(path, content)) return heldLock(path, me.token);
    const current = readHolder(path);
    if (current === 'absent') continue;
    if (current !== 'unreadable' && isDead(current)) {
      breakLock(path, current);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = current === 'unreadable' ? 'another process' : `pid ${current.pid} on '${current.host}' since ${current.since}`;
      throw new DokkuGitopsError(
        `timed out after ${Math.round(timeoutMs / 1000)} s waiting for the lock '${path}', held by ${who}`,
        'failure',
      );
    }
    if (!reportedWait && current !== 'unreadable') {
      reportedWait = true;
      options.onWait?.(current);
    }
    await sleep(20 + Math.floor(Math.random() * 50));
  }
}

/** Read who holds the lock at `path`, or `undefined` when it is free. */
export function lockHolder(path: string): LockHolder | undefined {
  const h = readHolder(path);
  return typeof h === 'object' ? h : undefined;
}

function heldLock(path: string, token: string): Lock {
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      const h = readHolder(path);
      // only remove our own lock: if it was (wrongly) broken, the file is someone else's now
      if (typeof h === 'object' && h.token === token) unlinkQuiet(path);
    },
  };
}

/** Create the lock file complete and atomically; false when it already exists. */
function tryCreate(path: string, content: string): boolean {
  try {
    return writeFileWhole(path, content, { mode: 0o644, replace: false });
  } finally {
    cleanupTemporaries(path);
  }
}

/** Remove temporaries of acquirers that died between writing and linking (older than a minute). */
function cleanupTemporaries(path: string): void {
  const dir = dirname(path);
  const prefix = basename(path) + '.';
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const now = Date.now();
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    try {
      if (now - statSync(join(dir, name)).mtimeMs > 60_000) unlinkSync(join(dir, name));
    } catch {
      // another process removed it first
    }
  }
}

function readHolder(path: string): LockHolder | 'absent' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    if (typeof h.pid !== 'number' || typeof h.token !== 'string' || typeof h.host !== 'string') return 'unreadable';
    return h;
  } catch {
    // lock files are created complete, so this is not ours: never break what we cannot read
    return 'unreadable';
  }
}

/** A holder is dead when it is on this host and its pid is gone or now names another process. */
function isDead(h: LockHolder): boolean {
  if (h.host !== hostname()) return false;
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const start = processStart(h.pid);
  return h.start !== undefined && start !== undefined && start !== h.start;
}

/** Remove a dead holder's lock, unless it changed hands since it was judged dead. */
function breakLock(path: string, dead: LockHolder): void {
  const breaker = `${path}.break`;
  let fd: number;
  try {
    fd = openSync(breaker, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    try {
      if (Date.now() - statSync(breaker).mtimeMs > BREAK_STALE_MS) unlinkQuiet(breaker);
    } catch {
      // the breaker finished meanwhile
    }
    return;
  }
  try {
    const now = readHolder(path);
    if (typeof now === 'object' && now.token === dead.token) unlinkQuiet(path);
  } finally {
    closeSync(fd);
    unlinkQuiet(breaker);
  }
}

/** Start time of a process in clock ticks since boot (Linux), to tell a reused pid apart. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may contain spaces and parentheses: fields start after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
