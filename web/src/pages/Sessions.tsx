// Placeholder until the SSH gateway (live sessions, recordings) is merged and its /api/v1 routes are known.
export function SessionsPlaceholder() {
  return (
    <>
      <h1>Sessions and recordings</h1>
      <div className="card" role="note">
        <p>
          <strong>Not available yet.</strong> Live sessions (watch, terminate, lock a user everywhere) and recording playback arrive with the SSH
          gateway. This page will list them as soon as the gateway's API is part of this Ward.
        </p>
      </div>
    </>
  );
}
