// What other folders may import from the identity domain.
export { createIdentityService, ensureBootstrapAdmin, BOOTSTRAP_ADMIN, BOOTSTRAP_ROLE, type IdentityService, type IdentityDeps } from './identity.js';
export { identityRoutes } from './routes.js';
export { identityMigrations } from './migrations.js';
export type * from './types.js';
export { totpCode, matchTotpStep } from './auth/totp.js';
