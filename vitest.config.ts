import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests that start git daemons, sshd or many processes need the whole machine (2 cores).
    fileParallelism: true,
    maxWorkers: 2,
    snapshotFormat: { printBasicPrototype: false },
  },
});
