import { USAGE_OUTCOMES } from './buckets.js';
import type { UsageOutcome, UsageRow } from './types.js';

/** Slots per outcome and per route in a cell code (see {@link PendingUsage.add}). */
const OUTCOME_SLOTS = 32;
const ROUTE_SLOTS = 4096;
/** Distinct routes remembered; later ones count under `''` (a bound on cardinality). */
export const MAX_ROUTES = 1000;
/** Longest route template kept; a longer one counts under `''`. */
const MAX_TEMPLATE_LENGTH = 256;
/** A key's further rows are scanned linearly up to this many numbers (3 per row), then indexed. */
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

/** "No last use yet" for {@link KeyCells.lastUsed} (a small integer, so the field stays one). */
const NO_USE = -0x4000_0000;

/**
 * One key's pending rows. The first row sits in the object itself (most keys have one or a few
 * per flush); more rows are `[code, count, cost]` triples in `more`. Codes and times are relative
 * to the pending set's base minute, so they stay small integers (no boxed numbers).
 */
class KeyCells {
  more: number[] | undefined = undefined;
  /** code → offset in `more`, once a key has more than a few rows. */
  index: Map<number, number> | undefined = undefined;

  constructor(
    public ownerId: string | undefined,
    /** Latest verification with the key's secret, ms after the base; NO_USE for none. */
    public lastUsed: number,
    public code: number,
    public count: number,
    public cost: number,
  ) {}
}

/** What {@link PendingUsage.take} hands over: the rows of one flush. */
export interface TakenUsage {
  readonly rows: UsageRow[];
  readonly lastUsed: Map<string, number>;
  /** Verifications not recorded since the previous take (no room). */
  readonly dropped: number;
}

/** `n` mod `m`, never negative (codes are negative for minutes before the base). */
const mod = (n: number, m: number) => ((n % m) + m) % m;

/**
 * Usage counted in process between flushes: per (key, minute, outcome, route) a count and a
 * cost, keyed by one numeric code, so counting a verification allocates nothing once its row
 * exists. Holds at most `maxRows` distinct rows; past that, new rows are dropped and counted.
 */
export class PendingUsage {
  readonly #routes = new RouteTable();
  #keys = new Map<string, KeyCells>();
  #rows = 0;
  #dropped = 0;
  /** The minute (since the epoch) and ms codes and times are relative to; set by the first add. */
  #baseMinute = 0;
  #baseMs = 0;
  #based = false;
  /** The key of the previous add, so a run of one key's verifications skips the map lookup. */
  #lastKeyId: string | undefined;
  #lastKey: KeyCells | undefined;
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
    if (!this.#based) {
      this.#based = true;
      this.#baseMinute = Math.floor(now / 60_000);
      this.#baseMs = now;
    }
    const code =
      ((Math.floor(now / 60_000) - this.#baseMinute) * ROUTE_SLOTS + route) * OUTCOME_SLOTS +
      (outcome === 'verified' ? 0 : (OUTCOME_INDEX.get(outcome) ?? 0));
    const used = usedAt > 0 ? usedAt - this.#baseMs : NO_USE;
    let key = keyId === this.#lastKeyId ? this.#lastKey : this.#keys.get(keyId);
    if (key !== undefined) {
      if (used > key.lastUsed) key.lastUsed = used;
      if (key.code === code) {
        key.count++;
        key.cost += cost;
        return true;
      }
      let more = key.more;
      let at = -1;
      if (key.index !== undefined) {
        at = key.index.get(code) ?? -1;
      } else if (more !== undefined) {
        for (let i = more.length - 3; i >= 0; i -= 3) {
          if (more[i] === code) {
            at = i;
            break;
          }
        }
      }
      if (at >= 0) {
        more![at + 1]! += 1;
        more![at + 2]! += cost;
        return true;
      }
      if (this.#full()) return false;
      if (key.ownerId === undefined) key.ownerId = ownerId;
      if (more === undefined) {
        more = [code, 1, cost];
        key.more = more;
      } else {
        more.push(code, 1, cost);
      }
      if (key.index !== undefined) key.index.set(code, more.length - 3);
      else if (more.length > LINEAR_CELLS) key.index = indexCells(more);
      this.#rows++;
      return true;
    }
    if (this.#full()) return false;
    key = new KeyCells(ownerId, used, code, 1, cost);
    this.#keys.set(keyId, key);
    this.#lastKeyId = keyId;
    this.#lastKey = key;
    this.#rows++;
    return true;
  }

  /** The pending last use of a key (0 for none). */
  lastUsedOf(keyId: string): number {
    const used = this.#keys.get(keyId)?.lastUsed ?? NO_USE;
    return used === NO_USE ? 0 : used + this.#baseMs;
  }

  /** Hands over every pending row and starts afresh. */
  take(): TakenUsage {
    const keys = this.#keys;
    const dropped = this.#dropped;
    const baseMinute = this.#baseMinute;
    const baseMs = this.#baseMs;
    this.#keys = new Map();
    this.#rows = 0;
    this.#dropped = 0;
    this.#based = false;
    this.#lastKeyId = undefined;
    this.#lastKey = undefined;
    const names = this.#routes.names;
    const rows: UsageRow[] = [];
    const lastUsed = new Map<string, number>();
    const push = (
      keyId: string,
      ownerId: string | undefined,
      code: number,
      count: number,
      cost: number,
    ) => {
      const outcome = mod(code, OUTCOME_SLOTS);
      const rest = (code - outcome) / OUTCOME_SLOTS;
      const route = mod(rest, ROUTE_SLOTS);
      const row: UsageRow = {
        keyId,
        minute: ((rest - route) / ROUTE_SLOTS + baseMinute) * 60_000,
        outcome: USAGE_OUTCOMES[outcome]!,
        route: names[route] ?? '',
        count,
        cost,
      };
      if (ownerId !== undefined) row.ownerId = ownerId;
      rows.push(row);
    };
    for (const [keyId, key] of keys) {
      if (key.lastUsed !== NO_USE) lastUsed.set(keyId, key.lastUsed + baseMs);
      push(keyId, key.ownerId, key.code, key.count, key.cost);
      const more = key.more;
      if (more === undefined) continue;
      for (let i = 0; i < more.length; i += 3)
        push(keyId, key.ownerId, more[i]!, more[i + 1]!, more[i + 2]!);
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
