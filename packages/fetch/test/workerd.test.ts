// The adapter and attack tables on workerd: @keyward/fetch serving them in a workerd child process.
import { describeRuntimeTables } from '../../../test-support/runtimes/remote.js';

describeRuntimeTables('workerd', 'fetch');
