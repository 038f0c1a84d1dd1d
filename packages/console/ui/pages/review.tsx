import { useEffect, useState } from 'preact/hooks';
import { get, query } from '../api.js';
import { ErrorBox } from '../components.js';
import type { Finding } from '../types.js';

export function ReviewPage() {
  const [policy, setPolicy] = useState({ unusedDays: 90, rotateEveryDays: 90 });
  const [findings, setFindings] = useState<Finding[]>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    setError(undefined);
    get<{ findings: Finding[] }>(`/review${query(policy)}`).then(
      (r) => setFindings(r.findings),
      setError,
    );
  }, [policy]);
  const submit = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setPolicy({
      unusedDays: Number(form.get('unusedDays')),
      rotateEveryDays: Number(form.get('rotateEveryDays')),
    });
  };
  return (
    <>
      <h1 tabIndex={-1}>Access review</h1>
      <form class="filters" onSubmit={submit} aria-label="Review policy">
        <label>
          Unused after (days)
          <input name="unusedDays" type="number" min={1} defaultValue={String(policy.unusedDays)} />
        </label>
        <label>
          Rotate every (days)
          <input
            name="rotateEveryDays"
            type="number"
            min={1}
            defaultValue={String(policy.rotateEveryDays)}
          />
        </label>
        <button type="submit">Review</button>
      </form>
      <ErrorBox error={error} />
      {findings && findings.length === 0 ? <p>No findings.</p> : null}
      {findings && findings.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Owner</th>
              <th scope="col">Finding</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {findings.map((f) => (
              <tr key={`${f.keyId}-${f.kind}`}>
                <td>
                  <a href={`#/keys/${f.keyId}`}>{f.name}</a>
                </td>
                <td>{f.ownerId ?? '—'}</td>
                <td>{f.kind}</td>
                <td>{f.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}
