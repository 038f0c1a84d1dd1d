import { type KeyInfo, type RateLimit, keyStatus as statusOf } from '@keyward/core';
import { escapeControl, escapeJsonControl } from './terminal-text.js';

/** `active`, `disabled`, `expired` or `revoked` at `now`: the rule `list --status` filters by. */
export function keyStatus(info: KeyInfo, now: number): string {
  return statusOf(
    {
      revokedAt: info.revokedAt?.getTime(),
      disabled: info.disabled,
      expiresAt: info.expiresAt?.getTime(),
    },
    now,
  );
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

const nearInteger = (value: number) => Math.abs(value - Math.round(value)) < 1e-9;

/** `10/s, burst 20`, or per minute/hour when that is a whole number and per second is not. */
export function formatRateLimit(limit: RateLimit): string {
  const perSecond = limit.refillPerSecond;
  let rate = `${formatNumber(perSecond)}/s`;
  if (!nearInteger(perSecond)) {
    if (nearInteger(perSecond * 60)) rate = `${Math.round(perSecond * 60)}/m`;
    else if (nearInteger(perSecond * 3600)) rate = `${Math.round(perSecond * 3600)}/h`;
  }
  return `${rate}, burst ${formatNumber(limit.capacity)}`;
}

/** A key's fields as aligned `label  value` lines, control characters escaped. */
export function formatKeyInfo(info: KeyInfo, now: number): string {
  const rows: [string, string][] = [
    ['id', info.id],
    ['key', info.redacted],
    ['name', info.name],
    ['environment', info.environment],
  ];
  if (info.ownerId !== undefined) rows.push(['owner', info.ownerId]);
  rows.push(['status', keyStatus(info, now)]);
  if (info.revokedAt !== undefined) rows.push(['revoked', info.revokedAt.toISOString()]);
  if (info.revokedReason !== undefined) rows.push(['revoked reason', info.revokedReason]);
  rows.push(['scopes', info.scopes.length > 0 ? info.scopes.join(', ') : '(none)']);
  if (info.ips !== undefined) rows.push(['ips', info.ips.join(', ')]);
  if (info.referrers !== undefined) rows.push(['referrers', info.referrers.join(', ')]);
  if (info.rateLimit !== undefined) rows.push(['rate limit', formatRateLimit(info.rateLimit)]);
  if (info.quota !== undefined) {
    rows.push(['quota', `${info.quota.limit}/${info.quota.period}`]);
  }
  rows.push(['expires', info.expiresAt?.toISOString() ?? 'never']);
  if (info.metadata !== undefined) rows.push(['metadata', JSON.stringify(info.metadata)]);
  rows.push(['created', info.createdAt.toISOString()]);
  rows.push(['updated', info.updatedAt.toISOString()]);
  if (info.rotatedAt !== undefined) rows.push(['rotated', info.rotatedAt.toISOString()]);
  if (info.previousSecretExpiresAt !== undefined) {
    rows.push(['old secret until', info.previousSecretExpiresAt.toISOString()]);
  }
  rows.push(['version', String(info.version)]);
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  return `${rows.map(([label, value]) => label.padEnd(width) + escapeControl(value)).join('\n')}\n`;
}

/** Rows as a left-aligned text table with a header line, control characters escaped. */
export function formatTable(
  header: readonly string[],
  unsafeRows: readonly (readonly string[])[],
): string {
  const rows = unsafeRows.map((row) => row.map(escapeControl));
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/** JSON for `--json`: two-space indented, ending with a newline, no raw control character. */
export function toJson(value: unknown): string {
  return `${escapeJsonControl(JSON.stringify(value, null, 2))}\n`;
}
