import { useEffect, useState } from 'preact/hooks';
import { get, patch, post, query } from '../api.js';
import { ErrorBox, FormDialog, SecretDialog, StatusBadge, UsageChart } from '../components.js';
import { ago, show, when } from '../format.js';
import { formText, RestrictionFields, restrictionBody } from '../key-form.js';
import {
  type Alert,
  type AuditEntry,
  type Config,
  type Issued,
  type KeyInfo,
  type Page,
  statusOf,
  type Usage,
} from '../types.js';

type Action = 'rotate' | 'revoke' | 'edit' | undefined;

export function KeyPage({ id }: { id: string; config: Config }) {
  const [key, setKey] = useState<KeyInfo>();
  const [error, setError] = useState<unknown>();
  const [action, setAction] = useState<Action>();
  const [secret, setSecret] = useState<string>();
  const [version, setVersion] = useState(0);
  const reload = () => setVersion((v) => v + 1);

  useEffect(() => {
    setError(undefined);
    get<KeyInfo>(`/keys/${id}`).then(setKey, setError);
  }, [id, version]);

  if (key === undefined) {
    return (
      <>
        <h1 tabIndex={-1}>Key {id}</h1>
        <ErrorBox error={error} />
      </>
    );
  }
  const status = statusOf(key);
  const toggle = async () => {
    setError(undefined);
    try {
      setKey(await post<KeyInfo>(`/keys/${id}/${key.disabled ? 'enable' : 'disable'}`));
      reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <h1 tabIndex={-1}>
        {key.name} <StatusBadge status={status} />
      </h1>
      <p>
        <code>{key.redacted}</code>
      </p>
      <fieldset class="actions plain">
        <legend class="visually-hidden">Key actions</legend>
        <button type="button" onClick={() => setAction('edit')} disabled={status === 'revoked'}>
          Edit
        </button>
        <button type="button" onClick={() => setAction('rotate')} disabled={status === 'revoked'}>
          Rotate
        </button>
        <button type="button" onClick={toggle} disabled={status === 'revoked'}>
          {key.disabled ? 'Enable' : 'Disable'}
        </button>
        <button
          type="button"
          class="danger"
          onClick={() => setAction('revoke')}
          disabled={status === 'revoked'}
        >
          Revoke
        </button>
      </fieldset>
      <ErrorBox error={error} />
      {action === 'rotate' ? (
        <RotateDialog
          id={id}
          onDone={(issued) => {
            setAction(undefined);
            if (issued) {
              setSecret(issued.key);
              setKey(issued.record);
              reload();
            }
          }}
        />
      ) : null}
      {action === 'revoke' ? (
        <RevokeDialog
          id={id}
          onDone={(info) => {
            setAction(undefined);
            if (info) {
              setKey(info);
              reload();
            }
          }}
        />
      ) : null}
      {action === 'edit' ? (
        <EditDialog
          keyInfo={key}
          onDone={(info) => {
            setAction(undefined);
            if (info) {
              setKey(info);
              reload();
            }
          }}
        />
      ) : null}
      {secret !== undefined ? (
        <SecretDialog secret={secret} onClose={() => setSecret(undefined)} />
      ) : null}
      <div class="grid">
        <section aria-labelledby="details">
          <h2 id="details">Details</h2>
          <dl>
            <dt>Id</dt>
            <dd>
              <code>{key.id}</code>
            </dd>
            <dt>Environment</dt>
            <dd>{key.environment}</dd>
            <dt>Type</dt>
            <dd>{key.type ?? 'secret'}</dd>
            <dt>Owner</dt>
            <dd>{key.ownerId ?? '—'}</dd>
            <dt>Created</dt>
            <dd>{when(key.createdAt)}</dd>
            <dt>Last used</dt>
            <dd>{ago(key.lastUsedAt)}</dd>
            <dt>Rotated</dt>
            <dd>{when(key.rotatedAt)}</dd>
            {key.previousSecretExpiresAt ? (
              <>
                <dt>Old secret works until</dt>
                <dd>{when(key.previousSecretExpiresAt)}</dd>
              </>
            ) : null}
            <dt>Expires</dt>
            <dd>{key.expiresAt ? when(key.expiresAt) : 'never'}</dd>
            {key.revokedAt ? (
              <>
                <dt>Revoked</dt>
                <dd>
                  {when(key.revokedAt)}
                  {key.revokedReason ? ` — ${key.revokedReason}` : ''}
                </dd>
              </>
            ) : null}
          </dl>
        </section>
        <section aria-labelledby="restrictions">
          <h2 id="restrictions">Restrictions and limits</h2>
          <dl>
            <dt>Scopes</dt>
            <dd>{show(key.scopes)}</dd>
            <dt>IP allow-list</dt>
            <dd>{key.ips ? show(key.ips) : 'any address'}</dd>
            <dt>Referrers</dt>
            <dd>{key.referrers ? show(key.referrers) : 'any'}</dd>
            <dt>Routes</dt>
            <dd>{key.routes && key.routes.length > 0 ? show(key.routes) : 'any route'}</dd>
            <dt>Rate limit</dt>
            <dd>
              {key.rateLimit
                ? `${key.rateLimit.capacity} burst, ${key.rateLimit.refillPerSecond}/s`
                : 'none'}
            </dd>
            <dt>Quota</dt>
            <dd>{key.quota ? `${key.quota.limit} per ${key.quota.period}` : 'none'}</dd>
          </dl>
        </section>
      </div>
      <UsageSection id={id} version={version} />
      <AuditSection id={id} version={version} />
      <AlertsSection id={id} />
    </>
  );
}

function UsageSection({ id, version }: { id: string; version: number }) {
  const [range, setRange] = useState<'1h' | '24h' | '30d'>('24h');
  const [usage, setUsage] = useState<Usage>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    setError(undefined);
    get<Usage>(`/keys/${id}/usage${query({ range })}`).then(setUsage, setError);
  }, [id, range, version]);
  return (
    <section aria-labelledby="usage">
      <h2 id="usage">Usage</h2>
      <fieldset class="tabs plain">
        <legend class="visually-hidden">Range</legend>
        {(['1h', '24h', '30d'] as const).map((r) => (
          <button key={r} type="button" aria-pressed={r === range} onClick={() => setRange(r)}>
            {r}
          </button>
        ))}
      </fieldset>
      <ErrorBox error={error} />
      {usage ? (
        <>
          <UsageChart points={usage.points} />
          <h3>Top routes</h3>
          {usage.routes.length === 0 ? (
            <p class="muted">No routes recorded in this range.</p>
          ) : (
            <table class="routes">
              <thead>
                <tr>
                  <th scope="col">Route</th>
                  <th scope="col">Requests</th>
                </tr>
              </thead>
              <tbody>
                {usage.routes.map((r) => (
                  <tr key={r.route}>
                    <td>
                      <code>{r.route}</code>
                    </td>
                    <td class="num">{r.total}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      ) : null}
    </section>
  );
}

function AuditSection({ id, version }: { id: string; version: number }) {
  const [page, setPage] = useState<Page<AuditEntry>>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    setError(undefined);
    get<Page<AuditEntry>>(`/audit${query({ keyId: id, limit: 200 })}`).then(setPage, setError);
  }, [id, version]);
  return (
    <section aria-labelledby="audit">
      <h2 id="audit">Audit trail</h2>
      <ErrorBox error={error} />
      {page ? <AuditTable items={page.items} /> : null}
    </section>
  );
}

/** A changed value; a time field's milliseconds as a date. */
function showChange(field: string, value: unknown): string {
  if (typeof value === 'number' && field.endsWith('At')) return when(new Date(value).toISOString());
  return show(value);
}

export function AuditTable({ items, showKey }: { items: AuditEntry[]; showKey?: boolean }) {
  if (items.length === 0) return <p class="muted">No entries.</p>;
  return (
    <table class="audit">
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">When</th>
          <th scope="col">Event</th>
          {showKey ? <th scope="col">Key</th> : null}
          <th scope="col">Actor</th>
          <th scope="col">Reason</th>
          <th scope="col">Changes</th>
        </tr>
      </thead>
      <tbody>
        {items.map((entry) => (
          <tr key={entry.seq} data-audit-type={entry.type}>
            <td class="num">{entry.seq}</td>
            <td>{when(entry.at)}</td>
            <td>{entry.type}</td>
            {showKey ? (
              <td>
                <a href={`#/keys/${entry.keyId}`}>
                  <code>{entry.keyId}</code>
                </a>
              </td>
            ) : null}
            <td class="actor">{entry.actor ? `${entry.actor.type}:${entry.actor.id}` : '—'}</td>
            <td>{entry.reason ?? ''}</td>
            <td>
              {entry.changes
                ? Object.entries(entry.changes)
                    .map(
                      ([field, c]) =>
                        `${field}: ${showChange(field, c.from)} → ${showChange(field, c.to)}`,
                    )
                    .join('; ')
                : ''}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AlertsSection({ id }: { id: string }) {
  const [alerts, setAlerts] = useState<Alert[]>();
  useEffect(() => {
    get<{ items: Alert[] }>(`/alerts${query({ keyId: id })}`).then(
      (r) => setAlerts(r.items),
      () => setAlerts([]),
    );
  }, [id]);
  return (
    <section aria-labelledby="key-alerts">
      <h2 id="key-alerts">Alerts</h2>
      {alerts === undefined || alerts.length === 0 ? (
        <p class="muted">No alerts for this key since the console started.</p>
      ) : (
        <ul>
          {alerts.map((a) => (
            <li key={a.id}>
              {when(a.at)} <strong>{a.kind}</strong>: {a.detail}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function RotateDialog({ id, onDone }: { id: string; onDone: (issued?: Issued) => void }) {
  const send = (form: FormData) => {
    const body: Record<string, unknown> = {
      gracePeriodMs: Math.round(Number(form.get('grace') ?? 0) * 3_600_000),
    };
    const reason = formText(form, 'reason');
    if (reason !== '') body['reason'] = reason;
    return post<Issued>(`/keys/${id}/rotate`, body);
  };
  return (
    <FormDialog title="Rotate key" submit="Rotate" kind="primary" send={send} onDone={onDone}>
      <p>
        The key gets a new secret, shown once. The old secret keeps working during the grace period.
      </p>
      <label>
        Grace period (hours)
        <input name="grace" type="number" min={0} step="any" defaultValue="24" required />
      </label>
      <label>
        Reason
        <input name="reason" maxLength={500} />
      </label>
    </FormDialog>
  );
}

function RevokeDialog({ id, onDone }: { id: string; onDone: (info?: KeyInfo) => void }) {
  const send = (form: FormData) =>
    post<KeyInfo>(`/keys/${id}/revoke`, { reason: formText(form, 'reason') });
  return (
    <FormDialog title="Revoke key" submit="Revoke" kind="danger" send={send} onDone={onDone}>
      <p>Revoking is final: every request with this key is refused from now on.</p>
      <label>
        Reason
        <input name="reason" required maxLength={500} />
      </label>
    </FormDialog>
  );
}

function EditDialog({ keyInfo, onDone }: { keyInfo: KeyInfo; onDone: (info?: KeyInfo) => void }) {
  const send = (form: FormData) => {
    const body: Record<string, unknown> = {
      name: formText(form, 'name'),
      ...restrictionBody(form, true),
      expectedVersion: keyInfo.version,
    };
    const reason = formText(form, 'reason');
    if (reason !== '') body['reason'] = reason;
    // Routes are sent only where the key has some or some were typed (older keyward has none).
    if (body['routes'] === null && (keyInfo.routes ?? []).length === 0) delete body['routes'];
    return patch<KeyInfo>(`/keys/${keyInfo.id}`, body);
  };
  return (
    <FormDialog
      title="Edit restrictions and limits"
      submit="Save"
      kind="primary"
      send={send}
      onDone={onDone}
    >
      <label>
        Name
        <input name="name" required maxLength={200} defaultValue={keyInfo.name} />
      </label>
      <RestrictionFields value={keyInfo} />
      <label>
        Reason <span class="muted">(for the audit trail)</span>
        <input name="reason" maxLength={500} />
      </label>
    </FormDialog>
  );
}
