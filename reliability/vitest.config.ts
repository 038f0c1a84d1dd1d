import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`../packages/${path}`, import.meta.url));

/**
 * Runs the gating fault tests on their own, with every @keyward package from its sources:
 * `npx vitest run --config reliability/vitest.config.ts` from the repository root.
 * (The same settings as the `reliability` project of the root vitest workspace.)
 */
export default defineConfig({
  resolve: {
    alias: {
      '@keyward/core/testing': src('core/src/testing/index.ts'),
      '@keyward/core': src('core/src/index.ts'),
      '@keyward/express': src('express/src/index.ts'),
      '@keyward/koa': src('koa/src/index.ts'),
      '@keyward/fastify': src('fastify/src/index.ts'),
      '@keyward/redis': src('redis/src/index.ts'),
      '@keyward/postgres': src('postgres/src/index.ts'),
      '@keyward/sqlite': src('sqlite/src/index.ts'),
    },
  },
  test: {
    name: 'reliability',
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
