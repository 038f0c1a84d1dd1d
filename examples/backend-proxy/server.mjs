// A backend proxy that keeps a third-party API key away from the browser. One command starts:
//  1. the "third-party" weather API (upstream.mjs, keyward-protected), which issues one key;
//  2. the proxy (proxy.mjs) as a child process, given that key only through UPSTREAM_API_KEY.
// Then it calls the proxy as a browser would.
//
// Run: node examples/backend-proxy/server.mjs     (after `pnpm build`; PORT is the proxy's port,
//      UPSTREAM_PORT the weather API's)
//      EXAMPLE_EXIT=1 node examples/backend-proxy/server.mjs   walks through and exits
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startUpstream } from './upstream.mjs';

/** Forks proxy.mjs with the key in its environment; resolves once it reports its URL. */
async function startProxy({ port, host, upstreamUrl, apiKey }) {
  const child = fork(fileURLToPath(new URL('./proxy.mjs', import.meta.url)), [], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: host,
      UPSTREAM_URL: upstreamUrl,
      UPSTREAM_API_KEY: apiKey,
    },
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const url = await new Promise((resolve, reject) => {
      child.once('message', (message) => resolve(message.url));
      child.once('exit', (code) => reject(new Error(`proxy exited with code ${code}`)));
      setTimeout(() => reject(new Error('proxy did not start within 15 s')), 15_000).unref();
    });
    return { url, child };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

/** Starts the weather API and the proxy in front of it. */
export async function start({
  port = Number(process.env.PORT ?? 3000),
  upstreamPort = Number(process.env.UPSTREAM_PORT ?? 0),
  host = process.env.HOST ?? '127.0.0.1',
} = {}) {
  const upstream = await startUpstream({ port: upstreamPort, host });
  let proxy;
  try {
    proxy = await startProxy({
      port,
      host,
      upstreamUrl: upstream.url,
      apiKey: upstream.issued.key,
    });
  } catch (error) {
    await upstream.close();
    throw error;
  }
  return {
    proxyUrl: proxy.url,
    upstream,
    close: async () => {
      if (proxy.child.exitCode === null) {
        proxy.child.kill();
        await once(proxy.child, 'exit');
      }
      await upstream.close();
    },
  };
}

/** Calls the proxy as a browser would, and the weather API without a key; one line per call. */
export async function walkThrough({ proxyUrl, upstream }) {
  const calls = [
    ['browser → proxy', `${proxyUrl}/api/weather?city=Paris`, {}],
    [
      'browser → proxy, with its own Authorization and X-API-Key',
      `${proxyUrl}/api/weather?city=Lima`,
      { authorization: 'Bearer smuggled', 'x-api-key': 'smuggled' },
    ],
    ['browser → proxy, unknown city', `${proxyUrl}/api/weather?city=Atlantis`, {}],
    ['anyone → weather API directly, no key', `${upstream.url}/weather?city=Paris`, {}],
  ];
  const lines = [];
  for (const [label, url, headers] of calls) {
    const res = await fetch(url, { headers });
    lines.push(`${label}: ${res.status} ${await res.text()}`);
  }
  const ids = new Set(upstream.acceptedKeyIds);
  lines.push(
    `weather API accepted ${upstream.acceptedKeyIds.length} requests, all with key ${[...ids].join(', ')}`,
  );
  return lines;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const example = await start();
  const { upstream, proxyUrl } = example;
  console.log(`Weather API (third party, needs a key) on ${upstream.url}
Proxy (what the browser calls) on ${proxyUrl}, holding key ${upstream.issued.record.redacted}
`);
  for (const line of await walkThrough(example)) console.log(`  ${line}`);
  if (process.env.EXAMPLE_EXIT === '1') {
    await example.close();
  } else {
    console.log(`
Try:
  curl -i "${proxyUrl}/api/weather?city=Paris"
  curl -i -H "Authorization: Bearer mine" "${proxyUrl}/api/weather?city=Atlantis"
  curl -i "${upstream.url}/weather?city=Paris"`);
  }
}
