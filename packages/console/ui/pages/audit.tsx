import { useEffect, useState } from 'preact/hooks';
import { get, query } from '../api.js';
import { ErrorBox } from '../components.js';
import type { AuditEntry, Page } from '../types.js';
import { AuditTable } from './key.js';

export function AuditPage() {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<Page<AuditEntry>>();
  const [error, setError] = useState<unknown>();
  const cursor = cursors[cursors.length - 1];
  useEffect(() => {
    setError(undefined);
    get<Page<AuditEntry>>(`/audit${query({ cursor, limit: 100 })}`).then(setPage, setError);
  }, [cursor, cursors.length]);
  return (
    <>
      <h1 tabIndex={-1}>Audit trail</h1>
      <ErrorBox error={error} />
      {page ? <AuditTable items={page.items} showKey /> : null}
      <nav class="pager" aria-label="Pages">
        <button
          type="button"
          disabled={cursors.length <= 1}
          onClick={() => setCursors(cursors.slice(0, -1))}
        >
          Previous page
        </button>
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
