import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { acquireLock, lockHolder } from '../../src/gitops/lock.js';
import { cleanup, tempDir } from '../deploy/_repo-fixtures.js';

afterAll(cleanup);

/** Start time of a process (Linux /proc/<pid>/stat field 22), as the lock records it. */
function startOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

describe('acquireLock', () => {
  test('records its holder and removes the file on release', async () => {
    // GIVEN
    const path = join(tempDir(), 'clone.lock');
    // WHEN
    const lock = await acquireLock(path);
    // THEN
    expect(lockHolder(path)).toEqual(expect.objectContaining({ pid: process.pid, host: hostname(), start: startOf(process.pid) }));
    lock.release();
    expect(existsSync(path)).toBe(false);
    lock.release();
  });

  test('serialises holders: a waiter gets the lock only after release', async () => {
    // GIVEN
    const path = join(tempDir(), 'clone.lock');
    const events: string[] = [];
    // WHEN 10 holders each keep the lock a little while
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const lock = await acquireLock(path);
        events.push(`in ${i}`);
        await new Promise((r) => setTimeout(r, 5));
        events.push(`out ${i}`);
        lock.release();
      }),
    );
    // THEN no two holders overlap
    for (let i = 0; i < events.length; i += 2) {
      expect(events[i]!.replace('in', 'out')).toBe(events[i + 1]);
    }
    expect(events).toHaveLength(20);
  });

  test('breaks at once the lock of a holder killed with SIGKILL', async () => {
    // GIVEN a process that holds the lock and is killed
    const path = join(tempDir(), 'clone.lock');
    const child = spawn('sleep', ['30']);
    await new Promise((r) => child.once('spawn', r));
    const pid = child.pid!;
    writeFileSync(path, JSON.stringify({ pid, host: hostname(), start: startOf(pid), token: 'dead', since: new Date().toISOString() }));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // WHEN
    const t = Date.now();
    const lock = await acquireLock(path, { timeoutMs: 5000 });
    // THEN
    expect(Date.now() - t).toBeLessThan(1000);
    expect(lockHolder(path)?.pid).toBe(process.pid);
    lock.release();
  });

  test('breaks the lock of a pid now used by another process (pid reuse)', async () => {
    // GIVEN a lock naming pid 1 with a start time pid 1 does not have
    const path = join(tempDir(), 'clone.lock');
    writeFileSync(path, JSON.stringify({ pid: 1, host: hostname(), start: '1', token: 'old', since: '2020-01-01T00:00:00.000Z' }));
    // WHEN
    const lock = await acquireLock(path, { timeoutMs: 2000 });
    // THEN
    expect(lockHolder(path)?.pid).toBe(process.pid);
    lock.release();
  });

  test('fails if a live holder keeps the lock past the timeout', async () => {
    // GIVEN a holder that is alive (this process, another acquisition)
    const path = join(tempDir(), 'clone.lock');
    const held = await acquireLock(path);
    const waits: number[] = [];
    // WHEN / THEN
    await expect(acquireLock(path, { timeoutMs: 300, onWait: (h) => waits.push(h.pid) })).rejects.toThrow(
      new RegExp(`^timed out after 0 s waiting for the lock '${path}', held by pid ${process.pid} on '${hostname()}' since \\d{4}-`),
    );
    expect(waits).toEqual([process.pid]);
    held.release();
  });

  test('never breaks a lock held on another host', async () => {
    // GIVEN
    const path = join(tempDir(), 'clone.lock');
    writeFileSync(path, JSON.stringify({ pid: 999999, host: 'elsewhere', token: 'x', since: '2020-01-01T00:00:00.000Z' }));
    // WHEN / THEN
    await expect(acquireLock(path, { timeoutMs: 200 })).rejects.toThrow(
      `timed out after 0 s waiting for the lock '${path}', held by pid 999999 on 'elsewhere' since 2020-01-01T00:00:00.000Z`,
    );
  });

  test('waits for a live holder in another process, then takes the lock', async () => {
    // GIVEN another process that holds the lock for 400 ms
    const path = join(tempDir(), 'clone.lock');
    const script = `
      const { writeFileSync, readFileSync, unlinkSync } = require('node:fs');
      const s = readFileSync('/proc/' + process.pid + '/stat', 'utf8');
      const start = s.slice(s.lastIndexOf(')') + 2).split(' ')[19];
      writeFileSync(${JSON.stringify(path)}, JSON.stringify({ pid: process.pid, host: require('node:os').hostname(), start, token: 't', since: new Date().toISOString() }));
      process.stdout.write('held');
      setTimeout(() => unlinkSync(${JSON.stringify(path)}), 400);`;
    const child = spawn('node', ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((r) => child.once('exit', r));
    await new Promise((resolve, reject) => {
      child.stdout.once('data', resolve);
      void exited.then((code) => reject(new Error(`holder exited with ${String(code)}`)));
    });
    // WHEN
    const t = Date.now();
    const lock = await acquireLock(path, { timeoutMs: 5000 });
    // THEN
    expect(Date.now() - t).toBeGreaterThan(250);
    expect(lockHolder(path)?.pid).toBe(process.pid);
    lock.release();
    await exited;
  });
});
