// Starting, questioning and always stopping the soak's API processes.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const apiPath = fileURLToPath(new URL('./api.mjs', import.meta.url));

/** The next IPC message of `type` from `child`, or a rejection after `timeoutMs`. */
export function nextMessage(child, type, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(
        new Error(`no "${type}" message from API process ${child.pid} within ${timeoutMs} ms`),
      );
    }, timeoutMs);
    function onMessage(message) {
      if (message?.type !== type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message);
    }
    child.on('message', onMessage);
  });
}

/** Forks one API process on 127.0.0.1 and resolves once it listens. */
export async function startApi({ name, redisUrl, storePrefix, onRss }) {
  const child = fork(apiPath, [], {
    env: { ...process.env, KW_REDIS_URL: redisUrl, KW_STORE_PREFIX: storePrefix },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.on('message', (message) => {
    if (message?.type === 'rss') onRss(message);
  });
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const { port } = await Promise.race([
    nextMessage(child, 'listening', 20_000),
    exited.then(({ code }) => Promise.reject(new Error(`API process ${name} exited (${code})`))),
  ]);
  return { name, child, port, url: `http://127.0.0.1:${port}`, exited };
}

/** Asks an API process to shut down; SIGKILLs it when it has not exited within `graceMs`. */
export async function stopApi(api, graceMs = 5000) {
  if (api.child.exitCode !== null || api.child.signalCode !== null) return;
  if (api.child.connected) api.child.send({ type: 'exit' });
  const timer = setTimeout(() => api.child.kill('SIGKILL'), graceMs);
  await api.exited;
  clearTimeout(timer);
}
