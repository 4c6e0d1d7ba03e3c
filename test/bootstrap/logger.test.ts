import { describe, expect, it } from 'vitest';
import { ConsoleStepLogger, NopStepLogger, RecordingStepLogger, step } from '../../src/bootstrap/logger.js';

describe('step', () => {
  it('logs the action, then success with the result message', async () => {
    // GIVEN
    const logger = new RecordingStepLogger();
    // WHEN
    const result = await step(logger, 'installing k3s', async () => 42, (n) => `installed (${n})`);
    // THEN
    expect(result).toBe(42);
    expect(logger.lines).toEqual(['action: installing k3s', 'success: installed (42)']);
  });

  it('logs the failure and rethrows', async () => {
    // GIVEN
    const logger = new RecordingStepLogger();
    // WHEN / THEN
    await expect(step(logger, 'restarting k3s', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(logger.lines).toEqual(['action: restarting k3s', 'failure: boom']);
  });
});

describe('ConsoleStepLogger', () => {
  it('writes one marked line per message', () => {
    // GIVEN
    const lines: string[] = [];
    const logger = new ConsoleStepLogger((l) => lines.push(l));
    // WHEN
    logger.action('a');
    logger.success('b');
    logger.warning('c');
    logger.failure('d');
    new NopStepLogger().action();
    // THEN
    expect(lines.join('')).toBe('► a\n✔ b\n⚠ c\n✗ d\n');
  });
});
