import type { CreateKeyOptions, UpdateKeyOptions } from '@keyward/core';
import { ConsoleProblem } from './problem.js';

/** The largest JSON body the console's API reads. */
export const MAX_BODY_BYTES = 64 * 1024;

type Json = Record<string, unknown>;

const bad = (message: string) => new ConsoleProblem(400, 'invalid_request', message);

/** Reads a JSON object body of at most {@link MAX_BODY_BYTES}; refuses other media types. */
export async function readJsonBody(request: Request): Promise<Json> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/json(\s*;|$)/i.test(type)) {
    throw new ConsoleProblem(415, 'unsupported_media_type', 'send the body as application/json');
  }
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const text = await readText(request);
  let value: unknown;
  try {
    value = JSON.parse(text === '' ? '{}' : text);
  } catch {
    throw bad('the body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw bad('the body must be a JSON object');
  }
  return value as Json;
}

const tooLarge = () =>
  new ConsoleProblem(413, 'body_too_large', `the body is larger than ${MAX_BODY_BYTES} bytes`);

async function readText(request: Request): Promise<string> {
  if (request.body === null) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.byteLength;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(all);
  } catch {
    throw bad('the body is not valid UTF-8');
  }
}

function refuseUnknown(body: Json, allowed: ReadonlySet<string>): void {
  for (const name of Object.keys(body)) {
    if (!allowed.has(name)) throw bad(`unknown field "${name.slice(0, 40)}"`);
  }
}

function string(body: Json, name: string, max = 1000): string | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > max) {
    throw bad(`${name} must be a string of at most ${max} characters`);
  }
  return value;
}

function strings(body: Json, name: string): string[] | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) ||
    value.length > 1000 ||
    !value.every((item) => typeof item === 'string' && item.length <= 1000)
  ) {
    throw bad(`${name} must be a list of strings`);
  }
  return value as string[];
}

function object(body: Json, name: string): Json | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw bad(`${name} must be an object`);
  }
  return value as Json;
}

function date(body: Json, name: string): Date | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  const at =
    typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : NaN;
  if (!Number.isFinite(at)) throw bad(`${name} must be a date (ISO 8601) or milliseconds`);
  return new Date(at);
}

function nullable<T>(body: Json, name: string, read: (body: Json, name: string) => T): T | null {
  return body[name] === null ? null : read(body, name);
}

const CREATE_FIELDS = new Set([
  'name',
  'environment',
  'ownerId',
  'type',
  'scopes',
  'ips',
  'referrers',
  'routes',
  'rateLimit',
  'quota',
  'expiresAt',
  'metadata',
  'reason',
]);

/**
 * The `create` options in a request body: each field's JSON type is checked here, its content
 * (CIDR, patterns, scopes, limits) by keyward, whose error names the bad entry.
 */
export function createOptions(body: Json): CreateKeyOptions {
  refuseUnknown(body, CREATE_FIELDS);
  const name = string(body, 'name', 200);
  if (name === undefined) throw bad('name is required');
  const options: Record<string, unknown> = { name };
  const type = string(body, 'type', 20);
  if (type !== undefined && type !== 'secret' && type !== 'publishable') {
    throw bad('type must be secret or publishable');
  }
  const fields: Record<string, unknown> = {
    environment: string(body, 'environment', 20),
    ownerId: string(body, 'ownerId', 200),
    type,
    scopes: strings(body, 'scopes'),
    ips: strings(body, 'ips'),
    referrers: strings(body, 'referrers'),
    routes: strings(body, 'routes'),
    rateLimit: object(body, 'rateLimit'),
    quota: object(body, 'quota'),
    expiresAt: date(body, 'expiresAt'),
    metadata: object(body, 'metadata'),
    reason: string(body, 'reason', 500),
  };
  for (const [field, value] of Object.entries(fields)) {
    // An empty list of routes is "any route" on keyward versions that know routes, and is not
    // sent at all otherwise; `type: 'secret'` is the default.
    if (value === undefined) continue;
    if (field === 'routes' && Array.isArray(value) && value.length === 0) continue;
    if (field === 'type' && value === 'secret') continue;
    options[field] = value;
  }
  return options as unknown as CreateKeyOptions;
}

const UPDATE_FIELDS = new Set([
  'name',
  'scopes',
  'ips',
  'referrers',
  'routes',
  'rateLimit',
  'quota',
  'expiresAt',
  'metadata',
  'disabled',
  'expectedVersion',
  'reason',
]);

/** The `update` changes, `expectedVersion` and `reason` in a request body (`null` removes). */
export function updateOptions(body: Json): {
  changes: UpdateKeyOptions;
  expectedVersion?: number;
  reason?: string;
} {
  refuseUnknown(body, UPDATE_FIELDS);
  const disabled = body['disabled'];
  if (disabled !== undefined && typeof disabled !== 'boolean') {
    throw bad('disabled must be true or false');
  }
  const version = body['expectedVersion'];
  if (version !== undefined && !Number.isSafeInteger(version)) {
    throw bad('expectedVersion must be an integer');
  }
  const fields: Record<string, unknown> = {
    name: string(body, 'name', 200),
    scopes: strings(body, 'scopes'),
    ips: nullable(body, 'ips', strings),
    referrers: nullable(body, 'referrers', strings),
    routes: nullable(body, 'routes', strings),
    rateLimit: nullable(body, 'rateLimit', object),
    quota: nullable(body, 'quota', object),
    expiresAt: nullable(body, 'expiresAt', date),
    metadata: nullable(body, 'metadata', object),
    disabled,
  };
  const changes: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(fields)) {
    if (value !== undefined) changes[field] = value;
  }
  const out: { changes: UpdateKeyOptions; expectedVersion?: number; reason?: string } = {
    changes: changes as UpdateKeyOptions,
  };
  if (typeof version === 'number') out.expectedVersion = version;
  const reason = string(body, 'reason', 500);
  if (reason !== undefined) out.reason = reason;
  return out;
}

/** `reason` (and, for rotate, `gracePeriodMs`) of a rotate or revoke body. */
export function actionOptions(
  body: Json,
  fields: readonly ('reason' | 'gracePeriodMs')[],
): { reason?: string; gracePeriodMs?: number } {
  refuseUnknown(body, new Set(fields));
  const out: { reason?: string; gracePeriodMs?: number } = {};
  const reason = string(body, 'reason', 500);
  if (reason !== undefined && reason !== '') out.reason = reason;
  const grace = body['gracePeriodMs'];
  if (grace !== undefined) {
    if (typeof grace !== 'number' || !Number.isSafeInteger(grace) || grace < 0) {
      throw bad('gracePeriodMs must be a whole number of milliseconds, 0 or more');
    }
    out.gracePeriodMs = grace;
  }
  return out;
}
