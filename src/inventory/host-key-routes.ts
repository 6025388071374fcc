// HTTP routes for pinned SSH host keys under /api/v1/targets/:id/host-keys (inventory.read / inventory.write).
import { Type } from 'typebox';
import type { RouteModule } from '../server/http/types.js';
import { IdParams, Ok } from '../server/http/schemas.js';
import type { HostKeyPins } from './host-keys.js';
import { actorOf } from './routes.js';
import type { InventoryService } from './service.js';

const strict = { additionalProperties: false } as const;
const Pin = Type.Object(
  {
    id: Type.String(),
    targetId: Type.String(),
    publicKey: Type.String(),
    algorithm: Type.String(),
    fingerprint: Type.String(),
    pinnedBy: Type.Union([Type.String(), Type.Null()]),
    pinnedAt: Type.Number(),
  },
  strict,
);
const PinParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), pinId: Type.String({ minLength: 1, maxLength: 64 }) }, strict);

export function hostKeyRoutes(inventory: InventoryService, pins: HostKeyPins): RouteModule {
  return (app) => {
    app.get(
      '/api/v1/targets/:id/host-keys',
      { config: { access: 'inventory.read' }, schema: { params: IdParams, response: { 200: Type.Object({ items: Type.Array(Pin) }, strict) } } },
      async (request) => ({ items: await pins.list((await inventory.getTarget(request.params.id)).id) }),
    );
    app.post(
      '/api/v1/targets/:id/host-keys',
      {
        config: { access: 'inventory.write' },
        schema: {
          params: IdParams,
          body: Type.Union([
            Type.Object({ publicKey: Type.String({ minLength: 1, maxLength: 16_384 }) }, strict),
            Type.Object({ knownHosts: Type.String({ minLength: 1, maxLength: 1_000_000 }) }, strict),
          ]),
          response: { 201: Type.Object({ pinned: Type.Array(Pin), skipped: Type.Integer() }, strict) },
        },
      },
      async (request, reply) => {
        const target = await inventory.getTarget(request.params.id);
        const body = request.body;
        const result = 'publicKey' in body
          ? { pinned: [await pins.pin(target, body.publicKey, actorOf(request))], skipped: 0 }
          : await pins.importKnownHosts(target, body.knownHosts, actorOf(request));
        return reply.status(201).send(result);
      },
    );
    app.delete(
      '/api/v1/targets/:id/host-keys/:pinId',
      { config: { access: 'inventory.write' }, schema: { params: PinParams, response: { 200: Ok } } },
      async (request) => {
        await pins.unpin((await inventory.getTarget(request.params.id)).id, request.params.pinId, actorOf(request));
        return { ok: true as const };
      },
    );
  };
}
