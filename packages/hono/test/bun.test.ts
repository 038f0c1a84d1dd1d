// The adapter and attack tables on bun: Hono with @keyward/hono in a bun child process, the
// client IP from Hono's getConnInfo for bun.
import { describeRuntimeTables } from '../../../test-support/runtimes/remote.js';

describeRuntimeTables('bun', 'hono');
