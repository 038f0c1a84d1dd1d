import { encodeBase64 } from './base64.js';
import { type HmacKey, hmacSha256, PADDING_ROOM } from './hmac-sha256.js';

const encoder = new TextEncoder();
/** Contents up to this size are laid out in one reused buffer; larger ones get their own. */
const RETAINED_BYTES = 64 * 1024;
let scratch = new Uint8Array(4096);

function bufferFor(bytes: number): Uint8Array {
  if (bytes <= scratch.length) return scratch;
  if (bytes > RETAINED_BYTES) return new Uint8Array(bytes);
  scratch = new Uint8Array(Math.min(RETAINED_BYTES, 2 ** Math.ceil(Math.log2(bytes))));
  return scratch;
}

/** The signed content laid out for hashing, with room for the padding after it. */
export interface SignedContent {
  readonly data: Uint8Array;
  readonly length: number;
  /** How many of the bytes are the body's. */
  readonly bodyBytes: number;
}

/**
 * Lays out the Standard Webhooks signed content, `${id}.${timestamp}.` followed by the body's
 * bytes exactly: a Uint8Array as it is, a string as UTF-8. `id` and `timestamp` must be ASCII
 * (callers check them first). The result is only valid until the next call.
 */
export function layOutSignedContent(
  id: string,
  timestamp: string,
  body: string | Uint8Array,
): SignedContent {
  const head = id.length + timestamp.length + 2;
  let data: Uint8Array;
  let bodyBytes: number;
  if (typeof body === 'string') {
    const most = head + body.length * 3 + PADDING_ROOM;
    if (most <= RETAINED_BYTES) {
      data = bufferFor(most);
      bodyBytes = encoder.encodeInto(body, data.subarray(head, head + body.length * 3)).written;
    } else {
      const bytes = encoder.encode(body);
      bodyBytes = bytes.length;
      data = bufferFor(head + bodyBytes + PADDING_ROOM);
      data.set(bytes, head);
    }
  } else {
    bodyBytes = body.length;
    data = bufferFor(head + bodyBytes + PADDING_ROOM);
    data.set(body, head);
  }
  let at = 0;
  for (let i = 0; i < id.length; i++) data[at++] = id.charCodeAt(i);
  data[at++] = 0x2e;
  for (let i = 0; i < timestamp.length; i++) data[at++] = timestamp.charCodeAt(i);
  data[at] = 0x2e;
  return { data, length: head + bodyBytes, bodyBytes };
}

/** The base64 HMAC-SHA256 of `content` under `key` (the part after `v1,`). */
export function signContent(key: HmacKey, content: SignedContent): string {
  return encodeBase64(hmacSha256(key, content.data, content.length));
}
