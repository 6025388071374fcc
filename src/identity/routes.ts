// HTTP routes of the identity domain under /api/v1: sign-in and MFA, the caller's own sessions, factors and tokens,
// and administration of users, groups, roles, role assignments, sessions and lockouts. Every route declares its access.
import { Type, type TSchema } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { RouteModule, WardApp } from '../server/http/types.js';
import { IdParams, Ok, Page, PageQuery } from '../server/http/schemas.js';
import { WardError } from '../platform/errors.js';
import type { IdentityService } from './identity.js';
import type { Actor, User } from './types.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const strict = { additionalProperties: false } as const;

const Username = Type.String({ minLength: 1, maxLength: 256 });
const Password = Type.String({ minLength: 1, maxLength: 1024 });
const Code = Type.String({ minLength: 1, maxLength: 64 });
const Challenge = Type.String({ minLength: 1, maxLength: 128 });
const Kind = Type.Union([Type.Literal('human'), Type.Literal('service'), Type.Literal('vendor')]);
const MemberType = Type.Union([Type.Literal('user'), Type.Literal('group')]);
const Millis = Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000 });
const Name = Type.String({ minLength: 1, maxLength: 200 });
const Description = Type.String({ maxLength: 1000 });
const PermissionList = Type.Array(Type.String({ maxLength: 100 }), { maxItems: 200 });

/** A browser's PublicKeyCredential as JSON (what @simplewebauthn/browser produces); its inner `response` is the authenticator's. */
const WebauthnResponse = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 1024 }),
    rawId: Type.String({ minLength: 1, maxLength: 1024 }),
    type: Type.Literal('public-key'),
    response: Type.Record(Type.String(), Type.Unknown()),
    clientExtensionResults: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    authenticatorAttachment: Type.Optional(Type.String({ maxLength: 50 })),
  },
  strict,
);
/** PublicKeyCredential{Creation,Request}OptionsJSON, passed straight to navigator.credentials. */
const WebauthnOptions = Type.Record(Type.String(), Type.Unknown());

const UserView = Type.Object({
  id: Type.String(),
  username: Type.String(),
  displayName: Type.String(),
  email: Nullable(Type.String()),
  kind: Kind,
  department: Nullable(Type.String()),
  managerId: Nullable(Type.String()),
  status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
  expiresAt: Nullable(Type.Number()),
  createdAt: Type.Number(),
  updatedAt: Type.Number(),
});
const GroupView = Type.Object({ id: Type.String(), name: Type.String(), description: Type.String(), createdAt: Type.Number(), updatedAt: Type.Number() });
const MemberView = Type.Object({ type: MemberType, id: Type.String() });
const RoleView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  permissions: Type.Array(Type.String()),
  idleTimeoutSeconds: Nullable(Type.Number()),
  createdAt: Type.Number(),
  updatedAt: Type.Number(),
});
const AssignmentView = Type.Object({ id: Type.String(), roleId: Type.String(), subjectType: MemberType, subjectId: Type.String(), expiresAt: Nullable(Type.Number()), createdAt: Type.Number() });
const SessionView = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  createdAt: Type.Number(),
  lastSeenAt: Type.Number(),
  expiresAt: Type.Number(),
  idleExpiresAt: Type.Number(),
  mfaVerifiedAt: Nullable(Type.Number()),
  address: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
  current: Type.Boolean(),
});
const TokenView = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  name: Type.String(),
  scopes: Type.Array(Type.String()),
  createdAt: Type.Number(),
  expiresAt: Type.Number(),
  revokedAt: Nullable(Type.Number()),
  lastUsedAt: Nullable(Type.Number()),
});
const TokenResult = Type.Object({ token: Type.String(), expiresAt: Type.Number() });
const ChallengeOptions = Type.Object({ challenge: Type.String(), options: WebauthnOptions });
const StepUpResult = Type.Object({ mfaVerifiedAt: Type.Number() });
const RecoveryCodes = Type.Object({ recoveryCodes: Nullable(Type.Array(Type.String())) });
const MfaStateView = Type.Object({ enrolled: Type.Boolean(), totp: Type.Boolean(), webauthnCredentials: Type.Number(), recoveryCodesLeft: Type.Number() });

const MemberParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), type: MemberType, memberId: Type.String({ minLength: 1, maxLength: 64 }) }, strict);

function actorOf(request: FastifyRequest): Actor {
  return { principal: request.principal, address: request.ip, userAgent: request.headers['user-agent'] };
}

function principalOf(request: FastifyRequest) {
  if (!request.principal) throw new WardError('AUTH_REQUIRED');
  return request.principal;
}

const SshKeyView = Type.Object(
  { id: Type.String(), algorithm: Type.String(), fingerprint: Type.String(), comment: Type.String(), createdAt: Millis, lastUsedAt: Nullable(Millis) },
  strict,
);

const userView = (user: User) => user;

/** Lets callers omit an all-optional body entirely (no content-type, no payload). */
async function optionalBody(request: FastifyRequest) {
  request.body ??= {};
}

export function identityRoutes(service: IdentityService): RouteModule {
  return (app: WardApp) => {
    // ---- sign-in ------------------------------------------------------------------------------------------------
    app.post(
      '/api/v1/auth/login',
      {
        config: { access: 'public' },
        schema: {
          tags: ['auth'],
          summary: 'Sign in with username and password; answers with a token or an MFA challenge',
          body: Type.Object({ username: Username, password: Password }, strict),
          response: {
            200: Type.Union([
              TokenResult,
              Type.Object({ mfaRequired: Type.Literal(true), challenge: Type.String(), methods: Type.Array(Type.String()) }),
            ]),
          },
        },
      },
      async (request) => service.login(request.body, actorOf(request)),
    );
    app.post(
      '/api/v1/auth/mfa/totp',
      { config: { access: 'public' }, schema: { tags: ['auth'], summary: 'Answer a login challenge with a TOTP code', body: Type.Object({ challenge: Challenge, code: Code }, strict), response: { 200: TokenResult } } },
      async (request) => service.verifyTotpChallenge(request.body.challenge, request.body.code, actorOf(request)),
    );
    app.post(
      '/api/v1/auth/mfa/webauthn/options',
      { config: { access: 'public' }, schema: { tags: ['auth'], summary: 'Passkey options for a login challenge', body: Type.Object({ challenge: Challenge }, strict), response: { 200: Type.Object({ options: WebauthnOptions }) } } },
      async (request) => service.webauthnChallengeOptions(request.body.challenge, actorOf(request)) as Promise<{ options: Record<string, unknown> }>,
    );
    app.post(
      '/api/v1/auth/mfa/webauthn',
      { config: { access: 'public' }, schema: { tags: ['auth'], summary: 'Answer a login challenge with a passkey', body: Type.Object({ challenge: Challenge, response: WebauthnResponse }, strict), response: { 200: TokenResult } } },
      async (request) => service.verifyWebauthnChallenge(request.body.challenge, request.body.response, actorOf(request)),
    );
    app.post(
      '/api/v1/auth/mfa/recovery',
      { config: { access: 'public' }, schema: { tags: ['auth'], summary: 'Answer a login challenge with a one-time recovery code', body: Type.Object({ challenge: Challenge, code: Code }, strict), response: { 200: TokenResult } } },
      async (request) => service.verifyRecoveryChallenge(request.body.challenge, request.body.code, actorOf(request)),
    );
    app.post(
      '/api/v1/auth/passkey/options',
      { config: { access: 'public' }, schema: { tags: ['auth'], summary: 'Start a passkey-only sign-in (discoverable credential)', response: { 200: ChallengeOptions } } },
      async (request) => service.passkeyOptions(actorOf(request)) as Promise<{ challenge: string; options: Record<string, unknown> }>,
    );
    app.post(
      '/api/v1/auth/passkey',
      { config: { access: 'public' }, schema: { tags: ['auth'], summary: 'Finish a passkey-only sign-in', body: Type.Object({ challenge: Challenge, response: WebauthnResponse }, strict), response: { 200: TokenResult } } },
      async (request) => service.passkeyLogin(request.body.challenge, request.body.response, actorOf(request)),
    );
    app.post(
      '/api/v1/auth/logout',
      { config: { access: 'authenticated' }, schema: { tags: ['auth'], summary: 'End the current session', response: { 200: Ok } } },
      async (request) => {
        await service.logout(principalOf(request), actorOf(request));
        return { ok: true as const };
      },
    );

    // ---- step-up --------------------------------------------------------------------------------------------------
    app.post(
      '/api/v1/auth/step-up/totp',
      { config: { access: 'authenticated' }, schema: { tags: ['auth'], summary: 'Refresh this session’s MFA proof with a TOTP code', body: Type.Object({ code: Code }, strict), response: { 200: StepUpResult } } },
      async (request) => service.stepUpTotp(principalOf(request), request.body.code, actorOf(request)),
    );
    app.post(
      '/api/v1/auth/step-up/webauthn/options',
      { config: { access: 'authenticated' }, schema: { tags: ['auth'], summary: 'Passkey options to refresh this session’s MFA proof', response: { 200: ChallengeOptions } } },
      async (request) => service.stepUpWebauthnOptions(principalOf(request), actorOf(request)) as Promise<{ challenge: string; options: Record<string, unknown> }>,
    );
    app.post(
      '/api/v1/auth/step-up/webauthn',
      { config: { access: 'authenticated' }, schema: { tags: ['auth'], summary: 'Refresh this session’s MFA proof with a passkey', body: Type.Object({ challenge: Challenge, response: WebauthnResponse }, strict), response: { 200: StepUpResult } } },
      async (request) => service.stepUpWebauthn(principalOf(request), request.body.challenge, request.body.response, actorOf(request)),
    );

    // ---- me -----------------------------------------------------------------------------------------------------
    app.get(
      '/api/v1/me',
      {
        config: { access: 'authenticated' },
        schema: {
          tags: ['me'],
          summary: 'The signed-in identity: user, roles, permissions, MFA state and credential expiry',
          response: {
            200: Type.Object({
              user: UserView,
              groups: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })),
              roles: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), expiresAt: Nullable(Type.Number()) })),
              permissions: Type.Array(Type.String()),
              mfa: Type.Object({ ...MfaStateView.properties, verifiedAt: Nullable(Type.Number()) }),
              credential: Type.Object({ kind: Type.Union([Type.Literal('session'), Type.Literal('api-token')]), id: Type.String(), expiresAt: Type.Number(), idleExpiresAt: Nullable(Type.Number()) }),
            }),
          },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const [user, access, mfa, expiry] = await Promise.all([
          service.getUser(principal.userId),
          service.effectiveAccess(principal.userId),
          service.mfaState(principal.userId),
          service.credentialExpiry(principal),
        ]);
        return {
          user: userView(user),
          groups: access?.user.groups ?? [],
          roles: access?.user.roles ?? [],
          permissions: [...principal.permissions].sort(),
          mfa: { ...mfa, verifiedAt: principal.mfaVerifiedAt },
          credential: { kind: principal.credential.kind, id: principal.credential.id, ...expiry },
        };
      },
    );
    app.post(
      '/api/v1/me/mfa/totp',
      { config: { access: 'authenticated' }, schema: { tags: ['me'], summary: 'Start TOTP enrolment: the secret and otpauth URI are shown once', response: { 200: Type.Object({ secret: Type.String(), uri: Type.String() }) } } },
      async (request) => service.enrolTotp(principalOf(request), actorOf(request)),
    );
    app.post(
      '/api/v1/me/mfa/totp/confirm',
      { config: { access: 'authenticated' }, schema: { tags: ['me'], summary: 'Confirm TOTP enrolment with a current code; first enrolment returns recovery codes once', body: Type.Object({ code: Code }, strict), response: { 200: RecoveryCodes } } },
      async (request) => service.confirmTotp(principalOf(request), request.body.code, actorOf(request)),
    );
    app.post(
      '/api/v1/me/mfa/webauthn/options',
      { config: { access: 'authenticated' }, schema: { tags: ['me'], summary: 'Options to register a passkey', response: { 200: ChallengeOptions } } },
      async (request) => service.webauthnRegistrationOptions(principalOf(request), actorOf(request)) as Promise<{ challenge: string; options: Record<string, unknown> }>,
    );
    app.post(
      '/api/v1/me/mfa/webauthn',
      {
        config: { access: 'authenticated' },
        schema: {
          tags: ['me'],
          summary: 'Register a passkey; first enrolment returns recovery codes once',
          body: Type.Object({ challenge: Challenge, response: WebauthnResponse, name: Type.Optional(Type.String({ maxLength: 100 })) }, strict),
          response: { 200: Type.Object({ credentialId: Type.String(), recoveryCodes: Nullable(Type.Array(Type.String())) }) },
        },
      },
      async (request) => service.registerWebauthn(principalOf(request), request.body, actorOf(request)),
    );
    app.get(
      '/api/v1/me/mfa/webauthn',
      { config: { access: 'authenticated' }, schema: { tags: ['me'], summary: 'My registered passkeys', response: { 200: Type.Object({ items: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), createdAt: Type.Number(), lastUsedAt: Nullable(Type.Number()) })) }) } } },
      async (request) => ({ items: await service.listPasskeys(principalOf(request).userId) }),
    );
    app.delete(
      '/api/v1/me/mfa/webauthn/:id',
      { config: { access: 'authenticated' }, schema: { tags: ['me'], summary: 'Remove one of my passkeys (needs a fresh MFA proof)', params: IdParams, response: { 200: Ok } } },
      async (request) => {
        await service.removePasskey(principalOf(request), request.params.id, actorOf(request));
        return { ok: true as const };
      },
    );
    app.post(
      '/api/v1/me/mfa/recovery-codes',
      { config: { access: 'authenticated' }, schema: { tags: ['me'], summary: 'Replace all recovery codes (needs a fresh MFA proof); shown once', response: { 200: Type.Object({ recoveryCodes: Type.Array(Type.String()) }) } } },
      async (request) => ({ recoveryCodes: await service.regenerateRecoveryCodes(principalOf(request), actorOf(request)) }),
    );
    app.post(
      '/api/v1/me/password',
      {
        config: { access: 'authenticated' },
        schema: { tags: ['me'], summary: 'Change my password (strength-checked); my other sessions end', body: Type.Object({ currentPassword: Password, newPassword: Password }, strict), response: { 200: Ok } },
      },
      async (request) => {
        await service.changeOwnPassword(principalOf(request), request.body, actorOf(request));
        return { ok: true as const };
      },
    );
    app.get(
      '/api/v1/me/sessions',
      { config: { access: 'authenticated' }, schema: { tags: ['me'], summary: 'My live sessions', response: { 200: Type.Object({ items: Type.Array(SessionView) }) } } },
      async (request) => {
        const principal = principalOf(request);
        return { items: await service.listSessions(principal.userId, principal.credential.id) };
      },
    );
    app.delete(
      '/api/v1/me/sessions/:id',
      { config: { access: 'authenticated' }, schema: { tags: ['me'], summary: 'End one of my sessions', params: IdParams, response: { 200: Ok } } },
      async (request) => {
        await service.revokeSession(request.params.id, actorOf(request), { ownerId: principalOf(request).userId });
        return { ok: true as const };
      },
    );
    app.post(
      '/api/v1/me/sessions/revoke-others',
      { config: { access: 'authenticated' }, schema: { tags: ['me'], summary: 'End all my other sessions', response: { 200: Type.Object({ revoked: Type.Number() }) } } },
      async (request) => {
        const principal = principalOf(request);
        const except = principal.credential.kind === 'session' ? principal.credential.id : undefined;
        return { revoked: await service.revokeAllSessions(principal.userId, actorOf(request), { exceptSessionId: except }) };
      },
    );
    app.get(
      '/api/v1/me/tokens',
      { config: { access: 'authenticated' }, schema: { tags: ['me'], summary: 'My API tokens (never their values)', response: { 200: Type.Object({ items: Type.Array(TokenView) }) } } },
      async (request) => ({ items: await service.listApiTokens(principalOf(request).userId) }),
    );
    app.post(
      '/api/v1/me/tokens',
      {
        config: { access: 'authenticated' },
        schema: {
          tags: ['me'],
          summary: 'Create a scoped, expiring API token (needs a fresh MFA proof); the value is shown once',
          body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }), scopes: Type.Array(Type.String({ maxLength: 100 }), { minItems: 1, maxItems: 100 }), expiresInSeconds: Type.Integer({ minimum: 60, maximum: 366 * 24 * 3600 }) }, strict),
          response: { 200: Type.Object({ token: Type.String(), info: TokenView }) },
        },
      },
      async (request) => service.createApiToken(principalOf(request), request.body, actorOf(request)),
    );
    app.get(
      '/api/v1/me/ssh-keys',
      { config: { access: 'authenticated' }, schema: { tags: ['me'], summary: 'My SSH public keys for the SSH gateway', response: { 200: Type.Object({ items: Type.Array(SshKeyView) }) } } },
      async (request) => ({ items: await service.listSshKeys(principalOf(request).userId) }),
    );
    app.post(
      '/api/v1/me/ssh-keys',
      {
        config: { access: 'authenticated' },
        schema: {
          tags: ['me'],
          summary: 'Register an SSH public key (OpenSSH form; needs a fresh MFA proof)',
          body: Type.Object({ publicKey: Type.String({ minLength: 1, maxLength: 16_384 }), comment: Type.Optional(Type.String({ maxLength: 200 })) }, strict),
          response: { 200: SshKeyView },
        },
      },
      async (request) => service.addSshKey(principalOf(request), request.body, actorOf(request)),
    );
    app.delete(
      '/api/v1/me/ssh-keys/:id',
      { config: { access: 'authenticated' }, schema: { tags: ['me'], summary: 'Remove one of my SSH public keys', params: IdParams, response: { 200: Ok } } },
      async (request) => {
        await service.removeSshKey(principalOf(request), request.params.id, actorOf(request));
        return { ok: true as const };
      },
    );
    app.delete(
      '/api/v1/me/tokens/:id',
      { config: { access: 'authenticated' }, schema: { tags: ['me'], summary: 'Revoke one of my API tokens', params: IdParams, response: { 200: Ok } } },
      async (request) => {
        await service.revokeApiToken(request.params.id, actorOf(request), { ownerId: principalOf(request).userId });
        return { ok: true as const };
      },
    );

    // ---- users --------------------------------------------------------------------------------------------------
    app.get(
      '/api/v1/users',
      {
        config: { access: 'identity.users.read' },
        schema: {
          tags: ['users'],
          summary: 'List users, or find one by username (case and Unicode form ignored)',
          querystring: Type.Object({ ...PageQuery.properties, username: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })) }, strict),
          response: { 200: Page(UserView) },
        },
      },
      async (request) => service.listUsers({ limit: request.query.limit ?? 50, cursor: request.query.cursor, username: request.query.username }),
    );
    app.post(
      '/api/v1/users',
      {
        config: { access: 'identity.users.write' },
        schema: {
          tags: ['users'],
          summary: 'Create a user (usernames are unique ignoring case and Unicode form)',
          body: Type.Object(
            {
              username: Username,
              displayName: Name,
              email: Type.Optional(Nullable(Type.String({ maxLength: 254 }))),
              kind: Type.Optional(Kind),
              department: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
              managerId: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
              expiresAt: Type.Optional(Nullable(Millis)),
              password: Type.Optional(Password),
            },
            strict,
          ),
          response: { 201: UserView },
        },
      },
      async (request, reply) => reply.status(201).send(await service.createUser(request.body, actorOf(request))),
    );
    app.get(
      '/api/v1/users/:id',
      {
        config: { access: 'identity.users.read' },
        schema: {
          tags: ['users'],
          summary: 'One user with transitive groups, active roles and lock state',
          params: IdParams,
          response: {
            200: Type.Object({
              user: UserView,
              groups: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })),
              roles: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), expiresAt: Nullable(Type.Number()) })),
              permissions: Type.Array(Type.String()),
              lockedUntil: Nullable(Type.Number()),
              mfa: MfaStateView,
            }),
          },
        },
      },
      async (request) => {
        const user = await service.getUser(request.params.id);
        const [access, lockedUntil, mfa] = await Promise.all([service.effectiveAccess(user.id), service.lockedUntil(user.id), service.mfaState(user.id)]);
        return { user, groups: access?.user.groups ?? [], roles: access?.user.roles ?? [], permissions: access?.user.permissions ?? [], lockedUntil, mfa };
      },
    );
    app.patch(
      '/api/v1/users/:id',
      {
        config: { access: 'identity.users.write' },
        schema: {
          tags: ['users'],
          summary: 'Change a user’s attributes',
          params: IdParams,
          body: Type.Object(
            {
              displayName: Type.Optional(Name),
              email: Type.Optional(Nullable(Type.String({ maxLength: 254 }))),
              department: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
              managerId: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
              expiresAt: Type.Optional(Nullable(Millis)),
            },
            strict,
          ),
          response: { 200: UserView },
        },
      },
      async (request) => service.updateUser(request.params.id, request.body, actorOf(request)),
    );
    app.post(
      '/api/v1/users/:id/disable',
      { config: { access: 'identity.users.write' }, preValidation: optionalBody, schema: { tags: ['users'], summary: 'Disable a user: every session and API token ends at once', params: IdParams, body: Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, strict), response: { 200: UserView } } },
      async (request) => service.disableUser(request.params.id, actorOf(request), request.body.reason),
    );
    app.post(
      '/api/v1/users/:id/enable',
      { config: { access: 'identity.users.write' }, schema: { tags: ['users'], summary: 'Enable a disabled user', params: IdParams, response: { 200: UserView } } },
      async (request) => service.enableUser(request.params.id, actorOf(request)),
    );
    app.post(
      '/api/v1/users/:id/unlock',
      { config: { access: 'identity.users.write' }, schema: { tags: ['users'], summary: 'Clear a lockout or back-off after failed sign-ins', params: IdParams, response: { 200: Type.Object({ wasLocked: Type.Boolean() }) } } },
      async (request) => service.unlockUser(request.params.id, actorOf(request)),
    );
    app.put(
      '/api/v1/users/:id/password',
      { config: { access: 'identity.users.write', stepUp: true }, schema: { tags: ['users'], summary: 'Set a user’s password (strength-checked)', params: IdParams, body: Type.Object({ password: Password }, strict), response: { 200: Ok } } },
      async (request) => {
        await service.setPassword(request.params.id, request.body.password, actorOf(request));
        return { ok: true as const };
      },
    );

    app.delete(
      '/api/v1/users/:id/mfa',
      { config: { access: 'identity.users.write', stepUp: true }, schema: { tags: ['users'], summary: 'Reset a user’s second factors (lost device); their sessions end and they must enrol again', params: IdParams, response: { 200: Ok } } },
      async (request) => {
        await service.resetFactors(request.params.id, actorOf(request));
        return { ok: true as const };
      },
    );

    // ---- sessions and tokens of others ---------------------------------------------------------------------------
    app.get(
      '/api/v1/users/:id/sessions',
      { config: { access: 'identity.sessions.manage' }, schema: { tags: ['sessions'], summary: 'A user’s live sessions', params: IdParams, response: { 200: Type.Object({ items: Type.Array(SessionView) }) } } },
      async (request) => ({ items: await service.listSessions((await service.getUser(request.params.id)).id, request.principal?.credential.id) }),
    );
    app.post(
      '/api/v1/users/:id/sessions/revoke',
      { config: { access: 'identity.sessions.manage' }, preValidation: optionalBody, schema: { tags: ['sessions'], summary: 'End all of a user’s sessions (and optionally API tokens) at once', params: IdParams, body: Type.Object({ tokensToo: Type.Optional(Type.Boolean()) }, strict), response: { 200: Type.Object({ revoked: Type.Number() }) } } },
      async (request) => {
        const user = await service.getUser(request.params.id);
        return { revoked: await service.revokeAllSessions(user.id, actorOf(request), { tokensToo: request.body.tokensToo === true }) };
      },
    );
    app.delete(
      '/api/v1/sessions/:id',
      { config: { access: 'identity.sessions.manage' }, schema: { tags: ['sessions'], summary: 'End any session', params: IdParams, response: { 200: Ok } } },
      async (request) => {
        await service.revokeSession(request.params.id, actorOf(request));
        return { ok: true as const };
      },
    );
    app.get(
      '/api/v1/users/:id/tokens',
      { config: { access: 'identity.sessions.manage' }, schema: { tags: ['sessions'], summary: 'A user’s API tokens', params: IdParams, response: { 200: Type.Object({ items: Type.Array(TokenView) }) } } },
      async (request) => ({ items: await service.listApiTokens((await service.getUser(request.params.id)).id) }),
    );
    app.delete(
      '/api/v1/tokens/:id',
      { config: { access: 'identity.sessions.manage' }, schema: { tags: ['sessions'], summary: 'Revoke any API token', params: IdParams, response: { 200: Ok } } },
      async (request) => {
        await service.revokeApiToken(request.params.id, actorOf(request));
        return { ok: true as const };
      },
    );

    // ---- groups -------------------------------------------------------------------------------------------------
    app.get(
      '/api/v1/groups',
      { config: { access: 'identity.groups.read' }, schema: { tags: ['groups'], summary: 'List groups', response: { 200: Type.Object({ items: Type.Array(GroupView) }) } } },
      async () => ({ items: await service.listGroups() }),
    );
    app.post(
      '/api/v1/groups',
      { config: { access: 'identity.groups.write' }, schema: { tags: ['groups'], summary: 'Create a group', body: Type.Object({ name: Name, description: Type.Optional(Description) }, strict), response: { 201: GroupView } } },
      async (request, reply) => reply.status(201).send(await service.createGroup(request.body, actorOf(request))),
    );
    app.get(
      '/api/v1/groups/:id',
      { config: { access: 'identity.groups.read' }, schema: { tags: ['groups'], summary: 'A group and its direct members', params: IdParams, response: { 200: Type.Object({ ...GroupView.properties, members: Type.Array(MemberView) }) } } },
      async (request) => service.getGroup(request.params.id),
    );
    app.patch(
      '/api/v1/groups/:id',
      { config: { access: 'identity.groups.write' }, schema: { tags: ['groups'], summary: 'Rename or describe a group', params: IdParams, body: Type.Object({ name: Type.Optional(Name), description: Type.Optional(Description) }, strict), response: { 200: GroupView } } },
      async (request) => service.updateGroup(request.params.id, request.body, actorOf(request)),
    );
    app.delete(
      '/api/v1/groups/:id',
      { config: { access: 'identity.groups.write' }, schema: { tags: ['groups'], summary: 'Delete a group with its memberships and role assignments', params: IdParams, response: { 200: Ok } } },
      async (request) => {
        await service.deleteGroup(request.params.id, actorOf(request));
        return { ok: true as const };
      },
    );
    app.put(
      '/api/v1/groups/:id/members/:type/:memberId',
      { config: { access: 'identity.groups.write' }, schema: { tags: ['groups'], summary: 'Add a user or a nested group', params: MemberParams, response: { 200: Ok } } },
      async (request) => {
        await service.addMember(request.params.id, { type: request.params.type, id: request.params.memberId }, actorOf(request));
        return { ok: true as const };
      },
    );
    app.delete(
      '/api/v1/groups/:id/members/:type/:memberId',
      { config: { access: 'identity.groups.write' }, schema: { tags: ['groups'], summary: 'Remove a member', params: MemberParams, response: { 200: Ok } } },
      async (request) => {
        await service.removeMember(request.params.id, { type: request.params.type, id: request.params.memberId }, actorOf(request));
        return { ok: true as const };
      },
    );

    // ---- roles --------------------------------------------------------------------------------------------------
    app.get(
      '/api/v1/roles',
      { config: { access: 'identity.roles.read' }, schema: { tags: ['roles'], summary: 'List roles', response: { 200: Type.Object({ items: Type.Array(RoleView) }) } } },
      async () => ({ items: await service.listRoles() }),
    );
    app.post(
      '/api/v1/roles',
      {
        config: { access: 'identity.roles.write', stepUp: true },
        schema: {
          tags: ['roles'],
          summary: 'Create a role from permissions, optionally with a shorter idle timeout',
          body: Type.Object({ name: Name, description: Type.Optional(Description), permissions: PermissionList, idleTimeoutSeconds: Type.Optional(Nullable(Type.Integer({ minimum: 60, maximum: 86_400 }))) }, strict),
          response: { 201: RoleView },
        },
      },
      async (request, reply) => reply.status(201).send(await service.createRole(request.body, actorOf(request))),
    );
    app.get(
      '/api/v1/roles/:id',
      { config: { access: 'identity.roles.read' }, schema: { tags: ['roles'], summary: 'One role', params: IdParams, response: { 200: RoleView } } },
      async (request) => service.getRole(request.params.id),
    );
    app.patch(
      '/api/v1/roles/:id',
      {
        config: { access: 'identity.roles.write', stepUp: true },
        schema: {
          tags: ['roles'],
          summary: 'Change a role',
          params: IdParams,
          body: Type.Object({ name: Type.Optional(Name), description: Type.Optional(Description), permissions: Type.Optional(PermissionList), idleTimeoutSeconds: Type.Optional(Nullable(Type.Integer({ minimum: 60, maximum: 86_400 }))) }, strict),
          response: { 200: RoleView },
        },
      },
      async (request) => service.updateRole(request.params.id, request.body, actorOf(request)),
    );
    app.get(
      '/api/v1/role-assignments',
      {
        config: { access: 'identity.roles.read' },
        schema: {
          tags: ['roles'],
          summary: 'Role assignments, filtered by role or subject',
          querystring: Type.Object({ roleId: Type.Optional(Type.String({ maxLength: 64 })), subjectType: Type.Optional(MemberType), subjectId: Type.Optional(Type.String({ maxLength: 64 })) }, strict),
          response: { 200: Type.Object({ items: Type.Array(AssignmentView) }) },
        },
      },
      async (request) => ({ items: await service.listAssignments(request.query) }),
    );
    app.post(
      '/api/v1/role-assignments',
      {
        config: { access: 'identity.roles.write', stepUp: true },
        schema: {
          tags: ['roles'],
          summary: 'Assign a role to a user or group, optionally until a time',
          body: Type.Object({ roleId: Type.String({ minLength: 1, maxLength: 64 }), subjectType: MemberType, subjectId: Type.String({ minLength: 1, maxLength: 64 }), expiresAt: Type.Optional(Nullable(Millis)) }, strict),
          response: { 201: AssignmentView },
        },
      },
      async (request, reply) => reply.status(201).send(await service.assignRole(request.body, actorOf(request))),
    );
    app.delete(
      '/api/v1/role-assignments/:id',
      { config: { access: 'identity.roles.write' }, schema: { tags: ['roles'], summary: 'Remove a role assignment', params: IdParams, response: { 200: Ok } } },
      async (request) => {
        await service.unassignRole(request.params.id, actorOf(request));
        return { ok: true as const };
      },
    );
  };
}
