import { decodeBase64, encodeBase64 } from './crypto/base64.js';
import { type HmacKey, hmacKey } from './crypto/hmac-sha256.js';

const PREFIX = 'whsec_';
/** The Standard Webhooks range for symmetric secrets, in bytes. */
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;

/**
 * A new webhook signing secret: `whsec_` and the base64 of 32 random bytes from the runtime's
 * CSPRNG (`crypto.getRandomValues`). Give it to the receiver once, over a secure channel, and keep
 * it as you keep any credential: it signs and verifies every webhook of one endpoint.
 *
 * @example
 * ```ts
 * import { generateWebhookSecret } from '@keyward/webhooks';
 *
 * const secret = generateWebhookSecret(); // 'whsec_3q2+7w…' (50 characters)
 * ```
 */
export function generateWebhookSecret(): string {
  const bytes = new Uint8Array(32);
  globalThis.crypto.getRandomValues(bytes);
  return PREFIX + encodeBase64(bytes);
}

/**
 * The HMAC key of a secret: `whsec_` (optional, as the reference libraries accept it without)
 * and base64 of 24 to 64 bytes. A bad secret throws a TypeError naming `option`, never showing
 * the secret.
 */
export function compileSecret(secret: unknown, option: string): HmacKey {
  if (typeof secret !== 'string') throw new TypeError(`${option} must be a string`);
  const encoded = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret;
  const bytes = decodeBase64(encoded);
  if (bytes === undefined) {
    throw new TypeError(`${option} must be 'whsec_' followed by base64 (generateWebhookSecret())`);
  }
  if (bytes.length < MIN_SECRET_BYTES || bytes.length > MAX_SECRET_BYTES) {
    throw new TypeError(
      `${option} must decode to ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes (it has ${bytes.length})`,
    );
  }
  return hmacKey(bytes);
}

/** The keys of one secret or a list of them (the current one first), each checked. */
export function compileSecrets(
  secrets: unknown,
  option: string,
  compile: (secret: unknown, option: string) => HmacKey = compileSecret,
): readonly HmacKey[] {
  if (typeof secrets === 'string') return [compile(secrets, option)];
  if (!Array.isArray(secrets) || secrets.length === 0) {
    throw new TypeError(`${option} must be a secret or a non-empty array of secrets`);
  }
  return secrets.map((secret, i) => compile(secret, `${option}[${i}]`));
}

const CACHE_MAX = 32;
const cache = new Map<string, HmacKey>();

function cachedSecret(secret: unknown, option: string): HmacKey {
  const hit = typeof secret === 'string' ? cache.get(secret) : undefined;
  if (hit !== undefined) return hit;
  const key = compileSecret(secret, option);
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(secret as string, key);
  return key;
}

/**
 * {@link compileSecrets} through a small cache, for the plain functions (`signWebhook`,
 * `verifyWebhook`) that are handed secret strings on every call: deriving a key costs two
 * SHA-256 compressions, as much as hashing a 128-byte body.
 */
export function cachedSecrets(secrets: unknown, option: string): readonly HmacKey[] {
  return compileSecrets(secrets, option, cachedSecret);
}
