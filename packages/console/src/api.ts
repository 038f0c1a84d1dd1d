import { KEY_STATUSES, type KeyInfo, type Keyward, type ListKeysOptions } from '@keyward/core';
import type { AlertBuffer } from './alert-buffer.js';
import { actionOptions, createOptions, readJsonBody, updateOptions } from './input.js';
import {
  ConsoleProblem,
  errorResponse,
  isNoUsageStore,
  jsonResponse,
  problemResponse,
} from './problem.js';

/** Who is calling: the verified admin key. */
export interface ApiCaller {
  readonly key: KeyInfo;
}

const ID = /^[0-9A-Za-z]{1,64}$/;
const STATUSES: ReadonlySet<string> = new Set(KEY_STATUSES);
const TYPES = new Set(['secret', 'publishable']);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The key page's usage ranges: span and bucket size. */
const RANGES = {
  '1h': { span: HOUR, granularity: 'minute' },
  '24h': { span: DAY, granularity: 'hour' },
  '30d': { span: 30 * DAY, granularity: 'day' },
} as const;
const MAX_SPARKLINES = 100;

const bad = (message: string) => new ConsoleProblem(400, 'invalid_request', message);

function param(url: URL, name: string, max = 200): string | undefined {
  const value = url.searchParams.get(name);
  if (value === null || value === '') return undefined;
  if (value.length > max) throw bad(`${name} is longer than ${max} characters`);
  return value;
}

function intParam(url: URL, name: string, min: number, max: number): number | undefined {
  const value = param(url, name, 10);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw bad(`${name} must be an integer from ${min} to ${max}`);
  }
  return n;
}

/**
 * The console's JSON API under `<basePath>/api`, for a caller already verified as an admin.
 * Every management call is recorded with `actor: { type: 'console', id: <admin key id> }`.
 */
export class ConsoleApi {
  constructor(
    readonly keyward: Keyward,
    readonly alerts: AlertBuffer,
    readonly clock: () => number,
  ) {}

  async handle(request: Request, url: URL, path: string, caller: ApiCaller): Promise<Response> {
    try {
      return await this.#route(request, url, path, caller);
    } catch (error) {
      return errorResponse(error);
    }
  }

  async #route(request: Request, url: URL, path: string, caller: ApiCaller): Promise<Response> {
    const method = request.method;
    const parts = path.split('/').filter((part) => part !== '');
    const actor = { type: 'console' as const, id: caller.key.id };
    const [first, id, action] = parts;
    const only = (allowed: string) => {
      if (method !== allowed) {
        throw new ConsoleProblem(405, 'method_not_allowed', `use ${allowed} here`);
      }
    };

    if (parts.length === 1 && first === 'session') {
      only('GET');
      return jsonResponse({ keyId: caller.key.id });
    }
    if (parts.length === 1 && first === 'config') {
      only('GET');
      return jsonResponse({
        prefix: this.keyward.prefix,
        environments: this.keyward.environments,
        admin: { id: caller.key.id, name: caller.key.name },
      });
    }
    if (first === 'keys' && parts.length === 1) {
      if (method === 'GET') return jsonResponse(await this.#list(url));
      only('POST');
      const options = createOptions(await readJsonBody(request));
      const issued = await this.keyward.create({ ...options, actor });
      // IssuedKey's own JSON form hides the key: the one place it is sent is spelled out here.
      return jsonResponse({ key: issued.key, record: issued.record }, 201);
    }
    if (first === 'keys' && id !== undefined) {
      if (!ID.test(id)) throw new ConsoleProblem(404, 'key_not_found', 'no key with this id');
      if (parts.length === 2) {
        if (method === 'GET') return jsonResponse(await this.#get(id));
        only('PATCH');
        const { changes, expectedVersion, reason } = updateOptions(await readJsonBody(request));
        const context: { actor: typeof actor; expectedVersion?: number; reason?: string } = {
          actor,
        };
        if (expectedVersion !== undefined) context.expectedVersion = expectedVersion;
        if (reason !== undefined) context.reason = reason;
        return jsonResponse(await this.keyward.update(id, changes, context));
      }
      if (parts.length === 3 && action === 'rotate') {
        only('POST');
        const options = actionOptions(await readJsonBody(request), ['reason', 'gracePeriodMs']);
        const issued = await this.keyward.rotate(id, { ...options, actor });
        return jsonResponse({ key: issued.key, record: issued.record });
      }
      if (parts.length === 3 && action === 'revoke') {
        only('POST');
        const options = actionOptions(await readJsonBody(request), ['reason']);
        return jsonResponse(await this.keyward.revoke(id, { ...options, actor }));
      }
      if (parts.length === 3 && (action === 'disable' || action === 'enable')) {
        only('POST');
        const options = actionOptions(await readJsonBody(request), ['reason']);
        const info =
          action === 'disable'
            ? await this.keyward.disable(id, { ...options, actor })
            : await this.keyward.enable(id, { ...options, actor });
        return jsonResponse(info);
      }
      if (parts.length === 3 && action === 'usage') {
        only('GET');
        return jsonResponse(await this.#usage(id, url));
      }
    }
    if (parts.length === 1 && first === 'sparklines') {
      only('GET');
      return jsonResponse(await this.#sparklines(url));
    }
    if (parts.length === 1 && first === 'audit') {
      only('GET');
      const options: { keyId?: string; cursor?: string; limit: number } = {
        limit: intParam(url, 'limit', 1, 500) ?? 100,
      };
      const keyId = param(url, 'keyId', 64);
      const cursor = param(url, 'cursor', 200);
      if (keyId !== undefined) options.keyId = keyId;
      if (cursor !== undefined) options.cursor = cursor;
      return jsonResponse(await this.keyward.audit(options));
    }
    if (parts.length === 1 && first === 'alerts') {
      only('GET');
      return jsonResponse(this.alerts.list(param(url, 'keyId', 64)));
    }
    if (parts.length === 1 && first === 'review') {
      only('GET');
      const policy: { unusedDays?: number; rotateEveryDays?: number } = {};
      const unusedDays = intParam(url, 'unusedDays', 1, 3650);
      const rotateEveryDays = intParam(url, 'rotateEveryDays', 1, 3650);
      if (unusedDays !== undefined) policy.unusedDays = unusedDays;
      if (rotateEveryDays !== undefined) policy.rotateEveryDays = rotateEveryDays;
      return jsonResponse({ findings: await this.keyward.review(policy) });
    }
    return problemResponse(404, 'not_found', 'no such console API endpoint');
  }

  async #get(id: string): Promise<KeyInfo> {
    const info = await this.keyward.get(id);
    if (info === undefined) throw new ConsoleProblem(404, 'key_not_found', `no key with id ${id}`);
    return info;
  }

  /** One page of keys; `status`, `search` and `type` are keyward's list filters. */
  async #list(url: URL) {
    const status = param(url, 'status', 20);
    if (status !== undefined && !STATUSES.has(status)) {
      throw bad('status must be active, disabled, revoked or expired');
    }
    const type = param(url, 'type', 20);
    if (type !== undefined && !TYPES.has(type)) throw bad('type must be secret or publishable');
    const query: Record<string, unknown> = {
      ownerId: param(url, 'ownerId'),
      environment: param(url, 'environment', 20),
      search: param(url, 'search'),
      status,
      type,
      limit: intParam(url, 'limit', 1, 200) ?? 50,
      cursor: param(url, 'cursor', 200),
    };
    for (const name of Object.keys(query)) if (query[name] === undefined) delete query[name];
    return this.keyward.list(query as ListKeysOptions);
  }

  /** Usage by outcome over `range` (1h by minute, 24h by hour, 30d by day) and its top routes. */
  async #usage(id: string, url: URL) {
    const name = param(url, 'range', 4) ?? '24h';
    const range = RANGES[name as keyof typeof RANGES];
    if (range === undefined) throw bad('range must be 1h, 24h or 30d');
    const to = this.clock();
    const from = to - range.span + 1;
    const [{ points }, { routes }] = await Promise.all([
      this.keyward.usage({ keyId: id, from, to, granularity: range.granularity }),
      this.keyward.usage({ keyId: id, from, to, granularity: range.granularity, groupBy: 'route' }),
    ]);
    return { range: name, granularity: range.granularity, points, routes: routes.slice(0, 10) };
  }

  /** Each listed key's requests per hour over the last 24 hours (oldest first). */
  async #sparklines(url: URL) {
    const ids = (param(url, 'ids', 64 * MAX_SPARKLINES) ?? '').split(',').filter(Boolean);
    if (ids.length > MAX_SPARKLINES || !ids.every((id) => ID.test(id))) {
      throw bad(`ids must be at most ${MAX_SPARKLINES} key ids, comma-separated`);
    }
    const to = this.clock();
    const from = to - DAY + 1;
    const series: Record<string, number[]> = {};
    try {
      await Promise.all(
        ids.map(async (keyId) => {
          const { points } = await this.keyward.usage({ keyId, from, to, granularity: 'hour' });
          series[keyId] = points.map((point) => point.total);
        }),
      );
    } catch (error) {
      if (isNoUsageStore(error)) return { series: {} };
      throw error;
    }
    return { series };
  }
}
