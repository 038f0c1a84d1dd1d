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

/** A key header value longer than this cannot be a key: refused as malformed, never trimmed or parsed. */
const MAX_HEADER_VALUE = 1024;
const NONE: Extraction = Object.freeze({ kind: 'none' });
const AMBIGUOUS: Extraction = Object.freeze({ kind: 'ambiguous' });
const OVERSIZED = '\u0000oversized';
const COMMA = 44;
const QUOTE = 34;
const BACKSLASH = 92;
const EQUALS = 61;

/** RFC 9110 §5.6.2 `tchar`, by char code (the chars of a token: a scheme or a parameter name). */
const TOKEN_CHARS = new Uint8Array(128);
for (const char of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") {
  TOKEN_CHARS[char.charCodeAt(0)] = 1;
}

function isBlank(code: number): boolean {
  return code === 32 || code === 9;
}

function isTokenChar(code: number): boolean {
  return code < 128 && TOKEN_CHARS[code] === 1;
}

function trim(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isBlank(text.charCodeAt(start))) start++;
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** The index of the first char at or after `at` that is not a blank (`end` when none is). */
function skipBlanks(text: string, at: number, end: number): number {
  while (at < end && isBlank(text.charCodeAt(at))) at++;
  return at;
}

/**
 * Whether a Bearer credential starts at `at`, after blanks: "bearer" in any letter case (RFC 9110
 * schemes are case-insensitive), then the end, a blank or a comma.
 */
function bearerAt(text: string, at: number): boolean {
  const start = skipBlanks(text, at, text.length);
  const next = start + 6;
  if (next > text.length) return false;
  const target = 'bearer';
  for (let i = 0; i < 6; i++) {
    if ((text.charCodeAt(start + i) | 0x20) !== target.charCodeAt(i)) return false;
  }
  if (next === text.length) return true;
  const code = text.charCodeAt(next);
  return isBlank(code) || code === COMMA;
}

/** The credentials of a `Bearer` Authorization value (with no comma), or undefined for another scheme. */
function bearerToken(value: string): string | undefined {
  if (!bearerAt(value, 0)) return undefined;
  return trim(value.slice(skipBlanks(value, 0, value.length) + 6));
}

/** Whether `text[start, end)` is an auth-param: a token, optional blanks, then `=` (RFC 9110 §11.2). */
function isAuthParam(text: string, start: number, end: number): boolean {
  let at = skipBlanks(text, start, end);
  const name = at;
  while (at < end && isTokenChar(text.charCodeAt(at))) at++;
  if (at === name) return false;
  at = skipBlanks(text, at, end);
  return at < end && text.charCodeAt(at) === EQUALS;
}

/**
 * Whether an Authorization value that holds a comma is one credential (RFC 9110 §11.6.2:
 * `Authorization = credentials`), of a scheme other than Bearer, whose commas separate its
 * auth-params: `Digest a=1, b="x, y"`. A Bearer credential holds no comma (its token68 has none),
 * so a Bearer credential at the start or after any comma — inside a quoted string too, so no
 * quoting hides one — means more than one credential. Otherwise, splitting at the commas outside
 * quoted strings, the first part must not be empty and every later part must be an auth-param
 * (`name=…`); an empty part (an empty line joined), a second credential (`Basic x`, junk) or a
 * quoted string left open means the value joins several field lines or holds no credential at
 * all. Linear in the value's length; allocates nothing.
 */
function isOneCredential(value: string): boolean {
  if (bearerAt(value, 0)) return false;
  for (let at = value.indexOf(','); at !== -1; at = value.indexOf(',', at + 1)) {
    if (bearerAt(value, at + 1)) return false;
  }
  let quoted = false;
  let part = 0;
  for (let i = 0; i <= value.length; i++) {
    // The end of the value closes the last part, as a comma would.
    const code = i === value.length ? COMMA : value.charCodeAt(i);
    if (quoted) {
      if (code === BACKSLASH) i++;
      else if (code === QUOTE) quoted = false;
    } else if (code === QUOTE) {
      quoted = true;
    } else if (code === COMMA) {
      const fits = part === 0 ? skipBlanks(value, 0, i) < i : isAuthParam(value, part, i);
      if (!fits) return false;
      part = i + 1;
    }
  }
  return !quoted;
}

// Collection state for one synchronous extractKey call (no allocation per request).
let first: string | undefined;
let ambiguous = false;

function add(token: string): void {
  if (first === undefined) first = token;
  else if (first !== token) ambiguous = true;
}

/**
 * Takes the key, if any, from one value of a configured key header. A value may join several
 * field lines with commas (fetch `Headers`; Node's `req.headers` for fields other than
 * `Authorization`), and nothing tells the lines apart in it; the rule below needs no line count.
 * A key never holds a comma, so a comma in any other key header is ambiguous. An `Authorization`
 * value holds one credential; with a comma it is ambiguous unless it is one credential of another
 * scheme whose commas separate auth-params (see {@link isOneCredential}), which holds no key.
 */
function addValue(header: string, value: string): void {
  const comma = value.indexOf(',') !== -1;
  if (header === 'authorization') {
    if (comma) {
      if (!isOneCredential(value)) ambiguous = true;
      return;
    }
    if (value.length > MAX_HEADER_VALUE) {
      if (bearerAt(value, 0)) add(OVERSIZED);
      return;
    }
    const token = bearerToken(value);
    if (token !== undefined) add(token);
    return;
  }
  if (comma) ambiguous = true;
  else if (value.length > MAX_HEADER_VALUE) add(OVERSIZED);
  else add(trim(value));
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
 * Finds the API key in the configured headers. Identical copies in different headers count once;
 * two different values are ambiguous, and so is a configured header sent as more than one field
 * line, whatever the lines hold: `Authorization` is a singleton field (RFC 9110 §5.3: only
 * list-based fields may be sent as several lines), and a second line next to a key is an
 * ambiguity to refuse, not to resolve. Lines are counted where they can be (`rawHeaders`, or an
 * array value); where a runtime joined them into one value with commas, the comma rule of
 * {@link addValue} applies, to every value alike. When `rawHeaders` is given it is used instead of
 * `headers`, because Node keeps only the first of repeated `Authorization` lines in `headers` (and
 * joins other repeated lines with commas). `keyHeaders` holds at most 31 names (Keyward allows 16).
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
