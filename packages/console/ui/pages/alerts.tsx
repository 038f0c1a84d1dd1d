import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.js';
import { ErrorBox } from '../components.js';
import { when } from '../format.js';
import type { Alert } from '../types.js';

export function AlertsPage() {
  const [data, setData] = useState<{ items: Alert[]; dropped: number }>();
  const [error, setError] = useState<unknown>();
  const load = () => get<{ items: Alert[]; dropped: number }>('/alerts').then(setData, setError);
  useEffect(() => {
    load();
  }, []);
  return (
    <>
      <h1 tabIndex={-1}>Alerts</h1>
      <p class="muted">
        Alerts raised in this process since the console started (the newest first; the console keeps
        a bounded number).
      </p>
      <button type="button" onClick={load}>
        Refresh
      </button>
      <ErrorBox error={error} />
      {data && data.items.length === 0 ? <p>No alerts.</p> : null}
      {data && data.items.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Kind</th>
              <th scope="col">Key</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((alert) => (
              <tr key={alert.id}>
                <td>{when(alert.at)}</td>
                <td>{alert.kind}</td>
                <td>
                  {alert.keyId ? (
                    <a href={`#/keys/${alert.keyId}`}>
                      <code>{alert.keyId}</code>
                    </a>
                  ) : (
                    '—'
                  )}
                </td>
                <td>{alert.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {data && data.dropped > 0 ? (
        <p class="muted">{data.dropped} older alerts are no longer kept.</p>
      ) : null}
    </>
  );
}
