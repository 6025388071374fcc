// Sessions: live SSH gateway sessions (watch, terminate, lock the user everywhere) and sealed recordings (search by
// user, target and time; play back in asciinema-player). Every refusal from the API is shown as a readable alert.
import { useCallback, useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { api, query, type LiveSession, type Me, type RecordingSummary } from '../api';
import { playRecording, watchLive, type Player } from '../player';
import { Alert, Badge, Notice, formatDuration, formatTime, useLoad, useNow } from '../ui';

const REFRESH_MS = 3000;

export function SessionsPage({ me }: { me: Me }) {
  const can = (permission: string) => me.permissions.includes(permission);
  return (
    <>
      <h1>Sessions and recordings</h1>
      {can('sessions.read') && <LiveSessions canWatch={can('sessions.watch')} canTerminate={can('sessions.terminate')} canLock={can('identity.users.write') && can('sessions.terminate')} />}
      {can('sessions.read') ? (
        <Recordings canPlay={can('recordings.play')} />
      ) : (
        <p className="muted">Finding recordings needs the sessions.read permission; ask for a session id to play one.</p>
      )}
    </>
  );
}

/**
 * A modal dialog (native <dialog>: focus stays inside, Escape cancels) that gives focus back to its opener, or to the
 * section heading when the opener's row is gone (the session it named has ended).
 */
function ConfirmDialog({ id, title, children, confirmLabel, onConfirm, onClose }: { id: string; title: string; children: ReactNode; confirmLabel: string; onConfirm: (reason: string) => Promise<void>; onClose: () => void }) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    const dialog = dialogRef.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => {
      if (opener?.isConnected) opener.focus();
      else document.getElementById('live-title')?.focus();
    };
  }, []);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onConfirm(reason.trim());
      onClose();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }
  return (
    <dialog ref={dialogRef} aria-labelledby={`${id}-title`} aria-describedby={`${id}-text`} onCancel={onClose}>
      <h2 id={`${id}-title`}>{title}</h2>
      <div id={`${id}-text`}>{children}</div>
      <Alert error={error} />
      <form onSubmit={(event) => void submit(event)}>
        <label htmlFor={`${id}-reason`}>Reason (the user sees it; it goes into the audit trail)</label>
        <textarea id={`${id}-reason`} autoFocus required maxLength={200} rows={2} value={reason} onChange={(e) => setReason(e.target.value)} />
        <div className="row">
          <button type="submit" className="danger" disabled={busy || !reason.trim()}>
            {confirmLabel}
          </button>
          <button type="button" className="link" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}

type Pending = { kind: 'terminate'; session: LiveSession } | { kind: 'lock'; session: LiveSession };

function LiveSessions({ canWatch, canTerminate, canLock }: { canWatch: boolean; canTerminate: boolean; canLock: boolean }) {
  const live = useLoad(() => api<{ items: LiveSession[] }>('GET', '/api/v1/gateway/ssh/sessions').then((r) => r.items), []);
  const now = useNow(1000);
  const [watching, setWatching] = useState<LiveSession | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const { reload } = live;
  useEffect(() => {
    const timer = setInterval(() => void reload(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);
  const sessions = live.data ?? [];
  return (
    <section aria-labelledby="live-title">
      <h2 id="live-title" tabIndex={-1}>
        Live sessions
      </h2>
      <p className="muted small">Refreshes every {REFRESH_MS / 1000} seconds.</p>
      <Alert error={live.error} />
      {done && <Notice>{done}</Notice>}
      {live.data && sessions.length === 0 && <p className="muted">No live sessions.</p>}
      {sessions.length > 0 && (
        <table aria-label="Live sessions">
          <thead>
            <tr>
              <th scope="col">Who</th>
              <th scope="col">Target</th>
              <th scope="col">Account</th>
              <th scope="col">Zone</th>
              <th scope="col">Since</th>
              <th scope="col">Last activity</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((s) => (
              <tr key={s.id} data-testid="live-session" aria-selected={watching?.id === s.id}>
                <td>
                  <strong>{s.username}</strong>
                  <div className="muted small">{s.clientAddress}</div>
                </td>
                <td className="mono">{s.target}</td>
                <td className="mono">{s.account}</td>
                <td>{s.zone}</td>
                <td>
                  {formatTime(s.startedAt)}
                  <div className="muted small">{formatDuration(Math.round((now - s.startedAt) / 1000))}</div>
                </td>
                <td>{formatDuration(Math.max(0, Math.round((now - s.lastActivityAt) / 1000)))} ago</td>
                <td>
                  <div className="row">
                    {canWatch && (
                      <button type="button" className="secondary" aria-label={`Watch ${s.username} on ${s.target}`} onClick={() => setWatching(s)}>
                        Watch
                      </button>
                    )}
                    {canTerminate && (
                      <button type="button" className="danger" aria-label={`Terminate ${s.username} on ${s.target}`} onClick={() => setPending({ kind: 'terminate', session: s })}>
                        Terminate
                      </button>
                    )}
                    {canLock && (
                      <button type="button" className="danger" aria-label={`Lock ${s.username} everywhere`} onClick={() => setPending({ kind: 'lock', session: s })}>
                        Lock user everywhere
                      </button>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {watching && <LiveView key={watching.id} session={watching} onClose={() => setWatching(null)} />}
      {pending?.kind === 'terminate' && (
        <ConfirmDialog
          id="terminate"
          title={`Terminate ${pending.session.username} on ${pending.session.target}?`}
          confirmLabel="Terminate session"
          onClose={() => setPending(null)}
          onConfirm={async (reason) => {
            await api('POST', `/api/v1/gateway/ssh/sessions/${pending.session.id}/terminate`, { reason });
            setDone(`Session of ${pending.session.username} on ${pending.session.target} terminated.`);
            await reload();
          }}
        >
          <p>The connection ends now; {pending.session.username} sees the reason. The recording so far is kept.</p>
        </ConfirmDialog>
      )}
      {pending?.kind === 'lock' && (
        <ConfirmDialog
          id="lock"
          title={`Lock ${pending.session.username} everywhere?`}
          confirmLabel="Lock user everywhere"
          onClose={() => setPending(null)}
          onConfirm={async (reason) => {
            const { userId, username } = pending.session;
            // Disabling the Ward user ends their console sessions and API tokens, and (through the identity event
            // the gateway subscribes to) their live gateway sessions; the explicit terminate is audited with the reason.
            await api('POST', `/api/v1/users/${userId}/disable`, { reason });
            const ended = await api<{ terminated: number }>('POST', `/api/v1/gateway/ssh/users/${userId}/terminate`, { reason });
            setDone(`${username} is locked: the Ward account is disabled and every live session has ended${ended.terminated ? ` (${ended.terminated} ended here)` : ''}.`);
            await reload();
          }}
        >
          <p>
            Disables the Ward account of <strong>{pending.session.username}</strong> (no sign-in, no new sessions, API tokens end) and ends all of their
            live sessions on every target. An administrator can enable the account again.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function LiveView({ session, onClose }: { session: LiveSession; onClose: () => void }) {
  const container = useRef<HTMLDivElement>(null);
  const [ended, setEnded] = useState<string | null>(null);
  useEffect(() => {
    if (!container.current) return;
    let player: Player | null = watchLive(session.id, container.current, (message) => setEnded(message));
    return () => {
      player?.dispose();
      player = null;
    };
  }, [session.id]);
  return (
    <section className="card player-card" aria-labelledby="watch-title">
      <div className="page-head">
        <h3 id="watch-title">
          Watching {session.username} on {session.target} <span className="muted">({session.account})</span>
        </h3>
        <button type="button" className="secondary" onClick={onClose}>
          Stop watching
        </button>
      </div>
      {ended ? <Notice>Stream ended: {ended}</Notice> : <p className="muted small" role="status">Live. Keystrokes are not shown, only what the terminal displays.</p>}
      <div ref={container} data-testid="live-player" className="player" />
    </section>
  );
}

interface RecordingFilters {
  user: string;
  target: string;
  from: string;
  to: string;
}

function Recordings({ canPlay }: { canPlay: boolean }) {
  const [filters, setFilters] = useState<RecordingFilters>({ user: '', target: '', from: '', to: '' });
  const [items, setItems] = useState<RecordingSummary[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [playing, setPlaying] = useState<RecordingSummary | null>(null);
  const search = useCallback(async (current: RecordingFilters) => {
    setError(null);
    try {
      const params = {
        user: current.user.trim(),
        target: current.target.trim(),
        from: current.from ? new Date(current.from).getTime() : undefined,
        to: current.to ? new Date(current.to).getTime() : undefined,
        limit: 100,
      };
      setItems((await api<{ items: RecordingSummary[] }>('GET', `/api/v1/recordings${query(params)}`)).items);
    } catch (caught) {
      setError(caught);
    }
  }, []);
  useEffect(() => {
    void search({ user: '', target: '', from: '', to: '' });
  }, [search]);
  const field = (name: keyof RecordingFilters) => ({ name, value: filters[name], onChange: (e: { target: { value: string } }) => setFilters({ ...filters, [name]: e.target.value }) });
  return (
    <section aria-labelledby="recordings-title">
      <h2 id="recordings-title">Recordings</h2>
      <form
        className="filters card"
        aria-label="Search recordings"
        onSubmit={(event) => {
          event.preventDefault();
          void search(filters);
        }}
      >
        <label>
          User <input {...field('user')} placeholder="username" />
        </label>
        <label>
          Target <input {...field('target')} placeholder="e.g. ehr-db-01" />
        </label>
        <label>
          From <input type="datetime-local" {...field('from')} />
        </label>
        <label>
          To <input type="datetime-local" {...field('to')} />
        </label>
        <div className="row">
          <button type="submit">Search recordings</button>
        </div>
      </form>
      <Alert error={error} />
      {items && items.length === 0 && <p className="muted">No recordings match.</p>}
      {items && items.length > 0 && (
        <table aria-label="Recordings">
          <thead>
            <tr>
              <th scope="col">Who</th>
              <th scope="col">Target</th>
              <th scope="col">Account</th>
              <th scope="col">Started</th>
              <th scope="col">Ended</th>
              <th scope="col">Size</th>
              <th scope="col">SHA-256</th>
              {canPlay && <th scope="col">Play</th>}
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <tr key={r.id} data-testid="recording-row" aria-selected={playing?.id === r.id}>
                <td>{r.user ?? '—'}</td>
                <td className="mono">{r.target ?? '—'}</td>
                <td className="mono">{r.account ?? '—'}</td>
                <td>{formatTime(r.startedAt)}</td>
                <td>{formatTime(r.endedAt)}</td>
                <td>
                  {r.bytes === null ? '—' : `${(r.bytes / 1024).toFixed(1)} KB`} {r.channel && <Badge>{r.channel}</Badge>}
                </td>
                <td className="mono small" title={r.sha256 ?? undefined}>
                  {r.sha256 ? `${r.sha256.slice(0, 12)}…` : '—'}
                </td>
                {canPlay && (
                  <td>
                    <button type="button" className="secondary" aria-label={`Play recording of ${r.user ?? 'unknown'} on ${r.target ?? 'unknown'} ended ${formatTime(r.endedAt)}`} onClick={() => setPlaying(r)}>
                      Play
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {playing && <Playback key={playing.id} recording={playing} onClose={() => setPlaying(null)} />}
    </section>
  );
}

function Playback({ recording, onClose }: { recording: RecordingSummary; onClose: () => void }) {
  const container = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let player: Player | null = null;
    let cancelled = false;
    if (container.current) {
      playRecording(recording.id, container.current).then(
        (made) => (cancelled ? made.dispose() : (player = made)),
        (caught: unknown) => !cancelled && setError(caught),
      );
    }
    return () => {
      cancelled = true;
      player?.dispose();
    };
  }, [recording.id]);
  return (
    <section className="card player-card" aria-labelledby="playback-title">
      <div className="page-head">
        <h3 id="playback-title">
          Recording of {recording.user ?? '—'} on {recording.target ?? '—'} <span className="muted">({formatTime(recording.endedAt)})</span>
        </h3>
        <button type="button" className="secondary" onClick={onClose}>
          Close player
        </button>
      </div>
      <Alert error={error} />
      <div ref={container} data-testid="recording-player" className="player" />
    </section>
  );
}
