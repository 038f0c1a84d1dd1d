/**
 * Node-style headers: lower-case names, string or string[] values.
 *
 * @example
 * ```ts
 * const headers: HeaderBag = { authorization: 'Bearer acme_live_…', 'x-forwarded-for': ['10.0.0.1'] };
 * ```
 */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

/** What the request carried in the configured key headers. */
export type Extraction =
  | { readonly kind: 'none' }
  | { readonly kind: 'one'; readonly value: string }
  | { readonly kind: 'ambiguous' };

/** Header values longer than this cannot hold a key and are not split or scanned further. */
const MAX_HEADER_VALUE = 1024;
const NONE: Extraction = Object.freeze({ kind: 'none' });
const AMBIGUOUS: Extraction = Object.freeze({ kind: 'ambiguous' });
const OVERSIZED = '\u0000oversized';

function isBlank(code: number): boolean {
  return code === 32 || code === 9;
}

function trim(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isBlank(text.charCodeAt(start))) start++;
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** Whether `text` starts with "bearer" in any letter case (RFC 9110 schemes are case-insensitive). */
function hasBearerScheme(text: string): boolean {
  if (text.startsWith('Bearer')) return true;
  const target = 'bearer';
  for (let i = 0; i < 6; i++) {
    if ((text.charCodeAt(i) | 0x20) !== target.charCodeAt(i)) return false;
  }
  return true;
}

/** The credentials of a `Bearer` Authorization value, or undefined for another scheme. */
function bearerToken(value: string): string | undefined {
  const text = trim(value);
  if (text.length < 6 || !hasBearerScheme(text)) return undefined;
  if (text.length === 6) return '';
  if (!isBlank(text.charCodeAt(6))) return undefined;
  return trim(text.slice(7));
}

// Collection state for one synchronous extractKey call (no allocation per request).
let first: string | undefined;
let ambiguous = false;

function add(token: string): void {
  if (first === undefined) first = token;
  else if (first !== token) ambiguous = true;
}

function addValue(header: string, value: string): void {
  if (value.length > MAX_HEADER_VALUE) {
    add(OVERSIZED);
    return;
  }
  const joined = value.indexOf(',') !== -1;
  if (header !== 'authorization') {
    if (!joined) add(trim(value));
    else for (const part of value.split(',')) add(trim(part));
    return;
  }
  if (!joined) {
    const token = bearerToken(value);
    if (token !== undefined) add(token);
    return;
  }
  // A comma-joined Authorization (repeated headers, or a list): every Bearer part counts, and
  // after one a bare token too (`Bearer a, b`); other schemes (`Basic …`) before any Bearer part
  // are skipped, not allowed to hide a Bearer part after them.
  let afterBearer = false;
  for (const part of value.split(',')) {
    const token = bearerToken(part);
    if (token !== undefined) {
      afterBearer = true;
      add(token);
    } else if (afterBearer) {
      add(trim(part));
    }
  }
}

/** Whether `name` equals the lower-case `lower`, ignoring ASCII case, without allocating. */
function equalsLowerCase(name: string, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    const code = name.charCodeAt(i);
    const folded = code >= 65 && code <= 90 ? code | 0x20 : code;
    if (folded !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** Clears the collection state (the first token may be a key) and answers ambiguity. */
function ambiguity(): Extraction {
  first = undefined;
  return AMBIGUOUS;
}

/**
 * Finds the API key in the configured headers. Identical copies in different headers (or in one
 * comma-joined value) count once; two different values are ambiguous, and so is a configured
 * header sent as more than one field line, whatever the lines hold: `Authorization` is a
 * singleton field (RFC 9110 §5.3: only list-based fields may be sent as several lines), and a
 * second line next to a key is an ambiguity to refuse, not to resolve. When `rawHeaders` is given
 * it is used instead of `headers`, because Node keeps only the first of repeated `Authorization`
 * lines in `headers` (and joins other repeated lines with commas). `keyHeaders` holds at most 31
 * names (Keyward allows 16).
 */
export function extractKey(
  headers: HeaderBag,
  keyHeaders: readonly string[],
  rawHeaders?: readonly string[],
): Extraction {
  first = undefined;
  ambiguous = false;
  if (rawHeaders !== undefined) {
    // Bit h set: keyHeaders[h] was seen on a line already.
    let seen = 0;
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const name = rawHeaders[i];
      const value = rawHeaders[i + 1];
      if (typeof name !== 'string' || typeof value !== 'string') continue;
      for (let h = 0; h < keyHeaders.length; h++) {
        const header = keyHeaders[h]!;
        if (name.length === header.length && equalsLowerCase(name, header)) {
          if ((seen & (1 << h)) !== 0) return ambiguity();
          seen |= 1 << h;
          addValue(header, value);
        }
      }
    }
  } else {
    for (const header of keyHeaders) {
      const value = headers[header];
      if (typeof value === 'string') addValue(header, value);
      else if (Array.isArray(value)) {
        let lines = 0;
        for (const item of value) {
          if (typeof item !== 'string') continue;
          if (++lines > 1) return ambiguity();
          addValue(header, item);
        }
      }
    }
  }
  const value = first;
  first = undefined;
  if (ambiguous) return AMBIGUOUS;
  if (value === undefined) return NONE;
  return { kind: 'one', value };
}
