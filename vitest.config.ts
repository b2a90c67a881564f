import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// CLI tests spend most of their time waiting on child processes (the fake tools) and timers, so
// one worker more than there are cores keeps the cores busy (Vitest's default is one fewer: a
// single worker on 2 cores). Projects that run together must agree on it.
const workers = availableParallelism() + 1;

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], maxWorkers: workers } },
      { test: { name: 'cli', include: ['test/cli/**/*.test.ts'], testTimeout: 60_000, maxWorkers: workers } },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      // The real kind and minikube (test/cluster/build) against the Docker stand-in of test/realtools.
      {
        test: {
          name: 'realtools',
          include: ['test/realtools/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
