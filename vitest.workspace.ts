import { fileURLToPath } from 'node:url';
import { defineWorkspace } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));

/** Tests import every @keyward package from its sources, so they run without a build. */
const alias = {
  '@keyward/core/testing': src('core/src/testing/index.ts'),
  '@keyward/core': src('core/src/index.ts'),
  '@keyward/express': src('express/src/index.ts'),
  '@keyward/koa': src('koa/src/index.ts'),
  '@keyward/fastify': src('fastify/src/index.ts'),
  '@keyward/fetch': src('fetch/src/index.ts'),
  '@keyward/hono': src('hono/src/index.ts'),
  '@keyward/redis': src('redis/src/index.ts'),
  '@keyward/postgres': src('postgres/src/index.ts'),
  '@keyward/sqlite': src('sqlite/src/index.ts'),
  '@keyward/cloudflare': src('cloudflare/src/index.ts'),
  '@keyward/webhooks/express': src('webhooks/src/express/index.ts'),
  '@keyward/webhooks/koa': src('webhooks/src/koa/index.ts'),
  '@keyward/webhooks/fastify': src('webhooks/src/fastify/index.ts'),
  '@keyward/webhooks': src('webhooks/src/index.ts'),
  '@keyward/opentelemetry': src('opentelemetry/src/index.ts'),
  '@keyward/console': src('console/src/index.ts'),
};

const packages = [
  'core',
  'express',
  'koa',
  'fastify',
  'fetch',
  'hono',
  'redis',
  'postgres',
  'sqlite',
  'cloudflare',
  'cli',
  'webhooks',
  'opentelemetry',
  'console',
];

export default defineWorkspace([
  ...packages.map((name) => ({
    resolve: { alias },
    test: {
      name,
      root: `./packages/${name}`,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 20_000,
      hookTimeout: 30_000,
    },
  })),
  {
    resolve: { alias },
    test: {
      name: 'reliability',
      root: './reliability',
      include: ['**/*.test.ts'],
      exclude: ['**/node_modules/**'],
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  },
  {
    resolve: { alias },
    test: {
      // The runtimes themselves: core's unit tests on Bun and Deno (the adapter tables on each
      // runtime live in packages/fetch and packages/hono).
      name: 'runtimes',
      root: './test-support/runtimes',
      include: ['*.test.ts'],
      testTimeout: 60_000,
    },
  },
  {
    resolve: { alias },
    test: {
      name: 'examples',
      root: './examples',
      include: ['**/*.test.ts'],
      exclude: ['**/node_modules/**'],
      testTimeout: 60_000,
      hookTimeout: 60_000,
    },
  },
]);
