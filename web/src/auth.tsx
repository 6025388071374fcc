// Sign-in (password then TOTP, passkey or recovery code; or a passkey alone), second-factor enrolment, and the
// step-up dialog the API client opens when the server answers AUTH_STEP_UP_REQUIRED.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { startAuthentication, startRegistration } from '@simplewebauthn/browser';
import { api, setToken } from './api';
import { Alert, Notice } from './ui';

type LoginAnswer = { token: string; expiresAt: number } | { mfaRequired: true; challenge: string; methods: string[] };

export function SignIn({ onSignedIn, message }: { onSignedIn: () => void; message: string | null }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [challenge, setChallenge] = useState<{ id: string; methods: string[] } | null>(null);
  const [code, setCode] = useState('');
  const [useRecovery, setUseRecovery] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const codeRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (challenge) codeRef.current?.focus();
  }, [challenge, useRecovery]);

  async function attempt(work: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  const submitPassword = (event: FormEvent) => {
    event.preventDefault();
    void attempt(async () => {
      const answer = await api<LoginAnswer>('POST', '/api/v1/auth/login', { username, password });
      if ('token' in answer) {
        setToken(answer.token);
        onSignedIn();
      } else {
        setChallenge({ id: answer.challenge, methods: answer.methods });
        setUseRecovery(false);
      }
    });
  };

  const submitCode = (event: FormEvent) => {
    event.preventDefault();
    if (!challenge) return;
    void attempt(async () => {
      const path = useRecovery ? '/api/v1/auth/mfa/recovery' : '/api/v1/auth/mfa/totp';
      const answer = await api<{ token: string }>('POST', path, { challenge: challenge.id, code: code.trim() });
      setToken(answer.token);
      onSignedIn();
    });
  };

  const secondFactorPasskey = () =>
    attempt(async () => {
      if (!challenge) return;
      const start = await api<{ options: Record<string, unknown> }>('POST', '/api/v1/auth/mfa/webauthn/options', { challenge: challenge.id });
      const response = await startAuthentication({ optionsJSON: start.options as never });
      const answer = await api<{ token: string }>('POST', '/api/v1/auth/mfa/webauthn', { challenge: challenge.id, response });
      setToken(answer.token);
      onSignedIn();
    });

  const passkeyOnly = () =>
    attempt(async () => {
      const start = await api<{ challenge: string; options: Record<string, unknown> }>('POST', '/api/v1/auth/passkey/options');
      const response = await startAuthentication({ optionsJSON: start.options as never });
      const answer = await api<{ token: string }>('POST', '/api/v1/auth/passkey', { challenge: start.challenge, response });
      setToken(answer.token);
      onSignedIn();
    });

  return (
    <main className="signin" id="main">
      <h1>Ward</h1>
      <p className="muted">Privileged access for St. Ward and its clinical systems. Every action here is recorded.</p>
      {message && <Notice>{message}</Notice>}
      <Alert error={error} />
      {!challenge ? (
        <>
          <form onSubmit={submitPassword} aria-label="Sign in with password">
            <label htmlFor="username">Username</label>
            <input id="username" name="username" autoComplete="username webauthn" required value={username} onChange={(e) => setUsername(e.target.value)} />
            <label htmlFor="password">Password</label>
            <input id="password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
            <button type="submit" disabled={busy}>
              Continue
            </button>
          </form>
          <div className="divider">or</div>
          <button type="button" className="secondary" onClick={() => void passkeyOnly()} disabled={busy}>
            Sign in with a passkey
          </button>
        </>
      ) : (
        <>
          <form onSubmit={submitCode} aria-label="Second factor">
            <label htmlFor="code">{useRecovery ? 'Recovery code' : 'Code from your authenticator app'}</label>
            <input
              id="code"
              ref={codeRef}
              name="code"
              autoComplete="one-time-code"
              inputMode={useRecovery ? 'text' : 'numeric'}
              required
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
            <button type="submit" disabled={busy}>
              Verify
            </button>
          </form>
          <div className="row">
            {challenge.methods.includes('webauthn') && (
              <button type="button" className="secondary" onClick={() => void secondFactorPasskey()} disabled={busy}>
                Use my passkey
              </button>
            )}
            {challenge.methods.includes('recovery') && (
              <button type="button" className="link" onClick={() => setUseRecovery(!useRecovery)}>
                {useRecovery ? 'Use an authenticator code' : 'Use a recovery code'}
              </button>
            )}
            <button type="button" className="link" onClick={() => { setChallenge(null); setCode(''); }}>
              Start over
            </button>
          </div>
        </>
      )}
    </main>
  );
}

/** First-time users must enrol a second factor before anything privileged. */
export function Enrol({ onEnrolled, hasFactor }: { onEnrolled: () => void; hasFactor: boolean }) {
  const [totp, setTotp] = useState<{ secret: string; uri: string } | null>(null);
  const [code, setCode] = useState('');
  const [recovery, setRecovery] = useState<string[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);

  async function attempt(work: () => Promise<void>) {
    setError(null);
    try {
      await work();
    } catch (caught) {
      setError(caught);
    }
  }

  return (
    <section aria-labelledby="enrol-title" className="card">
      <h2 id="enrol-title">{hasFactor ? 'Add a second factor' : 'Enrol a second factor'}</h2>
      {!hasFactor && <p>Ward needs a second factor before you can request or approve access (HIPAA 164.312(d)).</p>}
      <Alert error={error} />
      {done && <Notice>{done}</Notice>}
      {recovery && (
        <div className="card">
          <h3>Recovery codes — shown once</h3>
          <p>Store them somewhere safe. Each works once if you lose your device.</p>
          <ul className="codes" aria-label="Recovery codes">
            {recovery.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ul>
          <button type="button" onClick={onEnrolled}>
            I have saved them
          </button>
        </div>
      )}
      {!recovery && (
        <div className="grid2">
          <div>
            <h3>Authenticator app (TOTP)</h3>
            {!totp ? (
              <button type="button" onClick={() => void attempt(async () => setTotp(await api('POST', '/api/v1/me/mfa/totp')))}>
                Set up an authenticator app
              </button>
            ) : (
              <form
                aria-label="Confirm authenticator app"
                onSubmit={(event) => {
                  event.preventDefault();
                  void attempt(async () => {
                    const answer = await api<{ recoveryCodes: string[] | null }>('POST', '/api/v1/me/mfa/totp/confirm', { code: code.trim() });
                    setDone('Authenticator app enrolled.');
                    if (answer.recoveryCodes) setRecovery(answer.recoveryCodes);
                    else onEnrolled();
                  });
                }}
              >
                <p>Add this account to your authenticator app, then type the code it shows.</p>
                <label htmlFor="totp-secret">Secret (type it in if you cannot open the link)</label>
                <input id="totp-secret" readOnly value={totp.secret} className="mono" data-testid="totp-secret" />
                <p>
                  <a href={totp.uri}>Open in authenticator app</a>
                </p>
                <label htmlFor="totp-uri">otpauth URI</label>
                <input id="totp-uri" readOnly value={totp.uri} className="mono" />
                <label htmlFor="totp-code">Code</label>
                <input id="totp-code" inputMode="numeric" autoComplete="one-time-code" required value={code} onChange={(e) => setCode(e.target.value)} />
                <button type="submit">Confirm</button>
              </form>
            )}
          </div>
          <div>
            <h3>Passkey (phishing-resistant, preferred)</h3>
            <button
              type="button"
              onClick={() =>
                void attempt(async () => {
                  const start = await api<{ challenge: string; options: Record<string, unknown> }>('POST', '/api/v1/me/mfa/webauthn/options');
                  const response = await startRegistration({ optionsJSON: start.options as never });
                  const answer = await api<{ recoveryCodes: string[] | null }>('POST', '/api/v1/me/mfa/webauthn', { challenge: start.challenge, response, name: 'Console passkey' });
                  setDone('Passkey registered.');
                  if (answer.recoveryCodes) setRecovery(answer.recoveryCodes);
                  else onEnrolled();
                })
              }
            >
              Register a passkey
            </button>
          </div>
        </div>
      )}
    </section>
  );
}

/** Modal asking for a fresh second factor; resolves true when the session's MFA proof was refreshed. */
export function StepUpDialog({ methods, onDone }: { methods: { totp: boolean; passkey: boolean }; onDone: (ok: boolean) => void }) {
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);
  const dialogRef = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  async function attempt(work: () => Promise<void>) {
    setError(null);
    try {
      await work();
      onDone(true);
    } catch (caught) {
      setError(caught);
    }
  }
  return (
    <dialog ref={dialogRef} aria-labelledby="stepup-title" onCancel={() => onDone(false)}>
      <h2 id="stepup-title">Confirm it is you</h2>
      <p>This action is high-risk. Confirm with your second factor to continue.</p>
      <Alert error={error} />
      {methods.totp && (
        <form
          aria-label="Step-up with authenticator code"
          onSubmit={(event) => {
            event.preventDefault();
            void attempt(async () => {
              await api('POST', '/api/v1/auth/step-up/totp', { code: code.trim() });
            });
          }}
        >
          <label htmlFor="stepup-code">Authenticator code</label>
          <input id="stepup-code" autoFocus inputMode="numeric" autoComplete="one-time-code" required value={code} onChange={(e) => setCode(e.target.value)} />
          <button type="submit">Confirm</button>
        </form>
      )}
      <div className="row">
        {methods.passkey && (
          <button
            type="button"
            className="secondary"
            onClick={() =>
              void attempt(async () => {
                const start = await api<{ challenge: string; options: Record<string, unknown> }>('POST', '/api/v1/auth/step-up/webauthn/options');
                const response = await startAuthentication({ optionsJSON: start.options as never });
                await api('POST', '/api/v1/auth/step-up/webauthn', { challenge: start.challenge, response });
              })
            }
          >
            Use my passkey
          </button>
        )}
        <button type="button" className="link" onClick={() => onDone(false)}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}
