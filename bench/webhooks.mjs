// Webhook micro-benchmarks: verifyWebhook of a 1 KB body against one HMAC-SHA256 of that body
// (node:crypto, native), with the reference `standardwebhooks` library and @noble/hashes for
// scale. Target (issue 16): verifyWebhook <= 3x one HMAC-SHA256, CPU time, median of per-round
// ratios from one run. Run: node bench/run.mjs webhooks

import { createHmac } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  blackhole,
  compare,
  figure,
  formatNs,
  formatOps,
  formatRatio,
  heading,
  loadPackage,
  loadPackageDependency,
  printTable,
  publish,
  ROOT_DIR,
  ratio,
  subheading,
} from './lib.mjs';

const { generateWebhookSecret, signWebhook, verifyWebhook } = await loadPackage('webhooks');
const { hmac: nobleHmac } = await loadPackageDependency('core', '@noble/hashes/hmac.js');
const { sha256: nobleSha256 } = await loadPackageDependency('core', '@noble/hashes/sha2.js');
const { Webhook } = await import(
  pathToFileURL(
    path.join(ROOT_DIR, 'packages/webhooks/node_modules/standardwebhooks/dist/index.js'),
  ).href
);

const BODY_BYTES = 1024;
/** A 1 KB JSON body, as an alert would be (ASCII, so 1024 characters are 1024 bytes). */
function jsonBody(bytes) {
  const head = '{"type":"alert","data":{"kind":"spike","detail":"';
  const tail = '"}}';
  return head + 'x'.repeat(bytes - head.length - tail.length) + tail;
}

/** "2.41× (wall 2.58×)". */
function formatBoth(r) {
  return `${formatRatio(r.cpu.median)} (wall ${formatRatio(r.wall.median)})`;
}

function row(label, result, extra = []) {
  return [
    label,
    formatNs(result.cpu.nsPerOp),
    formatOps(result.cpu.opsPerSec),
    formatNs(result.wall.nsPerOp),
    `${formatNs(result.wall.minNs)} – ${formatNs(result.wall.maxNs)}`,
    ...extra,
  ];
}
const ROW_HEADER = ['case', 'cpu ns/op', 'ops/cpu-s', 'wall ns/op', 'wall min – max'];

function assertVerified(result, what) {
  if (!result?.ok) throw new Error(`${what}: verifyWebhook refused the webhook (${result?.code})`);
}

async function verifyVsHmac(figures, details) {
  heading(`verifyWebhook of a ${BODY_BYTES}-byte body vs one HMAC-SHA256 of it`);
  const secret = generateWebhookSecret();
  const previous = generateWebhookSecret();
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const body = jsonBody(BODY_BYTES);
  const bytes = new TextEncoder().encode(body);
  if (bytes.length !== BODY_BYTES) throw new Error(`body is ${bytes.length} bytes`);
  const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
  const now = Date.now();
  const headers = signWebhook({ secret, id, timestamp: Math.floor(now / 1000), body });
  const options = { secrets: [secret], headers, body, now };
  // Rotation, worst case: the matching secret is the second one tried (two HMACs).
  const rotation = { secrets: [previous, secret], headers, body, now };
  const bytesOptions = { secrets: [secret], headers, body: bytes, now };
  for (const [what, o] of [
    ['string body', options],
    ['rotation', rotation],
    ['bytes body', bytesOptions],
  ]) {
    assertVerified(verifyWebhook(o), what);
  }
  console.log(
    `  body: ${BODY_BYTES} bytes of JSON; one secret; node:crypto createHmac as the baseline` +
      '\n  (a new Hmac per call, as a receiver would make one per request)',
  );

  const hmacCase = {
    name: 'hmac',
    run(n) {
      for (let i = 0; i < n; i++) blackhole(createHmac('sha256', key).update(body).digest());
    },
  };
  const [hmac, verify] = await compare(
    [
      hmacCase,
      {
        name: 'verify',
        run(n) {
          for (let i = 0; i < n; i++) blackhole(verifyWebhook(options));
        },
      },
    ],
    { rounds: 80, batchMs: 5 },
  );
  assertVerified(verifyWebhook(options), 'after the headline');

  const reference = new Webhook(secret);
  const nobleKey = Uint8Array.from(key);
  const [hmac2, verifyBytes, verifyRotation, theirs, noble] = await compare(
    [
      hmacCase,
      {
        name: 'verifyBytes',
        run(n) {
          for (let i = 0; i < n; i++) blackhole(verifyWebhook(bytesOptions));
        },
      },
      {
        name: 'verifyRotation',
        run(n) {
          for (let i = 0; i < n; i++) blackhole(verifyWebhook(rotation));
        },
      },
      {
        name: 'standardwebhooks',
        run(n) {
          for (let i = 0; i < n; i++) {
            blackhole(reference.verify(body, headers, { jsonParse: false }));
          }
        },
      },
      {
        name: 'nobleHmac',
        run(n) {
          for (let i = 0; i < n; i++) blackhole(nobleHmac(nobleSha256, nobleKey, bytes));
        },
      },
    ],
    { rounds: 20, batchMs: 10 },
  );

  const headline = ratio(verify, hmac);
  const bytesRatio = ratio(verifyBytes, hmac2);
  const rotationRatio = ratio(verifyRotation, hmac2);
  const theirsRatio = ratio(theirs, hmac2);
  const nobleRatio = ratio(noble, hmac2);
  subheading(`headline: ${verify.rounds} alternating rounds`);
  printTable([
    [...ROW_HEADER, '× hmac'],
    row('hmac-sha256 of the body (node:crypto)', hmac, ['1']),
    row('verifyWebhook, string body', verify, [formatBoth(headline)]),
  ]);
  subheading(`secondary: ${verifyBytes.rounds} interleaved rounds, with their own baseline`);
  printTable([
    [...ROW_HEADER, '× hmac'],
    row('hmac-sha256 of the body (node:crypto)', hmac2, ['1']),
    row('verifyWebhook, Uint8Array body', verifyBytes, [formatBoth(bytesRatio)]),
    row('verifyWebhook, 2 secrets, 2nd matches', verifyRotation, [formatBoth(rotationRatio)]),
    row('standardwebhooks Webhook.verify', theirs, [formatBoth(theirsRatio)]),
    row('hmac-sha256 (@noble/hashes)', noble, [formatBoth(nobleRatio)]),
  ]);
  const met = headline.cpu.median <= 3;
  console.log(
    `\n  verifyWebhook / hmac-sha256 = ${formatRatio(headline.cpu.median)} by CPU time ` +
      `(per-round ${formatRatio(headline.cpu.min)}–${formatRatio(headline.cpu.max)}; ` +
      `wall-clock ${formatRatio(headline.wall.median)}): target ≤ 3× ${met ? 'met' : 'NOT met'}`,
  );

  figures['verifyWebhook.ns'] = figure('verifyWebhook, 1 KB', verify.cpu.nsPerOp, 'ns/op', 'lower');
  figures['hmacSha256.ns'] = figure(
    'hmac-sha256 of 1 KB (node:crypto)',
    hmac.cpu.nsPerOp,
    'ns/op',
    'lower',
  );
  figures['verifyWebhook.ratioToHmac'] = figure(
    'verifyWebhook / hmac-sha256',
    headline.cpu.median,
    'ratio',
    'lower',
  );
  figures['verifyWebhook.wallRatioToHmac'] = figure(
    'verifyWebhook / hmac-sha256, wall-clock',
    headline.wall.median,
    'ratio',
    'lower',
  );
  figures['verifyWebhookRotation.ratioToHmac'] = figure(
    'verifyWebhook, 2 secrets / hmac-sha256',
    rotationRatio.cpu.median,
    'ratio',
    'lower',
  );
  figures['standardwebhooks.ns'] = figure(
    'standardwebhooks verify, 1 KB',
    theirs.cpu.nsPerOp,
    'ns/op',
    'lower',
  );
  figures['nobleHmac.ns'] = figure(
    'hmac-sha256 of 1 KB (@noble/hashes)',
    noble.cpu.nsPerOp,
    'ns/op',
    'lower',
  );
  details.verifyVsHmac = {
    target: 'verifyWebhook <= 3 x hmac-sha256 of the body (CPU time, median of per-round ratios)',
    met,
    bodyBytes: BODY_BYTES,
    ratio: headline,
    bytesRatio,
    rotationRatio,
    standardwebhooksRatio: theirsRatio,
    nobleRatio,
    headline: [hmac, verify],
    secondary: [hmac2, verifyBytes, verifyRotation, theirs, noble],
  };
}

const started = Date.now();
const figures = {};
const details = {};
await verifyVsHmac(figures, details);
console.log(`\nwebhooks section finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
await publish({ figures, details });
