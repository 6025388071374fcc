// HTTP routes for zones, targets, accounts and import under /api/v1.
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { RouteModule } from '../server/http/types.js';
import { IdParams, Ok, Page, PageQuery } from '../server/http/schemas.js';
import type { InventoryService } from './service.js';
import { accountKinds, criticalities, ephiSensitivities, privilegeLevels, protocols, type Actor } from './types.js';

const literalUnion = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)));

const PasswordPolicySchema = Type.Object(
  {
    length: Type.Integer({ minimum: 8, maximum: 256 }),
    lowercase: Type.Boolean(),
    uppercase: Type.Boolean(),
    digits: Type.Boolean(),
    symbols: Type.Boolean(),
    exclude: Type.String({ maxLength: 200 }),
  },
  { additionalProperties: false },
);

const SessionPolicySchema = Type.Object(
  {
    commandControl: Type.Optional(Type.Union([Type.Literal('off'), Type.Literal('deny'), Type.Literal('allow')])),
    allowedCommands: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 500 }), { maxItems: 200 })),
    idleTimeoutMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 480 })),
    rotateAfterUse: Type.Optional(Type.Boolean()),
    requireSecondFactor: Type.Optional(Type.Boolean()),
    fileTransfer: Type.Optional(Type.Boolean()),
    portForwarding: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, description: 'Gateway session rules; omitted fields take the risk tier defaults' },
);

const ZoneSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  gatewayIds: Type.Array(Type.String()),
  createdAt: Type.Number(),
  updatedAt: Type.Number(),
});
const ZoneBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    gatewayIds: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 100 })),
  },
  { additionalProperties: false },
);

const TargetSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  address: Type.String(),
  protocols: Type.Array(Type.String()),
  zoneId: Type.String(),
  ownerUserId: Type.Union([Type.String(), Type.Null()]),
  criticality: Type.String(),
  ephiSensitivity: Type.String(),
  riskTier: Type.String(),
  tags: Type.Array(Type.String()),
  passwordPolicy: Type.Union([PasswordPolicySchema, Type.Null()]),
  sessionPolicy: Type.Union([SessionPolicySchema, Type.Null()]),
  createdAt: Type.Number(),
  updatedAt: Type.Number(),
});
const targetFields = {
  name: Type.String({ minLength: 1, maxLength: 128 }),
  address: Type.String({ minLength: 1, maxLength: 255 }),
  protocols: Type.Array(literalUnion(protocols), { minItems: 1, maxItems: 4 }),
  zone: Type.String({ minLength: 1, maxLength: 128, description: 'zone id or name' }),
  ownerUserId: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
  criticality: literalUnion(criticalities),
  ephiSensitivity: literalUnion(ephiSensitivities),
  tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 50 })),
  passwordPolicy: Type.Optional(Type.Union([PasswordPolicySchema, Type.Null()])),
  sessionPolicy: Type.Optional(Type.Union([SessionPolicySchema, Type.Null()])),
};
const TargetBody = Type.Object(targetFields, { additionalProperties: false });
const TargetPatch = Type.Partial(Type.Object(targetFields), { additionalProperties: false });

const AccountSchema = Type.Object({
  id: Type.String(),
  targetId: Type.String(),
  username: Type.String(),
  kind: Type.String(),
  privilegeLevel: Type.String(),
  ownerUserId: Type.Union([Type.String(), Type.Null()]),
  managed: Type.Boolean(),
  createdAt: Type.Number(),
  updatedAt: Type.Number(),
});
const accountFields = {
  username: Type.String({ minLength: 1, maxLength: 128 }),
  kind: literalUnion(accountKinds),
  privilegeLevel: Type.Optional(literalUnion(privilegeLevels)),
  ownerUserId: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
  managed: Type.Optional(Type.Boolean()),
};
const AccountBody = Type.Object(accountFields, { additionalProperties: false });
const AccountPatch = Type.Partial(Type.Object(accountFields), { additionalProperties: false });

const ImportBody = Type.Object(
  {
    format: Type.Union([Type.Literal('csv'), Type.Literal('yaml')]),
    content: Type.String({ minLength: 1, maxLength: 5_000_000 }),
    dryRun: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const ImportResultSchema = Type.Object({
  zonesCreated: Type.Integer(),
  zonesUpdated: Type.Integer(),
  targetsCreated: Type.Integer(),
  targetsUpdated: Type.Integer(),
  accountsCreated: Type.Integer(),
  accountsUpdated: Type.Integer(),
  dryRun: Type.Boolean(),
});

const TargetQuery = Type.Object({ ...PageQuery.properties, zoneId: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false });

/** The audit actor for the signed-in caller. */
export function actorOf(request: FastifyRequest): Actor {
  const p = request.principal!;
  return { id: p.userId, kind: p.kind === 'human' ? 'user' : p.kind, name: p.username, address: request.ip };
}

function page<T extends { id: string }>(items: T[], limit: number) {
  return { items, nextCursor: items.length === limit ? items[items.length - 1]!.id : null };
}

export function inventoryRoutes(inventory: InventoryService): RouteModule {
  return (app) => {
    const read = { access: 'inventory.read' as const };
    const write = { access: 'inventory.write' as const };

    app.get('/api/v1/zones', { config: read, schema: { querystring: PageQuery, response: { 200: Page(ZoneSchema) } } }, async (request) => {
      const limit = request.query.limit ?? 50;
      return page(await inventory.listZones({ limit, cursor: request.query.cursor }), limit);
    });
    app.post('/api/v1/zones', { config: write, schema: { body: ZoneBody, response: { 201: ZoneSchema } } }, async (request, reply) => {
      return reply.status(201).send(await inventory.createZone(request.body, actorOf(request)));
    });
    app.get('/api/v1/zones/:id', { config: read, schema: { params: IdParams, response: { 200: ZoneSchema } } }, async (request) => inventory.getZone(request.params.id));
    app.patch('/api/v1/zones/:id', { config: write, schema: { params: IdParams, body: Type.Partial(ZoneBody, { additionalProperties: false }), response: { 200: ZoneSchema } } }, async (request) =>
      inventory.updateZone(request.params.id, request.body, actorOf(request)),
    );
    app.delete('/api/v1/zones/:id', { config: write, schema: { params: IdParams, response: { 200: Ok } } }, async (request) => {
      await inventory.deleteZone(request.params.id, actorOf(request));
      return { ok: true as const };
    });

    app.get('/api/v1/targets', { config: read, schema: { querystring: TargetQuery, response: { 200: Page(TargetSchema) } } }, async (request) => {
      const limit = request.query.limit ?? 50;
      return page(await inventory.listTargets({ limit, cursor: request.query.cursor, zoneId: request.query.zoneId }), limit);
    });
    app.post('/api/v1/targets', { config: write, schema: { body: TargetBody, response: { 201: TargetSchema } } }, async (request, reply) => {
      return reply.status(201).send(await inventory.createTarget(request.body, actorOf(request)));
    });
    app.get('/api/v1/targets/:id', { config: read, schema: { params: IdParams, response: { 200: TargetSchema } } }, async (request) => inventory.getTarget(request.params.id));
    app.patch('/api/v1/targets/:id', { config: write, schema: { params: IdParams, body: TargetPatch, response: { 200: TargetSchema } } }, async (request) =>
      inventory.updateTarget(request.params.id, request.body, actorOf(request)),
    );
    app.delete('/api/v1/targets/:id', { config: write, schema: { params: IdParams, response: { 200: Ok } } }, async (request) => {
      await inventory.deleteTarget(request.params.id, actorOf(request));
      return { ok: true as const };
    });

    app.get('/api/v1/targets/:id/accounts', { config: read, schema: { params: IdParams, querystring: PageQuery, response: { 200: Page(AccountSchema) } } }, async (request) => {
      await inventory.getTarget(request.params.id);
      const limit = request.query.limit ?? 50;
      return page(await inventory.listAccounts({ targetId: request.params.id, limit, cursor: request.query.cursor }), limit);
    });
    app.post('/api/v1/targets/:id/accounts', { config: write, schema: { params: IdParams, body: AccountBody, response: { 201: AccountSchema } } }, async (request, reply) => {
      return reply.status(201).send(await inventory.createAccount(request.params.id, request.body, actorOf(request)));
    });
    app.get('/api/v1/accounts/:id', { config: read, schema: { params: IdParams, response: { 200: AccountSchema } } }, async (request) => inventory.getAccount(request.params.id));
    app.patch('/api/v1/accounts/:id', { config: write, schema: { params: IdParams, body: AccountPatch, response: { 200: AccountSchema } } }, async (request) =>
      inventory.updateAccount(request.params.id, request.body, actorOf(request)),
    );
    app.delete('/api/v1/accounts/:id', { config: write, schema: { params: IdParams, response: { 200: Ok } } }, async (request) => {
      await inventory.deleteAccount(request.params.id, actorOf(request));
      return { ok: true as const };
    });

    app.post('/api/v1/inventory/import', { config: write, schema: { body: ImportBody, response: { 200: ImportResultSchema } } }, async (request) =>
      inventory.importInventory(request.body, actorOf(request)),
    );
  };
}
