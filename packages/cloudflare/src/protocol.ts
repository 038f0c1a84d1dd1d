import { StoreUnavailableError } from '@keyward/core';
import type {
  DurableObjectNamespaceBinding,
  ObjectRequestInit,
  ObjectResponse,
} from './bindings.js';

/**
 * The stores talk to their Durable Objects with `stub.fetch`: a POST of a JSON body to
 * `https://keyward/<operation>`, answered with JSON. (Fetch, not JS RPC, so the package needs no
 * `cloudflare:workers` import and loads on any runtime.) A refused request answers
 * `{ code }` with a 4xx status.
 */
export interface ObjectStub {
  fetch(input: string, init: ObjectRequestInit): Promise<ObjectResponse>;
}

/** What an object answers for a request it refuses. */
export interface ObjectRefusal {
  code: string;
}

/** Sends one operation to an object; resolves with its JSON answer or its refusal. */
export async function callObject(
  stub: ObjectStub,
  operation: string,
  body: unknown,
  what: string,
): Promise<{ ok: true; value: unknown } | { ok: false; refusal: ObjectRefusal }> {
  const response = await stub.fetch(`https://keyward/${operation}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  let value: unknown;
  try {
    value = await response.json();
  } catch {
    throw new StoreUnavailableError(`${what} answered ${response.status} without JSON`);
  }
  if (response.ok) return { ok: true, value };
  const code = (value as { code?: unknown } | null)?.code;
  if (response.status < 500 && typeof code === 'string') return { ok: false, refusal: { code } };
  const detail = typeof code === 'string' ? ` (${code})` : '';
  throw new StoreUnavailableError(`${what} answered ${response.status}${detail}`);
}

/** A JSON response from an object. */
export function answer(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

/** The operation (last path segment) and JSON body of a request to an object, or undefined. */
export async function readCall(
  request: Request,
): Promise<{ operation: string; body: Record<string, unknown> } | undefined> {
  if (request.method !== 'POST') return undefined;
  const operation = new URL(request.url).pathname.slice(1);
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  return { operation, body: body as Record<string, unknown> };
}

/** Answers a request the object cannot read or does not know. */
export const badRequest = (): Response => answer({ code: 'bad_request' }, 400);

export const isFiniteNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

/** Whether `value` looks like a Durable Object namespace binding. */
export function isNamespace(value: unknown): value is DurableObjectNamespaceBinding {
  const namespace = value as Partial<DurableObjectNamespaceBinding> | null;
  return (
    typeof namespace === 'object' &&
    namespace !== null &&
    typeof namespace.idFromName === 'function' &&
    typeof namespace.get === 'function'
  );
}
