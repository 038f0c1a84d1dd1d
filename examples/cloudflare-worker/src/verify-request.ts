// The translation between a fetch `Request` and keyward.verify, and a rejection back into a
// `Response`. (`@keyward/fetch`'s `verifyRequest` / `withApiKey` do this; this example keeps its
// own few lines so it depends on the core and the stores only.)
import type { Keyward, VerifyOptions, VerifyRejection, VerifyResult } from '@keyward/core';

/** Verifies the key of a Worker request. The client IP is the one Cloudflare's edge saw. */
export function verifyRequest(
  keyward: Keyward,
  request: Request,
  options: VerifyOptions,
): Promise<VerifyResult> {
  const url = new URL(request.url);
  return Promise.resolve(
    keyward.verify(
      {
        headers: Object.fromEntries(request.headers),
        ip: request.headers.get('cf-connecting-ip') ?? undefined,
        method: request.method,
        url: `${url.pathname}${url.search}`,
      },
      options,
    ),
  );
}

/** The problem response of a rejection: its status, its headers, its RFC 9457 body. */
export function rejection(result: VerifyRejection): Response {
  return new Response(JSON.stringify(result.body), {
    status: result.status,
    headers: result.headers,
  });
}
