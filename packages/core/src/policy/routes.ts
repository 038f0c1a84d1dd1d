import { InvalidOptionsError } from '../errors.js';

/**
 * A key's route patterns compiled once: `GET /invoices`, `GET /invoices/*`, `POST /reports/**`,
 * `* /health`.
 *
 * @example
 * ```ts
 * const routes: RouteAllowList = compileRouteAllowList(['GET /invoices/*']);
 * routes.check('GET', '/invoices/:id', undefined); // 'ok'
 * routes.check('GET', undefined, '/invoices/../admin'); // 'invalid_path'
 * ```
 */
export interface RouteAllowList {
  /** The patterns in their normalised form (upper-case method, one space). */
  readonly entries: readonly string[];
  /**
   * Whether a request may use the key: `ok`, `route_not_allowed`, or `invalid_path` when the path
   * (there being no `route` template) holds `.`/`..` or empty segments, encoded `.`, `/` or `\`,
   * a backslash, or bytes that do not decode. `route` is the template the framework matched
   * (`/invoices/:id`), `url` the request target it routes on (the query is cut).
   */
  check(method: string | undefined, route: string | undefined, url: string | undefined): RouteCheck;
}

/**
 * The outcome of {@link RouteAllowList.check}.
 *
 * @example
 * ```ts
 * const outcome: RouteCheck = routes.check(request.method, request.route, request.url);
 * ```
 */
export type RouteCheck = 'ok' | 'route_not_allowed' | 'invalid_path';

/** `*` matches one segment, `**` (last only) any number, zero included. */
const ONE = 1;
const REST = 2;
type PatternSegment = string | typeof ONE | typeof REST;

interface CompiledRoute {
  /** Upper case; `*` for any method. */
  readonly method: string;
  readonly segments: readonly PatternSegment[];
  /**
   * The pattern's leading literal segments as a path: `/invoices` for `GET /invoices`, and with
   * the `/` that follows them when a wildcard or other segments come after (`/invoices/` for
   * `GET /invoices/*`, `/` for `GET /*`), so a plain request path is matched from where it differs.
   */
  readonly prefix: string;
  /** How many of {@link segments} {@link prefix} holds. */
  readonly literalCount: number;
}

const MAX_ROUTES = 100;
const MAX_PATTERN_LENGTH = 256;
const METHOD = /^(?:\*|[A-Za-z]{1,20})$/;
/** A literal pattern segment: RFC 3986 pchar without `%` (patterns match decoded paths). */
const LITERAL = /^[A-Za-z0-9\-._~!$&'()+,;=:@]+$/;
/** A path parameter of one segment in a framework's template: `:id`. */
const PARAMETER = /^:[A-Za-z0-9_$]+$/;

function refuse(index: number, entry: unknown, why: string, option: string): never {
  const shown = typeof entry === 'string' ? JSON.stringify(entry.slice(0, 80)) : typeof entry;
  throw new InvalidOptionsError(`${option}[${index}]: ${shown} ${why}`);
}

/**
 * Compiles and validates route patterns, `METHOD /path`: the method is an HTTP method or `*`
 * (any; `GET` also allows `HEAD`, which frameworks route to GET handlers); the path starts with
 * `/`, its segments are literals (matched exactly, case included, against the decoded path),
 * `*` (one segment) or, as the last segment only, `**` (any number, none included). Throws an
 * InvalidOptionsError naming the bad entry.
 *
 * @example
 * ```ts
 * compileRouteAllowList(['GET /invoices', 'get /invoices/*', 'POST /reports/**']).entries;
 * // ['GET /invoices', 'GET /invoices/*', 'POST /reports/**']
 * ```
 */
export function compileRouteAllowList(routes: unknown, option = 'routes'): RouteAllowList {
  if (!Array.isArray(routes))
    throw new InvalidOptionsError(`${option} must be an array of strings`);
  if (routes.length > MAX_ROUTES) {
    throw new InvalidOptionsError(`${option} holds more than ${MAX_ROUTES} patterns`);
  }
  const entries: string[] = [];
  const compiled: CompiledRoute[] = [];
  for (let i = 0; i < routes.length; i++) {
    const entry: unknown = routes[i];
    if (typeof entry !== 'string' || entry.length === 0 || entry.length > MAX_PATTERN_LENGTH) {
      refuse(
        i,
        entry,
        `is not a route pattern ("GET /invoices/*", at most ${MAX_PATTERN_LENGTH} characters)`,
        option,
      );
    }
    const space = entry.indexOf(' ');
    if (space === -1 || entry.indexOf(' ', space + 1) !== -1) {
      refuse(
        i,
        entry,
        'must be a method and a path separated by one space ("GET /invoices")',
        option,
      );
    }
    const rawMethod = entry.slice(0, space);
    const path = entry.slice(space + 1);
    if (!METHOD.test(rawMethod))
      refuse(i, entry, 'has no valid method (GET, POST, … or *)', option);
    if (!path.startsWith('/')) refuse(i, entry, 'has a path that does not start with "/"', option);
    const segments: PatternSegment[] = [];
    const parts = path === '/' ? [] : path.slice(1).split('/');
    for (let s = 0; s < parts.length; s++) {
      const part = parts[s]!;
      if (part === '**') {
        if (s !== parts.length - 1)
          refuse(i, entry, 'may use "**" only as its last segment', option);
        segments.push(REST);
      } else if (part === '*') {
        segments.push(ONE);
      } else if (part === '') {
        refuse(i, entry, 'has an empty path segment ("//" or a trailing "/")', option);
      } else if (part === '.' || part === '..') {
        refuse(i, entry, 'has a "." or ".." segment', option);
      } else if (!LITERAL.test(part)) {
        refuse(
          i,
          entry,
          `has the segment ${JSON.stringify(part)}: use letters, digits and -._~!$&'()+,;=:@, or * and ** for whole segments`,
          option,
        );
      } else {
        segments.push(part);
      }
    }
    const method = literalMethod(rawMethod.toUpperCase());
    const normalised = `${method} ${path}`;
    if (!entries.includes(normalised)) {
      entries.push(normalised);
      compiled.push({ method, segments, ...literalPrefix(segments) });
    }
  }
  return new CompiledRouteAllowList(Object.freeze(entries), compiled);
}

/** Methods whose name a pattern holds as a literal of this module (see {@link literalMethod}). */
const STANDARD_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', '*'];

/**
 * A standard method as this module's literal, which V8 keeps internalized like the method strings
 * requests carry, so comparing the two on every request is one pointer compare, not a compare of
 * characters; any other method as given.
 */
function literalMethod(method: string): string {
  return STANDARD_METHODS.find((known) => known === method) ?? method;
}

/** {@link CompiledRoute.prefix} and {@link CompiledRoute.literalCount} of a pattern. */
function literalPrefix(segments: readonly PatternSegment[]): {
  prefix: string;
  literalCount: number;
} {
  let literalCount = 0;
  while (literalCount < segments.length && typeof segments[literalCount] === 'string') {
    literalCount++;
  }
  const literals = `/${segments.slice(0, literalCount).join('/')}`;
  if (literalCount === segments.length) return { prefix: literals, literalCount };
  return { prefix: literalCount === 0 ? '/' : `${literals}/`, literalCount };
}

/** Whether `text` has a C0 control or DEL. */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * The decoded segments of a request path (query cut), or undefined when the path
 * could mean another route: not starting with `/`, `.`/`..` or empty segments (one trailing `/`
 * is ignored), `%2e`, `%2f`, `%5c`, a backslash, undecodable bytes, or a `%`-encoded control
 * character.
 */
export function pathSegments(url: string): string[] | undefined {
  const scan = new PathScan();
  if (!scan.scan(url)) return undefined;
  const out: string[] = [];
  for (let n = 0; n < scan.count; n++) {
    out.push(scan.decoded[n] ?? url.slice(scan.starts[n], scan.ends[n]));
  }
  return out;
}

/** A framework template segment: a literal, one parameter (`:id`), or what may span several. */
const TEMPLATE_PARAMETER = 1;
const TEMPLATE_ANY = 2;
type TemplateSegment = string | typeof TEMPLATE_PARAMETER | typeof TEMPLATE_ANY;

/** The segments of a route template, or undefined when it holds `.`/`..` or empty segments. */
function templateSegments(template: string): TemplateSegment[] | undefined {
  if (!template.startsWith('/')) return undefined;
  let end = template.length;
  if (end > 1 && template.endsWith('/')) end--;
  if (end === 1) return [];
  const out: TemplateSegment[] = [];
  for (const part of template.slice(1, end).split('/')) {
    if (part === '' || part === '.' || part === '..') return undefined;
    if (PARAMETER.test(part)) out.push(TEMPLATE_PARAMETER);
    else if (/[:*(){}?+[\]\\]/.test(part)) out.push(TEMPLATE_ANY);
    else out.push(part);
  }
  return out;
}

/** Whether `text` has no lower-case ASCII letter (request methods never do: no copy needed). */
function isUpperCase(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 97 && code <= 122) return false;
  }
  return true;
}

function methodAllowed(route: CompiledRoute, method: string): boolean {
  return (
    route.method === '*' || route.method === method || (method === 'HEAD' && route.method === 'GET')
  );
}

function matchesTemplate(
  pattern: readonly PatternSegment[],
  segments: readonly TemplateSegment[],
): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i]!;
    if (want === REST) return true;
    if (i >= segments.length) return false;
    const have = segments[i]!;
    if (have === TEMPLATE_ANY) return false;
    if (want === ONE) continue;
    if (want !== have) return false;
  }
  return pattern.length === segments.length;
}

/**
 * Segment `[start, stop)` of `url` decoded when it holds a `%`; undefined when it is plain; null
 * when it must be refused (`%2e`, `%2f`, `%5c`, undecodable, or decoding to a control character).
 */
function decodeSegment(url: string, start: number, stop: number): string | null | undefined {
  const raw = url.slice(start, stop);
  if (!raw.includes('%')) return undefined;
  if (/%(?:2e|2f|5c)/i.test(raw)) return null;
  let segment: string;
  try {
    segment = decodeURIComponent(raw);
  } catch {
    return null;
  }
  return hasControl(segment) ? null : segment;
}

/** At most this many segments in a checked path; a longer one matches no pattern. */
const MAX_SEGMENTS = 128;

/**
 * Where the segments of the last path checked are, without copying them: segment `i` is
 * `url.slice(starts[i], ends[i])`, decoded into `decoded[i]` only when it held a `%`.
 */
class PathScan {
  readonly starts = new Int32Array(MAX_SEGMENTS);
  readonly ends = new Int32Array(MAX_SEGMENTS);
  /** A segment's decoded text when the path held `%`; undefined for a plain segment. */
  readonly decoded: (string | undefined)[] = [];
  count = 0;
  /** Whether the last path held a `%` (only then is {@link decoded} filled in). */
  careful = false;

  /**
   * Splits `url` (query cut) into segments, or returns false when the path could
   * mean another route (see {@link pathSegments}), or has more than {@link MAX_SEGMENTS} segments.
   */
  scan(url: string): boolean {
    // The query is cut; a `#` (never sent by browsers) stays in its segment, where no literal
    // pattern matches it: at worst a refusal, never another route.
    let end = url.indexOf('?');
    if (end === -1) end = url.length;
    if (end === 0 || url.charCodeAt(0) !== 47) return false;
    // Native searches, no regular expression (which costs more than the rest of the check): a
    // backslash refuses the path; only a path with `%` has its segments decoded.
    const backslash = url.indexOf('\\');
    if (backslash !== -1 && backslash < end) return false;
    const percent = url.indexOf('%');
    const careful = percent !== -1 && percent < end;
    if (end > 1 && url.charCodeAt(end - 1) === 47) end--;
    this.count = 0;
    this.careful = careful;
    if (end === 1) return true;
    let start = 1;
    while (start <= end) {
      let stop = url.indexOf('/', start);
      if (stop === -1 || stop > end) stop = end;
      const length = stop - start;
      if (length === 0) return false;
      if (
        url.charCodeAt(start) === 46 &&
        (length === 1 || (length === 2 && url.charCodeAt(start + 1) === 46))
      ) {
        return false;
      }
      if (this.count === MAX_SEGMENTS) return false;
      const n = this.count++;
      this.starts[n] = start;
      this.ends[n] = stop;
      if (careful) {
        const decoded = decodeSegment(url, start, stop);
        if (decoded === null) return false;
        this.decoded[n] = decoded;
      }
      start = stop + 1;
    }
    return true;
  }

  /** Whether segment `n` of `url` equals `literal`. */
  equals(url: string, n: number, literal: string): boolean {
    if (this.careful) {
      const decoded = this.decoded[n];
      if (decoded != null) return decoded === literal;
    }
    const start = this.starts[n]!;
    const length = literal.length;
    if (this.ends[n]! - start !== length) return false;
    // Short literals compare faster char by char than through a startsWith call.
    for (let i = 0; i < length; i++) {
      if (url.charCodeAt(start + i) !== literal.charCodeAt(i)) return false;
    }
    return true;
  }
}

class CompiledRouteAllowList implements RouteAllowList {
  // The last template checked and its segments: a route's requests all carry the same one.
  #lastTemplate: string | undefined;
  #lastTemplateSegments: TemplateSegment[] | undefined;
  readonly #scan = new PathScan();

  constructor(
    readonly entries: readonly string[],
    private readonly routes: readonly CompiledRoute[],
  ) {}

  check(
    method: string | undefined,
    route: string | undefined,
    url: string | undefined,
  ): RouteCheck {
    if (typeof method !== 'string') return 'route_not_allowed';
    const routes = this.routes;
    if (typeof route === 'string' && route.length > 0) {
      let segments: TemplateSegment[] | undefined;
      if (route === this.#lastTemplate) segments = this.#lastTemplateSegments;
      else {
        segments = templateSegments(route);
        this.#lastTemplate = route;
        this.#lastTemplateSegments = segments;
      }
      if (segments === undefined) return 'invalid_path';
      for (let verb = method; ; verb = verb.toUpperCase()) {
        for (let r = 0; r < routes.length; r++) {
          const allowed = routes[r]!;
          if (methodAllowed(allowed, verb) && matchesTemplate(allowed.segments, segments)) {
            return 'ok';
          }
        }
        // Frameworks give methods in upper case; anything else gets one more try, upper-cased.
        if (isUpperCase(verb)) return 'route_not_allowed';
      }
    }
    if (typeof url !== 'string' || url.length > 8192) return 'invalid_path';
    // A plain path (no `%`, no backslash, nothing to refuse) that a pattern matches is allowed
    // without splitting it first: each pattern compares its literal prefix in one native call and
    // scans only the rest. Anything else — no match, a `%`, a refusal — takes the full scan below,
    // which alone decides refusals: this only ever answers 'ok', and only where the scan would.
    let end = url.indexOf('?');
    if (end === -1) end = url.length;
    if (end > 1 && url.charCodeAt(end - 1) === 47) end--;
    if (end > 0 && url.charCodeAt(0) === 47) {
      for (let r = 0; r < routes.length; r++) {
        const allowed = routes[r]!;
        if (methodAllowed(allowed, method) && matchesPlain(allowed, url, end)) return 'ok';
      }
    }
    const scan = this.#scan;
    if (!scan.scan(url)) return 'invalid_path';
    for (let verb = method; ; verb = verb.toUpperCase()) {
      for (let r = 0; r < routes.length; r++) {
        const allowed = routes[r]!;
        if (methodAllowed(allowed, verb) && matchesScan(allowed.segments, scan, url)) return 'ok';
      }
      if (isUpperCase(verb)) return 'route_not_allowed';
    }
  }
}

function matchesScan(pattern: readonly PatternSegment[], scan: PathScan, url: string): boolean {
  const count = scan.count;
  const last = pattern.length - 1;
  // The segment counts first: most patterns that cannot match are refused without a comparison.
  if (last >= 0 && pattern[last] === REST ? count < last : count !== pattern.length) return false;
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i]!;
    if (want === REST) return true;
    if (i >= count) return false;
    if (want !== ONE && !scan.equals(url, i, want)) return false;
  }
  return pattern.length === count;
}

/**
 * Where the plain segment of `url` starting at `start` ends (at `/` or `end`), or -1 when it is
 * empty, `.` or `..`, or holds a `%` or a backslash (the full scan judges those).
 */
function plainSegmentEnd(url: string, start: number, end: number): number {
  let stop = start;
  for (; stop < end; stop++) {
    const code = url.charCodeAt(stop);
    if (code === 47) break;
    if (code === 37 || code === 92) return -1;
  }
  const length = stop - start;
  if (length === 0) return -1;
  if (
    url.charCodeAt(start) === 46 &&
    (length === 1 || (length === 2 && url.charCodeAt(start + 1) === 46))
  ) {
    return -1;
  }
  return stop;
}

/**
 * Whether `route` matches the path `url.slice(0, end)` (query and one trailing `/` cut), read as
 * plain segments from where its literal prefix ends. False is no verdict: a `%`, a backslash, a
 * segment to refuse or a shape this does not follow (`**` matching nothing) leave the answer to
 * the full scan. True only where {@link PathScan.scan} and {@link matchesScan} would say so.
 */
function matchesPlain(route: CompiledRoute, url: string, end: number): boolean {
  const prefix = route.prefix;
  const pattern = route.segments;
  let count = route.literalCount;
  // A slice and `===` (a copy and a native compare) cost less than `startsWith` or a char loop.
  if (count === pattern.length) return end === prefix.length && url.slice(0, end) === prefix;
  if (prefix.length >= end || url.slice(0, prefix.length) !== prefix) return false;
  let start = prefix.length;
  for (let i = count; i < pattern.length; i++) {
    const want = pattern[i]!;
    if (want === REST) {
      // Every remaining segment must be plain and valid, and they are counted.
      for (;;) {
        const stop = plainSegmentEnd(url, start, end);
        if (stop === -1 || ++count > MAX_SEGMENTS) return false;
        if (stop === end) return true;
        start = stop + 1;
      }
    }
    const stop = plainSegmentEnd(url, start, end);
    if (stop === -1) return false;
    if (want !== ONE && (stop - start !== want.length || url.slice(start, stop) !== want)) {
      return false;
    }
    count++;
    if (stop === end) {
      // The path ends here: the pattern must too, or end in a `**` that matches nothing.
      return i === pattern.length - 1 || (i === pattern.length - 2 && pattern[i + 1] === REST);
    }
    start = stop + 1;
  }
  return false;
}
