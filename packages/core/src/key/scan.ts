import { type KeyEnvironment, type KeyType, parseKey, redactKey } from './format.js';

/**
 * A key found in text, with its secret cut off.
 *
 * @example
 * ```ts
 * const [first]: FoundKey[] = scanForKeys(text);
 * console.log(first?.line, first?.redacted);
 * ```
 */
export interface FoundKey {
  /** 1-based line and column of the key's first character. */
  readonly line: number;
  readonly column: number;
  readonly prefix: string;
  readonly id: string;
  /** The environment in the key (`live`, `test` or a deployment's own, e.g. `staging`). */
  readonly environment: KeyEnvironment;
  /** `publishable` for a key with the `pk` marker (`acme_pk_live_…`). */
  readonly type: KeyType;
  /** `acme_live_4GhT9xQ2mPz1_…`: safe to print. */
  readonly redacted: string;
}

const CANDIDATE =
  /(?<![A-Za-z0-9_])([a-z][a-z0-9]{1,15})_(?:pk_)?[a-z][a-z0-9]{1,7}_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}(?![A-Za-z0-9_])/g;

/**
 * Finds keyward keys in text: anything shaped like a key whose checksum is right (so random
 * strings are not reported), of any environment (`live`, `test`, `staging`…), secret or
 * publishable (`acme_pk_live_…`). With `prefixes`, only keys with one of them.
 *
 * @example
 * ```ts
 * for (const found of scanForKeys(fileText)) console.log(`${found.line}:${found.column} ${found.redacted}`);
 * ```
 */
export function scanForKeys(text: string, prefixes?: readonly string[]): FoundKey[] {
  const found: FoundKey[] = [];
  const lineStarts: number[] = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  for (const match of text.matchAll(CANDIDATE)) {
    const prefix = match[1]!;
    if (prefixes !== undefined && !prefixes.includes(prefix)) continue;
    const parsed = parseKey(match[0], prefix);
    if (parsed === undefined) continue;
    const index = match.index;
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (lineStarts[mid]! <= index) low = mid;
      else high = mid - 1;
    }
    found.push({
      line: low + 1,
      column: index - lineStarts[low]! + 1,
      prefix,
      id: parsed.id,
      environment: parsed.environment,
      type: parsed.type,
      redacted: redactKey(prefix, parsed.environment, parsed.id, parsed.type),
    });
  }
  return found;
}
