// What the HTTP layer needs from the domains, and what every route must declare.
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Permission } from '../../platform/permissions.js';

export type WardApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression<RawServerDefault>,
  RawReplyDefaultExpression<RawServerDefault>,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/**
 * What a route demands of its caller:
 * - 'public': anyone (login, health);
 * - 'authenticated': any signed-in identity, even before MFA enrolment (me, enrol MFA, logout);
 * - a Permission: a signed-in identity holding it, with MFA enrolled (privileged).
 */
export type RouteAccess = 'public' | 'authenticated' | Permission;

export interface Principal {
  userId: string;
  username: string;
  displayName: string;
  kind: 'human' | 'service' | 'vendor';
  permissions: ReadonlySet<Permission>;
  credential: { kind: 'session' | 'api-token'; id: string };
  /** Has the person enrolled a second factor? API tokens count as enrolled (an enrolled user made them). */
  mfaEnrolled: boolean;
  /** When the person last proved a second factor in this session (epoch ms), for step-up. */
  mfaVerifiedAt: number | null;
}

export interface RequestContext {
  address: string;
  userAgent: string | undefined;
  requestId: string;
}

export interface Authenticator {
  /** Resolves a bearer token to a principal, refreshing its idle timer, or throws AUTH_REQUIRED/AUTH_TOKEN_EXPIRED. */
  authenticate(token: string, context: RequestContext): Promise<Principal>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Required on every route; the server refuses to start with a route that lacks it. */
    access?: RouteAccess;
    /** High-risk: demands an MFA proof younger than the configured step-up age. */
    stepUp?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** A domain's HTTP routes, registered by the composition root. */
export type RouteModule = (app: WardApp) => void | Promise<void>;
