// The console shell: sign-in gate, navigation by permission, idle logoff countdown, and the step-up prompt.
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { api, getToken, lastApiActivity, onActivity, setSignedOutHandler, setStepUpHandler, setToken, type Me } from './api';
import { Enrol, SignIn, StepUpDialog } from './auth';
import { Alert, formatDuration, navigate, useNow, usePath } from './ui';
import { MyAccess } from './pages/MyAccess';
import { Approvals } from './pages/Approvals';
import { AuditPage } from './pages/Audit';
import { InventoryPage } from './pages/Inventory';
import { IdentitiesPage } from './pages/Identities';
import { Dashboard } from './pages/Dashboard';
import { SessionsPage } from './pages/Sessions';

interface NavItem {
  path: string;
  label: string;
  visible: (permissions: Set<string>) => boolean;
  render: (me: Me) => ReactNode;
}

const nav: NavItem[] = [
  { path: '/', label: 'Dashboard', visible: () => true, render: (me) => <Dashboard me={me} /> },
  { path: '/access', label: 'My access', visible: (p) => p.has('access.request'), render: (me) => <MyAccess me={me} /> },
  { path: '/approvals', label: 'Approvals', visible: (p) => p.has('access.approve') || p.has('access.reviews'), render: (me) => <Approvals me={me} /> },
  { path: '/sessions', label: 'Sessions', visible: (p) => p.has('sessions.read') || p.has('recordings.play'), render: (me) => <SessionsPage me={me} /> },
  { path: '/audit', label: 'Audit', visible: (p) => p.has('audit.read'), render: () => <AuditPage /> },
  { path: '/inventory', label: 'Inventory', visible: (p) => p.has('inventory.read'), render: () => <InventoryPage /> },
  { path: '/identities', label: 'Identities', visible: (p) => p.has('identity.users.read'), render: () => <IdentitiesPage /> },
];

export function App() {
  const [me, setMe] = useState<Me | null>(null);
  const [signedOutMessage, setSignedOutMessage] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [stepUp, setStepUp] = useState<((ok: boolean) => void) | null>(null);
  const path = usePath();

  const loadMe = useCallback(async () => {
    if (!getToken()) return setMe(null);
    try {
      setMe(await api<Me>('GET', '/api/v1/me'));
      setError(null);
    } catch (caught) {
      setError(caught);
    }
  }, []);

  useEffect(() => {
    void loadMe();
    setSignedOutHandler((reason) => {
      setMe(null);
      setSignedOutMessage(`You were signed out: ${reason}`);
    });
    setStepUpHandler(() => new Promise<boolean>((resolve) => setStepUp(() => resolve)));
    return () => {
      setSignedOutHandler(null);
      setStepUpHandler(null);
    };
  }, [loadMe]);

  const signOut = useCallback(async (message: string | null) => {
    try {
      await api('POST', '/api/v1/auth/logout');
    } catch {
      // The session may already be gone; signing out locally is what matters.
    }
    setToken(null);
    setMe(null);
    setSignedOutMessage(message);
  }, []);

  if (!me) {
    return (
      <>
        {error ? <Alert error={error} /> : null}
        <SignIn
          message={signedOutMessage}
          onSignedIn={() => {
            setSignedOutMessage(null);
            void loadMe();
          }}
        />
      </>
    );
  }

  const permissions = new Set(me.permissions);
  const visible = nav.filter((item) => item.visible(permissions));
  const current = visible.find((item) => item.path === path) ?? (path === '/enrol' ? null : visible[0]);

  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand" aria-label="Ward">
          Ward
        </span>
        <IdleCountdown me={me} onExpired={() => void signOut('You were signed out after a period of inactivity (automatic logoff).')} />
        <span className="who">
          {me.user.displayName} <span className="muted">({me.user.username})</span>
        </span>
        <button type="button" className="secondary" onClick={() => navigate('/enrol')}>
          Security
        </button>
        <button type="button" className="secondary" onClick={() => void signOut('You signed out.')}>
          Sign out
        </button>
      </header>
      <nav aria-label="Main" className="sidenav">
        <ul>
          {visible.map((item) => (
            <li key={item.path}>
              <a
                href={item.path}
                aria-current={current?.path === item.path ? 'page' : undefined}
                onClick={(event) => {
                  event.preventDefault();
                  navigate(item.path);
                }}
              >
                {item.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {!me.mfa.enrolled || path === '/enrol' ? (
          <Enrol hasFactor={me.mfa.enrolled} onEnrolled={() => { navigate('/'); void loadMe(); }} />
        ) : current ? (
          <div key={current.path}>{current.render(me)}</div>
        ) : (
          <p>Nothing to show for your roles.</p>
        )}
      </main>
      {stepUp && (
        <StepUpDialog
          methods={{ totp: me.mfa.totp, passkey: me.mfa.webauthnCredentials > 0 }}
          onDone={(ok) => {
            stepUp(ok);
            setStepUp(null);
          }}
        />
      )}
    </div>
  );
}

/** HIPAA automatic logoff: counts down the session's idle timeout, warns in the last minute, signs out at zero. */
function IdleCountdown({ me, onExpired }: { me: Me; onExpired: () => void }) {
  const now = useNow(1000);
  // The idle window is what the server had left when /me answered, measured from that call.
  const idleMs = useRef<number | null>(me.credential.idleExpiresAt ? Math.max(0, me.credential.idleExpiresAt - Date.now()) : null);
  const [activity, setActivity] = useState(lastApiActivity());
  useEffect(() => onActivity(() => setActivity(lastApiActivity())) as () => void, []);
  const left = idleMs.current === null ? null : Math.max(0, Math.round((activity + idleMs.current - now) / 1000));
  const expired = useRef(false);
  useEffect(() => {
    if (left === 0 && !expired.current) {
      expired.current = true;
      onExpired();
    }
  }, [left, onExpired]);
  if (left === null) return null;
  const warn = left <= 60;
  return (
    <span className={`idle ${warn ? 'warn' : ''}`} role={warn ? 'alert' : undefined} aria-live={warn ? 'assertive' : 'off'}>
      Idle sign-out in <strong data-testid="idle-countdown">{formatDuration(left)}</strong>
      {warn && (
        <button type="button" onClick={() => void api('GET', '/api/v1/me').catch(() => undefined)}>
          Stay signed in
        </button>
      )}
    </span>
  );
}
