// The policy domain's contracts: the narrow entity source identity and inventory adapt to, the request and
// decision shapes, and the evaluator interface both the compiled and the reference (cedar-wasm) evaluators implement.

/** A person or service as the policy sees it. Groups are transitive (every group the user is in, directly or not). */
export interface PolicyUser {
  id: string;
  username: string;
  kind: 'human' | 'service' | 'vendor';
  department: string;
  /** Role ids. */
  roles: string[];
  /** Group ids, transitive. */
  groups: string[];
  /** Vendor organisation id when kind is 'vendor'. */
  vendorId?: string | undefined;
}

export interface PolicyGroup {
  id: string;
  name: string;
  /** Direct parent group ids (nesting). */
  parents?: string[] | undefined;
}

export interface PolicyRole {
  id: string;
  name: string;
}

export interface PolicyVendor {
  id: string;
  name: string;
  /** Business associate agreement expiry, epoch ms. */
  baaExpiresAt: number;
}

export interface PolicyZone {
  id: string;
  name: string;
  /** enterprise | clinical | medical-device | dmz | … */
  kind: string;
}

export interface PolicyTarget {
  id: string;
  name: string;
  zoneId: string;
  /** 1 (low) … 4 (critical). */
  riskTier: number;
  /** clinical-critical | business-critical | standard */
  criticality: string;
  ephi: boolean;
  tags: string[];
  ownerId?: string | undefined;
}

export interface PolicyAccount {
  id: string;
  targetId: string;
  username: string;
  /** local | domain | database | service */
  kind: string;
  privileged: boolean;
}

/** Everything the policy engine knows about the world, taken at one instant. */
export interface EntitySnapshot {
  users: PolicyUser[];
  groups: PolicyGroup[];
  roles: PolicyRole[];
  vendors: PolicyVendor[];
  zones: PolicyZone[];
  targets: PolicyTarget[];
  accounts: PolicyAccount[];
}

/** Identity and inventory implement this; the engine caches the snapshot and refreshes it when told. */
export interface EntitySource {
  snapshot(): Promise<EntitySnapshot>;
  /** Called when users, groups, roles, vendors, zones, targets or accounts change. Returns an unsubscribe. */
  onChange(listener: () => void): () => void;
}

export type EntityTypeName = 'User' | 'Group' | 'Role' | 'Vendor' | 'Zone' | 'Target' | 'Account' | 'System';

export interface EntityRef {
  type: EntityTypeName;
  id: string;
}

export const wardActions = [
  'connect',
  'request',
  'approve',
  'reveal',
  'breakglass',
  'exec',
  'query',
  'admin.policy',
  'admin.identity',
  'admin.inventory',
  'admin.vault',
  'admin.audit',
] as const;
export type WardAction = (typeof wardActions)[number];

/** Context the caller supplies; time-derived fields (time, hour, shift, afterHours) are filled by the engine. */
export interface RequestContextInput {
  /** Network zone the request comes from: enterprise | clinical | vpn | internet | medical-device … */
  networkZone?: string;
  /** managed | known | unknown */
  deviceTrust?: string;
  onCall?: boolean;
  emergency?: boolean;
  /** Seconds since the caller last proved a second factor; omit when never. */
  mfaAgeSeconds?: number;
  ticket?: string;
  /** HL7 PurposeOfUse code. */
  purposeOfUse?: string;
  /** True when now is inside a maintenance window of the vendor for this target. */
  vendorWindow?: boolean;
  /** For `approve`: who made the request being approved. */
  requesterId?: string;
  /** For `exec`: the command line. */
  command?: string;
  /** Override the engine clock (tests, what-if explain), epoch ms. */
  time?: number;
}

export interface PolicyRequest {
  principal: EntityRef;
  action: WardAction;
  resource: EntityRef;
  context: RequestContextInput;
}

export type Decision = 'allow' | 'deny';

/** A condition that did not hold, in words. */
export interface FailedCondition {
  policyId: string;
  description: string;
  /** Plain-English reading of the failing clause. */
  condition: string;
}

export interface Explanation {
  decision: Decision;
  /** Policies that made the decision: satisfied permits when allowed, satisfied forbids when denied by one. */
  determining: string[];
  /** Plain-English summary. */
  summary: string;
  /** For a default deny: permits whose scope matched the request but whose conditions failed. */
  failed: FailedCondition[];
  /** Descriptions of determining policies, by id. */
  descriptions: Record<string, string>;
  /** Policies that raised an error and so did not apply. */
  errors: { policyId: string; message: string }[];
  /** Policies the compiled evaluator handed to cedar-wasm (unsupported construct). */
  fallbacks: string[];
  /** Which evaluator answered. */
  evaluator: 'compiled' | 'cedar-wasm';
  /** Set when the request was refused before evaluation (unknown entity, missing context field). */
  refusal?: string;
  /** Active policy set version. */
  version: number;
}

/** Raw answer of an evaluator, for the differential comparison. */
export interface EvaluationResult {
  decision: Decision;
  determining: string[];
  errored: string[];
  fallbacks: string[];
}

/** A Cedar request in JSON form, fully resolved (context already completed and checked). */
export interface CedarRequest {
  principal: EntityRef;
  action: string;
  resource: EntityRef;
  context: Record<string, CedarValue>;
}

export type CedarValue =
  | boolean
  | number
  | string
  | CedarValue[]
  | { __entity: { type: string; id: string } }
  | { [key: string]: CedarValue };

export interface Evaluator {
  readonly name: 'compiled' | 'cedar-wasm';
  evaluate(request: CedarRequest): EvaluationResult;
}
