// The adapter and attack tables on workerd: Hono with @keyward/hono in a workerd child process, the
// client IP from Hono's getConnInfo for workerd.
import { describeRuntimeTables } from '../../../test-support/runtimes/remote.js';

describeRuntimeTables('workerd', 'hono');
