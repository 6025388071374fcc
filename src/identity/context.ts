// What every part of the identity service shares: its dependencies, audit helpers and change notification.
import type { Kysely } from 'kysely';
import type { Database } from '../platform/database/index.js';
import type { AuditActor, AuditDetails, AuditLog, AuditOutcome, AuditTarget } from '../audit/types.js';
import type { Clock } from '../platform/clock.js';
import type { EventBus } from '../platform/events.js';
import type { AuthSettings } from '../platform/config.js';
import type { Actor } from './types.js';

export interface IdentityDeps {
  db: Kysely<Database>;
  audit: AuditLog;
  clock: Clock;
  events: EventBus;
  settings: AuthSettings;
  webauthn: { rpId: string; rpName: string; origins: string[] };
  /**
   * 32-byte key sealing TOTP secrets at rest (AES-256-GCM). The composition root derives it from the local key
   * file; without one, secrets are stored unsealed and a warning belongs in the deployment notes.
   */
  factorKey?: Uint8Array | undefined;
  /** argon2 cost override (tests and benches may lower it; production keeps the OWASP defaults). */
  passwordHashing?: { memoryCost: number; timeCost: number } | undefined;
}

export interface IdentityContext extends IdentityDeps {
  /** Marks the directory stale and tells subscribers (the policy engine) that identities changed. */
  directoryChanged(): void;
  record(event: {
    action: string;
    outcome?: AuditOutcome;
    actor: Actor;
    target?: AuditTarget;
    details?: AuditDetails;
    sessionId?: string;
  }): Promise<void>;
}

export function auditActor(actor: Actor): AuditActor {
  const principal = actor.principal;
  if (principal) {
    return {
      id: principal.userId,
      kind: principal.kind === 'human' ? 'user' : principal.kind,
      name: principal.username,
      address: actor.address,
      device: actor.userAgent,
    };
  }
  if (actor.system) return { kind: 'system', name: actor.system, address: actor.address };
  return { kind: 'anonymous', address: actor.address, device: actor.userAgent };
}

export function createContext(deps: IdentityDeps, onChange: () => void): IdentityContext {
  return {
    ...deps,
    directoryChanged() {
      onChange();
      deps.events.publish('identity.directory.changed', {});
    },
    async record(event) {
      await deps.audit.append({
        action: event.action,
        outcome: event.outcome ?? 'success',
        actor: auditActor(event.actor),
        target: event.target,
        details: event.details,
        sessionId: event.sessionId ?? (event.actor.principal?.credential.kind === 'session' ? event.actor.principal.credential.id : undefined),
      });
    },
  };
}
