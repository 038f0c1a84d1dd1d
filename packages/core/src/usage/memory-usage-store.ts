import { querySubject, rollUpUsage, usageRetention } from './buckets.js';
import type {
  UsageGranularity,
  UsageOutcome,
  UsageQuery,
  UsageRetentionDays,
  UsageRow,
  UsageStore,
  UsageTotal,
} from './types.js';

const GRANULARITIES: readonly UsageGranularity[] = ['minute', 'hour', 'day'];
/** Batch ids remembered, so a batch offered again is skipped. */
const REMEMBERED_BATCHES = 1024;
/** How often (by the rows' own time) recordUsage prunes. */
const PRUNE_EVERY_MS = 3_600_000;

interface Cell {
  readonly start: number;
  readonly outcome: UsageOutcome;
  readonly route: string;
  count: number;
  cost: number;
}

/**
 * Usage in this process's memory, for {@link MemoryStore}: cells per subject (key, owner,
 * deployment) and granularity, written at every level when recorded, pruned by retention.
 */
export class MemoryUsageStore implements UsageStore {
  readonly #levels = new Map<UsageGranularity, Map<string, Map<string, Cell>>>(
    GRANULARITIES.map((g) => [g, new Map()]),
  );
  readonly #lastUsed = new Map<string, number>();
  readonly #batches = new Set<string>();
  readonly #retention: Readonly<Record<UsageGranularity, number>>;
  #prunedAt = Number.NEGATIVE_INFINITY;

  constructor(retentionDays?: UsageRetentionDays) {
    this.#retention = usageRetention(retentionDays);
  }

  recordUsage(
    rows: readonly UsageRow[],
    lastUsed: ReadonlyMap<string, number>,
    batchId?: string,
  ): void {
    if (batchId !== undefined) {
      if (this.#batches.has(batchId)) return;
      this.#batches.add(batchId);
      if (this.#batches.size > REMEMBERED_BATCHES) {
        this.#batches.delete(this.#batches.values().next().value as string);
      }
    }
    let latest = Number.NEGATIVE_INFINITY;
    for (const granularity of GRANULARITIES) {
      const subjects = this.#levels.get(granularity)!;
      for (const cell of rollUpUsage(rows, granularity)) {
        let cells = subjects.get(cell.subject);
        if (cells === undefined) {
          cells = new Map();
          subjects.set(cell.subject, cells);
        }
        const id = `${cell.start}\n${cell.outcome}\n${cell.route}`;
        const stored = cells.get(id);
        if (stored === undefined) {
          cells.set(id, {
            start: cell.start,
            outcome: cell.outcome,
            route: cell.route,
            count: cell.count,
            cost: cell.cost,
          });
        } else {
          stored.count += cell.count;
          stored.cost += cell.cost;
        }
        if (cell.start > latest) latest = cell.start;
      }
    }
    for (const [keyId, at] of lastUsed) {
      if (at > (this.#lastUsed.get(keyId) ?? Number.NEGATIVE_INFINITY))
        this.#lastUsed.set(keyId, at);
    }
    if (latest - this.#prunedAt >= PRUNE_EVERY_MS) this.pruneUsage(latest);
  }

  queryUsage(query: UsageQuery): UsageTotal[] {
    const cells = this.#levels.get(query.granularity)?.get(querySubject(query));
    if (cells === undefined) return [];
    const totals = new Map<string, UsageTotal>();
    for (const cell of cells.values()) {
      if (cell.start < query.from || cell.start >= query.to) continue;
      const byRoute = query.groupBy === 'route';
      const start = byRoute ? query.from : cell.start;
      const route = byRoute ? cell.route : '';
      const id = `${start}\n${route}\n${cell.outcome}`;
      const total = totals.get(id);
      if (total === undefined) {
        totals.set(id, { start, route, outcome: cell.outcome, count: cell.count, cost: cell.cost });
      } else {
        total.count += cell.count;
        total.cost += cell.cost;
      }
    }
    return [...totals.values()];
  }

  lastUsed(keyIds: readonly string[]): Map<string, number> {
    const found = new Map<string, number>();
    for (const id of keyIds) {
      const at = this.#lastUsed.get(id);
      if (at !== undefined) found.set(id, at);
    }
    return found;
  }

  pruneUsage(now: number): void {
    this.#prunedAt = now;
    for (const granularity of GRANULARITIES) {
      const cutoff = now - this.#retention[granularity];
      for (const [subject, cells] of this.#levels.get(granularity)!) {
        for (const [id, cell] of cells) if (cell.start < cutoff) cells.delete(id);
        if (cells.size === 0) this.#levels.get(granularity)!.delete(subject);
      }
    }
  }
}
