// The adapter and attack tables on deno: Hono with @keyward/hono in a deno child process, the
// client IP from Hono's getConnInfo for deno.
import { describeRuntimeTables } from '../../../test-support/runtimes/remote.js';

describeRuntimeTables('deno', 'hono');
