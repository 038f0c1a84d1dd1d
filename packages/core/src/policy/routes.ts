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
    const method = rawMethod.toUpperCase();
    const normalised = `${method} ${path}`;
    if (!entries.includes(normalised)) {
      entries.push(normalised);
      compiled.push({ method, segments });
    }
  }
  return new CompiledRouteAllowList(Object.freeze(entries), compiled);
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
 * The decoded segments of a request path (query and fragment cut), or undefined when the path
 * could mean another route: not starting with `/`, `.`/`..` or empty segments (one trailing `/`
 * is ignored), `%2e`, `%2f`, `%5c`, a backslash, a control character, or undecodable bytes.
 */
export function pathSegments(url: string): string[] | undefined {
  let end = url.length;
  const query = url.indexOf('?');
  if (query !== -1) end = query;
  const hash = url.indexOf('#');
  if (hash !== -1 && hash < end) end = hash;
  if (end === 0 || url.charCodeAt(0) !== 47) return undefined;
  if (end > 1 && url.charCodeAt(end - 1) === 47) end--;
  const segments: string[] = [];
  if (end === 1) return segments;
  let start = 1;
  while (start <= end) {
    let stop = url.indexOf('/', start);
    if (stop === -1 || stop > end) stop = end;
    const raw = url.slice(start, stop);
    if (raw === '' || raw === '.' || raw === '..' || raw.includes('\\')) return undefined;
    let segment = raw;
    if (raw.includes('%')) {
      if (/%(?:2e|2f|5c)/i.test(raw)) return undefined;
      try {
        segment = decodeURIComponent(raw);
      } catch {
        return undefined;
      }
    }
    if (hasControl(segment)) return undefined;
    segments.push(segment);
    start = stop + 1;
  }
  return segments;
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

function methodAllowed(route: CompiledRoute, method: string): boolean {
  return (
    route.method === '*' || route.method === method || (method === 'HEAD' && route.method === 'GET')
  );
}

function matchesPath(pattern: readonly PatternSegment[], segments: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i]!;
    if (want === REST) return true;
    if (i >= segments.length) return false;
    if (want !== ONE && want !== segments[i]) return false;
  }
  return pattern.length === segments.length;
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

class CompiledRouteAllowList implements RouteAllowList {
  // The last path or template checked and its segments: a client repeats its requests.
  #lastPath: string | undefined;
  #lastPathSegments: string[] | undefined;
  #lastTemplate: string | undefined;
  #lastTemplateSegments: TemplateSegment[] | undefined;

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
    const verb = method.toUpperCase();
    if (typeof route === 'string' && route.length > 0) {
      let segments: TemplateSegment[] | undefined;
      if (route === this.#lastTemplate) segments = this.#lastTemplateSegments;
      else {
        segments = templateSegments(route);
        this.#lastTemplate = route;
        this.#lastTemplateSegments = segments;
      }
      if (segments === undefined) return 'invalid_path';
      for (const allowed of this.routes) {
        if (methodAllowed(allowed, verb) && matchesTemplate(allowed.segments, segments))
          return 'ok';
      }
      return 'route_not_allowed';
    }
    if (typeof url !== 'string' || url.length > 8192) return 'invalid_path';
    let segments: string[] | undefined;
    if (url === this.#lastPath) segments = this.#lastPathSegments;
    else {
      segments = pathSegments(url);
      this.#lastPath = url;
      this.#lastPathSegments = segments;
    }
    if (segments === undefined) return 'invalid_path';
    for (const allowed of this.routes) {
      if (methodAllowed(allowed, verb) && matchesPath(allowed.segments, segments)) return 'ok';
    }
    return 'route_not_allowed';
  }
}
