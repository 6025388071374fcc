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
  /** The client's terminal size (latest pty request or window change); null before any pty. */
  terminal: { cols: number; rows: number } | null;
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
  /**
   * Streams a live session's output (and input, resizes) to the listener until the returned function is called.
   * `onEnd` hears once, with the reason, that the session is gone (at once when there is no such live session), so
   * a watcher's stream can close instead of waiting on a session that will never speak again.
   */
  watch(id: string, listener: WatchListener, onEnd?: (reason: string) => void): () => void;
  /** Ends sessions idle longer than their timeout (called every second by the gateway; tests call it directly). */
  sweepIdle(): number;
}

export interface LiveSessionRegistry extends LiveSessions {
  add(session: LiveSession): void;
  remove(id: string): void;
}

export function createLiveSessionRegistry(clock: Clock): LiveSessionRegistry {
  const sessions = new Map<string, LiveSession>();
  const endListeners = new Map<string, Set<(reason: string) => void>>();
  // Why a session was ended from here, for its watchers; a session that ends by itself (logout, network) has none.
  const endReasons = new Map<string, string>();
  const end = (session: LiveSession, reason: string) => {
    if (!endReasons.has(session.info.id)) endReasons.set(session.info.id, reason);
    session.terminate(reason);
  };
  const endWhere = (match: (session: LiveSession) => boolean, reason: string) => {
    let count = 0;
    for (const session of [...sessions.values()]) {
      if (match(session)) {
        end(session, reason);
        count += 1;
      }
    }
    return count;
  };
  return {
    add: (session) => void sessions.set(session.info.id, session),
    remove(id) {
      sessions.delete(id);
      const reason = endReasons.get(id) ?? 'session ended';
      endReasons.delete(id);
      const listeners = endListeners.get(id);
      endListeners.delete(id);
      for (const listener of listeners ?? []) listener(reason);
    },
    list: () => [...sessions.values()].map((session) => ({ ...session.info })),
    get: (id) => {
      const session = sessions.get(id);
      return session ? { ...session.info } : undefined;
    },
    terminate(id, reason) {
      const session = sessions.get(id);
      if (!session) return false;
      end(session, reason);
      return true;
    },
    terminateUser: (userId, reason) => endWhere((session) => session.info.userId === userId, reason),
    terminateGrant: (grantId, reason) => endWhere((session) => session.info.grantId === grantId, reason),
    watch(id, listener, onEnd) {
      const session = sessions.get(id);
      if (!session) {
        if (onEnd) queueMicrotask(() => onEnd('no such live session'));
        return () => {};
      }
      session.watchers.add(listener);
      let listeners = endListeners.get(id);
      if (onEnd) {
        if (!listeners) endListeners.set(id, (listeners = new Set()));
        listeners.add(onEnd);
      }
      return () => {
        session.watchers.delete(listener);
        if (onEnd) listeners?.delete(onEnd);
      };
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
