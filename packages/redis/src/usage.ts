import {
  querySubject,
  rollUpUsage,
  USAGE_BUCKET_MS,
  type UsageGranularity,
  type UsageOutcome,
  type UsageQuery,
  type UsageRow,
  type UsageTotal,
} from '@keyward/core';
import type { RedisClient } from './commands.js';

/**
 * Usage lives under 16 hash tags (`{<prefix>:u0}` … `{<prefix>:u15}`): a subject (key id, `''`,
 * `'*'` or `'@' + ownerId`) always maps to the same one, so all of a subject's hashes share a
 * Redis Cluster slot, and a flush is one script call per tag (per chunk), never a cross-slot one.
 * Part of the data format: changing it would orphan stored usage.
 */
const SHARDS = 16;
/** Cells per script call: bounds how long one call holds Redis. */
const CHUNK_CELLS = 2000;
const BATCH_MARKER_MS = 86_400_000;
const PERIOD_MS = 30 * USAGE_BUCKET_MS.day;

/**
 * Each granularity's cells live in hashes spanning a longer container: minute cells in one hash
 * per hour, hour cells in one per day, day cells in one per 30 days (from the epoch). A field is
 * `<offset in the container>|<outcome>|<route>` holding the count; `$` + the field holds
 * cost − count when they differ.
 */
const LAYOUT: Readonly<Record<UsageGranularity, { letter: string; container: number }>> = {
  minute: { letter: 'm', container: USAGE_BUCKET_MS.hour },
  hour: { letter: 'h', container: USAGE_BUCKET_MS.day },
  day: { letter: 'd', container: PERIOD_MS },
};
const GRANULARITIES: readonly UsageGranularity[] = ['minute', 'hour', 'day'];

function shardOf(subject: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < subject.length; i++) {
    hash ^= subject.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % SHARDS;
}

type RecordScript = (...args: (string | number)[]) => Promise<unknown>;

/** One script call's worth: its hashes (with expiry), last uses and cells. */
interface Chunk {
  readonly hashes: Map<string, { index: number; expireAt: number }>;
  readonly lastUsed: (string | number)[];
  readonly cells: (string | number)[];
  count: number;
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

  #tag(shard: number): string {
    return `${this.#prefix}:{${this.#prefix}:u${shard}}`;
  }

  #hash(granularity: UsageGranularity, subject: string, container: number): string {
    return `${this.#tag(shardOf(subject))}:${LAYOUT[granularity].letter}:${subject}:${container}`;
  }

  async record(
    rows: readonly UsageRow[],
    lastUsed: ReadonlyMap<string, number>,
    batchId: string | undefined,
  ): Promise<void> {
    const shards = new Map<number, Chunk[]>();
    const chunkFor = (shard: number): Chunk => {
      let chunks = shards.get(shard);
      if (chunks === undefined) {
        chunks = [];
        shards.set(shard, chunks);
      }
      let chunk = chunks[chunks.length - 1];
      if (chunk === undefined || chunk.count >= CHUNK_CELLS) {
        chunk = { hashes: new Map(), lastUsed: [], cells: [], count: 0 };
        chunks.push(chunk);
      }
      return chunk;
    };
    for (const granularity of GRANULARITIES) {
      const { container: span } = LAYOUT[granularity];
      const width = USAGE_BUCKET_MS[granularity];
      const keep = this.#retention[granularity];
      for (const cell of rollUpUsage(rows, granularity)) {
        const chunk = chunkFor(shardOf(cell.subject));
        const container = cell.start - (cell.start % span);
        const key = this.#hash(granularity, cell.subject, container);
        let hash = chunk.hashes.get(key);
        if (hash === undefined) {
          hash = { index: chunk.hashes.size + 1, expireAt: container + span + keep };
          chunk.hashes.set(key, hash);
        }
        const offset = (cell.start - container) / width;
        chunk.cells.push(
          hash.index,
          `${offset}|${cell.outcome}|${cell.route}`,
          cell.count,
          cell.cost - cell.count,
        );
        chunk.count++;
      }
    }
    for (const [keyId, at] of lastUsed) chunkFor(shardOf(keyId)).lastUsed.push(at, keyId);
    const calls: Promise<unknown>[] = [];
    for (const [shard, chunks] of shards) {
      const tag = this.#tag(shard);
      chunks.forEach((chunk, n) => {
        const hashes = [...chunk.hashes];
        calls.push(
          this.#record(
            2 + hashes.length,
            `${tag}:b:${batchId ?? ''}:${n}`,
            `${tag}:lu`,
            ...hashes.map(([key]) => key),
            batchId === undefined ? 0 : BATCH_MARKER_MS,
            hashes.length,
            ...hashes.map(([, hash]) => hash.expireAt),
            chunk.lastUsed.length / 2,
            ...chunk.lastUsed,
            ...chunk.cells,
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
    const { container: span } = LAYOUT[granularity];
    const width = USAGE_BUCKET_MS[granularity];
    const subject = querySubject(query);
    const keys: { key: string; container: number }[] = [];
    for (let c = from - (from % span); c < to; c += span) {
      keys.push({ key: this.#hash(granularity, subject, c), container: c });
    }
    const pipeline = this.#client.pipeline();
    for (const { key } of keys) pipeline.hgetall(key);
    const replies = (await pipeline.exec()) ?? [];
    const byRoute = query.groupBy === 'route';
    const totals = new Map<string, UsageTotal>();
    replies.forEach(([error, reply], i) => {
      if (error) throw error;
      const container = keys[i]!.container;
      const fields = reply as Record<string, string>;
      for (const field in fields) {
        if (field.startsWith('$')) continue;
        const first = field.indexOf('|');
        const second = field.indexOf('|', first + 1);
        if (first < 0 || second < 0) continue;
        const start = container + Number(field.slice(0, first)) * width;
        if (!(start >= from && start < to)) continue;
        const outcome = field.slice(first + 1, second) as UsageOutcome;
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
        const scores = await this.#client.zmscore(`${this.#tag(shard)}:lu`, ...ids);
        ids.forEach((id, i) => {
          const score = scores[i];
          if (score !== null && score !== undefined) found.set(id, Number(score));
        });
      }),
    );
    return found;
  }
}
