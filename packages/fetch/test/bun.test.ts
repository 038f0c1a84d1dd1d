// The adapter and attack tables on bun: @keyward/fetch serving them in a bun child process.
import { describeRuntimeTables } from '../../../test-support/runtimes/remote.js';

describeRuntimeTables('bun', 'fetch');
