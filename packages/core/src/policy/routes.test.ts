import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../errors.js';
import { compileRouteAllowList, pathSegments } from './routes.js';

const routes = compileRouteAllowList([
  'GET /invoices',
  'get /invoices/*',
  'POST /reports/**',
  '* /health',
]);

describe('route patterns', () => {
  it('normalises the method and keeps the patterns, without duplicates', () => {
    expect(routes.entries).toEqual([
      'GET /invoices',
      'GET /invoices/*',
      'POST /reports/**',
      '* /health',
    ]);
    expect(compileRouteAllowList(['GET /a', 'get /a']).entries).toEqual(['GET /a']);
  });

  it.each([
    ['GET', '/invoices', 'ok'],
    ['HEAD', '/invoices', 'ok'],
    ['GET', '/invoices/', 'ok'],
    ['GET', '/invoices?page=2&x=/../admin', 'ok'],
    ['GET', '/invoices/42', 'ok'],
    ['GET', '/invoices/in%20voice', 'ok'],
    ['GET', '/invoices/42/lines', 'route_not_allowed'],
    ['POST', '/invoices', 'route_not_allowed'],
    ['GET', '/Invoices', 'route_not_allowed'],
    ['GET', '/invoic%65s', 'ok'],
    ['POST', '/reports', 'ok'],
    ['POST', '/reports/2026/q1', 'ok'],
    ['GET', '/reports/2026', 'route_not_allowed'],
    ['DELETE', '/health', 'ok'],
    ['GET', '/', 'route_not_allowed'],
    ['GET', '/admin', 'route_not_allowed'],
  ] as const)('%s %s by path → %s', (method, url, outcome) => {
    expect(routes.check(method, undefined, url)).toBe(outcome);
  });

  it.each([
    '/invoices/../admin',
    '/invoices/./42',
    '/invoices/..',
    '/./invoices',
    '/invoices//42',
    '//invoices',
    '/invoices/%2e%2e/admin',
    '/invoices/%2E%2E/admin',
    '/invoices/.%2e/admin',
    '/invoices/%2e',
    '/invoices%2f..%2fadmin',
    '/invoices%2F42',
    '/invoices/42%5c..%5cadmin',
    '/invoices\\..\\admin',
    '/invoices/%c0%ae%c0%ae/admin',
    '/invoices/%zz',
    '/invoices/%',
    '/invoices/%00',
    '/invoices/a%0d%0ab',
    'invoices/42',
    'http://example.com/invoices',
    '*',
    '',
  ])('refuses the path %j as invalid_path', (url) => {
    expect(routes.check('GET', undefined, url)).toBe('invalid_path');
  });

  it('matches a method in lower case as its upper-case form', () => {
    expect(routes.check('get', undefined, '/invoices')).toBe('ok');
    expect(routes.check('get', '/invoices/:id', undefined)).toBe('ok');
    expect(routes.check('delete', undefined, '/invoices')).toBe('route_not_allowed');
  });

  it('refuses a missing url or method', () => {
    expect(routes.check('GET', undefined, undefined)).toBe('invalid_path');
    expect(routes.check(undefined, undefined, '/invoices')).toBe('route_not_allowed');
  });

  it.each([
    ['GET', '/invoices', 'ok'],
    ['GET', '/invoices/:id', 'ok'],
    ['GET', '/invoices/:id/lines', 'route_not_allowed'],
    ['GET', '/invoices/*', 'route_not_allowed'],
    ['GET', '/invoices/*splat', 'route_not_allowed'],
    ['GET', '/invoices/:id(\\d+)', 'route_not_allowed'],
    ['POST', '/reports/*', 'ok'],
    ['POST', '/reports/{*splat}', 'ok'],
    ['POST', '/reports/:year/:quarter', 'ok'],
    ['GET', '/:resource', 'route_not_allowed'],
    ['PUT', '/health', 'ok'],
  ] as const)('%s %s by template → %s', (method, template, outcome) => {
    expect(routes.check(method, template, '/anything/../at/all')).toBe(outcome);
  });

  it('matches a template segment ":id" only with * or **', () => {
    const literal = compileRouteAllowList(['GET /invoices/:id']);
    expect(literal.check('GET', '/invoices/:id', undefined)).toBe('route_not_allowed');
    expect(literal.check('GET', undefined, '/invoices/:id')).toBe('ok');
  });

  it('refuses templates with dot or empty segments', () => {
    for (const template of ['/invoices/../admin', '/./invoices', '/invoices//x', 'invoices']) {
      expect(routes.check('GET', template, undefined)).toBe('invalid_path');
    }
  });

  it.each([
    ['not an array', 'GET /x'],
    ['a number', [7]],
    ['no method', ['/invoices']],
    ['two spaces', ['GET  /invoices']],
    ['a lower path', ['GET invoices']],
    ['a bad method', ['G3T /invoices']],
    ['a dot segment', ['GET /invoices/../admin']],
    ['an empty segment', ['GET /invoices//x']],
    ['a trailing slash', ['GET /invoices/']],
    ['** in the middle', ['GET /a/**/b']],
    ['a partial wildcard', ['GET /invoices/inv*']],
    ['a percent sign', ['GET /invoices/%2e']],
    ['a query', ['GET /invoices?x=1']],
    ['a backslash', ['GET /a\\b']],
    ['too many', Array.from({ length: 101 }, (_, i) => `GET /r${i}`)],
    ['too long', [`GET /${'a'.repeat(300)}`]],
  ])('refuses %s naming the entry', (_name, value) => {
    let error: unknown;
    try {
      compileRouteAllowList(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidOptionsError);
    if (Array.isArray(value) && value.length <= 100) {
      expect((error as Error).message).toMatch(/^routes\[0\]: /);
    }
  });

  it('keeps nothing of one path for the next (decoded segments included)', () => {
    const list = compileRouteAllowList(['GET /a/b']);
    expect(list.check('GET', undefined, '/a/%62')).toBe('ok');
    expect(list.check('GET', undefined, '/a/c')).toBe('route_not_allowed');
    expect(list.check('GET', undefined, '/%61/b')).toBe('ok');
    expect(list.check('GET', undefined, '/%61/%63')).toBe('route_not_allowed');
    expect(list.check('GET', undefined, '/a/b%2fc')).toBe('invalid_path');
    expect(list.check('GET', undefined, '/a/b')).toBe('ok');
  });

  it('splits and decodes plain paths', () => {
    expect(pathSegments('/a/b%20c/')).toEqual(['a', 'b c']);
    expect(pathSegments('/')).toEqual([]);
    expect(pathSegments('/?q')).toEqual([]);
  });
});

/**
 * The path rules written the plain way (query cut, one trailing `/` dropped, then split and
 * decoded): the scanner must agree with it on every path.
 */
function referenceSegments(url: string): string[] | undefined {
  let end = url.indexOf('?');
  if (end === -1) end = url.length;
  if (end === 0 || url[0] !== '/') return undefined;
  const path = url.slice(0, end);
  if (path.includes('\\')) return undefined;
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  if (trimmed === '/') return [];
  const out: string[] = [];
  for (const raw of trimmed.slice(1).split('/')) {
    if (raw === '' || raw === '.' || raw === '..') return undefined;
    if (!path.includes('%')) {
      out.push(raw);
      continue;
    }
    if (/%(?:2e|2f|5c)/i.test(raw)) return undefined;
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (/[\u0000-\u001f\u007f]/.test(segment)) return undefined;
    out.push(segment);
  }
  return out.length > 128 ? undefined : out;
}

describe('pathSegments agrees with the rules written the plain way', () => {
  it('on random paths of slashes, dots, percents, backslashes and queries', () => {
    const chars = fc.constantFrom(
      '/',
      '/',
      '/',
      '.',
      '.',
      '%',
      '2',
      'e',
      'F',
      '5',
      'c',
      '?',
      '\\',
      'a',
      '#',
      '0',
    );
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 14 }), (parts) => {
        const url = parts.join('');
        expect(pathSegments(url)).toEqual(referenceSegments(url));
      }),
      { numRuns: 20_000 },
    );
  });

  it('on the edge cases by name', () => {
    for (const url of [
      '',
      '/',
      '//',
      '///',
      '/a/',
      '/a//',
      '//a',
      '/?',
      '//?x',
      '/a/?x',
      '/a?/b',
      '/.',
      '/./',
      '/..?',
      '/%2e',
      '/a%2Fb',
      '/%zz',
      '/%00',
      '/a\\b',
      '/a?\\',
      '/a/b/c/',
    ]) {
      expect(pathSegments(url), url).toEqual(referenceSegments(url));
    }
  });
});

/** `check` by path written the plain way: referenceSegments, then each pattern segment by segment. */
function referenceCheck(patterns: readonly string[], method: string, url: string): string {
  const segments = referenceSegments(url);
  if (segments === undefined) return 'invalid_path';
  const verb = method.toUpperCase();
  for (const pattern of patterns) {
    const [want, path] = pattern.split(' ') as [string, string];
    const wanted = want.toUpperCase();
    if (wanted !== '*' && wanted !== verb && !(verb === 'HEAD' && wanted === 'GET')) continue;
    const parts = path === '/' ? [] : path.slice(1).split('/');
    const rest = parts[parts.length - 1] === '**';
    const fixed = rest ? parts.slice(0, -1) : parts;
    if (rest ? segments.length < fixed.length : segments.length !== fixed.length) continue;
    if (fixed.every((part, i) => part === '*' || part === segments[i])) return 'ok';
  }
  return 'route_not_allowed';
}

describe('check by path agrees with the rules written the plain way', () => {
  it('on random patterns and random paths (plain, encoded, refused)', () => {
    const segment = fc.constantFrom('a', 'b', 'ab', 'a.b', '*', '*');
    const pattern = fc
      .tuple(
        fc.constantFrom('GET', 'get', 'POST', '*'),
        fc.array(segment, { maxLength: 4 }),
        fc.boolean(),
      )
      .map(
        ([method, parts, rest]) => `${method} /${[...parts, ...(rest ? ['**'] : [])].join('/')}`,
      );
    const chars = fc.constantFrom(
      '/',
      '/',
      '/',
      'a',
      'a',
      'b',
      '.',
      '%61',
      '%2e',
      '%',
      '?',
      '\\',
      '#',
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(pattern, { minLength: 1, maxLength: 4 }),
        fc.constantFrom('GET', 'HEAD', 'POST', 'post', 'DELETE'),
        fc.array(chars, { maxLength: 12 }),
        (patterns, method, parts) => {
          const url = `/${parts.join('')}`;
          const list = compileRouteAllowList(patterns);
          expect(list.check(method, undefined, url), `${method} ${url} against ${patterns}`).toBe(
            referenceCheck(patterns, method, url),
          );
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('on long paths under "**" (at most 128 segments)', () => {
    const list = compileRouteAllowList(['GET /a/**']);
    const path = (n: number) => `/a${'/x'.repeat(n - 1)}`;
    expect(list.check('GET', undefined, path(128))).toBe('ok');
    expect(list.check('GET', undefined, path(129))).toBe('invalid_path');
    expect(referenceCheck(['GET /a/**'], 'GET', path(129))).toBe('invalid_path');
  });
});
