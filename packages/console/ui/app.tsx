import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, request, session, whenSignedOut } from './api.js';
import { ErrorBox } from './components.js';
import { AlertsPage } from './pages/alerts.js';
import { AuditPage } from './pages/audit.js';
import { CreatePage } from './pages/create.js';
import { KeyPage } from './pages/key.js';
import { KeysPage } from './pages/keys.js';
import { ReviewPage } from './pages/review.js';
import type { Config } from './types.js';

function route(): string {
  return location.hash.replace(/^#/, '') || '/keys';
}

function SignIn({ onSignedIn, notice }: { onSignedIn: () => void; notice?: string | undefined }) {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const input = form.elements.namedItem('admin-key') as HTMLInputElement;
    const key = input.value.trim();
    setBusy(true);
    setError(undefined);
    try {
      await request('GET', '/session', undefined, key);
      session.set(key);
      input.value = '';
      onSignedIn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="signin">
      <h1>keyward console</h1>
      {notice ? <p class="notice">{notice}</p> : null}
      <form onSubmit={submit}>
        <label for="admin-key">Admin API key</label>
        <input
          id="admin-key"
          ref={input}
          name="admin-key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          required
        />
        <p class="muted">
          A key with the scope <code>keyward:admin</code> (<code>keyward create --admin</code>). It
          stays in this tab's session storage only and is sent as <code>Authorization</code>.
        </p>
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
      <ErrorBox error={error} />
    </main>
  );
}

const NAV = [
  ['/keys', 'Keys'],
  ['/create', 'Create key'],
  ['/alerts', 'Alerts'],
  ['/review', 'Review'],
  ['/audit', 'Audit trail'],
] as const;

export function App() {
  const [signedIn, setSignedIn] = useState(session.get() !== null);
  const [notice, setNotice] = useState<string>();
  const [path, setPath] = useState(route());
  const [config, setConfig] = useState<Config>();
  const [error, setError] = useState<unknown>();
  const main = useRef<HTMLElement>(null);

  useEffect(() => {
    whenSignedOut(() => {
      setNotice('The admin key was refused; sign in again.');
      setSignedIn(false);
    });
    const changed = () => setPath(route());
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  useEffect(() => {
    if (!signedIn) return;
    get<Config>('/config').then(setConfig, (err: unknown) => {
      if (!(err instanceof ApiError && err.status === 401)) setError(err);
    });
  }, [signedIn]);
  useEffect(() => {
    main.current?.querySelector<HTMLElement>('h1')?.focus({ preventScroll: true });
  }, [path]);

  if (!signedIn) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={() => {
          setNotice(undefined);
          setSignedIn(true);
        }}
      />
    );
  }
  const signOut = () => {
    session.clear();
    setConfig(undefined);
    setSignedIn(false);
  };
  let page = <p>Loading…</p>;
  if (config !== undefined) {
    const keyMatch = /^\/keys\/([0-9A-Za-z]+)$/.exec(path);
    if (keyMatch) page = <KeyPage id={keyMatch[1]!} config={config} />;
    else if (path === '/create') page = <CreatePage config={config} />;
    else if (path === '/alerts') page = <AlertsPage />;
    else if (path === '/review') page = <ReviewPage />;
    else if (path === '/audit') page = <AuditPage />;
    else page = <KeysPage config={config} />;
  }
  const section = '/' + (path.split('/')[1] ?? 'keys');
  return (
    <>
      <header class="top">
        <span class="brand">keyward</span>
        <nav aria-label="Console">
          {NAV.map(([href, label]) => (
            <a key={href} href={`#${href}`} aria-current={section === href ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span class="who">
          {config ? (
            <>
              Signed in as <code>{config.admin.id}</code>
            </>
          ) : null}
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </span>
      </header>
      <main id="main" ref={main}>
        <ErrorBox error={error} />
        {page}
      </main>
    </>
  );
}
