// The registry of live gateway sessions: list, watch, terminate one or all of a user's, and the idle sweep.
// Termination is immediate; the session's own close path audits the end.
import type { Clock } from '../../platform/clock.js';

export interface LiveSessionInfo {
  id: string;
  userId: string;
  username: string;
  target: string;
  account: string;
  zone: string;
  grantId: string | null;
  clientAddress: string;
  startedAt: number;
  lastActivityAt: number;
  channels: string[];
  recordings: string[];
}

export type WatchListener = (event: { code: 'o' | 'i' | 'r'; data: Buffer | string }) => void;

export interface LiveSession {
  readonly info: LiveSessionInfo;
  /** Set on every chunk of traffic; the sweep turns it into lastActivityAt (keeps the data path to one store). */
  active: boolean;
  idleTimeoutMs: number;
  watchers: Set<WatchListener>;
  terminate(reason: string): void;
}

export interface LiveSessions {
  list(): LiveSessionInfo[];
  get(id: string): LiveSessionInfo | undefined;
  /** Ends one session; the user sees the reason. False when no such live session. */
  terminate(id: string, reason: string): boolean;
  /** Ends every live session of a user (lock, leaver, revoked sessions); returns how many. */
  terminateUser(userId: string, reason: string): number;
  /** Ends the sessions a grant authorised. */
  terminateGrant(grantId: string, reason: string): number;
  /** Streams a live session's output (and input, resizes) to the listener until the returned function is called. */
  watch(id: string, listener: WatchListener): () => void;
  /** Ends sessions idle longer than their timeout (called every second by the gateway; tests call it directly). */
  sweepIdle(): number;
}

export interface LiveSessionRegistry extends LiveSessions {
  add(session: LiveSession): void;
  remove(id: string): void;
}

export function createLiveSessionRegistry(clock: Clock): LiveSessionRegistry {
  const sessions = new Map<string, LiveSession>();
  const endWhere = (match: (session: LiveSession) => boolean, reason: string) => {
    let count = 0;
    for (const session of [...sessions.values()]) {
      if (match(session)) {
        session.terminate(reason);
        count += 1;
      }
    }
    return count;
  };
  return {
    add: (session) => void sessions.set(session.info.id, session),
    remove: (id) => void sessions.delete(id),
    list: () => [...sessions.values()].map((session) => ({ ...session.info })),
    get: (id) => {
      const session = sessions.get(id);
      return session ? { ...session.info } : undefined;
    },
    terminate(id, reason) {
      const session = sessions.get(id);
      if (!session) return false;
      session.terminate(reason);
      return true;
    },
    terminateUser: (userId, reason) => endWhere((session) => session.info.userId === userId, reason),
    terminateGrant: (grantId, reason) => endWhere((session) => session.info.grantId === grantId, reason),
    watch(id, listener) {
      const session = sessions.get(id);
      if (!session) return () => {};
      session.watchers.add(listener);
      return () => session.watchers.delete(listener);
    },
    sweepIdle() {
      const now = clock.now();
      return endWhere((session) => {
        if (session.active) {
          session.active = false;
          session.info.lastActivityAt = now;
          return false;
        }
        return session.idleTimeoutMs > 0 && now - session.info.lastActivityAt >= session.idleTimeoutMs;
      }, 'idle timeout (automatic logoff)');
    },
  };
}
