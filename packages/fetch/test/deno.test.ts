// The adapter and attack tables on deno: @keyward/fetch serving them in a deno child process.
import { describeRuntimeTables } from '../../../test-support/runtimes/remote.js';

describeRuntimeTables('deno', 'fetch');
