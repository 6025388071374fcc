// Who is acting, as the domains hand it to the audit trail: a person, a service, a vendor or Ward itself.
// (Identity's own `Actor` is different: the HTTP principal and request context it derives this from.)

export interface Actor {
  id?: string | undefined;
  kind: 'user' | 'service' | 'vendor' | 'system';
  name?: string | undefined;
  address?: string | undefined;
}

/** An actor whose id and name are known: the vault always records exactly who used a secret. */
export type NamedActor = Actor & { id: string; name: string };
