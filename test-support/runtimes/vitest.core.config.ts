// Runs @keyward/core's own unit tests on another runtime (see core-on-runtimes.test.ts):
//   bun --bun node_modules/vitest/vitest.mjs run --config test-support/runtimes/vitest.core.config.ts
//   deno run -A --node-modules-dir=manual node_modules/vitest/vitest.mjs run --config …
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const at = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      '@keyward/core/testing': at('../../packages/core/src/testing/index.ts'),
      '@keyward/core': at('../../packages/core/src/index.ts'),
    },
  },
  test: {
    root: at('../../packages/core'),
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: [at('./runtime-check.ts')],
    testTimeout: 20_000,
  },
});
