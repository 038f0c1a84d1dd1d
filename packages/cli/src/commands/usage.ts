import type { UsageGranularity, UsageOutcomes, UsagePoint, UsageRouteTotal } from '@keyward/core';
import { usageError } from '../cli-error.js';
import type { Command } from '../command.js';
import { booleanFlag, requireKeyward, stringFlag } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatTable, toJson } from '../output.js';
import { escapeControl } from '../terminal-text.js';
import { parseDuration } from '../values.js';
import { getExisting, keyIdArgument } from './key-id.js';

const GRANULARITIES: readonly UsageGranularity[] = ['minute', 'hour', 'day'];
const SPARKS = '▁▂▃▄▅▆▇█';

/** One character per value, `▁` for none and `▂`…`█` scaled to the largest. */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  return values
    .map((v) => (v <= 0 || max === 0 ? SPARKS[0] : SPARKS[1 + Math.round((v / max) * 6)]))
    .join('');
}

function rejected(outcomes: UsageOutcomes): number {
  let sum = 0;
  for (const [outcome, count] of Object.entries(outcomes)) if (outcome !== 'verified') sum += count;
  return sum;
}

/** `rate_limited 3, invalid_key 1`: the rejections, most frequent first. */
function rejections(outcomes: UsageOutcomes): string {
  const list = Object.entries(outcomes)
    .filter(([outcome, count]) => outcome !== 'verified' && count > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return list.length === 0 ? '-' : list.map(([outcome, count]) => `${outcome} ${count}`).join(', ');
}

/** `2026-01-31 14:00`, `2026-01-31 14:05` (UTC), or the day alone. */
function bucketLabel(start: Date, granularity: UsageGranularity): string {
  const iso = start.toISOString();
  return granularity === 'day' ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

function parseGranularity(text: string | undefined): UsageGranularity {
  if (text === undefined) return 'hour';
  if (!(GRANULARITIES as readonly string[]).includes(text)) {
    throw usageError(`--by: "${text}" must be minute, hour or day`);
  }
  return text as UsageGranularity;
}

/** `keyward usage <id>`: a key's verifications over time, or per route. */
export const usageCommand: Command = {
  name: 'usage',
  summary: 'show a key’s usage over time (or per route) with a sparkline',
  usage: 'keyward usage <id> [--since 24h] [--by minute|hour|day] [--routes] [--json]',
  flagHelp: [
    '--since <duration>     how far back: 90m, 24h, 30d… (default 24h)',
    '--by <unit>            bucket size: minute, hour or day (default hour)',
    '--routes               totals per route instead of per bucket',
    '--json                 print { key, points } or { key, routes } as JSON',
    'Usage is written by running APIs every flush interval (1 s by default); the last',
    'interval of a running process may not be in yet.',
  ],
  options: {
    since: { type: 'string' },
    by: { type: 'string' },
    routes: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  positionals: { min: 1, max: 1, name: '<id>' },
  needsStore: true,
  async run(context) {
    const { values, io, now, positionals } = context;
    const keyward = requireKeyward(context);
    const id = keyIdArgument(positionals);
    const since = parseDuration(stringFlag(values, 'since') ?? '24h', '--since');
    if (since <= 0) throw usageError('--since must be longer than 0');
    const granularity = parseGranularity(stringFlag(values, 'by'));
    const info = await getExisting(keyward, id);
    const range = { keyId: id, from: now - since, to: now, granularity };
    const json = booleanFlag(values, 'json');
    const title =
      `${id} (${escapeControl(info.name)}) — last ${stringFlag(values, 'since') ?? '24h'}` +
      `, last used ${info.lastUsedAt?.toISOString() ?? 'never'}`;
    if (booleanFlag(values, 'routes')) {
      const { routes } = await keyward.usage({ ...range, groupBy: 'route' });
      if (json) {
        io.stdout(toJson({ key: info, routes }));
        return EXIT_CODES.ok;
      }
      io.stdout(`${title}\n\n`);
      io.stdout(routesTable(routes));
      return EXIT_CODES.ok;
    }
    const { points } = await keyward.usage(range);
    if (json) {
      io.stdout(toJson({ key: info, points }));
      return EXIT_CODES.ok;
    }
    const total = points.reduce((sum, p) => sum + p.total, 0);
    io.stdout(`${title}\n${total} verifications by ${granularity}\n\n`);
    io.stdout(`${sparkline(points.map((p) => p.total))}\n\n`);
    io.stdout(pointsTable(points, granularity));
    return EXIT_CODES.ok;
  },
};

function pointsTable(points: readonly UsagePoint[], granularity: UsageGranularity): string {
  const rows = points
    .filter((p) => p.total > 0)
    .map((p) => [
      bucketLabel(p.start, granularity),
      String(p.total),
      String(p.outcomes.verified ?? 0),
      String(rejected(p.outcomes)),
      rejections(p.outcomes),
    ]);
  if (rows.length === 0) return 'no usage in this range\n';
  return formatTable(['START (UTC)', 'TOTAL', 'VERIFIED', 'REJECTED', 'REJECTIONS'], rows);
}

function routesTable(routes: readonly UsageRouteTotal[]): string {
  if (routes.length === 0) return 'no usage in this range\n';
  const rows = routes.map((r) => [
    r.route === '' ? '(unknown route)' : r.route,
    String(r.total),
    String(r.outcomes.verified ?? 0),
    String(rejected(r.outcomes)),
    rejections(r.outcomes),
  ]);
  return formatTable(['ROUTE', 'TOTAL', 'VERIFIED', 'REJECTED', 'REJECTIONS'], rows);
}
