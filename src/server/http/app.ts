// Builds the Fastify application: schemas and OpenAPI, one error shape, authentication and the
// permission check every route declares, health/readiness and Prometheus metrics.
import Fastify, { type FastifyError, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Registry } from 'prom-client';
import { Type } from 'typebox';
import type { Logger } from '../../platform/logger.js';
import { WardError, isWardError, type ErrorCode } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { Authenticator, RequestContext, RouteAccess, RouteModule, WardApp } from './types.js';
import { ErrorResponse } from './schemas.js';

export interface HttpAppOptions {
  logger: Logger;
  authenticator: Authenticator;
  routes: RouteModule[];
  bodyLimitBytes: number;
  stepUpMaxAgeSeconds: number;
  metrics: Registry;
  ready: () => Promise<{ ready: boolean; checks: Record<string, boolean> }>;
  now: () => number;
  https?: { cert: string | Buffer; key: string | Buffer } | undefined;
  /** Extra static/plugin registration (the web console), run before routes. */
  extend?: (app: WardApp) => Promise<void>;
}

export interface RegisteredRoute {
  method: string;
  url: string;
  access: RouteAccess;
  stepUp: boolean;
}

function errorBody(code: ErrorCode | string, message: string, details?: Record<string, unknown>) {
  return { error: { code, message, ...(details ? { details } : {}) } };
}

export function requestContext(request: FastifyRequest): RequestContext {
  return { address: request.ip, userAgent: request.headers['user-agent'], requestId: String(request.id) };
}

export async function createHttpApp(options: HttpAppOptions): Promise<{ app: WardApp; routes: RegisteredRoute[] }> {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimitBytes,
    genReqId: () => newId(),
    trustProxy: false,
    ...(options.https ? { https: options.https } : {}),
    ajv: {
      customOptions: {
        // Unknown fields are refused, not silently dropped.
        removeAdditional: false,
        coerceTypes: 'array',
        useDefaults: true,
        allErrors: false,
      },
    },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as WardApp;

  const routes: RegisteredRoute[] = [];
  app.decorateRequest('principal', null);

  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    if (route.url.startsWith('/documentation')) return;
    if (!access) throw new Error(`route ${route.method} ${route.url} does not declare config.access`);
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      routes.push({ method, url: route.url, access, stepUp: route.config?.stepUp === true });
    }
    // Every documented response shares the error shape.
    route.schema ??= {};
    const response = (route.schema.response ??= {}) as Record<string, unknown>;
    response['4xx'] ??= ErrorResponse;
    response['5xx'] ??= ErrorResponse;
    if (access !== 'public') {
      (route.schema as { security?: unknown }).security = [{ bearer: [] }];
    }
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Ward API', version: '1', description: 'Privileged access management for hospitals.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });

  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config?.access;
    if (!access || access === 'public') return;
    const header = request.headers.authorization;
    const match = header ? /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header) : null;
    if (!match) throw new WardError('AUTH_REQUIRED', 'Sign in first: send Authorization: Bearer <token>.');
    const principal = await options.authenticator.authenticate(match[1]!, requestContext(request));
    request.principal = principal;
    if (access === 'authenticated') return;
    if (!principal.mfaEnrolled) {
      throw new WardError('AUTH_MFA_ENROLMENT_REQUIRED', 'Enrol a second factor (TOTP or a passkey) before doing anything privileged.');
    }
    if (!principal.permissions.has(access)) {
      throw new WardError('PERMISSION_DENIED', `This needs the permission "${access}".`, { permission: access });
    }
    if (request.routeOptions.config?.stepUp) {
      const maxAgeMs = options.stepUpMaxAgeSeconds * 1000;
      if (principal.mfaVerifiedAt === null || options.now() - principal.mfaVerifiedAt > maxAgeMs) {
        throw new WardError('AUTH_STEP_UP_REQUIRED', 'Confirm with your second factor to continue.', {
          maxAgeSeconds: options.stepUpMaxAgeSeconds,
        });
      }
    }
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isWardError(error)) {
      if (error.status >= 500) request.log.error({ err: error }, error.message);
      if (error.code === 'AUTH_THROTTLED' && typeof error.details?.retryAfterSeconds === 'number') {
        void reply.header('retry-after', String(Math.ceil(error.details.retryAfterSeconds)));
      }
      return reply.status(error.status).send(errorBody(error.code, error.message, error.details));
    }
    if (error.validation) {
      const first = error.validation[0];
      const where = error.validationContext ?? 'request';
      const path = first?.instancePath ? `${where}${first.instancePath.replaceAll('/', '.')}` : where;
      let message = `${path} ${first?.message ?? 'is invalid'}`;
      const extra = (first?.params as { additionalProperty?: string } | undefined)?.additionalProperty;
      if (extra) message = `${path} has an unknown field "${extra}"`;
      return reply.status(400).send(errorBody('VALIDATION_FAILED', message));
    }
    switch (error.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return reply.status(400).send(errorBody('MALFORMED_JSON', 'The body is not valid JSON.'));
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return reply.status(413).send(errorBody('BODY_TOO_LARGE', `The body is larger than ${options.bodyLimitBytes} bytes.`));
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return reply.status(415).send(errorBody('UNSUPPORTED_MEDIA_TYPE', 'Send application/json.'));
    }
    if (error instanceof SyntaxError || error.statusCode === 400) {
      return reply.status(400).send(errorBody('MALFORMED_JSON', 'The body is not valid JSON.'));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send(errorBody('INTERNAL', `Unexpected error (request ${request.id}).`));
  });

  app.setNotFoundHandler({}, (request, reply) => {
    void reply.status(404).send(errorBody('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}.`));
  });

  app.get('/healthz', { config: { access: 'public' }, schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { access: 'public' }, schema: { hide: true } }, async (_request, reply) => {
    const state = await options.ready();
    return reply.status(state.ready ? 200 : 503).send({ status: state.ready ? 'ready' : 'not-ready', checks: state.checks });
  });
  app.get('/metrics', { config: { access: 'metrics.read' }, schema: { hide: true } }, async (_request, reply) => {
    return reply.type(options.metrics.contentType).send(await options.metrics.metrics());
  });
  app.get(
    '/api/openapi.json',
    { config: { access: 'public' }, schema: { hide: true, response: { 200: Type.Any() } } },
    async () => app.swagger(),
  );

  if (options.extend) await options.extend(app);
  for (const module of options.routes) await app.register(async (scope) => module(scope as WardApp));
  await app.ready();
  return { app, routes };
}
