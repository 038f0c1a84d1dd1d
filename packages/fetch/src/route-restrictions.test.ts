import { getRequestListener } from '@hono/node-server';
import { listenOnLoopback } from '../../../test-support/adapter-cases.js';
import { describeRouteCases } from '../../../test-support/route-cases.js';
import { getApiKey, withApiKey } from './index.js';

const HANDLER = /^\/api\/(public|private)\/[^/]+$/;

describeRouteCases({
  name: 'fetch (withApiKey) on node',
  // A fetch handler routes on the Request's WHATWG URL, as keyward reads it.
  routing: 'url',
  start(keyward) {
    const handle = (request: Request, handler: string) =>
      Response.json({ keyId: getApiKey(request)?.id, handler });
    const browser = withApiKey((request: Request) => handle(request, 'browser'), keyward, {
      keyType: 'publishable',
    });
    const guarded = withApiKey((request: Request) => {
      const match = HANDLER.exec(new URL(request.url).pathname);
      if (match === null) return new Response('not found', { status: 404 });
      return Response.json({ keyId: getApiKey(request)?.id, handler: match[1] });
    }, keyward);
    return listenOnLoopback(
      getRequestListener((request: Request) =>
        new URL(request.url).pathname.startsWith('/browser/') ? browser(request) : guarded(request),
      ),
    );
  },
});
