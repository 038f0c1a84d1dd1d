// An Express API guarded by keyward, with keyward's metrics exported for Prometheus through
// @keyward/opentelemetry and the OpenTelemetry SDK. Run: node examples/prometheus/server.mjs
// (after `pnpm build`); it prints the API's and the metrics endpoint's URLs. PORT, METRICS_PORT
// and HOST come from the environment.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { createKeyward, MemoryStore } from '@keyward/core';
import { apiKeyAuth } from '@keyward/express';
import { instrumentKeyward } from '@keyward/opentelemetry';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import express from 'express';

/** Builds the API and its metrics endpoint, issues a key, and listens. */
export async function start({
  port = Number(process.env.PORT ?? 3000),
  metricsPort = Number(process.env.METRICS_PORT ?? 9464),
  host = process.env.HOST ?? '127.0.0.1',
} = {}) {
  // The application owns the SDK: a meter provider with Prometheus's pull exporter, its
  // /metrics served on a port of its own. keyward's package only talks to @opentelemetry/api.
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [exporter] });
  const metrics = createServer((req, res) => exporter.getMetricsRequestHandler(req, res));
  metrics.listen(metricsPort, host);
  await once(metrics, 'listening');

  const keyward = createKeyward({ prefix: 'demo', store: new MemoryStore() });
  const instrumentation = instrumentKeyward(keyward, { meterProvider });
  const { key } = await keyward.create({
    name: 'metrics example',
    environment: 'test',
    scopes: ['items:read'],
  });

  const app = express();
  app.get('/items/:id', apiKeyAuth(keyward, { scopes: ['items:read'] }), (req, res) => {
    res.json({ id: req.params.id, keyId: req.apiKey?.id });
  });
  app.get('/admin', apiKeyAuth(keyward, { scopes: ['items:admin'] }), (_req, res) => {
    res.json({ ok: true });
  });
  const server = app.listen(port, host);
  await once(server, 'listening');
  return {
    url: `http://${host}:${server.address().port}`,
    metricsUrl: `http://${host}:${metrics.address().port}/metrics`,
    key,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await new Promise((resolve) => metrics.close(resolve));
      instrumentation.stop();
      await keyward.close();
      await meterProvider.shutdown();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url, metricsUrl, key } = await start();
  console.log(`API on ${url}, Prometheus metrics on ${metricsUrl}

A key for this run (in memory): ${key}

Send a few requests, then scrape:
  curl -s ${url}/items/1 -H 'Authorization: Bearer ${key}'
  curl -s ${url}/admin -H 'Authorization: Bearer ${key}'      # 403 insufficient_scope
  curl -s ${url}/items/1                                     # 401 missing_key
  curl -s ${metricsUrl} | grep ^keyward_

Point Prometheus at it with:
  scrape_configs:
    - job_name: api
      static_configs: [{ targets: ['${metricsUrl.replace(/^http:\/\//, '').replace(/\/metrics$/, '')}'] }]
`);
}
