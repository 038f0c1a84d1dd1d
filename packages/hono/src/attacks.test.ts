import { getRequestListener } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { describeAttackCases } from '../../../test-support/attack-cases.js';
import { listenOn } from '../../../test-support/raw-http.js';
import { honoTableApp } from '../../../test-support/runtimes/host.js';
import { HONO_NODE_PARSER } from '../../../test-support/runtimes/parsers.js';

describeAttackCases(
  {
    name: 'hono on node',
    start: (keyward, { trustOneProxy, host }) =>
      listenOn(getRequestListener(honoTableApp(keyward, getConnInfo, trustOneProxy).fetch), host),
  },
  { fuzzRuns: 150, parser: HONO_NODE_PARSER },
);
