import {
  querySubject,
  USAGE_BUCKET_MS,
  type UsageGranularity,
  type UsageOutcome,
  type UsageQuery,
  type UsageRow,
  type UsageTotal,
} from '@keyward/core';
import type { RedisClient } from './commands.js';

/** The deployment's subject (as `rollUpUsage` names it). */
const USAGE_ALL = '*';

/**
 * Usage lives under 16 hash tags (`{<prefix>:u0}` … `{<prefix>:u15}`): a subject (key id, `''`,
 * `'*'` or `'@' + ownerId`) always maps to the same one, so all of a subject's hashes share a
 * Redis Cluster slot, and a flush is one script call per tag (per chunk), never a cross-slot one.
 * Part of the data format (with the hash layout described in `scripts/usage.ts`): changing it
 * would orphan stored usage.
 */
const SHARDS = 16;
/** Rows per script call: bounds how long one call holds Redis (each row is 3 increments). */
const CHUNK_ROWS = 1000;
const BATCH_MARKER_MS = 86_400_000;

/** Each granularity's hashes: the letter in their name and the span one hash covers, in buckets. */
const LAYOUT: Readonly<Record<UsageGranularity, { letter: string; span: number }>> = {
  minute: { letter: 'm', span: 60 },
  hour: { letter: 'h', span: 24 },
  day: { letter: 'd', span: 30 },
};

function shardOf(subject: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < subject.length; i++) {
    hash ^= subject.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % SHARDS;
}

type RecordScript = (...args: (string | number)[]) => Promise<unknown>;

/** One script call's worth of rows: per-call numbering of subjects, outcomes and routes. */
interface Chunk {
  readonly subjects: Map<string, number>;
  readonly outcomes: Map<string, number>;
  readonly routes: Map<string, number>;
  readonly rows: string[];
  /** "subject #,ms;" per key. */
  readonly lastUsed: string[];
}

/** The 1-based number of `value` in `list`, adding it when new. */
function numberOf(list: Map<string, number>, value: string): number {
  let n = list.get(value);
  if (n === undefined) {
    n = list.size + 1;
    list.set(value, n);
  }
  return n;
}

/** Usage on Redis for `RedisStore`: hash increments with expiry, per-tag script calls. */
export class RedisUsage {
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #record: RecordScript;
  readonly #retention: Readonly<Record<UsageGranularity, number>>;

  constructor(
    client: RedisClient,
    prefix: string,
    record: RecordScript,
    retention: Readonly<Record<UsageGranularity, number>>,
  ) {
    this.#client = client;
    this.#prefix = prefix;
    this.#record = record;
    this.#retention = retention;
  }

  /** `<prefix>:{<prefix>:u<n>}`: what every usage key of that tag starts with. */
  #stem(shard: number): string {
    return `${this.#prefix}:{${this.#prefix}:u${shard}}`;
  }

  async record(
    rows: readonly UsageRow[],
    lastUsed: ReadonlyMap<string, number>,
    batchId: string | undefined,
  ): Promise<void> {
    const shards = new Map<number, Chunk[]>();
    const chunkFor = (shard: number, forRow: boolean): Chunk => {
      let chunks = shards.get(shard);
      if (chunks === undefined) {
        chunks = [];
        shards.set(shard, chunks);
      }
      let chunk = chunks[chunks.length - 1];
      if (chunk === undefined || (forRow && chunk.rows.length >= CHUNK_ROWS)) {
        chunk = {
          subjects: new Map(),
          outcomes: new Map(),
          routes: new Map(),
          rows: [],
          lastUsed: [],
        };
        chunks.push(chunk);
      }
      return chunk;
    };
    const add = (
      subject: string,
      minute: number,
      outcome: string,
      route: string,
      count: number,
      cost: number,
    ) => {
      const chunk = chunkFor(shardOf(subject), true);
      chunk.rows.push(
        `${numberOf(chunk.subjects, subject)},${minute},${numberOf(chunk.outcomes, outcome)},${numberOf(chunk.routes, route)},${count},${cost - count};`,
      );
    };
    // Key rows go as they are (HINCRBY adds, so rows of one hour need no merging); owner and
    // deployment rows are summed first, since many keys share them.
    const shared = new Map<
      string,
      { subject: string; row: UsageRow; count: number; cost: number }
    >();
    const share = (subject: string, row: UsageRow) => {
      const id = `${subject}\n${row.minute}\n${row.outcome}\n${row.route}`;
      const total = shared.get(id);
      if (total === undefined) shared.set(id, { subject, row, count: row.count, cost: row.cost });
      else {
        total.count += row.count;
        total.cost += row.cost;
      }
    };
    for (const row of rows) {
      add(
        row.keyId,
        row.minute / USAGE_BUCKET_MS.minute,
        row.outcome,
        row.route,
        row.count,
        row.cost,
      );
      if (row.ownerId !== undefined && row.ownerId !== '') share(`@${row.ownerId}`, row);
      share(USAGE_ALL, row);
    }
    for (const { subject, row, count, cost } of shared.values()) {
      add(subject, row.minute / USAGE_BUCKET_MS.minute, row.outcome, row.route, count, cost);
    }
    for (const [keyId, at] of lastUsed) {
      const chunk = chunkFor(shardOf(keyId), false);
      chunk.lastUsed.push(`${numberOf(chunk.subjects, keyId)},${at};`);
    }
    const { minute, hour, day } = this.#retention;
    const calls: Promise<unknown>[] = [];
    for (const [shard, chunks] of shards) {
      const stem = this.#stem(shard);
      chunks.forEach((chunk, n) => {
        calls.push(
          this.#record(
            2,
            `${stem}:b:${batchId ?? ''}:${n}`,
            `${stem}:lu`,
            batchId === undefined ? 0 : BATCH_MARKER_MS,
            stem,
            minute,
            hour,
            day,
            `${chunk.subjects.size},${chunk.outcomes.size},${chunk.routes.size}`,
            ...chunk.subjects.keys(),
            ...chunk.outcomes.keys(),
            ...chunk.routes.keys(),
            chunk.lastUsed.join(''),
            chunk.rows.join(''),
          ),
        );
      });
    }
    // Every call is sent before any is awaited (one pipeline); a failure rejects the flush, and
    // the chunks that were applied are skipped by their markers when the batch comes again.
    const settled = await Promise.allSettled(calls);
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  async query(query: UsageQuery): Promise<UsageTotal[]> {
    const { granularity, from, to } = query;
    const { letter, span } = LAYOUT[granularity];
    const width = USAGE_BUCKET_MS[granularity];
    const subject = querySubject(query);
    const stem = this.#stem(shardOf(subject));
    const first = Math.floor(from / width / span);
    const last = Math.floor((to - 1) / width / span);
    const pipeline = this.#client.pipeline();
    for (let n = first; n <= last; n++) pipeline.hgetall(`${stem}:${letter}:${subject}:${n}`);
    const replies = (await pipeline.exec()) ?? [];
    const byRoute = query.groupBy === 'route';
    const totals = new Map<string, UsageTotal>();
    replies.forEach(([error, reply], i) => {
      if (error) throw error;
      const base = (first + i) * span;
      const fields = reply as Record<string, string>;
      for (const field in fields) {
        if (field.startsWith('$')) continue;
        const bar = field.indexOf('|');
        const second = field.indexOf('|', bar + 1);
        if (bar < 0 || second < 0) continue;
        const start = (base + Number(field.slice(0, bar))) * width;
        if (!(start >= from && start < to)) continue;
        const outcome = field.slice(bar + 1, second) as UsageOutcome;
        const route = byRoute ? field.slice(second + 1) : '';
        const count = Number(fields[field]);
        const cost = count + Number(fields[`$${field}`] ?? 0);
        const at = byRoute ? from : start;
        const id = `${at}|${outcome}|${route}`;
        const total = totals.get(id);
        if (total === undefined) totals.set(id, { start: at, route, outcome, count, cost });
        else {
          total.count += count;
          total.cost += cost;
        }
      }
    });
    return [...totals.values()];
  }

  async lastUsed(keyIds: readonly string[]): Promise<Map<string, number>> {
    const byShard = new Map<number, string[]>();
    for (const keyId of keyIds) {
      const shard = shardOf(keyId);
      const ids = byShard.get(shard) ?? [];
      ids.push(keyId);
      byShard.set(shard, ids);
    }
    const found = new Map<string, number>();
    await Promise.all(
      [...byShard].map(async ([shard, ids]) => {
        const scores = await this.#client.zmscore(`${this.#stem(shard)}:lu`, ...ids);
        ids.forEach((id, i) => {
          const score = scores[i];
          if (score !== null && score !== undefined) found.set(id, Number(score));
        });
      }),
    );
    return found;
  }
}
