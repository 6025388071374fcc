// Every permission a role can hold and a route can demand. Roles are built from these; routes declare one.
// Adding a capability means adding its permission here, so the catalogue stays the single list an auditor reads.

export const permissionCatalog = {
  'identity.users.read': 'See users, their status, groups and roles',
  'identity.users.write': 'Create, change, disable, lock and unlock users; reset factors',
  'identity.groups.read': 'See groups and membership',
  'identity.groups.write': 'Create and change groups and membership',
  'identity.roles.read': 'See roles and role assignments',
  'identity.roles.write': 'Create roles, change their permissions, assign and remove roles',
  'identity.sessions.manage': "List and revoke other users' sessions and API tokens",
  'audit.read': 'Search and export the audit trail',
  'audit.manage': 'Configure export sinks, retention and archives',
  'inventory.read': 'See zones, targets and accounts',
  'inventory.write': 'Create and change zones, targets and accounts; import inventory',
  'vault.secrets.read': 'See secret metadata and versions (never values)',
  'vault.secrets.write': 'Store, generate and delete secrets',
  'vault.secrets.reveal': 'Reveal a secret value to a human (policy, step-up and reason still apply)',
  'vault.checkout': 'Check out and check in credentials',
  'vault.keys.manage': 'Rotate key-encryption keys and manage key providers',
  'vault.backup': 'Create and restore encrypted backups',
  'crypto.inventory.read': 'See the cryptography inventory',
  'policy.read': 'See policy sets, history and decisions',
  'policy.write': 'Validate and apply policy sets',
  'policy.evaluate': 'Ask the policy engine for a decision and its explanation',
  'access.request': 'Request just-in-time access and see one’s own requests and grants',
  'access.approve': 'Approve or deny access requests',
  'access.revoke': 'Revoke grants of other users',
  'access.breakglass': 'Start emergency (break-glass) access',
  'access.reviews': 'Perform post-break-glass and access reviews',
  'access.oncall.manage': 'Import and change on-call schedules',
  'sessions.read': 'See live and past gateway sessions',
  'sessions.watch': 'Watch a live session',
  'sessions.terminate': 'Terminate sessions and lock users everywhere',
  'recordings.play': 'Replay and export session recordings',
  'metrics.read': 'Scrape Prometheus metrics and read dashboards',
  'system.admin': 'Configure Ward itself',
} as const;

export type Permission = keyof typeof permissionCatalog;

export const allPermissions = Object.keys(permissionCatalog) as Permission[];

export function isPermission(value: string): value is Permission {
  return Object.hasOwn(permissionCatalog, value);
}
