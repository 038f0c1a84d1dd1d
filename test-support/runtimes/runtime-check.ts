// Setup file of vitest.core.config.ts: fails every test file unless it runs on the runtime the
// caller asked for (KEYWARD_TEST_RUNTIME), and records that runtime in KEYWARD_RUNTIME_MARKER.
import { appendFileSync } from 'node:fs';

const globals = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } } };
const runtime =
  globals.Bun !== undefined
    ? `bun ${globals.Bun.version}`
    : globals.Deno !== undefined
      ? `deno ${globals.Deno.version.deno}`
      : `node ${process.versions.node}`;
const expected = process.env['KEYWARD_TEST_RUNTIME'];
if (expected !== undefined && !runtime.startsWith(`${expected} `)) {
  throw new Error(`expected to run on ${expected}, but this is ${runtime}`);
}
const marker = process.env['KEYWARD_RUNTIME_MARKER'];
if (marker !== undefined) appendFileSync(marker, `${runtime}\n`);
