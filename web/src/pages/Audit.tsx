// Audit search: filters, a result table, event details, paging and export (every read is itself audited).
import { useState, type FormEvent } from 'react';
import { api, download, query, purposeOfUse, type AuditRecord } from '../api';
import { Alert, Badge, formatTime, statusTone } from '../ui';

interface Filters {
  actorName: string;
  targetName: string;
  actionPrefix: string;
  outcome: string;
  reasonCode: string;
  from: string;
  to: string;
}

const empty: Filters = { actorName: '', targetName: '', actionPrefix: '', outcome: '', reasonCode: '', from: '', to: '' };

function params(filters: Filters) {
  return {
    ...filters,
    from: filters.from ? new Date(filters.from).toISOString() : '',
    to: filters.to ? new Date(filters.to).toISOString() : '',
  };
}

export function AuditPage() {
  const [filters, setFilters] = useState<Filters>(empty);
  const [items, setItems] = useState<AuditRecord[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [selected, setSelected] = useState<AuditRecord | null>(null);
  const [error, setError] = useState<unknown>(null);

  const search = async (more = false) => {
    setError(null);
    try {
      const page = await api<{ items: AuditRecord[]; nextCursor: string | null }>(
        'GET',
        `/api/v1/audit/events${query({ ...params(filters), limit: 50, cursor: more ? cursor : undefined })}`,
      );
      setItems(more && items ? [...items, ...page.items] : page.items);
      setCursor(page.nextCursor);
      if (!more) setSelected(null);
    } catch (caught) {
      setError(caught);
    }
  };

  const field = (key: keyof Filters) => ({ value: filters[key], onChange: (e: { target: { value: string } }) => setFilters({ ...filters, [key]: e.target.value }) });

  return (
    <>
      <h1>Audit trail</h1>
      <form
        className="filters card"
        aria-label="Audit filters"
        onSubmit={(event: FormEvent) => {
          event.preventDefault();
          void search();
        }}
      >
        <label>
          Who <input {...field('actorName')} placeholder="username" />
        </label>
        <label>
          Target <input {...field('targetName')} placeholder="e.g. ehr-db-01" />
        </label>
        <label>
          Action starts with <input {...field('actionPrefix')} placeholder="e.g. access.breakglass" pattern="[a-z0-9_.]*" />
        </label>
        <label>
          Outcome
          <select {...field('outcome')}>
            <option value="">any</option>
            <option value="success">success</option>
            <option value="failure">failure</option>
            <option value="denied">denied</option>
          </select>
        </label>
        <label>
          Reason
          <select {...field('reasonCode')}>
            <option value="">any</option>
            {purposeOfUse.map((p) => (
              <option key={p.code} value={p.code}>
                {p.code}
              </option>
            ))}
          </select>
        </label>
        <label>
          From <input type="datetime-local" {...field('from')} />
        </label>
        <label>
          To <input type="datetime-local" {...field('to')} />
        </label>
        <div className="row">
          <button type="submit">Search</button>
          <button type="button" className="secondary" onClick={() => download(`/api/v1/audit/events/export${query({ ...params(filters), format: 'csv' })}`, 'ward-audit.csv').catch(setError)}>
            Export CSV
          </button>
          <button type="button" className="secondary" onClick={() => download(`/api/v1/audit/events/export${query({ ...params(filters), format: 'jsonl' })}`, 'ward-audit.jsonl').catch(setError)}>
            Export JSON lines
          </button>
        </div>
      </form>
      <Alert error={error} />
      <div className="split">
        <div>
          {items && items.length === 0 && <p className="muted">No events match.</p>}
          {items && items.length > 0 && (
            <table aria-label="Audit events">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">When</th>
                  <th scope="col">Action</th>
                  <th scope="col">Who</th>
                  <th scope="col">Target</th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {items.map((e) => (
                  <tr key={e.id} aria-selected={selected?.id === e.id}>
                    <td>{e.sequence}</td>
                    <td>{formatTime(e.time)}</td>
                    <td>
                      <button type="button" className="link" onClick={() => setSelected(e)}>
                        {e.action}
                      </button>
                    </td>
                    <td>{e.actor.name ?? e.actor.kind}</td>
                    <td>{e.target?.name ?? '—'}</td>
                    <td>
                      <Badge tone={statusTone(e.outcome)}>{e.outcome}</Badge>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {cursor && (
            <button type="button" className="secondary" onClick={() => void search(true)}>
              Load more
            </button>
          )}
          {!items && <p className="muted">Choose filters and search. Each search is recorded in the trail (DICOM 110101).</p>}
        </div>
        {selected && (
          <aside className="card details" aria-labelledby="event-title">
            <h2 id="event-title">Event {selected.sequence}</h2>
            <dl className="facts">
              <dt>Action</dt>
              <dd>{selected.action}</dd>
              <dt>When</dt>
              <dd>{new Date(selected.time).toISOString()}</dd>
              <dt>Who</dt>
              <dd>
                {selected.actor.name ?? '—'} ({selected.actor.kind}) {selected.actor.address ?? ''}
              </dd>
              <dt>Target</dt>
              <dd>
                {selected.target ? `${selected.target.type} ${selected.target.name ?? selected.target.id ?? ''}` : '—'}
                {selected.target?.account ? ` as ${selected.target.account}` : ''}
              </dd>
              <dt>Why</dt>
              <dd>
                {selected.reasonCode ?? '—'} {selected.ticket ? `· ${selected.ticket}` : ''} {selected.justification ? `· ${selected.justification}` : ''}
              </dd>
              <dt>Node</dt>
              <dd>{selected.nodeId}</dd>
            </dl>
            <h3>Details</h3>
            <pre>{JSON.stringify(selected.details ?? {}, null, 2)}</pre>
            <button type="button" className="link" onClick={() => setSelected(null)}>
              Close details
            </button>
          </aside>
        )}
      </div>
    </>
  );
}
