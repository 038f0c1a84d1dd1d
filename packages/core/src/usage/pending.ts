import { USAGE_OUTCOMES } from './buckets.js';
import type { UsageOutcome, UsageRow } from './types.js';

/** Slots per outcome and per route in a cell code (see {@link PendingUsage.add}). */
const OUTCOME_SLOTS = 32;
const ROUTE_SLOTS = 4096;
/** Distinct routes remembered; later ones count under `''` (a bound on cardinality). */
export const MAX_ROUTES = 1000;
/** Longest route template kept; a longer one counts under `''`. */
const MAX_TEMPLATE_LENGTH = 256;
/** A key's cells are scanned linearly up to this many numbers (3 per cell), then indexed. */
const LINEAR_CELLS = 48;

const OUTCOME_INDEX = new Map<string, number>(USAGE_OUTCOMES.map((outcome, i) => [outcome, i]));

/** Route templates interned to small numbers; `0` is `''` (unknown). */
class RouteTable {
  readonly names: string[] = [''];
  readonly #byTemplate = new Map<string, Map<string, number>>();
  #lastMethod: string | undefined;
  #lastTemplate: string | undefined;
  #lastIndex = 0;

  index(method: string | undefined, template: string | undefined): number {
    if (template === undefined) return 0;
    if (template === this.#lastTemplate && method === this.#lastMethod) return this.#lastIndex;
    const verb = method ?? '*';
    let methods = this.#byTemplate.get(template);
    let index = methods?.get(verb);
    if (index === undefined) {
      if (this.names.length > MAX_ROUTES || template.length > MAX_TEMPLATE_LENGTH) return 0;
      index = this.names.length;
      this.names.push(`${verb} ${template}`);
      if (methods === undefined) {
        methods = new Map();
        this.#byTemplate.set(template, methods);
      }
      methods.set(verb, index);
    }
    this.#lastMethod = method;
    this.#lastTemplate = template;
    this.#lastIndex = index;
    return index;
  }
}

/** One key's pending cells: `[code, count, cost]` triples, newest last. */
interface KeyCells {
  ownerId: string | undefined;
  /** Latest verification with the key's secret (ms), 0 for none. */
  lastUsed: number;
  cells: number[];
  /** code → offset in `cells`, once a key has more than a few cells. */
  index: Map<number, number> | undefined;
}

/** What {@link PendingUsage.take} hands over: the rows of one flush. */
export interface TakenUsage {
  readonly rows: UsageRow[];
  readonly lastUsed: Map<string, number>;
  /** Verifications not recorded since the previous take (no room). */
  readonly dropped: number;
}

/**
 * Usage counted in process between flushes: per (key, minute, outcome, route) a count and a
 * cost. A row is a triple of numbers in its key's array, keyed by one numeric code, so counting a
 * verification allocates nothing once its row exists. Holds at most `maxRows` distinct rows;
 * past that, new rows are dropped and counted.
 */
export class PendingUsage {
  readonly #routes = new RouteTable();
  #keys = new Map<string, KeyCells>();
  #rows = 0;
  #dropped = 0;
  /** Rows held elsewhere (a failed batch awaiting its retry) that count against `maxRows`. */
  reserved = 0;

  constructor(readonly maxRows: number) {}

  /** Distinct rows pending. */
  get rows(): number {
    return this.#rows;
  }

  /** Verifications dropped since the last take. */
  get dropped(): number {
    return this.#dropped;
  }

  routeIndex(method: string | undefined, template: string | undefined): number {
    return this.#routes.index(method, template);
  }

  /**
   * Counts one verification. `usedAt` > 0 raises the key's last use. Returns false when the row
   * is new and there is no room for it (dropped and counted).
   */
  add(
    keyId: string,
    ownerId: string | undefined,
    now: number,
    outcome: UsageOutcome,
    route: number,
    cost: number,
    usedAt: number,
  ): boolean {
    const code =
      (Math.floor(now / 60_000) * ROUTE_SLOTS + route) * OUTCOME_SLOTS +
      (OUTCOME_INDEX.get(outcome) ?? 0);
    let key = this.#keys.get(keyId);
    if (key !== undefined) {
      const cells = key.cells;
      let at = -1;
      if (key.index !== undefined) {
        at = key.index.get(code) ?? -1;
      } else {
        for (let i = cells.length - 3; i >= 0; i -= 3) {
          if (cells[i] === code) {
            at = i;
            break;
          }
        }
      }
      if (at >= 0) {
        cells[at + 1]! += 1;
        cells[at + 2]! += cost;
        if (usedAt > key.lastUsed) key.lastUsed = usedAt;
        return true;
      }
      if (this.#full()) return false;
      if (key.ownerId === undefined) key.ownerId = ownerId;
      if (usedAt > key.lastUsed) key.lastUsed = usedAt;
      cells.push(code, 1, cost);
      if (key.index !== undefined) key.index.set(code, cells.length - 3);
      else if (cells.length > LINEAR_CELLS) key.index = indexCells(cells);
      this.#rows++;
      return true;
    }
    if (this.#full()) return false;
    key = { ownerId, lastUsed: usedAt, cells: [code, 1, cost], index: undefined };
    this.#keys.set(keyId, key);
    this.#rows++;
    return true;
  }

  /** The pending last use of a key (0 for none). */
  lastUsedOf(keyId: string): number {
    return this.#keys.get(keyId)?.lastUsed ?? 0;
  }

  /** Hands over every pending row and starts afresh. */
  take(): TakenUsage {
    const keys = this.#keys;
    const dropped = this.#dropped;
    this.#keys = new Map();
    this.#rows = 0;
    this.#dropped = 0;
    const names = this.#routes.names;
    const rows: UsageRow[] = [];
    const lastUsed = new Map<string, number>();
    for (const [keyId, key] of keys) {
      if (key.lastUsed > 0) lastUsed.set(keyId, key.lastUsed);
      const cells = key.cells;
      for (let i = 0; i < cells.length; i += 3) {
        const code = cells[i]!;
        const outcome = code % OUTCOME_SLOTS;
        const rest = (code - outcome) / OUTCOME_SLOTS;
        const route = rest % ROUTE_SLOTS;
        const row: UsageRow = {
          keyId,
          minute: ((rest - route) / ROUTE_SLOTS) * 60_000,
          outcome: USAGE_OUTCOMES[outcome]!,
          route: names[route] ?? '',
          count: cells[i + 1]!,
          cost: cells[i + 2]!,
        };
        if (key.ownerId !== undefined) row.ownerId = key.ownerId;
        rows.push(row);
      }
    }
    return { rows, lastUsed, dropped };
  }

  #full(): boolean {
    if (this.#rows + this.reserved < this.maxRows) return false;
    this.#dropped++;
    return true;
  }
}

function indexCells(cells: readonly number[]): Map<number, number> {
  const index = new Map<number, number>();
  for (let i = 0; i < cells.length; i += 3) index.set(cells[i]!, i);
  return index;
}
