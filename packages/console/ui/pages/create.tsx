import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { ErrorBox, SecretDialog } from '../components.js';
import { EnvironmentField, formText, RestrictionFields, restrictionBody } from '../key-form.js';
import type { Config, Issued } from '../types.js';

export function CreatePage({ config }: { config: Config }) {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [issued, setIssued] = useState<{ secret: string; id: string }>();

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const text = (name: string) => formText(form, name);
    const body: Record<string, unknown> = {
      name: text('name'),
      environment: text('environment'),
      type: text('type'),
      ...restrictionBody(form, false),
    };
    if (text('ownerId') !== '') body['ownerId'] = text('ownerId');
    if (text('reason') !== '') body['reason'] = text('reason');
    setBusy(true);
    setError(undefined);
    try {
      const result = await post<Issued>('/keys', body);
      setIssued({ secret: result.key, id: result.record.id });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h1 tabIndex={-1}>Create a key</h1>
      <form class="stack" onSubmit={submit} aria-label="New key">
        <label>
          Name
          <input name="name" required maxLength={200} />
        </label>
        <EnvironmentField config={config} />
        <label>
          Type
          <select name="type">
            <option value="secret">secret (server-side)</option>
            <option value="publishable">publishable (browser code; needs an origin)</option>
          </select>
        </label>
        <label>
          Owner <span class="muted">(optional)</span>
          <input name="ownerId" maxLength={200} />
        </label>
        <RestrictionFields />
        <label>
          Reason <span class="muted">(for the audit trail)</span>
          <input name="reason" maxLength={500} />
        </label>
        <ErrorBox error={error} />
        <button type="submit" class="primary" disabled={busy}>
          Create key
        </button>
      </form>
      {issued ? (
        <SecretDialog
          secret={issued.secret}
          onClose={() => {
            const id = issued.id;
            setIssued(undefined);
            location.hash = `#/keys/${id}`;
          }}
        />
      ) : null}
    </>
  );
}
