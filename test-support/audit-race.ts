// Runs audited management calls in child processes at once, for the "two processes keep one
// unbroken audit chain" tests of every store. A store's worker prints `ready`, waits until stdin
// closes (so every process starts together), runs `auditRaceWork`, and prints its result as JSON.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Keyward } from '@keyward/core';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Creates `count` keys and updates each once, through keyward: 2 × count audited writes. */
export async function auditRaceWork(keyward: Keyward, writer: string, count: number) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { record } = await keyward.create({
      name: `${writer}-${i}`,
      actor: { type: 'service', id: writer },
    });
    await keyward.update(record.id, { name: `${writer}-${i}-renamed` }, { reason: writer });
    ids.push(record.id);
  }
  return { ids };
}

/** In a worker: announce readiness, then block until the parent releases every worker. */
export function waitForStart(): void {
  process.stdout.write('ready\n');
  readFileSync(0);
}

/** Starts one worker process per argument list and resolves with their JSON results. */
export async function raceWorkers(
  worker: string,
  argsPerWorker: readonly string[][],
  env: Record<string, string> = {},
): Promise<unknown[]> {
  const children = argsPerWorker.map((args) =>
    spawn(process.execPath, ['--import', 'tsx', worker, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      timeout: 60_000,
    }),
  );
  const runs = children.map((child) => {
    let out = '';
    let err = '';
    let markReady: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      markReady = resolve;
    });
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.startsWith('ready\n')) markReady();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    const done = new Promise<unknown>((resolve, reject) => {
      child.on('close', (code) =>
        code === 0
          ? resolve(JSON.parse(out.slice('ready\n'.length)))
          : reject(new Error(`worker exited ${code}: ${err}`)),
      );
    });
    return { ready, done };
  });
  await Promise.race([Promise.all(runs.map((r) => r.ready)), Promise.all(runs.map((r) => r.done))]);
  for (const child of children) child.stdin.end();
  return Promise.all(runs.map((r) => r.done));
}
