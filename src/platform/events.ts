// In-process domain events: services publish facts (grant revoked, user locked), gateways subscribe.
// One node today; the interface is what a PostgreSQL LISTEN/NOTIFY bus would implement for several nodes.

export interface DomainEvents {
  'identity.user.locked': { userId: string; reason: string };
  'identity.user.disabled': { userId: string; reason: string };
  'identity.sessions.revoked': { userId: string; sessionIds: string[] };
  'identity.directory.changed': {};
  'access.grant.ended': { grantId: string; userId: string; reason: 'expired' | 'revoked' | 'inactive' };
  'vault.credential.rotation_due': { accountId: string; secretIds: string[]; reason: 'checked-in' | 'checkout-expired' | 'rotate-after-use' };
  'access.grant.started': { grantId: string; userId: string; targetId: string; accountId: string | null; endsAt: number; breakglass: boolean };
  'access.breakglass.started': { grantId: string; userId: string; targetId: string; flagged: boolean };
  'policy.entities.changed': {};
  'policy.set.applied': { version: number };
}

export type DomainEventName = keyof DomainEvents;
export type Listener<K extends DomainEventName> = (payload: DomainEvents[K]) => void;

export interface EventBus {
  publish<K extends DomainEventName>(name: K, payload: DomainEvents[K]): void;
  subscribe<K extends DomainEventName>(name: K, listener: Listener<K>): () => void;
}

export function createEventBus(onListenerError: (error: unknown) => void = () => {}): EventBus {
  const listeners = new Map<DomainEventName, Set<Listener<DomainEventName>>>();
  return {
    publish(name, payload) {
      for (const listener of listeners.get(name) ?? []) {
        try {
          (listener as Listener<typeof name>)(payload);
        } catch (error) {
          onListenerError(error);
        }
      }
    },
    subscribe(name, listener) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(listener as Listener<DomainEventName>);
      return () => set.delete(listener as Listener<DomainEventName>);
    },
  };
}
