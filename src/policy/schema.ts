// Ward's Cedar schema: the entity types and actions policies are written against, and the typed request context.
// Every policy set is validated against this text (strict mode) before it can become active.

export const wardSchemaText = `
entity Group in [Group] { name: String };
entity Role { name: String };
entity Vendor { name: String, baaExpiresAt: Long };
entity User in [Group, Role] {
  username: String,
  kind: String,
  department: String,
  vendor?: Vendor,
};
entity Zone { name: String, kind: String };
entity Target in [Zone] {
  name: String,
  zone: Zone,
  riskTier: Long,
  criticality: String,
  ephi: Bool,
  tags: Set<String>,
  owner?: User,
};
entity Account in [Target] {
  username: String,
  target: Target,
  kind: String,
  privileged: Bool,
};
entity System;

type RequestContext = {
  time: Long,
  hour: Long,
  weekday: Long,
  shift: String,
  afterHours: Bool,
  networkZone: String,
  deviceTrust: String,
  onCall: Bool,
  emergency: Bool,
  mfaAgeSeconds: Long,
  riskTier: Long,
  vendorWindow: Bool,
  ticket?: String,
  purposeOfUse?: String,
  command?: String,
};

type ApprovalContext = {
  time: Long,
  hour: Long,
  weekday: Long,
  shift: String,
  afterHours: Bool,
  networkZone: String,
  deviceTrust: String,
  onCall: Bool,
  emergency: Bool,
  mfaAgeSeconds: Long,
  riskTier: Long,
  vendorWindow: Bool,
  ticket?: String,
  purposeOfUse?: String,
  command?: String,
  requester: User,
};

action session;
action admin;
action connect, exec, query in [session] appliesTo { principal: User, resource: [Target, Account], context: RequestContext };
action request, breakglass appliesTo { principal: User, resource: [Target, Account], context: RequestContext };
action reveal appliesTo { principal: User, resource: [Account], context: RequestContext };
action approve appliesTo { principal: User, resource: [Target, Account], context: ApprovalContext };
action "admin.policy", "admin.identity", "admin.inventory", "admin.vault", "admin.audit" in [admin]
  appliesTo { principal: User, resource: [System], context: RequestContext };
`;

/** Action groups (Cedar action hierarchy), mirrored for the compiled evaluator and request building. */
export const actionParents: Record<string, string[]> = {
  connect: ['session'],
  exec: ['session'],
  query: ['session'],
  'admin.policy': ['admin'],
  'admin.identity': ['admin'],
  'admin.inventory': ['admin'],
  'admin.vault': ['admin'],
  'admin.audit': ['admin'],
};

/** Context fields the caller must provide (the engine fills time, hour, weekday, shift, afterHours, riskTier). */
export const requiredContextFields = ['networkZone', 'deviceTrust', 'onCall', 'emergency', 'vendorWindow'] as const;

/** The single System entity admin actions apply to. */
export const systemEntity = { type: 'System', id: 'ward' } as const;

/** Hospital day shift: 07:00–19:00 on weekdays; anything else is after hours. */
export const dayShift = { startHour: 7, endHour: 19 };
