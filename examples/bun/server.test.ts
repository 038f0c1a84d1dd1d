import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';
import { describeExampleRoutes } from '../../test-support/example-cases.js';
import { runtimeBinary, startExample } from '../../test-support/runtimes/example-process.js';

const here = fileURLToPath(new URL('.', import.meta.url));

describe('Bun example (run on Bun, against the built packages)', () => {
  describeExampleRoutes(() => startExample(runtimeBinary('bun'), ['run', 'server.ts'], here));
});
