// Entity sources: the adapter the composition root uses (a snapshot function plus the domain event bus) and a
// mutable in-memory source for tests and benchmarks.
import type { EventBus } from '../platform/events.js';
import type { EntitySnapshot, EntitySource } from './types.js';

/** Snapshot from the given loader; changes arrive as `policy.entities.changed` on the bus. */
export function createBusEntitySource(load: () => Promise<EntitySnapshot>, bus: EventBus): EntitySource {
  return {
    snapshot: load,
    onChange: (listener) => bus.subscribe('policy.entities.changed', () => listener()),
  };
}

export interface MemoryEntitySource extends EntitySource {
  /** Replaces the snapshot and notifies listeners. */
  set(snapshot: EntitySnapshot): void;
  update(change: (snapshot: EntitySnapshot) => void): void;
}

export function createMemoryEntitySource(initial: EntitySnapshot): MemoryEntitySource {
  let snapshot = structuredClone(initial);
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((listener) => listener());
  return {
    snapshot: async () => structuredClone(snapshot),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(next) {
      snapshot = structuredClone(next);
      notify();
    },
    update(change) {
      change(snapshot);
      notify();
    },
  };
}

export const emptySnapshot = (): EntitySnapshot => ({ users: [], groups: [], roles: [], vendors: [], zones: [], targets: [], accounts: [] });
