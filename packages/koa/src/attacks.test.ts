import Koa3, { type Middleware } from 'koa';
import Koa2 from 'koa2';
import { type AttackHarness, describeAttackCases } from '../../../test-support/attack-cases.js';
import { listenOn } from '../../../test-support/raw-http.js';
import { apiKeyAuth } from './api-key-auth.js';

type KoaClass = typeof Koa3;

function harness(name: string, Koa: KoaClass): AttackHarness {
  return {
    name,
    start(keyward, { trustOneProxy, host }) {
      const app = new Koa();
      app.silent = true;
      app.proxy = trustOneProxy;
      app.maxIpsCount = 1;
      const guard = apiKeyAuth(keyward, { scopes: ['items:read'] });
      const routes: Middleware = (ctx, next) => {
        if (ctx.path === '/open') {
          ctx.body = 'open';
          return undefined;
        }
        if (ctx.path !== '/read') return next();
        return guard(ctx, () => {
          ctx.body = { keyId: ctx.state.apiKey?.id };
          return Promise.resolve();
        });
      };
      app.use(routes);
      return listenOn(app.callback(), host);
    },
  };
}

describeAttackCases(harness('koa 3', Koa3), { fuzzRuns: 300 });
describeAttackCases(harness('koa 2', Koa2 as unknown as KoaClass), { fuzzRuns: 150 });
