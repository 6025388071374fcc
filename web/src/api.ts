// The console's only way to the server: JSON calls to /api/v1 with the session token, every failure turned into an
// ApiError with a readable message, and a one-time retry after a step-up prompt when the API asks for one.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'ward.token';
let token: string | null = sessionStorage.getItem(TOKEN_KEY);
let lastActivity = Date.now();
const listeners = new Set<() => void>();
let stepUpHandler: (() => Promise<boolean>) | null = null;
let signedOutHandler: ((reason: string) => void) | null = null;

export function getToken() {
  return token;
}
export function setToken(value: string | null) {
  token = value;
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
  lastActivity = Date.now();
  listeners.forEach((l) => l());
}
/** When the server last saw this session (each authenticated call refreshes its idle timer). */
export function lastApiActivity() {
  return lastActivity;
}
export function onActivity(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
export function setStepUpHandler(handler: (() => Promise<boolean>) | null) {
  stepUpHandler = handler;
}
export function setSignedOutHandler(handler: ((reason: string) => void) | null) {
  signedOutHandler = handler;
}

function describe(status: number, body: unknown): ApiError {
  const error = (body as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | null)?.error;
  if (error?.code) return new ApiError(status, error.code, error.message || error.code, error.details);
  if (status === 0) return new ApiError(0, 'NETWORK', 'Ward could not be reached. Check the network and try again.');
  return new ApiError(status, 'HTTP_' + status, `The server answered ${status} without an explanation.`);
}

export async function api<T = unknown>(method: string, path: string, body?: unknown, options: { retried?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw describe(0, null);
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (token && response.status !== 401) {
    lastActivity = Date.now();
    listeners.forEach((l) => l());
  }
  if (response.ok) return parsed as T;
  const error = describe(response.status, parsed);
  if (error.code === 'AUTH_STEP_UP_REQUIRED' && !options.retried && stepUpHandler) {
    if (await stepUpHandler()) return api<T>(method, path, body, { retried: true });
  }
  if ((error.code === 'AUTH_REQUIRED' || error.code === 'AUTH_TOKEN_EXPIRED') && token && !path.startsWith('/api/v1/auth/')) {
    setToken(null);
    signedOutHandler?.(error.message);
  }
  throw error;
}

/** Fetches a file (e.g. an audit export) with the session token and hands it to the browser as a download. */
export async function download(path: string, filename: string) {
  const response = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!response.ok) {
    let body: unknown = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    throw describe(response.status, body);
  }
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function query(params: Record<string, string | number | undefined | null>) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

// ---- API shapes the console reads (mirrors of the route schemas) ---------------------------------------------

export interface Me {
  user: { id: string; username: string; displayName: string; kind: string; department: string | null };
  groups: { id: string; name: string }[];
  roles: { id: string; name: string; expiresAt: number | null }[];
  permissions: string[];
  mfa: { enrolled: boolean; totp: boolean; webauthnCredentials: number; recoveryCodesLeft: number; verifiedAt: number | null };
  credential: { kind: 'session' | 'api-token'; id: string; expiresAt: number; idleExpiresAt: number | null };
}

export interface AccessRequest {
  id: string;
  requesterId: string;
  requesterName: string;
  targetId: string;
  targetName: string;
  zoneId: string;
  riskTier: string;
  accountId: string | null;
  accountName: string | null;
  reasonCode: string;
  justification: string;
  ticket: string | null;
  startsAt: number;
  durationSeconds: number;
  status: string;
  requiredApprovals: number;
  requireOwnerOrManager: boolean;
  approvals: { approverId: string; approverName: string; decision: string; note: string | null; at: number; valid: boolean }[];
  autoApproved: boolean;
  onCall: boolean;
  breakglass: boolean;
  policyIds: string[];
  grantId: string | null;
  createdAt: number;
  decidedAt: number | null;
}

export interface Grant {
  id: string;
  requestId: string;
  userId: string;
  username: string;
  targetId: string;
  targetName: string;
  zoneId: string;
  accountId: string | null;
  accountName: string | null;
  startsAt: number;
  endsAt: number;
  idleDeadlineAt: number;
  breakglass: boolean;
  state: string;
  endedAt: number | null;
  endReason: string | null;
  createdAt: number;
}

export interface Review {
  id: string;
  grantId: string;
  requestId: string;
  userId: string;
  username: string;
  targetName: string;
  status: string;
  dueAt: number;
  escalatedAt: number | null;
  outcome: string | null;
  note: string | null;
  completedBy: string | null;
  completedAt: number | null;
  flagged: boolean;
  createdAt: number;
}

export interface Zone {
  id: string;
  name: string;
  description: string;
  gatewayIds: string[];
}

export interface Target {
  id: string;
  name: string;
  address: string;
  protocols: string[];
  zoneId: string;
  ownerUserId: string | null;
  criticality: string;
  ephiSensitivity: string;
  riskTier: string;
  tags: string[];
}

export interface Account {
  id: string;
  targetId: string;
  username: string;
  kind: string;
  privilegeLevel: string;
  ownerUserId: string | null;
  managed: boolean;
}

export interface AuditRecord {
  id: string;
  sequence: number;
  time: number;
  nodeId: string;
  action: string;
  outcome: string;
  actor: { id?: string; kind: string; name?: string; address?: string; device?: string };
  target?: { type: string; id?: string; name?: string; system?: string; account?: string };
  reasonCode?: string;
  ticket?: string;
  justification?: string;
  sessionId?: string;
  policyIds?: string[];
  details?: Record<string, unknown>;
}

export interface Metrics {
  medianSecondsRequestToGrant: number | null;
  meanSecondsToRevokeAfterExpiry: number | null;
  jitShare: number | null;
  standingAdminCount: number;
  breakglassCount: number;
  overdueReviews: number;
  activeGrants: number;
  pendingRequests: number;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** HL7 v3 PurposeOfUse codes Ward accepts as reason codes (src/audit/types.ts). */
export const purposeOfUse: { code: string; label: string }[] = [
  { code: 'HSYSADMIN', label: 'HSYSADMIN — health system administration' },
  { code: 'TREAT', label: 'TREAT — treatment' },
  { code: 'ETREAT', label: 'ETREAT — emergency treatment' },
  { code: 'BTG', label: 'BTG — break the glass' },
  { code: 'HOPERAT', label: 'HOPERAT — healthcare operations' },
  { code: 'PATSFTY', label: 'PATSFTY — patient safety' },
  { code: 'HOUTCOMS', label: 'HOUTCOMS — health outcome measure' },
  { code: 'HRESCH', label: 'HRESCH — healthcare research' },
  { code: 'HMARKT', label: 'HMARKT — healthcare marketing' },
  { code: 'HPAYMT', label: 'HPAYMT — healthcare payment' },
  { code: 'HLEGAL', label: 'HLEGAL — legal' },
  { code: 'HCOMPL', label: 'HCOMPL — compliance' },
  { code: 'HQUALIMP', label: 'HQUALIMP — quality improvement' },
  { code: 'SYSDEV', label: 'SYSDEV — system development' },
  { code: 'HACCRED', label: 'HACCRED — accreditation' },
];

export interface LiveSession {
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

export interface RecordingSummary {
  id: string;
  sessionId: string;
  userId: string | null;
  user: string | null;
  target: string | null;
  account: string | null;
  zone: string | null;
  channel: string | null;
  startedAt: number | null;
  endedAt: number;
  bytes: number | null;
  events: number | null;
  sha256: string | null;
}
