import type { ResponseHeaders, VerifyRejection } from '@keyward/core';

/** The rejection as a `Response`: its status, its headers and its problem document. */
export function problemResponse(result: VerifyRejection): Response {
  return new Response(JSON.stringify(result.body), {
    status: result.status,
    headers: result.headers,
  });
}

/**
 * Adds `headers` to a handler's response, leaving alone any the handler set itself. A response
 * whose headers are immutable (one `fetch()` returned, `Response.redirect()`) is copied into a
 * new one first; a response that cannot be copied (a 101 upgrade) is passed through unchanged.
 */
export function withHeaders(response: Response, headers: ResponseHeaders): Response {
  if (!(response instanceof Response)) return response;
  let target = response;
  let bag = response.headers;
  for (const name in headers) {
    if (bag.has(name)) continue;
    try {
      bag.set(name, headers[name]!);
    } catch {
      if (target !== response || response.status < 200 || response.status > 599) return response;
      target = new Response(response.body, response);
      bag = target.headers;
      bag.set(name, headers[name]!);
    }
  }
  return target;
}
