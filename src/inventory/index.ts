// What other folders may import from the inventory domain.
export { createInventoryService, type InventoryService, type InventoryServiceDeps, type ImportResult } from './service.js';
export { inventoryRoutes, actorOf } from './routes.js';
export { inventoryMigrations } from './migrations.js';
export * from './types.js';
export { createHostKeyPins, sshEndpoint, type HostKeyPins, type HostKeyPin } from './host-keys.js';
export { hostKeyRoutes } from './host-key-routes.js';
