// TEMPORARY: the lead replaces this file with @keyward/webhooks (its `signWebhook` and sender)
// when that package is merged. It is the smallest Standard Webhooks v1 signer and a single POST,
// used only by alert delivery; nothing here is exported from @keyward/core.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';

const encoder = new TextEncoder();

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * The Standard Webhooks v1 headers for `body`: `v1,` + base64 HMAC-SHA256, keyed with the
 * base64-decoded secret (after `whsec_`), of `${id}.${timestamp}.${body}`.
 */
export function signWebhookTemporary(
  secret: string,
  id: string,
  timestamp: number,
  body: string,
): Record<string, string> {
  const key = Uint8Array.from(atob(secret.slice('whsec_'.length)), (c) => c.charCodeAt(0));
  const signature = hmac(sha256, key, encoder.encode(`${id}.${timestamp}.${body}`));
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${base64(signature)}`,
  };
}

/**
 * One POST with a timeout. `retry` says whether trying again may help: network errors,
 * timeouts, 408, 429 and 5xx; not other 4xx (the receiver refused the request itself).
 */
export async function postWebhookTemporary(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  abort: AbortController,
): Promise<{ ok: boolean; retry: boolean; status?: number }> {
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  (timer as { unref?: () => void }).unref?.();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body,
      signal: abort.signal,
      redirect: 'manual',
    });
    await response.body?.cancel().catch(() => {});
    const { status } = response;
    if (status >= 200 && status < 300) return { ok: true, retry: false, status };
    return { ok: false, retry: status === 408 || status === 429 || status >= 500, status };
  } catch {
    return { ok: false, retry: true };
  } finally {
    clearTimeout(timer);
  }
}
