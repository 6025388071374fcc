// The one error type Ward raises on purpose, and the table of every stable error code.
// HTTP status comes from the code, so routes never pick statuses by hand; docs/errors.md is generated from this table.

export const errorCodes = {
  // request shape
  VALIDATION_FAILED: { status: 400, summary: 'The request does not match the schema.' },
  MALFORMED_JSON: { status: 400, summary: 'The body is not valid JSON.' },
  BODY_TOO_LARGE: { status: 413, summary: 'The body is larger than the configured limit.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, summary: 'The content type is not accepted.' },
  NOT_FOUND: { status: 404, summary: 'No such resource or route.' },
  METHOD_NOT_ALLOWED: { status: 405, summary: 'The route exists but not with this method.' },
  CONFLICT: { status: 409, summary: 'The change conflicts with the current state.' },
  // authentication
  AUTH_REQUIRED: { status: 401, summary: 'No valid credential was presented.' },
  AUTH_INVALID_CREDENTIALS: { status: 401, summary: 'Username or password is wrong.' },
  AUTH_TOKEN_EXPIRED: { status: 401, summary: 'The token has expired (idle or absolute limit) or was revoked.' },
  AUTH_ACCOUNT_LOCKED: { status: 423, summary: 'The account is locked after repeated failures or by an administrator.' },
  AUTH_ACCOUNT_DISABLED: { status: 403, summary: 'The account is disabled, expired or a leaver.' },
  AUTH_THROTTLED: { status: 429, summary: 'Too many attempts; retry after the indicated delay.' },
  AUTH_MFA_INVALID: { status: 401, summary: 'The second factor was wrong, expired or already used.' },
  AUTH_MFA_CHALLENGE_INVALID: { status: 401, summary: 'The login challenge is unknown, used or expired.' },
  AUTH_MFA_ENROLMENT_REQUIRED: { status: 403, summary: 'Enrol a second factor before doing anything privileged.' },
  AUTH_STEP_UP_REQUIRED: { status: 401, summary: 'This action needs a fresh MFA proof.' },
  AUTH_MFA_FATIGUE: { status: 429, summary: 'Too many MFA prompts in a short time; wait before trying again.' },
  PASSWORD_TOO_WEAK: { status: 422, summary: 'The password is too easy to guess.' },
  // authorisation
  PERMISSION_DENIED: { status: 403, summary: 'The caller lacks the permission the route declares.' },
  POLICY_DENIED: { status: 403, summary: 'Policy denied the action; the message says which rule.' },
  // identity
  USERNAME_TAKEN: { status: 409, summary: 'A user with this username (ignoring case and Unicode form) exists.' },
  NAME_TAKEN: { status: 409, summary: 'The name is already in use.' },
  // audit
  AUDIT_UNAVAILABLE: { status: 503, summary: 'The audit trail cannot be written; privileged actions fail closed.' },
  // vault and keys
  KEY_UNAVAILABLE: { status: 503, summary: 'The key-encryption key cannot be used (missing key file, locked HSM).' },
  DECRYPTION_FAILED: { status: 500, summary: 'Ciphertext failed authentication; it was corrupted or tampered with.' },
  SECRET_TOO_LARGE: { status: 413, summary: 'The secret exceeds the maximum size.' },
  CHECKED_OUT: { status: 409, summary: 'The credential is checked out by someone else.' },
  BACKUP_INVALID: { status: 400, summary: 'The backup is truncated, tampered with or for another key.' },
  // policy
  POLICY_INVALID: { status: 422, summary: 'The policy set does not parse or does not validate against the schema.' },
  // access
  REQUEST_INVALID: { status: 422, summary: 'The access request breaks a rule (window, duration, ticket, target).' },
  REQUEST_NOT_PENDING: { status: 409, summary: 'The request was already decided, cancelled or expired.' },
  SEPARATION_OF_DUTIES: { status: 403, summary: 'Separation of duties forbids this approval.' },
  // platform
  SERVICE_UNAVAILABLE: { status: 503, summary: 'A dependency (database, key provider) is not reachable.' },
  INTERNAL: { status: 500, summary: 'An unexpected error; the request id in the logs identifies it.' },
} as const satisfies Record<string, { status: number; summary: string }>;

export type ErrorCode = keyof typeof errorCodes;

export class WardError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Safe, secret-free facts for the client (e.g. retryAfterSeconds). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message ?? errorCodes[code].summary, options);
    this.name = 'WardError';
    this.code = code;
    this.status = errorCodes[code].status;
    this.details = details;
  }
}

export function isWardError(error: unknown, code?: ErrorCode): error is WardError {
  return error instanceof WardError && (code === undefined || error.code === code);
}
