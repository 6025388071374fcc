// What other folders may import from the access domain (the composition root, the gateway, the CLI).
export { createAccessService, defaultAccessSettings, type AccessService, type AccessServiceDeps, type AccessSettings, type RequestInput, type BreakglassInput } from './service.js';
export { accessRoutes } from './routes.js';
export { accessMigrations } from './migrations.js';
export { createRiskTierPolicy, defaultTierRules, type TierRule, type RiskTierPolicyOptions } from './policy.js';
export { createStoredOnCallSchedule, parseOnCallFile, type StoredOnCallSchedule, type OnCallShiftInput } from './oncall.js';
export { createHttpTicketConnector, type HttpTicketConnectorOptions } from './tickets.js';
export { createEmailNotifier, createWebhookNotifier, createFanoutNotifier, createMemoryNotifier, signWebhook, verifyWebhook } from './notify.js';
export { registerAccessMetrics } from './metrics.js';
export { createDeadlineScheduler, type DeadlineScheduler } from './scheduler.js';
export type * from './types.js';
