import { InvalidOptionsError } from '../errors.js';
import type { HeaderBag } from '../key/extract.js';

/**
 * Referrer patterns compiled once; matched against a parsed URL, never as a substring.
 *
 * @example
 * ```ts
 * const list: ReferrerAllowList = compileReferrerAllowList(['https://*.example.com/*']);
 * list.matches({ referer: 'https://app.example.com/page' }); // true
 * ```
 */
export interface ReferrerAllowList {
  readonly entries: readonly string[];
  /** Whether the request's `Referer` (or, when absent, `Origin`) matches a pattern. */
  matches(headers: HeaderBag): boolean;
  /**
   * Whether the request's `Origin` header, when it has one, matches a pattern's scheme, host and
   * port (an origin has no path); true without an `Origin` header. `Origin: null` never matches.
   */
  matchesOrigin(headers: HeaderBag): boolean;
}

interface CompiledPattern {
  readonly schemes: readonly string[];
  /** Exact host, or the suffix after `*.` when `subdomains` is set. */
  readonly host: string;
  readonly subdomains: boolean;
  readonly port: string | undefined;
  /** Path prefix when `pathPrefix`, else exact path; undefined = any path. */
  readonly path: string | undefined;
  readonly pathPrefix: boolean;
}

const PATTERN = /^(?:(https?|\*):\/\/)?(\*\.)?([^/:*?#@\s]+)(?::(\d{1,5}))?(\/[^?#\s]*)?$/i;

function refuse(entry: unknown, why: string, option: string): never {
  throw new InvalidOptionsError(`${option}: "${String(entry)}" ${why}`);
}

function normalizeHost(host: string): string | undefined {
  try {
    const hostname = new URL(`http://${host}/`).hostname;
    return hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  } catch {
    return undefined;
  }
}

/**
 * Compiles Google-style referrer patterns: `https://*.example.com/*`, `example.com`,
 * `*.example.com/app/*`, `http://localhost:3000/*`. A scheme limits to it (`*://` or none allows
 * http and https); `*.` matches subdomains only; a path ending in `*` is a prefix, otherwise
 * exact. Hosts are compared after IDNA (punycode) normalisation, with a trailing dot removed.
 *
 * @example
 * ```ts
 * const list = compileReferrerAllowList(['https://*.example.com/*', 'example.com']);
 * list.matches({ referer: 'https://example.com.evil.com/' }); // false
 * ```
 */
export function compileReferrerAllowList(
  entries: unknown,
  option = 'referrers',
): ReferrerAllowList {
  if (!Array.isArray(entries))
    throw new InvalidOptionsError(`${option} must be an array of strings`);
  const patterns: CompiledPattern[] = [];
  const canonical: string[] = [];
  for (const entry of entries) {
    if (typeof entry !== 'string' || entry.length === 0 || entry.length > 512) {
      refuse(entry, 'is not a referrer pattern', option);
    }
    const match = PATTERN.exec(entry);
    if (match === null) {
      refuse(entry, 'is not a referrer pattern (e.g. https://*.example.com/*)', option);
    }
    const [, scheme, wildcard, rawHost, port, rawPath] = match;
    const host = normalizeHost(rawHost!);
    if (host === undefined || host.length === 0) refuse(entry, 'has an invalid host', option);
    let path = rawPath;
    let pathPrefix = false;
    if (path !== undefined) {
      const star = path.indexOf('*');
      if (star !== -1 && star !== path.length - 1) {
        refuse(entry, 'may use * only at the end of the path', option);
      }
      if (star !== -1) {
        pathPrefix = true;
        path = path.slice(0, -1);
      }
      if (path === '/' && pathPrefix) path = undefined;
    }
    const scheme_ = scheme?.toLowerCase();
    // URL reports a scheme's default port as '': `https://example.com:443/*` means any https URL.
    const defaultPort =
      (scheme_ === 'https' && port === '443') || (scheme_ === 'http' && port === '80');
    patterns.push({
      schemes: scheme_ === undefined || scheme_ === '*' ? ['http:', 'https:'] : [`${scheme_}:`],
      host,
      subdomains: wildcard !== undefined,
      port: defaultPort ? '' : port,
      path,
      pathPrefix,
    });
    canonical.push(entry);
  }
  return new CompiledReferrerAllowList(canonical, patterns);
}

function single(value: string | readonly string[] | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value) || value.length !== 1) return undefined;
  const only: unknown = value[0];
  return typeof only === 'string' ? only : undefined;
}

class CompiledReferrerAllowList implements ReferrerAllowList {
  constructor(
    readonly entries: readonly string[],
    private readonly patterns: readonly CompiledPattern[],
  ) {}

  matches(headers: HeaderBag): boolean {
    const referer = headers['referer'];
    const source = referer !== undefined ? single(referer) : single(headers['origin']);
    return this.#matchesUrl(source, false);
  }

  matchesOrigin(headers: HeaderBag): boolean {
    const origin = headers['origin'];
    if (origin === undefined) return true;
    return this.#matchesUrl(single(origin), true);
  }

  #matchesUrl(source: string | undefined, originOnly: boolean): boolean {
    if (source === undefined || source.length === 0 || source.length > 4096) return false;
    let url: URL;
    try {
      url = new URL(source);
    } catch {
      return false;
    }
    if (url.username !== '' || url.password !== '') return false;
    let host = url.hostname;
    if (host.endsWith('.')) host = host.slice(0, -1);
    const path = url.pathname;
    for (const pattern of this.patterns) {
      if (!pattern.schemes.includes(url.protocol)) continue;
      if (pattern.subdomains) {
        if (host.length <= pattern.host.length + 1 || !host.endsWith(`.${pattern.host}`)) continue;
      } else if (host !== pattern.host) {
        continue;
      }
      if (pattern.port !== undefined && url.port !== pattern.port) continue;
      if (pattern.path !== undefined && !originOnly) {
        if (pattern.pathPrefix ? !path.startsWith(pattern.path) : path !== pattern.path) continue;
      }
      return true;
    }
    return false;
  }
}
