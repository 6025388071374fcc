// HTTP routes for secrets, reveal, check-out, keys and the cryptography inventory under /api/v1.
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import { purposeOfUseCodes, type AuditLog } from '../audit/types.js';
import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import { validateBackupPublicKey } from './backup.js';
import type { RouteModule } from '../server/http/types.js';
import { IdParams, Ok } from '../server/http/schemas.js';
import { Secret } from '../platform/secret.js';
import { secretKinds } from './secret-kinds.js';
import type { Vault } from './service.js';
import type { VaultActor } from './types.js';

const literalUnion = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)));
const ReasonCode = literalUnion(purposeOfUseCodes);
const Metadata = Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]));

const SecretSchema = Type.Object({
  id: Type.String(),
  accountId: Type.String(),
  kind: Type.String(),
  currentVersion: Type.Integer(),
  status: Type.String(),
  statusReason: Type.Union([Type.String(), Type.Null()]),
  metadata: Metadata,
  createdAt: Type.Number(),
  updatedAt: Type.Number(),
});
const VersionSchema = Type.Object({
  version: Type.Integer(),
  algorithm: Type.String(),
  kekVersion: Type.Integer(),
  metadata: Metadata,
  createdAt: Type.Number(),
  createdBy: Type.Union([Type.String(), Type.Null()]),
});
const SecretDetail = Type.Object({ ...SecretSchema.properties, versions: Type.Array(VersionSchema) });

const StoreBody = Type.Object(
  {
    kind: literalUnion(secretKinds),
    // Schema allows a little more than the vault limit so the vault answers SECRET_TOO_LARGE itself.
    value: Type.Optional(Type.String({ minLength: 1, maxLength: 200_000 })),
    generate: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const RevealBody = Type.Object(
  {
    reasonCode: ReasonCode,
    justification: Type.String({ minLength: 1, maxLength: 500 }),
    ticket: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    version: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
const CheckoutBody = Type.Object(
  {
    durationSeconds: Type.Integer({ minimum: 60 }),
    reason: Type.String({ minLength: 1, maxLength: 500 }),
    reasonCode: ReasonCode,
    ticket: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);
const CheckoutSchema = Type.Object({
  id: Type.String(),
  accountId: Type.String(),
  userId: Type.String(),
  username: Type.String(),
  reason: Type.String(),
  reasonCode: Type.String(),
  ticket: Type.Union([Type.String(), Type.Null()]),
  checkedOutAt: Type.Number(),
  expiresAt: Type.Number(),
  endedAt: Type.Union([Type.Number(), Type.Null()]),
  endReason: Type.Union([Type.String(), Type.Null()]),
});
const KekSchema = Type.Object({
  version: Type.Integer(),
  provider: Type.String(),
  algorithm: Type.String(),
  state: Type.String(),
  createdAt: Type.Number(),
  retiredAt: Type.Union([Type.Number(), Type.Null()]),
  dataKeys: Type.Integer(),
});
const RotationSchema = Type.Object({
  jobId: Type.Union([Type.String(), Type.Null()]),
  kekVersion: Type.Integer(),
  state: Type.String(),
  rewrapped: Type.Integer(),
  remaining: Type.Integer(),
});
const InventoryEntry = Type.Object({
  category: Type.String(),
  algorithm: Type.String(),
  keyId: Type.Union([Type.String(), Type.Null()]),
  version: Type.Union([Type.Integer(), Type.Null()]),
  provider: Type.Union([Type.String(), Type.Null()]),
  state: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.Union([Type.Number(), Type.Null()]),
  ageDays: Type.Union([Type.Number(), Type.Null()]),
  objects: Type.Union([Type.Integer(), Type.Null()]),
  notes: Type.String(),
});

function actorOf(request: FastifyRequest): VaultActor {
  const p = request.principal!;
  return { id: p.userId, kind: p.kind === 'human' ? 'user' : p.kind, name: p.username, address: request.ip };
}

export interface VaultRouteOptions {
  /** Streams an encrypted backup of the whole store for a recipient public key (server-side `createBackup`). */
  backup?: ((recipientPublicKey: string, write: (bytes: Buffer) => Promise<void>) => Promise<unknown>) | undefined;
  audit?: AuditLog | undefined;
}

export function vaultRoutes(vault: Vault, options: VaultRouteOptions = {}): RouteModule {
  return (app) => {
    app.get('/api/v1/accounts/:id/secrets', { config: { access: 'vault.secrets.read' }, schema: { params: IdParams, response: { 200: Type.Object({ items: Type.Array(SecretSchema) }) } } }, async (request) => ({
      items: await vault.listSecrets(request.params.id),
    }));
    app.post('/api/v1/accounts/:id/secrets', { config: { access: 'vault.secrets.write' }, schema: { params: IdParams, body: StoreBody, response: { 201: SecretSchema } } }, async (request, reply) => {
      const { kind, value, generate } = request.body;
      const stored = await vault.storeSecret({ accountId: request.params.id, kind, value: value === undefined ? undefined : new Secret(value), generate }, actorOf(request));
      return reply.status(201).send(stored);
    });
    app.get('/api/v1/secrets/:id', { config: { access: 'vault.secrets.read' }, schema: { params: IdParams, response: { 200: SecretDetail } } }, async (request) => vault.getSecret(request.params.id));
    app.delete('/api/v1/secrets/:id', { config: { access: 'vault.secrets.write' }, schema: { params: IdParams, response: { 200: Ok } } }, async (request) => {
      await vault.deleteSecret(request.params.id, actorOf(request));
      return { ok: true as const };
    });
    app.post(
      '/api/v1/secrets/:id/reveal',
      { config: { access: 'vault.secrets.reveal', stepUp: true }, schema: { params: IdParams, body: RevealBody, response: { 200: Type.Object({ secretId: Type.String(), version: Type.Integer(), value: Type.String() }) } } },
      async (request, reply) => {
        const { reasonCode, justification, ticket, version } = request.body;
        const { value, version: shown } = await vault.revealVersion(
          { secretId: request.params.id, version, reasonCode, justification, ticket, permissions: request.principal!.permissions, mfaVerifiedAt: request.principal!.mfaVerifiedAt },
          actorOf(request),
        );
        void reply.header('cache-control', 'no-store');
        return { secretId: request.params.id, version: shown, value: value.reveal() };
      },
    );

    app.post('/api/v1/accounts/:id/checkout', { config: { access: 'vault.checkout' }, schema: { params: IdParams, body: CheckoutBody, response: { 201: CheckoutSchema } } }, async (request, reply) => {
      return reply.status(201).send(await vault.checkOut({ accountId: request.params.id, ...request.body }, actorOf(request)));
    });
    app.get('/api/v1/accounts/:id/checkout', { config: { access: 'vault.checkout' }, schema: { params: IdParams, response: { 200: Type.Object({ checkout: Type.Union([CheckoutSchema, Type.Null()]) }) } } }, async (request) => ({
      checkout: await vault.currentCheckout(request.params.id),
    }));
    app.post('/api/v1/accounts/:id/checkin', { config: { access: 'vault.checkout' }, schema: { params: IdParams, response: { 200: CheckoutSchema } } }, async (request) =>
      vault.checkIn(request.params.id, actorOf(request)),
    );

    app.get('/api/v1/keys', { config: { access: 'vault.keys.manage' }, schema: { response: { 200: Type.Object({ keks: Type.Array(KekSchema), rotation: RotationSchema }) } } }, async () => ({
      keks: await vault.listKeks(),
      rotation: await vault.rotationStatus(),
    }));
    app.post('/api/v1/keys/rotate', { config: { access: 'vault.keys.manage', stepUp: true }, schema: { response: { 202: RotationSchema } } }, async (request, reply) => {
      return reply.status(202).send(await vault.rotateKek(actorOf(request)));
    });
    if (options.backup) {
      const backup = options.backup;
      app.post(
        '/api/v1/backups',
        {
          config: { access: 'vault.backup', stepUp: true },
          schema: { body: Type.Object({ recipientPublicKey: Type.String({ minLength: 20, maxLength: 4000 }) }, { additionalProperties: false }), response: { 200: Type.Any() } },
        },
        async (request, reply) => {
          // A bad key is a 400 now, not a broken stream later.
          validateBackupPublicKey(request.body.recipientPublicKey);
          const stream = new PassThrough();
          backup(request.body.recipientPublicKey, async (bytes) => {
            if (!stream.write(bytes)) await once(stream, 'drain');
          }).then(
            () => stream.end(),
            (error: unknown) => stream.destroy(error as Error),
          );
          await options.audit?.append({ action: 'vault.backup.created', outcome: 'success', actor: actorOf(request), target: { type: 'store' } });
          return reply.type('application/octet-stream').header('content-disposition', 'attachment; filename="ward-backup.wbk"').send(stream);
        },
      );
    }
    app.get('/api/v1/crypto/inventory', { config: { access: 'crypto.inventory.read' }, schema: { response: { 200: Type.Object({ items: Type.Array(InventoryEntry) }) } } }, async () => ({
      items: await vault.cryptoInventory(),
    }));
  };
}
