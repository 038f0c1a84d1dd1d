import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';
import { describeExampleRoutes } from '../../test-support/example-cases.js';
import { runtimeBinary, startExample } from '../../test-support/runtimes/example-process.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const flags = ['run', '--allow-net', '--allow-env', '--node-modules-dir=manual', 'server.ts'];

describe('Deno example (run on Deno, against the built packages)', () => {
  describeExampleRoutes(() => startExample(runtimeBinary('deno'), flags, here));
});
