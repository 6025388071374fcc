// My access: request a target for a time window with a reason code and ticket, follow my requests and grants
// (with time left), and break-glass as a separate emergency action.
import { useMemo, useState, type FormEvent } from 'react';
import { api, purposeOfUse, type AccessRequest, type Account, type Grant, type Me, type Page, type Target } from '../api';
import { Alert, Badge, Notice, formatDuration, formatTime, statusTone, useLoad, useNow } from '../ui';

const durations = [
  { seconds: 1800, label: '30 minutes' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 2 * 3600, label: '2 hours' },
  { seconds: 4 * 3600, label: '4 hours' },
  { seconds: 8 * 3600, label: '8 hours' },
];

export function TargetPicker({ id, value, onChange, canList }: { id: string; value: Target | string; onChange: (t: Target | string) => void; canList: boolean }) {
  const targets = useLoad(async () => (canList ? (await api<Page<Target>>('GET', '/api/v1/targets?limit=500')).items : []), [canList]);
  const [text, setText] = useState(typeof value === 'string' ? value : value.name);
  const matches = useMemo(() => {
    const needle = text.trim().toLowerCase();
    if (!needle || !targets.data) return [];
    return targets.data.filter((t) => [t.name, t.address, ...t.tags].some((f) => f.toLowerCase().includes(needle))).slice(0, 8);
  }, [text, targets.data]);
  const chosen = typeof value === 'string' ? null : value;
  return (
    <div className="picker">
      <input
        id={id}
        role="combobox"
        aria-expanded={matches.length > 0 && !chosen}
        aria-controls={`${id}-list`}
        aria-autocomplete="list"
        autoComplete="off"
        placeholder="Search by name, address or tag"
        required
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          onChange(e.target.value);
        }}
      />
      <Alert error={targets.error} />
      {matches.length > 0 && !chosen && (
        <ul id={`${id}-list`} role="listbox" className="options">
          {matches.map((t) => (
            <li key={t.id} role="option" aria-selected={false}>
              <button
                type="button"
                onClick={() => {
                  setText(t.name);
                  onChange(t);
                }}
              >
                <strong>{t.name}</strong> <span className="muted">{t.address}</span> <Badge tone={t.riskTier === 'critical' || t.riskTier === 'high' ? 'danger' : 'info'}>{t.riskTier}</Badge>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function AccountPicker({ id, target, value, onChange }: { id: string; target: Target | string; value: string; onChange: (v: string) => void }) {
  const accounts = useLoad(async () => (typeof target === 'string' ? [] : (await api<Page<Account>>('GET', `/api/v1/targets/${target.id}/accounts?limit=100`)).items), [target]);
  return (
    <>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">Any / decided by the target</option>
        {(accounts.data ?? []).map((a) => (
          <option key={a.id} value={a.username}>
            {a.username} ({a.privilegeLevel})
          </option>
        ))}
      </select>
      <Alert error={accounts.error} />
    </>
  );
}

export function MyAccess({ me }: { me: Me }) {
  const canList = me.permissions.includes('inventory.read');
  const canBreakglass = me.permissions.includes('access.breakglass');
  const requests = useLoad(() => api<{ items: AccessRequest[] }>('GET', '/api/v1/access/requests?limit=50').then((r) => r.items), []);
  const grants = useLoad(() => api<{ items: Grant[] }>('GET', '/api/v1/access/grants?state=open').then((r) => r.items), []);
  const now = useNow(1000);
  const reload = () => {
    void requests.reload();
    void grants.reload();
  };

  return (
    <>
      <div className="page-head">
        <h1>My access</h1>
        {canBreakglass && (
          <a className="emergency-link" href="#bg-title">
            Emergency access (break-glass) ↓
          </a>
        )}
      </div>
      <RequestForm canList={canList} onDone={reload} />
      <section aria-labelledby="grants-title" className="card">
        <h2 id="grants-title">My grants</h2>
        <Alert error={grants.error} />
        {grants.data && grants.data.length === 0 && <p className="muted">No open grants.</p>}
        {grants.data && grants.data.length > 0 && (
          <table>
            <thead>
              <tr>
                <th scope="col">Target</th>
                <th scope="col">Account</th>
                <th scope="col">State</th>
                <th scope="col">Time left</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {grants.data.map((g) => (
                <tr key={g.id} data-testid="grant-row">
                  <td>
                    {g.targetName} {g.breakglass && <Badge tone="danger">break-glass</Badge>}
                  </td>
                  <td>{g.accountName ?? '—'}</td>
                  <td>
                    <Badge tone={statusTone(g.state)}>{g.state}</Badge>
                  </td>
                  <td>{g.startsAt - now > 30_000 ? `starts ${formatTime(g.startsAt)}` : formatDuration(Math.round((g.endsAt - Math.max(now, g.startsAt)) / 1000))}</td>
                  <td>
                    <ReleaseButton grant={g} onDone={reload} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-labelledby="requests-title" className="card">
        <h2 id="requests-title">My requests</h2>
        <Alert error={requests.error} />
        {requests.data && requests.data.length === 0 && <p className="muted">No requests yet.</p>}
        {requests.data && requests.data.length > 0 && (
          <table>
            <thead>
              <tr>
                <th scope="col">Target</th>
                <th scope="col">Reason</th>
                <th scope="col">Window</th>
                <th scope="col">Status</th>
                <th scope="col">Approvals</th>
              </tr>
            </thead>
            <tbody>
              {requests.data.map((r) => (
                <tr key={r.id} data-testid="request-row">
                  <td>
                    {r.targetName} {r.breakglass && <Badge tone="danger">break-glass</Badge>}
                  </td>
                  <td>
                    {r.reasonCode} {r.ticket && <span className="muted">· {r.ticket}</span>}
                  </td>
                  <td>
                    {formatTime(r.startsAt)} · {formatDuration(r.durationSeconds)}
                  </td>
                  <td>
                    <Badge tone={statusTone(r.status)}>{r.status}</Badge>
                  </td>
                  <td>
                    {r.approvals.filter((a) => a.decision === 'approve' && a.valid).length}/{r.requiredApprovals}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {canBreakglass && <Breakglass canList={canList} onDone={reload} />}
    </>
  );
}

function ReleaseButton({ grant, onDone }: { grant: Grant; onDone: () => void }) {
  const [error, setError] = useState<unknown>(null);
  return (
    <>
      <button
        type="button"
        className="secondary"
        onClick={() =>
          void api('POST', `/api/v1/access/grants/${grant.id}/release`, {})
            .then(onDone)
            .catch(setError)
        }
      >
        End now<span className="sr-only"> ({grant.targetName})</span>
      </button>
      <Alert error={error} />
    </>
  );
}

function RequestForm({ canList, onDone }: { canList: boolean; onDone: () => void }) {
  const [target, setTarget] = useState<Target | string>('');
  const [account, setAccount] = useState('');
  const [startsAt, setStartsAt] = useState('');
  const [duration, setDuration] = useState(3600);
  const [reasonCode, setReasonCode] = useState('HSYSADMIN');
  const [ticket, setTicket] = useState('');
  const [justification, setJustification] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<AccessRequest | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const created = await api<AccessRequest>('POST', '/api/v1/access/requests', {
        target: typeof target === 'string' ? target.trim() : target.id,
        ...(account ? { account } : {}),
        ...(startsAt ? { startsAt: new Date(startsAt).getTime() } : {}),
        durationSeconds: duration,
        reasonCode,
        justification,
        ...(ticket.trim() ? { ticket: ticket.trim() } : {}),
      });
      setResult(created);
      onDone();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="request-title" className="card">
      <h2 id="request-title">Request access</h2>
      <form onSubmit={(e) => void submit(e)} className="form-grid" aria-label="Request access">
        <label htmlFor="req-target">Target</label>
        <TargetPicker id="req-target" value={target} onChange={setTarget} canList={canList} />
        <label htmlFor="req-account">Account</label>
        <AccountPicker id="req-account" target={target} value={account} onChange={setAccount} />
        <label htmlFor="req-start">Start (empty: now)</label>
        <input id="req-start" type="datetime-local" value={startsAt} onChange={(e) => setStartsAt(e.target.value)} />
        <label htmlFor="req-duration">For</label>
        <select id="req-duration" value={duration} onChange={(e) => setDuration(Number(e.target.value))}>
          {durations.map((d) => (
            <option key={d.seconds} value={d.seconds}>
              {d.label}
            </option>
          ))}
        </select>
        <label htmlFor="req-reason">Reason (purpose of use)</label>
        <select id="req-reason" value={reasonCode} onChange={(e) => setReasonCode(e.target.value)}>
          {purposeOfUse
            .filter((p) => p.code !== 'BTG')
            .map((p) => (
              <option key={p.code} value={p.code}>
                {p.label}
              </option>
            ))}
        </select>
        <label htmlFor="req-ticket">Ticket</label>
        <input id="req-ticket" placeholder="e.g. CHG-1234" value={ticket} onChange={(e) => setTicket(e.target.value)} />
        <label htmlFor="req-justification">Justification</label>
        <textarea id="req-justification" rows={2} value={justification} onChange={(e) => setJustification(e.target.value)} />
        <span />
        <button type="submit" disabled={busy}>
          Request access
        </button>
      </form>
      <Alert error={error} />
      {result && (
        <Notice>
          Request for {result.targetName}: <strong>{result.status}</strong>
          {result.status === 'pending' ? ` — needs ${result.requiredApprovals} approval(s).` : result.autoApproved ? ' — approved automatically by policy.' : '.'}
        </Notice>
      )}
    </section>
  );
}

function Breakglass({ canList, onDone }: { canList: boolean; onDone: () => void }) {
  const [open, setOpen] = useState(false);
  const [target, setTarget] = useState<Target | string>('');
  const [reasonCode, setReasonCode] = useState('BTG');
  const [justification, setJustification] = useState('');
  const [confirmed, setConfirmed] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<{ grant: Grant; flagged: boolean } | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      const answer = await api<{ grant: Grant; flagged: boolean }>('POST', '/api/v1/access/breakglass', {
        target: typeof target === 'string' ? target.trim() : target.id,
        reasonCode,
        justification,
      });
      setResult(answer);
      onDone();
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <section aria-labelledby="bg-title" className="card emergency">
      <h2 id="bg-title">Emergency access (break-glass)</h2>
      <p>
        Only when patient care is at risk and no approver can be reached. Access starts at once, is short, alerts security, is recorded, and
        must be reviewed afterwards.
      </p>
      {!open ? (
        <button type="button" className="danger" onClick={() => setOpen(true)}>
          Start emergency access…
        </button>
      ) : (
        <form onSubmit={(e) => void submit(e)} className="form-grid" aria-label="Emergency access">
          <label htmlFor="bg-target">Target</label>
          <TargetPicker id="bg-target" value={target} onChange={setTarget} canList={canList} />
          <label htmlFor="bg-reason">Purpose of use</label>
          <select id="bg-reason" value={reasonCode} onChange={(e) => setReasonCode(e.target.value)}>
            <option value="BTG">BTG — break the glass</option>
            <option value="ETREAT">ETREAT — emergency treatment</option>
            <option value="PATSFTY">PATSFTY — patient safety</option>
          </select>
          <label htmlFor="bg-justification">Justification (required)</label>
          <textarea id="bg-justification" rows={3} required value={justification} onChange={(e) => setJustification(e.target.value)} />
          <span />
          <label className="check">
            <input type="checkbox" checked={confirmed} onChange={(e) => setConfirmed(e.target.checked)} /> I understand this is recorded, alerted and
            reviewed.
          </label>
          <span />
          <div className="row">
            <button type="submit" className="danger" disabled={!confirmed}>
              Break the glass
            </button>
            <button type="button" className="link" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <Alert error={error} />
      {result && (
        <Notice>
          Emergency access to {result.grant.targetName} is active until {formatTime(result.grant.endsAt)}. Security has been alerted.
          {result.flagged && ' Frequent break-glass use was flagged.'}
        </Notice>
      )}
    </section>
  );
}
