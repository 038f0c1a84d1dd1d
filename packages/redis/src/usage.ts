import { createHash } from 'node:crypto';
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
 * `'*'` or `'@' + ownerId`) always maps to the same one, so a flush is one script call per tag
 * (per chunk), never a cross-slot one. Within a tag, subjects share one hash per minute, hour and
 * day, a field per cell named the same at every granularity (see `scripts/usage.ts`): writing
 * 10,000 keys' cells is three HINCRBY per cell on a few hashes, with one field name sent per cell
 * and no expiry per key. The deployment (`'*'`), which has a cell for every pair in use, keeps its
 * own hashes (a span of buckets each), read whole. Part of the data format: changing it would
 * orphan stored usage.
 */
const TAGS = 16;
/** Cells (each added at three granularities) per script call, a key’s run of rows never split: bounds how long one call holds Redis. */
const CHUNK_CELLS = 1000;
const BATCH_MARKER_MS = 86_400_000;
/** Pair codes remembered (each way) before the memo starts afresh. */
const MAX_MEMO = 10_000;
const CODE_LENGTH = 12;
const MINUTE_MS = 60_000;

/** A granularity: its letter in hash names, its bucket, and the buckets one hash covers. */
interface Level {
  readonly letter: string;
  /** Minutes per bucket. */
  readonly minutes: number;
  /** Buckets per hash. */
  readonly span: number;
}

const LEVELS: Readonly<Record<UsageGranularity, Level>> = {
  minute: { letter: 'm', minutes: 1, span: 60 },
  hour: { letter: 'h', minutes: 60, span: 24 },
  day: { letter: 'd', minutes: 1440, span: 30 },
};
const ORDER = [LEVELS.minute, LEVELS.hour, LEVELS.day] as const;

function hashOf(subject: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < subject.length; i++) {
    hash ^= subject.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * The code a cell names an (outcome, route) pair by: 12 base64url characters of its SHA-256
 * (72 bits), the same in every process, so writers need no shared numbering.
 */
function pairCode(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, CODE_LENGTH);
}

/** An outcome and a route, as a pair code names them. */
type Pair = readonly [UsageOutcome, string];

/**
 * What a chunk adds to one set of hashes: a minute's shared minute, hour and day hashes, or one
 * deployment hash. (field, count) and (`$` field, cost − count) pairs.
 */
interface Group {
  readonly keys: readonly string[];
  /** The minute, hour and day offsets (shared groups), each with its `:`. */
  readonly offsets: readonly string[];
  readonly expiries: readonly number[];
  readonly counts: (string | number)[];
  readonly costs: (string | number)[];
}

/** What one script call adds: shared groups by minute, deployment groups by hash. */
interface Chunk {
  readonly shared: Map<number, Group>;
  readonly own: Map<number, Group>;
  cells: number;
}

/** What a flush writes under one hash tag. */
interface TagWrite {
  readonly stem: string;
  readonly chunks: Chunk[];
  /** Chunks already sent (the next cells go to a new chunk). */
  sent: number;
  /** Code → `<outcome>|<route>` of the pairs the tag's cells use, for its dictionary. */
  readonly pairs: Map<string, string>;
  /** (ms, key id) pairs, as ZADD takes them. */
  readonly lastUsed: (number | string)[];
}

/** Counts summed per bucket and pair. */
type Totals = Map<number, Map<string, [count: number, cost: number]>>;

/** What a flush sums while it adds key rows: pair texts, owners' and the deployment's counts. */
interface Summed {
  /** Pair code → `<outcome>|<route>`. */
  readonly texts: Map<string, string>;
  /** Owner id → per-minute totals. */
  readonly owners: Map<string, Totals>;
  readonly all: Totals;
}

/** Stored cells read back, by `<bucket>:<code>`: the count and cost − count. */
type StoredCells = Map<string, { bucket: number; code: string; count: number; extra: number }>;

type RecordScript = (...args: (string | number)[]) => Promise<unknown>;

/** Usage on Redis for `RedisStore`: shared cell hashes with expiry, per-tag script calls. */
export class RedisUsage {
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #record: RecordScript;
  /** Retention in ms: minute, hour, day. */
  readonly #keep: readonly [number, number, number];
  /** Route → outcome → pair code. */
  readonly #codes = new Map<string, Map<string, string>>();
  #codeCount = 0;
  /** Pair code → pair, as read from the dictionaries. */
  readonly #pairs = new Map<string, Pair>();

  constructor(
    client: RedisClient,
    prefix: string,
    record: RecordScript,
    retention: Readonly<Record<UsageGranularity, number>>,
  ) {
    this.#client = client;
    this.#prefix = prefix;
    this.#record = record;
    this.#keep = [retention.minute, retention.hour, retention.day];
  }

  /** `<prefix>:{<prefix>:u<n>}`: what every usage key of that tag starts with. */
  #stem(tag: number): string {
    return `${this.#prefix}:{${this.#prefix}:u${tag}}`;
  }

  #codeOf(outcome: string, route: string): string {
    let byOutcome = this.#codes.get(route);
    if (byOutcome === undefined) {
      if (this.#codeCount >= MAX_MEMO) {
        this.#codes.clear();
        this.#codeCount = 0;
      }
      byOutcome = new Map();
      this.#codes.set(route, byOutcome);
    }
    let code = byOutcome.get(outcome);
    if (code === undefined) {
      code = pairCode(`${outcome}|${route}`);
      byOutcome.set(outcome, code);
      this.#codeCount++;
    }
    return code;
  }

  async record(
    rows: readonly UsageRow[],
    lastUsed: ReadonlyMap<string, number>,
    batchId: string | undefined,
  ): Promise<void> {
    // Rows and last uses are split by hash tag first, so that each tag's calls go out as soon as
    // they are built: Redis adds one tag's cells while the next tag's are prepared.
    const rowsOfTag: (UsageRow[] | undefined)[] = [];
    for (const row of rows) {
      if (!Number.isSafeInteger(row.count) || !Number.isSafeInteger(row.cost)) {
        throw new TypeError('usage rows need whole-number count and cost');
      }
      if (!Number.isSafeInteger(Math.floor(row.minute / MINUTE_MS))) {
        throw new TypeError('usage rows need a minute (ms)');
      }
      const tag = hashOf(row.keyId) % TAGS;
      const tagRows = rowsOfTag[tag];
      if (tagRows === undefined) rowsOfTag[tag] = [row];
      else tagRows.push(row);
    }
    const usedOfTag: ((number | string)[] | undefined)[] = [];
    for (const [keyId, at] of lastUsed) {
      const tag = hashOf(keyId) % TAGS;
      const used = usedOfTag[tag];
      if (used === undefined) usedOfTag[tag] = [at, keyId];
      else used.push(at, keyId);
    }
    const writes: (TagWrite | undefined)[] = [];
    const writeOf = (tag: number): TagWrite => {
      let write = writes[tag];
      if (write === undefined) {
        write = {
          stem: this.#stem(tag),
          chunks: [],
          sent: 0,
          pairs: new Map(),
          lastUsed: usedOfTag[tag] ?? [],
        };
        writes[tag] = write;
      }
      return write;
    };
    const calls: Promise<unknown>[] = [];
    const summed: Summed = { texts: new Map(), owners: new Map(), all: new Map() };
    for (let tag = 0; tag < TAGS; tag++) {
      const tagRows = rowsOfTag[tag];
      if (tagRows === undefined && usedOfTag[tag] === undefined) continue;
      const write = writeOf(tag);
      if (tagRows !== undefined) this.#addKeys(write, tagRows, summed);
      this.#send(write, batchId, calls);
    }
    const later = new Set<TagWrite>();
    for (const [ownerId, totals] of summed.owners) {
      const subject = `@${ownerId}`;
      const write = writeOf(hashOf(subject) % TAGS);
      let cells = 0;
      for (const pairs of totals.values()) cells += pairs.size;
      const chunk = chunkOf(write, cells);
      for (const [minute, pairs] of totals) {
        for (const [code, [count, cost]] of pairs) {
          if (!write.pairs.has(code)) write.pairs.set(code, summed.texts.get(code)!);
          this.#addShared(write, chunk, subject, minute, code, count, cost);
        }
      }
      later.add(write);
    }
    if (summed.all.size > 0) {
      const write = writeOf(hashOf(USAGE_ALL) % TAGS);
      this.#addDeployment(write, summed.all, summed.texts);
      later.add(write);
    }
    for (const write of later) this.#send(write, batchId, calls);
    // A failure rejects the flush once every call has settled; the chunks that were applied are
    // skipped by their markers when the batch comes again.
    const settled = await Promise.allSettled(calls);
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  /**
   * Adds a tag's key rows as they come (HINCRBY adds, so they need no merging), each run of one
   * key's rows in one call, and sums them per owner and for the deployment.
   */
  #addKeys(write: TagWrite, rows: readonly UsageRow[], summed: Summed): void {
    const { texts, owners, all } = summed;
    const codes: string[] = [];
    let runStart = 0;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      const minute = Math.floor(row.minute / MINUTE_MS);
      const code = this.#codeOf(row.outcome, row.route);
      if (!texts.has(code)) texts.set(code, `${row.outcome}|${row.route}`);
      codes.push(code);
      if (row.ownerId !== undefined && row.ownerId !== '') {
        let owner = owners.get(row.ownerId);
        if (owner === undefined) {
          owner = new Map();
          owners.set(row.ownerId, owner);
        }
        addTo(owner, minute, code, row.count, row.cost);
      }
      addTo(all, minute, code, row.count, row.cost);
      if (rows[r + 1]?.keyId === row.keyId) continue;
      const chunk = chunkOf(write, r + 1 - runStart);
      for (let k = runStart; k <= r; k++) {
        const { minute: ms, count, cost } = rows[k]!;
        const pair = codes[k - runStart]!;
        if (!write.pairs.has(pair)) write.pairs.set(pair, texts.get(pair)!);
        this.#addShared(write, chunk, row.keyId, Math.floor(ms / MINUTE_MS), pair, count, cost);
      }
      runStart = r + 1;
      codes.length = 0;
    }
  }

  /** Adds a subject's (minute, pair) cell to the tag's shared minute, hour and day hashes. */
  #addShared(
    write: TagWrite,
    chunk: Chunk,
    subject: string,
    minute: number,
    code: string,
    count: number,
    cost: number,
  ): void {
    let group = chunk.shared.get(minute);
    if (group === undefined) {
      const hour = Math.floor(minute / 60);
      const day = Math.floor(hour / 24);
      const period = Math.floor(day / 30);
      const { stem } = write;
      const [keepMinutes, keepHours, keepDays] = this.#keep;
      group = {
        keys: [`${stem}:m:${hour}`, `${stem}:h:${day}`, `${stem}:d:${period}`],
        offsets: [`${minute - hour * 60}:`, `${hour - day * 24}:`, `${day - period * 30}:`],
        expiries: [
          (hour + 1) * USAGE_BUCKET_MS.hour + keepMinutes,
          (day + 1) * USAGE_BUCKET_MS.day + keepHours,
          (period + 1) * 30 * USAGE_BUCKET_MS.day + keepDays,
        ],
        counts: [],
        costs: [],
      };
      chunk.shared.set(minute, group);
    }
    const cell = `${subject}:${code}`;
    group.counts.push(cell, count);
    if (cost !== count) group.costs.push(cell, cost - count);
  }

  /** Adds the deployment's per-minute totals, summed per hour and day, to its own hashes. */
  #addDeployment(write: TagWrite, minutes: Totals, texts: ReadonlyMap<string, string>): void {
    const levels: Totals[] = [minutes, new Map(), new Map()];
    for (const [minute, pairs] of minutes) {
      for (const [code, [count, cost]] of pairs) {
        addTo(levels[1]!, Math.floor(minute / 60), code, count, cost);
        addTo(levels[2]!, Math.floor(minute / 1440), code, count, cost);
        if (!write.pairs.has(code)) write.pairs.set(code, texts.get(code)!);
      }
    }
    let cells = 0;
    for (const totals of levels) for (const pairs of totals.values()) cells += pairs.size;
    const chunk = chunkOf(write, cells);
    levels.forEach((totals, level) => {
      const { letter, minutes: width, span } = ORDER[level]!;
      for (const [bucket, pairs] of totals) {
        const container = Math.floor(bucket / span);
        const id = container * 3 + level;
        let group = chunk.own.get(id);
        if (group === undefined) {
          group = {
            keys: [`${write.stem}:a${letter}:${container}`],
            offsets: [],
            expiries: [(container + 1) * span * width * MINUTE_MS + this.#keep[level]!],
            counts: [],
            costs: [],
          };
          chunk.own.set(id, group);
        }
        for (const [code, [count, cost]] of pairs) {
          const field = `${bucket - container * span}:${code}`;
          group.counts.push(field, count);
          if (cost !== count) group.costs.push(field, cost - count);
        }
      }
    });
  }

  /** Sends the tag's chunks not sent yet, one script call each; the first carries last uses. */
  #send(write: TagWrite, batchId: string | undefined, calls: Promise<unknown>[]): void {
    const { stem } = write;
    const marker = batchId === undefined ? 0 : BATCH_MARKER_MS;
    if (write.chunks.length === 0)
      write.chunks.push({ shared: new Map(), own: new Map(), cells: 0 });
    for (let n = write.sent; n < write.chunks.length; n++) {
      const chunk = write.chunks[n]!;
      const lastUsed = n === 0 ? write.lastUsed : [];
      if (chunk.cells === 0 && lastUsed.length === 0) continue;
      const keys: string[] = [`${stem}:b:${batchId ?? ''}:${n}`, `${stem}:lu`, `${stem}:pairs`];
      const args: (string | number)[] = [marker, write.pairs.size, lastUsed.length / 2];
      for (const [code, text] of write.pairs) args.push(code, text);
      for (const value of lastUsed) args.push(value);
      const add = (group: Group, shared: boolean) => {
        for (const key of group.keys) keys.push(key);
        args.push(shared ? 1 : 0);
        for (const offset of group.offsets) args.push(offset);
        for (const expiry of group.expiries) args.push(expiry);
        args.push(group.counts.length / 2, group.costs.length / 2);
        for (const value of group.counts) args.push(value);
        for (const value of group.costs) args.push(value);
      };
      for (const group of chunk.shared.values()) add(group, true);
      for (const group of chunk.own.values()) add(group, false);
      calls.push(this.#record(keys.length, ...keys, ...args));
    }
    write.sent = write.chunks.length;
  }

  async query(query: UsageQuery): Promise<UsageTotal[]> {
    const { from, to } = query;
    const level = LEVELS[query.granularity];
    const width = USAGE_BUCKET_MS[query.granularity];
    const first = Math.ceil(from / width);
    const last = Math.ceil(to / width) - 1;
    if (!(last >= first)) return [];
    const subject = querySubject(query);
    const stem = this.#stem(hashOf(subject) % TAGS);
    const cells =
      subject === USAGE_ALL
        ? await this.#readDeployment(stem, level, first, last)
        : await this.#readShared(stem, level, subject, first, last);
    const pairs = await this.#pairsOf(stem, cells);
    const byRoute = query.groupBy === 'route';
    const totals = new Map<string, UsageTotal>();
    for (const { bucket, code, count, extra } of cells.values()) {
      const pair = pairs.get(code);
      if (pair === undefined) continue;
      const [outcome, fullRoute] = pair;
      const route = byRoute ? fullRoute : '';
      const start = byRoute ? from : bucket * width;
      const id = `${start}|${outcome}|${route}`;
      const total = totals.get(id);
      if (total === undefined)
        totals.set(id, { start, route, outcome, count, cost: count + extra });
      else {
        total.count += count;
        total.cost += count + extra;
      }
    }
    return [...totals.values()];
  }

  /** The deployment's cells in buckets [first, last]: its own hashes, read whole. */
  async #readDeployment(
    stem: string,
    level: Level,
    first: number,
    last: number,
  ): Promise<StoredCells> {
    const { span } = level;
    const pipeline = this.#client.pipeline();
    const firstContainer = Math.floor(first / span);
    for (let container = firstContainer; container <= Math.floor(last / span); container++) {
      pipeline.hgetall(`${stem}:a${level.letter}:${container}`);
    }
    const cells: StoredCells = new Map();
    for (const [n, [error, reply]] of ((await pipeline.exec()) ?? []).entries()) {
      if (error) throw error;
      const base = (firstContainer + n) * span;
      const fields = reply as Record<string, string>;
      for (const field in fields) {
        const extra = field.startsWith('$');
        const colon = field.indexOf(':');
        const bucket = base + Number(field.slice(extra ? 1 : 0, colon));
        if (!(bucket >= first && bucket <= last)) continue;
        store(cells, bucket, field.slice(colon + 1), Number(fields[field]), extra);
      }
    }
    return cells;
  }

  /**
   * A subject's cells in buckets [first, last] of the shared hashes: the day hashes' index names
   * the pairs the subject used each day, then one HMGET per hash reads exactly those cells.
   */
  async #readShared(
    stem: string,
    level: Level,
    subject: string,
    first: number,
    last: number,
  ): Promise<StoredCells> {
    const { letter, minutes, span } = level;
    const firstDay = Math.floor((first * minutes) / 1440);
    const lastDay = Math.floor((last * minutes) / 1440);
    const indexes = this.#client.pipeline();
    for (let period = Math.floor(firstDay / 30); period <= Math.floor(lastDay / 30); period++) {
      const fields: string[] = [];
      const base = period * 30;
      for (let day = Math.max(firstDay, base); day <= Math.min(lastDay, base + 29); day++) {
        fields.push(`#${day - base}:${subject}`);
      }
      indexes.hmget(`${stem}:d:${period}`, ...fields);
    }
    /** Per day from firstDay: each pair code the subject used, and whether it has cost fields. */
    const codesOfDay: (Map<string, boolean> | undefined)[] = [];
    for (const [error, reply] of (await indexes.exec()) ?? []) {
      if (error) throw error;
      for (const entries of reply as (string | null)[]) {
        if (entries === null) {
          codesOfDay.push(undefined);
          continue;
        }
        const codes = new Map<string, boolean>();
        for (const entry of entries.split(',')) {
          const code = entry.slice(0, CODE_LENGTH);
          codes.set(code, codes.get(code) === true || entry.length > CODE_LENGTH);
        }
        codesOfDay.push(codes);
      }
    }
    const reads = this.#client.pipeline();
    const wanted: { bucket: number; code: string; extra: boolean }[] = [];
    for (
      let container = Math.floor(first / span);
      container <= Math.floor(last / span);
      container++
    ) {
      const base = container * span;
      const fields: string[] = [];
      for (
        let bucket = Math.max(first, base);
        bucket <= Math.min(last, base + span - 1);
        bucket++
      ) {
        const codes = codesOfDay[Math.floor((bucket * minutes) / 1440) - firstDay];
        if (codes === undefined) continue;
        for (const [code, costed] of codes) {
          const field = `${bucket - base}:${subject}:${code}`;
          fields.push(field);
          wanted.push({ bucket, code, extra: false });
          if (costed) {
            fields.push(`$${field}`);
            wanted.push({ bucket, code, extra: true });
          }
        }
      }
      if (fields.length > 0) reads.hmget(`${stem}:${letter}:${container}`, ...fields);
    }
    const cells: StoredCells = new Map();
    if (wanted.length === 0) return cells;
    let n = 0;
    for (const [error, reply] of (await reads.exec()) ?? []) {
      if (error) throw error;
      for (const value of reply as (string | null)[]) {
        const { bucket, code, extra } = wanted[n++]!;
        if (value !== null) store(cells, bucket, code, Number(value), extra);
      }
    }
    return cells;
  }

  /** The pairs the cells' codes name: remembered, or read from the tag's dictionary. */
  async #pairsOf(stem: string, cells: StoredCells): Promise<Map<string, Pair>> {
    const pairs = new Map<string, Pair>();
    const unknown = new Set<string>();
    for (const { code } of cells.values()) {
      const pair = this.#pairs.get(code);
      if (pair !== undefined) pairs.set(code, pair);
      else unknown.add(code);
    }
    if (unknown.size === 0) return pairs;
    const codes = [...unknown];
    const texts = await this.#client.hmget(`${stem}:pairs`, ...codes);
    if (this.#pairs.size + codes.length > MAX_MEMO) this.#pairs.clear();
    codes.forEach((code, i) => {
      const text = texts[i];
      if (text === null || text === undefined) return;
      const bar = text.indexOf('|');
      const pair: Pair = [text.slice(0, bar) as UsageOutcome, text.slice(bar + 1)];
      pairs.set(code, pair);
      this.#pairs.set(code, pair);
    });
    return pairs;
  }

  async lastUsed(keyIds: readonly string[]): Promise<Map<string, number>> {
    const byTag = new Map<number, string[]>();
    for (const keyId of keyIds) {
      const tag = hashOf(keyId) % TAGS;
      const ids = byTag.get(tag) ?? [];
      ids.push(keyId);
      byTag.set(tag, ids);
    }
    const found = new Map<string, number>();
    await Promise.all(
      [...byTag].map(async ([tag, ids]) => {
        const scores = await this.#client.zmscore(`${this.#stem(tag)}:lu`, ...ids);
        ids.forEach((id, i) => {
          const score = scores[i];
          if (score !== null && score !== undefined) found.set(id, Number(score));
        });
      }),
    );
    return found;
  }
}

/** The chunk `cells` more cells of one subject go to (a new one when the last is sent or full). */
function chunkOf(write: TagWrite, cells: number): Chunk {
  let chunk = write.chunks[write.chunks.length - 1];
  if (
    chunk === undefined ||
    write.sent === write.chunks.length ||
    (chunk.cells > 0 && chunk.cells + cells > CHUNK_CELLS)
  ) {
    chunk = { shared: new Map(), own: new Map(), cells: 0 };
    write.chunks.push(chunk);
  }
  chunk.cells += cells;
  return chunk;
}

/** Adds a count to a (bucket, pair) total. */
function addTo(totals: Totals, bucket: number, code: string, count: number, cost: number): void {
  let pairs = totals.get(bucket);
  if (pairs === undefined) {
    pairs = new Map();
    totals.set(bucket, pairs);
  }
  const total = pairs.get(code);
  if (total === undefined) pairs.set(code, [count, cost]);
  else {
    total[0] += count;
    total[1] += cost;
  }
}

/** Adds a stored count (or, with `extra`, cost − count) to the cells read back. */
function store(
  cells: StoredCells,
  bucket: number,
  code: string,
  value: number,
  extra: boolean,
): void {
  const id = `${bucket}:${code}`;
  let cell = cells.get(id);
  if (cell === undefined) {
    cell = { bucket, code, count: 0, extra: 0 };
    cells.set(id, cell);
  }
  if (extra) cell.extra += value;
  else cell.count += value;
}
