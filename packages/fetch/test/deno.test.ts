// The adapter and attack tables on deno: @keyward/fetch in a child process.
import { afterAll } from 'vitest';
import { describeAdapterCases } from '../../../test-support/adapter-cases.js';
import { describeAttackCases } from '../../../test-support/attack-cases.js';
import { DENO_PARSER } from '../../../test-support/runtimes/parsers.js';
import { runtimeHarness } from '../../../test-support/runtimes/remote.js';

const harness = runtimeHarness('deno', 'fetch');
afterAll(() => harness.stop());

describeAdapterCases(harness);
describeAttackCases(harness, { fuzzRuns: 150, parser: DENO_PARSER });
