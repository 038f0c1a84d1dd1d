import type { IncomingMessage } from 'node:http';
import { describeAttackCases } from '../../../test-support/attack-cases.js';
import { listenOn } from '../../../test-support/raw-http.js';
import { HONO_NODE_PARSER } from '../../../test-support/runtimes/parsers.js';
import { createConsole } from '../src/index.js';

/** The last X-Forwarded-For entry when one proxy (the loopback peer) is trusted. */
function forwardedFor(req: IncomingMessage): string | undefined {
  const value = req.headers['x-forwarded-for'];
  const forwarded = Array.isArray(value) ? value.join(',') : value;
  if (forwarded === undefined) return undefined;
  return forwarded.slice(forwarded.lastIndexOf(',') + 1).trim();
}

// The console's JSON API under the adapters' hostile-input table, through real HTTP and
// toNodeHandler: the table's guarded `GET /read` is the console's `GET /keyward/api/session`
// (which answers `{ keyId }` to an admin), with the table's scope as the admin scope; `GET /open`
// is the console's page, which needs no key.
describeAttackCases(
  {
    name: '@keyward/console API',
    start: (keyward, { trustOneProxy, host }) => {
      const handler = createConsole(keyward, {
        basePath: '/keyward',
        scopes: ['items:read'],
      }).toNodeHandler({
        ip: (req) => (trustOneProxy ? forwardedFor(req) : undefined) ?? req.socket.remoteAddress,
      });
      return listenOn((req, res) => {
        const url = req.url ?? '/';
        if (url === '/open') req.url = '/keyward/';
        else if (url === '/read' || url.startsWith('/read?')) {
          req.url = `/keyward/api/session${url.slice('/read'.length)}`;
        }
        handler(req, res);
      }, host);
    },
  },
  { fuzzRuns: 100, parser: HONO_NODE_PARSER },
);
