// What other folders may import from the policy domain.
export { createPolicyEngine, hospitalPackText, type PolicyEngine, type PolicyEngineDeps, type AuditedDecisionInput, type PolicyDiff, type PolicySummary } from './service.js';
export { policyRoutes } from './routes.js';
export { policyMigrations } from './migrations.js';
export { createBusEntitySource, createMemoryEntitySource, emptySnapshot, type MemoryEntitySource } from './source.js';
export { parsePolicySet, type ParsedPolicySet, type ParsedPolicy } from './cedar.js';
export { parsePolicyTestFile, runPolicyTests, type PolicyTestFile, type PolicyTestReport } from './testfile.js';
export type { QuickDecision } from './engine.js';
export * from './types.js';
export { wardSchemaText } from './schema.js';
