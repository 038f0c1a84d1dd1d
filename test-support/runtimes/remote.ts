/**
 * Runs the adapter and attack tables against another JavaScript runtime: bundles the table apps
 * (`host.ts` with a runtime entry, from the packages' sources) with esbuild, starts Bun, Deno or
 * workerd as a child process serving on loopback, and builds each deployment inside it through
 * control calls. The runtimes are the dev dependencies `bun`, `deno` and `workerd`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll } from 'vitest';
import { describeAdapterCases, type RemoteHarness, type RunningApp } from '../adapter-cases.js';
import { describeAttackCases } from '../attack-cases.js';
import type { DeploymentSpec } from '../deployments.js';
import { describeLayeredCases } from '../layered-cases.js';
import { describeRepeatedLines, type HeaderEchoHarness } from '../repeated-lines.js';
import { runtimeBinary } from './binaries.js';
import type { AppOptions, Framework } from './host.js';
import { BUN_PARSER, DENO_PARSER, WORKERD_PARSER } from './parsers.js';

export type RuntimeName = 'bun' | 'deno' | 'workerd';

const PARSERS = { bun: BUN_PARSER, deno: DENO_PARSER, workerd: WORKERD_PARSER };
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
/** Longest wait for a runtime to start (workerd compiles the bundle; CI machines are slow). */
const START_TIMEOUT_MS = 30_000;
const CALL_TIMEOUT_MS = 15_000;
/** App sockets given to workerd: as many apps as a table serves at once, and a spare. */
const WORKERD_SLOTS = 3;

/**
 * Bundles `entry` (a file beside this one) with the packages' sources into one ES module that
 * imports nothing: what each runtime runs, and for workerd the Worker script.
 *
 * @example
 * ```ts
 * const file = await bundle('worker-main.ts', dir);
 * ```
 */
export async function bundle(entry: string, outdir: string): Promise<string> {
  const outfile = path.join(outdir, entry.replace(/\.ts$/, '.js'));
  await build({
    entryPoints: [path.join(HERE, entry)],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    mainFields: ['module', 'main'],
    conditions: ['worker', 'import', 'default'],
    nodePaths: [path.join(ROOT, 'packages', 'hono', 'node_modules')],
    // hono/bun's static-file helper imports node: modules; Bun and Deno provide them.
    external: ['node:*'],
    alias: {
      '@keyward/core': path.join(ROOT, 'packages/core/src/index.ts'),
      '@keyward/fetch': path.join(ROOT, 'packages/fetch/src/index.ts'),
      '@keyward/hono': path.join(ROOT, 'packages/hono/src/index.ts'),
    },
    logLevel: 'silent',
  });
  return outfile;
}

/** A free loopback port (bound and released; workerd takes its ports from its config). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function workerdConfig(script: string, control: number, slots: Record<string, number>): string {
  const socket = (name: string, port: number) =>
    `(name = "${name}", address = "127.0.0.1:${port}", service = "tables", http = (injectRequestHeaders = [` +
    `(name = "X-Keyward-Test-Slot", value = "${name}"), (name = "CF-Connecting-IP", value = "127.0.0.1")]))`;
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "tables", worker = .tables)],
  sockets = [${[socket('control', control), ...Object.entries(slots).map(([name, port]) => socket(name, port))].join(', ')}],
);
const tables :Workerd.Worker = (
  modules = [(name = "worker", esModule = embed "${path.basename(script)}")],
  compatibilityDate = "2025-09-01",
  bindings = [(name = "SLOTS", text = ${JSON.stringify(JSON.stringify(slots))})],
);
`;
}

interface Child {
  readonly process: ChildProcess;
  readonly control: number;
  /** The last output of the child, for error messages. */
  output(): string;
}

function watch(child: ChildProcess): {
  output(): string;
  onLine(listener: (line: string) => void): void;
} {
  let output = '';
  const listeners: Array<(line: string) => void> = [];
  const take = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output = (output + text).slice(-8_000);
    for (const line of text.split('\n')) for (const listener of listeners) listener(line);
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  return { output: () => output, onLine: (listener) => listeners.push(listener) };
}

async function startChild(runtime: RuntimeName, dir: string): Promise<Child> {
  const entry = { bun: 'bun-main.ts', deno: 'deno-main.ts', workerd: 'worker-main.ts' }[runtime];
  const script = await bundle(entry, dir);
  const env = { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' };
  let child: ChildProcess;
  let control: number | undefined;
  if (runtime === 'workerd') {
    control = await freePort();
    const slots: Record<string, number> = {};
    for (let i = 0; i < WORKERD_SLOTS; i++) slots[`slot${i}`] = await freePort();
    const config = path.join(dir, 'tables.capnp');
    writeFileSync(config, workerdConfig(script, control, slots));
    child = spawn(runtimeBinary('workerd'), ['serve', config], { cwd: dir, env });
  } else if (runtime === 'bun') {
    child = spawn(runtimeBinary('bun'), ['run', script], { cwd: dir, env });
  } else {
    const flags = ['run', '--allow-net', '--no-prompt', '--no-config', script];
    child = spawn(runtimeBinary('deno'), flags, { cwd: dir, env });
  }
  const watcher = watch(child);
  const ready = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${runtime} did not start:\n${watcher.output()}`)),
      START_TIMEOUT_MS,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${runtime} exited (${code}) before serving:\n${watcher.output()}`));
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    const done = (port: number) => {
      clearTimeout(timer);
      resolve(port);
    };
    if (control !== undefined) {
      // workerd prints nothing of its own when it listens: ask until the control slot answers.
      const port = control;
      const poll = () =>
        fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{"method":"ping"}' }).then(
          () => done(port),
          () => (child.exitCode === null ? setTimeout(poll, 50) : undefined),
        );
      poll();
    } else {
      watcher.onLine((line) => {
        const port = /^\{"control":(\d+)\}/.exec(line)?.[1];
        if (port !== undefined) done(Number(port));
      });
    }
  });
  try {
    return { process: child, control: await ready, output: watcher.output };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

/**
 * A {@link RemoteHarness} on `runtime`, its apps served by `framework`'s adapter (@keyward/fetch
 * or @keyward/hono). The runtime starts with the first deployment; `stop` ends it.
 *
 * @example
 * ```ts
 * const harness = runtimeHarness('bun', 'fetch');
 * afterAll(() => harness.stop());
 * describeAdapterCases(harness);
 * ```
 */
export function runtimeHarness(
  runtime: RuntimeName,
  framework: Framework,
): RemoteHarness & HeaderEchoHarness & { stop(): Promise<void> } {
  let dir: string | undefined;
  let started: Promise<Child> | undefined;
  const child = () => {
    dir ??= mkdtempSync(path.join(tmpdir(), `keyward-${runtime}-`));
    // workerd binds ports chosen beforehand; another test may take one first: try once more.
    started ??= startChild(runtime, dir).catch(() => startChild(runtime, dir as string));
    return started;
  };

  async function call<T>(method: string, ...args: unknown[]): Promise<T> {
    const { control, output } = await child();
    const response = await fetch(`http://127.0.0.1:${control}/`, {
      method: 'POST',
      body: JSON.stringify({ method, args }),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
    const answer = (await response.json()) as { value?: T; error?: string };
    if (answer.error !== undefined) {
      throw new Error(`${runtime} ${method}: ${answer.error}\n${output()}`);
    }
    return answer.value as T;
  }

  return {
    name: `${framework === 'hono' ? 'hono' : '@keyward/fetch'} on ${runtime}`,
    noClientSockets:
      runtime === 'workerd'
        ? 'a Worker never sees a socket: the edge gives the client IP in CF-Connecting-IP'
        : undefined,
    dropsLeadingEmptyAuthorization:
      runtime === 'workerd'
        ? 'workerd drops empty Authorization lines before the first non-empty one: the Worker ' +
          'gets the same request as without them (measured in the repeated-lines cases)'
        : undefined,
    async deploy(spec: DeploymentSpec) {
      const id = await call<number>('deploy', spec);
      return {
        keyward: {
          create: (options) => call('create', id, options),
          revoke: (keyId, options) => call('revoke', id, keyId, options),
          update: (keyId, changes) => call('update', id, keyId, changes),
        },
        advanceClock: (ms) => call('advanceClock', id, ms),
        storeReads: () => call('storeReads', id),
        async start({ trustOneProxy, host = '127.0.0.1', app = 'table' }): Promise<RunningApp> {
          const options: AppOptions = { trustOneProxy, host, framework, app };
          const port = await call<number>('serve', id, options);
          const shown = host === '::' ? '[::1]' : host;
          return { url: `http://${shown}:${port}`, close: () => call('close', port) };
        },
      };
    },
    async echo(): Promise<RunningApp> {
      const port = await call<number>('serveEcho');
      return { url: `http://127.0.0.1:${port}`, close: () => call('close', port) };
    },
    async stop() {
      const running = started === undefined ? undefined : await started.catch(() => undefined);
      if (running !== undefined && running.process.exitCode === null) {
        const exited = new Promise((resolve) => running.process.once('exit', resolve));
        running.process.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
        if (running.process.exitCode === null) running.process.kill('SIGKILL');
      }
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Registers the adapter, attack and layered-guard tables for `framework` on `runtime`, the
 * runtime's parser profile applied, and stops the runtime after the file's tests.
 *
 * @example
 * ```ts
 * describeRuntimeTables('deno', 'fetch');
 * ```
 */
export function describeRuntimeTables(runtime: RuntimeName, framework: Framework): void {
  const harness = runtimeHarness(runtime, framework);
  afterAll(() => harness.stop());
  describeAdapterCases(harness);
  describeAttackCases(harness, { fuzzRuns: 150, parser: PARSERS[runtime] });
  describeLayeredCases(harness);
  // What the runtime makes of repeated lines does not depend on the adapter: measured once.
  if (framework === 'fetch') describeRepeatedLines(harness, PARSERS[runtime]);
}
