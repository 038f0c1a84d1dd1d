import { useEffect, useState } from 'preact/hooks';
import { get, query } from '../api.js';
import { ErrorBox, Sparkline, StatusBadge } from '../components.js';
import { ago } from '../format.js';
import { formText } from '../key-form.js';
import { type Config, type KeyInfo, type Page, statusOf } from '../types.js';

interface Filters {
  search: string;
  ownerId: string;
  environment: string;
  type: string;
  status: string;
}

const NO_FILTERS: Filters = { search: '', ownerId: '', environment: '', type: '', status: '' };
const PAGE_SIZE = 50;
/** Kept across visits to a key and back within this tab. */
let remembered: { filters: Filters; cursors: (string | undefined)[] } = {
  filters: NO_FILTERS,
  cursors: [undefined],
};

/** An uncontrolled select whose initial choice is `value` ('' reads "any"). */
function Select(props: { label: string; name: string; value: string; options: string[] }) {
  return (
    <label>
      {props.label}
      <select name={props.name}>
        {props.options.map((option) => (
          <option key={option} value={option} selected={option === props.value}>
            {option === '' ? 'any' : option}
          </option>
        ))}
      </select>
    </label>
  );
}

export function KeysPage({ config }: { config: Config }) {
  const [filters, setFilters] = useState<Filters>(remembered.filters);
  const [cursors, setCursors] = useState<(string | undefined)[]>(remembered.cursors);
  const [page, setPage] = useState<Page<KeyInfo>>();
  const [sparks, setSparks] = useState<Record<string, number[]>>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    remembered = { filters, cursors };
    let live = true;
    setLoading(true);
    setError(undefined);
    get<Page<KeyInfo>>(`/keys${query({ ...filters, limit: PAGE_SIZE, cursor })}`)
      .then((result) => {
        if (!live) return;
        setPage(result);
        setSparks(undefined);
        setLoading(false);
        if (result.items.length === 0) return;
        const ids = result.items.map((key) => key.id).join(',');
        return get<{ series: Record<string, number[]> }>(`/sparklines${query({ ids })}`).then(
          (s) => live && setSparks(s.series),
          () => live && setSparks({}),
        );
      })
      .catch((err: unknown) => {
        if (!live) return;
        setError(err);
        setLoading(false);
      });
    return () => {
      live = false;
    };
  }, [filters, cursor, cursors.length]);

  const submit = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const read = (name: string) => formText(form, name);
    setFilters({
      search: read('search'),
      ownerId: read('ownerId'),
      environment: read('environment'),
      type: read('type'),
      status: read('status'),
    });
    setCursors([undefined]);
  };

  return (
    <>
      <h1 tabIndex={-1}>Keys</h1>
      <form class="filters" onSubmit={submit} aria-label="Filter keys">
        <label>
          Search
          <input
            name="search"
            type="search"
            placeholder="name or id"
            defaultValue={filters.search}
          />
        </label>
        <label>
          Owner
          <input name="ownerId" defaultValue={filters.ownerId} placeholder="owner id" />
        </label>
        <Select
          label="Environment"
          name="environment"
          value={filters.environment}
          options={['', ...config.environments]}
        />
        <Select
          label="Type"
          name="type"
          value={filters.type}
          options={['', 'secret', 'publishable']}
        />
        <Select
          label="Status"
          name="status"
          value={filters.status}
          options={['', 'active', 'disabled', 'revoked', 'expired']}
        />
        <button type="submit">Filter</button>
      </form>
      <ErrorBox error={error} />
      <table class="keys" aria-busy={loading}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Id</th>
            <th scope="col">Owner</th>
            <th scope="col">Env</th>
            <th scope="col">Type</th>
            <th scope="col">Status</th>
            <th scope="col">Last used</th>
            <th scope="col">24 h</th>
          </tr>
        </thead>
        <tbody>
          {page?.items.map((key) => (
            <tr key={key.id} data-key-id={key.id}>
              <td>
                <a href={`#/keys/${key.id}`}>{key.name}</a>
              </td>
              <td>
                <code>{key.id}</code>
              </td>
              <td>{key.ownerId ?? '—'}</td>
              <td>{key.environment}</td>
              <td>{key.type ?? 'secret'}</td>
              <td>
                <StatusBadge status={statusOf(key)} />
              </td>
              <td title={key.lastUsedAt}>{ago(key.lastUsedAt)}</td>
              <td>
                {sparks === undefined ? (
                  <span class="muted">…</span>
                ) : (
                  <Sparkline values={sparks[key.id]} label={key.name} />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {page && page.items.length === 0 ? <p>No keys match.</p> : null}
      <nav class="pager" aria-label="Pages">
        <button
          type="button"
          disabled={cursors.length <= 1}
          onClick={() => setCursors(cursors.slice(0, -1))}
        >
          Previous page
        </button>
        <span class="muted">Page {cursors.length}</span>
        <button
          type="button"
          disabled={page?.cursor === undefined}
          onClick={() => setCursors([...cursors, page?.cursor])}
        >
          Next page
        </button>
      </nav>
    </>
  );
}
