// The adapter and attack tables on Bun: Bun.serve with @keyward/fetch, in a child process.
import { afterAll } from 'vitest';
import { describeAdapterCases } from '../../../test-support/adapter-cases.js';
import { describeAttackCases } from '../../../test-support/attack-cases.js';
import { BUN_PARSER } from '../../../test-support/runtimes/parsers.js';
import { runtimeHarness } from '../../../test-support/runtimes/remote.js';

const harness = runtimeHarness('bun', 'fetch');
afterAll(() => harness.stop());

describeAdapterCases(harness);
describeAttackCases(harness, { fuzzRuns: 150, parser: BUN_PARSER });
