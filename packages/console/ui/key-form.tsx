import { lines } from './format.js';
import type { Config, KeyInfo } from './types.js';

/** The restriction and limit fields shared by the create and edit forms. */
export function RestrictionFields({ key: _key, value }: { key?: string; value?: KeyInfo }) {
  const list = (items: string[] | undefined) => (items ?? []).join('\n');
  return (
    <>
      <label>
        Scopes <span class="muted">(one a line)</span>
        <textarea name="scopes" rows={2} defaultValue={list(value?.scopes)} />
      </label>
      <label>
        IP allow-list <span class="muted">(CIDR or addresses, one a line; empty: any)</span>
        <textarea name="ips" rows={2} defaultValue={list(value?.ips)} />
      </label>
      <label>
        Referrers / origins <span class="muted">(patterns like https://*.example.com/*)</span>
        <textarea name="referrers" rows={2} defaultValue={list(value?.referrers)} />
      </label>
      <label>
        Routes <span class="muted">(like GET /invoices/*, one a line; empty: any route)</span>
        <textarea name="routes" rows={2} defaultValue={list(value?.routes)} />
      </label>
      <fieldset>
        <legend>Rate limit (token bucket)</legend>
        <label>
          Capacity
          <input
            name="capacity"
            type="number"
            min={1}
            defaultValue={value?.rateLimit?.capacity?.toString() ?? ''}
          />
        </label>
        <label>
          Refill per second
          <input
            name="refill"
            type="number"
            min={0}
            step="any"
            defaultValue={value?.rateLimit?.refillPerSecond?.toString() ?? ''}
          />
        </label>
      </fieldset>
      <fieldset>
        <legend>Quota</legend>
        <label>
          Limit
          <input
            name="quotaLimit"
            type="number"
            min={1}
            defaultValue={value?.quota?.limit?.toString() ?? ''}
          />
        </label>
        <label>
          Per
          <select name="quotaPeriod">
            {['minute', 'hour', 'day', 'month'].map((period) => (
              <option
                key={period}
                value={period}
                selected={period === (value?.quota?.period ?? 'day')}
              >
                {period}
              </option>
            ))}
          </select>
        </label>
      </fieldset>
      <label>
        Expires at <span class="muted">(UTC; empty: never)</span>
        <input
          name="expiresAt"
          type="datetime-local"
          defaultValue={value?.expiresAt ? value.expiresAt.slice(0, 16) : ''}
        />
      </label>
    </>
  );
}

export function EnvironmentField({ config }: { config: Config }) {
  return (
    <label>
      Environment
      <select name="environment">
        {config.environments.map((env) => (
          <option key={env} value={env}>
            {env}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The text of form field `name`, trimmed (empty when there is no such field). */
export function formText(form: FormData, name: string): string {
  return String(form.get(name) ?? '').trim();
}

/**
 * The form's restrictions and limits as API fields; `removeEmpty` gives `null` for an emptied
 * field (edit), otherwise an empty field is left out (create).
 */
export function restrictionBody(form: FormData, removeEmpty: boolean): Record<string, unknown> {
  const text = (name: string) => formText(form, name);
  const body: Record<string, unknown> = {};
  const empty = removeEmpty ? null : undefined;
  body['scopes'] = lines(text('scopes'));
  const ips = lines(text('ips'));
  body['ips'] = ips.length > 0 ? ips : empty;
  const referrers = lines(text('referrers'));
  body['referrers'] = referrers.length > 0 ? referrers : empty;
  const routes = lines(text('routes'));
  body['routes'] = routes.length > 0 ? routes : empty;
  const capacity = text('capacity');
  const refill = text('refill');
  body['rateLimit'] =
    capacity !== '' || refill !== ''
      ? { capacity: Number(capacity), refillPerSecond: Number(refill) }
      : empty;
  const quotaLimit = text('quotaLimit');
  body['quota'] =
    quotaLimit !== '' ? { limit: Number(quotaLimit), period: text('quotaPeriod') } : empty;
  const expiresAt = text('expiresAt');
  body['expiresAt'] = expiresAt !== '' ? `${expiresAt}:00Z` : empty;
  for (const name of Object.keys(body)) if (body[name] === undefined) delete body[name];
  return body;
}
