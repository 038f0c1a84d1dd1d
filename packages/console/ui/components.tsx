import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.js';
import type { Status, UsagePoint } from './types.js';

export function ErrorBox({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  const api = error instanceof ApiError ? error : undefined;
  return (
    <div class="error" role="alert">
      <strong>{api ? `Refused (${api.code})` : 'Error'}:</strong>{' '}
      {api ? api.detail : String((error as Error).message ?? error)}
    </div>
  );
}

export function StatusBadge({ status }: { status: Status }) {
  return <span class={`badge badge-${status}`}>{status}</span>;
}

/** A modal `<dialog>`: focus stays inside, Escape closes it. Unmounting removes it (and its content). */
export function Dialog(props: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  id?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    const closed = () => props.onClose();
    dialog?.addEventListener('close', closed);
    return () => dialog?.removeEventListener('close', closed);
  }, []);
  return (
    <dialog ref={ref} aria-labelledby="dialog-title" id={props.id}>
      <h2 id="dialog-title">{props.title}</h2>
      {props.children}
    </dialog>
  );
}

/**
 * A {@link Dialog} holding one form: Cancel closes it with nothing; submitting sends the form's
 * fields through `send`, closes it with the answer, or shows the refusal in the dialog.
 */
export function FormDialog<T>(props: {
  title: string;
  submit: string;
  /** The submit button's look: `primary`, or `danger` for what cannot be undone. */
  kind: 'primary' | 'danger';
  send: (form: FormData) => Promise<T>;
  onDone: (answer?: T) => void;
  children: ComponentChildren;
}) {
  const [error, setError] = useState<unknown>();
  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      props.onDone(await props.send(new FormData(event.currentTarget as HTMLFormElement)));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Dialog title={props.title} onClose={() => props.onDone()}>
      <form class="stack" onSubmit={submit}>
        {props.children}
        <ErrorBox error={error} />
        <div class="actions">
          <button type="button" onClick={() => props.onDone()}>
            Cancel
          </button>
          <button type="submit" class={props.kind}>
            {props.submit}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/**
 * The full key, shown once. The caller drops the key from its state on close, which unmounts
 * this dialog: the key is then nowhere in the DOM.
 */
export function SecretDialog({ secret, onClose }: { secret: string; onClose: () => void }) {
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  };
  return (
    <Dialog title="Your new API key" onClose={onClose} id="secret-dialog">
      <p class="warning" role="note">
        Copy this key now and store it safely. It is shown <strong>once</strong>: keyward keeps only
        its hash and cannot show it again.
      </p>
      <label for="secret-value">API key</label>
      <input id="secret-value" class="secret" readOnly value={secret} spellcheck={false} />
      <div class="actions">
        <button type="button" onClick={copy} id="copy-secret">
          Copy
        </button>
        <span aria-live="polite" class="muted">
          {copied === 'yes'
            ? 'Copied to the clipboard.'
            : copied === 'failed'
              ? 'Copy failed: select the key and copy it by hand.'
              : ''}
        </span>
        <button type="button" class="primary" onClick={onClose} id="close-secret">
          I have stored it — close
        </button>
      </div>
    </Dialog>
  );
}

/** Requests per hour over 24 hours, as a small SVG line. */
export function Sparkline({ values, label }: { values: number[] | undefined; label: string }) {
  if (values === undefined)
    return (
      <span class="muted" title="no usage recorded">
        —
      </span>
    );
  const max = Math.max(1, ...values);
  const width = 96;
  const height = 20;
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values
    .map((v, i) => `${(i * step).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`)
    .join(' ');
  const total = values.reduce((a, b) => a + b, 0);
  return (
    <svg
      class="sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`${label}: ${total} requests in 24 h`}
    >
      <polyline points={points} />
    </svg>
  );
}

const OUTCOME_ORDER = ['verified'];

/** Stacked bars of a usage range, one colour per outcome, with a legend and totals. */
export function UsageChart({ points }: { points: UsagePoint[] }) {
  const outcomes = new Map<string, number>();
  for (const point of points) {
    for (const [outcome, count] of Object.entries(point.outcomes)) {
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + count);
    }
  }
  const names = [...outcomes.keys()].sort(
    (a, b) =>
      (OUTCOME_ORDER.indexOf(b) - OUTCOME_ORDER.indexOf(a)) * 1000 + (a < b ? -1 : a > b ? 1 : 0),
  );
  const max = Math.max(1, ...points.map((p) => p.total));
  const width = 600;
  const height = 140;
  const bar = width / Math.max(1, points.length);
  const total = points.reduce((sum, p) => sum + p.total, 0);
  return (
    <figure class="usage">
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`${total} requests in this range`}
        preserveAspectRatio="none"
      >
        {points.map((point, i) => {
          let y = height;
          return names.map((name) => {
            const count = point.outcomes[name] ?? 0;
            if (count === 0) return null;
            const h = (count / max) * (height - 4);
            y -= h;
            return (
              <rect
                key={`${i}-${name}`}
                class={`o-${name === 'verified' ? 'verified' : `r${names.indexOf(name) % 6}`}`}
                x={i * bar + 0.5}
                y={y}
                width={Math.max(1, bar - 1)}
                height={h}
              >
                <title>{`${point.start}: ${count} ${name}`}</title>
              </rect>
            );
          });
        })}
      </svg>
      <figcaption>
        <table class="outcomes">
          <caption>Requests by outcome</caption>
          <tbody>
            {names.length === 0 ? (
              <tr>
                <td>No requests in this range.</td>
              </tr>
            ) : (
              names.map((name) => (
                <tr key={name}>
                  <td>
                    <span
                      class={`swatch o-${name === 'verified' ? 'verified' : `r${names.indexOf(name) % 6}`}`}
                    />
                    {name}
                  </td>
                  <td class="num" data-outcome={name}>
                    {outcomes.get(name)}
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </figcaption>
    </figure>
  );
}
