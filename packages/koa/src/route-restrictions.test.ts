import Koa3, { type Context } from 'koa';
import Koa2 from 'koa2';
import { listenOnLoopback } from '../../../test-support/adapter-cases.js';
import { describeRouteCases } from '../../../test-support/route-cases.js';
import { apiKeyAuth } from './api-key-auth.js';

type KoaClass = typeof Koa3;
const HANDLER = /^\/(?:api\/(public|private)|(browser))\/[^/]+$/;

for (const [name, Koa] of [
  ['koa 3', Koa3],
  ['koa 2', Koa2 as unknown as KoaClass],
] as const) {
  describeRouteCases({
    name,
    // Guarding every path under /api before any router: keyward sees the raw request target.
    routing: 'path',
    start(keyward) {
      const app = new Koa();
      const guard = apiKeyAuth(keyward);
      const browser = apiKeyAuth(keyward, { keyType: 'publishable' });
      app.use((ctx, next) => (ctx.path.startsWith('/api/') ? guard(ctx, next) : next()));
      app.use((ctx, next) => (ctx.path.startsWith('/browser/') ? browser(ctx, next) : next()));
      app.use((ctx: Context) => {
        const match = HANDLER.exec(ctx.path);
        if (match === null) return;
        ctx.body = { keyId: ctx.state.apiKey?.id, handler: match[1] ?? match[2] };
      });
      return listenOnLoopback(app.callback());
    },
  });
}
