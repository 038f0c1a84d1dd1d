import type { HeaderBag, VerifyRequest } from '@keyward/core';

/**
 * A {@link HeaderBag} view of fetch `Headers`: a property read is `headers.get(name)`, so no
 * object is built per request and a header named `constructor` or `__proto__` reads as that
 * header, never as an object member. Repeated fields arrive as the runtime joined them (`, `).
 */
const HEADER_BAG: ProxyHandler<Headers> = {
  get: (headers, name) => (typeof name === 'string' ? (headers.get(name) ?? undefined) : undefined),
  has: (headers, name) => typeof name === 'string' && headers.has(name),
};

/** The path and query of an absolute request URL (`/invoices?page=2`), as Node's `req.url`. */
function pathOf(url: string): string {
  const authority = url.indexOf('//') + 2;
  const hash = url.indexOf('#', authority);
  const end = hash === -1 ? url.length : hash;
  const path = url.indexOf('/', authority);
  if (path !== -1 && path < end) return url.slice(path, end);
  const query = url.indexOf('?', authority);
  return query === -1 || query >= end ? '/' : `/${url.slice(query, end)}`;
}

/**
 * For adapter authors: the request-like object `keyward.verify` takes, for a fetch `Request`.
 * Headers are read through `request.headers` (nothing is copied); `url` is the path and query.
 *
 * @example
 * ```ts
 * const result = await keyward.verify(toVerifyRequest(request, clientIp), verifyOptions);
 * ```
 */
export function toVerifyRequest(request: Request, ip: string | undefined): VerifyRequest {
  return new FetchVerifyRequest(request, ip);
}

/** `method` and `url` are read only if keyward asks for them (building a URL string costs). */
class FetchVerifyRequest implements VerifyRequest {
  readonly headers: HeaderBag;
  readonly #request: Request;
  constructor(
    request: Request,
    readonly ip: string | undefined,
  ) {
    this.#request = request;
    this.headers = new Proxy(request.headers, HEADER_BAG) as unknown as HeaderBag;
  }
  get method(): string {
    return this.#request.method;
  }
  get url(): string {
    return pathOf(this.#request.url);
  }
}
