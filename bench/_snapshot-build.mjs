// Copies the current builds of core and the three HTTP adapters aside, so a later build can be
// measured against them in one run: the `base` variant of bench/_http-server.mjs loads the copies
// (an adapter's copy imports core's copy). Not a section (the leading underscore keeps run.mjs
// from running it).
//
//   node bench/_snapshot-build.mjs          # then change, rebuild, and compare, e.g.
//   BENCH_HTTP_VARIANTS=base BENCH_HTTP_ONLY=fastify node bench/run.mjs http

import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT_DIR, snapshotDir } from './lib.mjs';

for (const name of ['core', 'express', 'koa', 'fastify']) {
  const from = path.join(ROOT_DIR, 'packages', name, 'dist', 'index.js');
  if (!existsSync(from)) throw new Error(`packages/${name}/dist/index.js is missing: build first`);
  const to = snapshotDir(name);
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { recursive: true });
  if (name === 'core') {
    copyFileSync(from, path.join(to, 'index.js'));
  } else {
    const core = path.relative(to, path.join(snapshotDir('core'), 'index.js'));
    const source = readFileSync(from, 'utf8').replaceAll('"@keyward/core"', JSON.stringify(core));
    if (!source.includes(core)) throw new Error(`packages/${name}'s build does not import core`);
    writeFileSync(path.join(to, 'index.js'), source);
  }
  console.log(`${path.relative(ROOT_DIR, from)} → ${path.relative(ROOT_DIR, to)}`);
}
