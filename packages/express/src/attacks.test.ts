import express5 from 'express';
import express4 from 'express4';
import { type AttackHarness, describeAttackCases } from '../../../test-support/attack-cases.js';
import { listenOn } from '../../../test-support/raw-http.js';
import { apiKeyAuth } from './api-key-auth.js';

type ExpressFactory = typeof express5;

function harness(name: string, express: ExpressFactory): AttackHarness {
  return {
    name,
    start(keyward, { trustOneProxy, host }) {
      const app = express();
      app.set('trust proxy', trustOneProxy ? 1 : false);
      app.get('/open', (_req, res) => {
        res.send('open');
      });
      app.get('/read', apiKeyAuth(keyward, { scopes: ['items:read'] }), (req, res) => {
        res.json({ keyId: req.apiKey?.id });
      });
      return listenOn(app, host);
    },
  };
}

describeAttackCases(harness('express 5', express5), { fuzzRuns: 300 });
describeAttackCases(harness('express 4', express4 as unknown as ExpressFactory), { fuzzRuns: 150 });
