// Approvals inbox: pending requests with their context and approve/deny with a comment; post-break-glass
// reviews with an attestation.
import { useState } from 'react';
import { api, query, type AccessRequest, type AuditRecord, type Me, type Review } from '../api';
import { Alert, Badge, Notice, formatDuration, formatTime, statusTone, useLoad } from '../ui';

export function Approvals({ me }: { me: Me }) {
  const canApprove = me.permissions.includes('access.approve');
  const canReview = me.permissions.includes('access.reviews');
  const canAudit = me.permissions.includes('audit.read');
  const pending = useLoad(() => (canApprove ? api<{ items: AccessRequest[] }>('GET', '/api/v1/access/approvals').then((r) => r.items) : Promise.resolve([])), [canApprove]);
  const reviews = useLoad(() => (canReview ? api<{ items: Review[] }>('GET', '/api/v1/access/reviews?limit=100').then((r) => r.items.filter((x) => x.status !== 'completed')) : Promise.resolve([])), [canReview]);
  return (
    <>
      <h1>Approvals</h1>
      {canApprove && (
        <section aria-labelledby="pending-title">
          <h2 id="pending-title">Waiting for a decision</h2>
          <Alert error={pending.error} />
          {pending.data?.length === 0 && <p className="muted">Nothing waiting for you.</p>}
          {pending.data?.map((r) => <PendingCard key={r.id} request={r} canAudit={canAudit} />)}
        </section>
      )}
      {canReview && (
        <section aria-labelledby="reviews-title">
          <h2 id="reviews-title">Break-glass reviews</h2>
          <Alert error={reviews.error} />
          {reviews.data?.length === 0 && <p className="muted">No open reviews.</p>}
          {reviews.data?.map((r) => <ReviewCard key={r.id} review={r} />)}
        </section>
      )}
    </>
  );
}

function PendingCard({ request: r, canAudit }: { request: AccessRequest; canAudit: boolean }) {
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [decided, setDecided] = useState<AccessRequest | null>(null);
  const recent = useLoad(
    () => (canAudit ? api<{ items: AuditRecord[] }>('GET', `/api/v1/audit/events${query({ actor: r.requesterId, limit: 5 })}`).then((x) => x.items) : Promise.resolve(null)),
    [canAudit, r.requesterId],
  );
  const decide = async (decision: 'approve' | 'deny') => {
    setError(null);
    try {
      // The card stays with its outcome until the next visit; the list is not reloaded under the reader's eyes.
      setDecided(await api<AccessRequest>('POST', `/api/v1/access/approvals/${r.id}/${decision}`, note.trim() ? { note: note.trim() } : {}));
    } catch (caught) {
      setError(caught);
    }
  };
  const titleId = `req-${r.id}`;
  return (
    <article className="card" aria-labelledby={titleId} data-testid="approval-card">
      <h3 id={titleId}>
        {r.requesterName} → {r.targetName}
        {r.accountName ? ` as ${r.accountName}` : ''} <Badge tone={r.riskTier === 'critical' || r.riskTier === 'high' ? 'danger' : 'info'}>risk {r.riskTier}</Badge>
      </h3>
      <dl className="facts">
        <dt>Why</dt>
        <dd>
          {r.reasonCode} — {r.justification || <span className="muted">no justification</span>}
        </dd>
        <dt>Ticket</dt>
        <dd>{r.ticket ?? '—'}</dd>
        <dt>Window</dt>
        <dd>
          {formatTime(r.startsAt)} for {formatDuration(r.durationSeconds)}
        </dd>
        <dt>Approvals</dt>
        <dd>
          {r.approvals.filter((a) => a.decision === 'approve' && a.valid).length} of {r.requiredApprovals}
          {r.requireOwnerOrManager && ' (one must be the owner or manager)'}
          {r.approvals.map((a) => (
            <div key={a.approverId + a.at} className="muted">
              {a.approverName}: {a.decision} {a.note ? `— ${a.note}` : ''}
            </div>
          ))}
        </dd>
        <dt>Requested</dt>
        <dd>{formatTime(r.createdAt)}</dd>
        {canAudit && (
          <>
            <dt>Recent activity</dt>
            <dd>
              <Alert error={recent.error} />
              {recent.data?.length === 0 && <span className="muted">none</span>}
              <ul className="plain">
                {recent.data?.map((e) => (
                  <li key={e.id}>
                    {formatTime(e.time)} · {e.action} · <Badge tone={statusTone(e.outcome)}>{e.outcome}</Badge>
                  </li>
                ))}
              </ul>
            </dd>
          </>
        )}
      </dl>
      {decided ? (
        <Notice>
          Decision recorded: request is now <strong>{decided.status}</strong>.
        </Notice>
      ) : (
        <div className="decide">
          <label htmlFor={`note-${r.id}`}>Comment</label>
          <input id={`note-${r.id}`} value={note} onChange={(e) => setNote(e.target.value)} />
          <button type="button" onClick={() => void decide('approve')}>
            Approve
          </button>
          <button type="button" className="danger" onClick={() => void decide('deny')}>
            Deny
          </button>
        </div>
      )}
      <Alert error={error} />
    </article>
  );
}

function ReviewCard({ review: r }: { review: Review }) {
  const [outcome, setOutcome] = useState<'appropriate' | 'inappropriate'>('appropriate');
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const overdue = r.dueAt < Date.now();
  return (
    <article className="card" aria-labelledby={`rev-${r.id}`} data-testid="review-card">
      <h3 id={`rev-${r.id}`}>
        {r.username} broke the glass on {r.targetName} {overdue && <Badge tone="danger">overdue</Badge>} {r.flagged && <Badge tone="warn">frequent use</Badge>}
      </h3>
      <p>
        Status <Badge tone={statusTone(r.status)}>{r.status}</Badge> · due {formatTime(r.dueAt)}
      </p>
      {done ? (
        <Notice>Attestation recorded.</Notice>
      ) : (
        <form
          aria-label={`Attest break-glass by ${r.username}`}
          onSubmit={(event) => {
            event.preventDefault();
            setError(null);
            api('POST', `/api/v1/access/reviews/${r.id}`, { outcome, ...(note.trim() ? { note: note.trim() } : {}) })
              .then(() => setDone(true))
              .catch(setError);
          }}
        >
          <fieldset>
            <legend>Was this emergency access appropriate?</legend>
            <label className="check">
              <input type="radio" name={`outcome-${r.id}`} checked={outcome === 'appropriate'} onChange={() => setOutcome('appropriate')} /> Appropriate
            </label>
            <label className="check">
              <input type="radio" name={`outcome-${r.id}`} checked={outcome === 'inappropriate'} onChange={() => setOutcome('inappropriate')} /> Inappropriate
            </label>
          </fieldset>
          <label htmlFor={`rnote-${r.id}`}>Attestation note</label>
          <textarea id={`rnote-${r.id}`} rows={2} value={note} onChange={(e) => setNote(e.target.value)} />
          <button type="submit">Record attestation</button>
        </form>
      )}
      <Alert error={error} />
    </article>
  );
}
