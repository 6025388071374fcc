// The demo hospital `ward demo` loads: people, groups and roles of a hospital IT department, and the zones,
// targets and accounts they look after. Idempotent: a second run finds what the first made.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { randomToken } from '../platform/ids.js';
import type { Permission } from '../platform/permissions.js';
import type { Ward } from './compose.js';

export const DEMO_HOSPITAL = 'St. Ward General Hospital';

interface DemoRole {
  name: string;
  description: string;
  permissions: Permission[];
  idleTimeoutSeconds?: number;
}

const roles: DemoRole[] = [
  { name: 'ehr-dba', description: 'EHR database administrator', permissions: ['access.request', 'access.breakglass', 'inventory.read', 'vault.checkout', 'vault.secrets.read', 'vault.secrets.reveal'] },
  { name: 'sysadmin', description: 'Linux and Windows server administrator', permissions: ['access.request', 'access.breakglass', 'inventory.read', 'vault.checkout', 'vault.secrets.read', 'vault.secrets.reveal'] },
  { name: 'network-admin', description: 'Network administrator', permissions: ['access.request', 'inventory.read'] },
  { name: 'clinical-engineer', description: 'Clinical engineering (biomed): medical devices', permissions: ['access.request', 'access.breakglass', 'inventory.read'] },
  {
    name: 'security-analyst',
    description: 'Security operations: live sessions, alerts, lockdown',
    permissions: ['sessions.read', 'sessions.watch', 'sessions.terminate', 'recordings.play', 'audit.read', 'access.revoke', 'identity.users.read', 'inventory.read', 'metrics.read'],
    idleTimeoutSeconds: 600,
  },
  { name: 'privacy-officer', description: 'Privacy and compliance officer', permissions: ['audit.read', 'access.reviews', 'recordings.play', 'inventory.read', 'crypto.inventory.read'] },
  { name: 'auditor', description: 'Internal or external auditor (read-only evidence)', permissions: ['audit.read', 'inventory.read', 'policy.read', 'crypto.inventory.read'] },
  { name: 'vendor-technician', description: 'Outside vendor technician under a BAA', permissions: ['access.request'], idleTimeoutSeconds: 600 },
  { name: 'approver', description: 'Approves access requests for the systems they own or manage', permissions: ['access.approve', 'access.reviews', 'access.revoke', 'inventory.read', 'identity.users.read'] },
];

interface DemoUser {
  username: string;
  displayName: string;
  department: string;
  kind?: 'human' | 'vendor';
  manager?: string;
  roles: string[];
  expiresInDays?: number;
}

const users: DemoUser[] = [
  { username: 'maria.chen', displayName: 'Maria Chen (IT Manager)', department: 'IT Infrastructure', roles: ['approver'] },
  { username: 'dana.okafor', displayName: 'Dana Okafor', department: 'EHR Team', manager: 'maria.chen', roles: ['ehr-dba'] },
  { username: 'sam.patel', displayName: 'Sam Patel', department: 'IT Infrastructure', manager: 'maria.chen', roles: ['sysadmin', 'approver'] },
  { username: 'nina.ruiz', displayName: 'Nina Ruiz', department: 'Network', manager: 'maria.chen', roles: ['network-admin'] },
  { username: 'carl.berg', displayName: 'Carl Berg', department: 'Clinical Engineering', manager: 'maria.chen', roles: ['clinical-engineer'] },
  { username: 'sara.kim', displayName: 'Sara Kim', department: 'Security Operations', manager: 'maria.chen', roles: ['security-analyst'] },
  { username: 'pat.lowe', displayName: 'Pat Lowe', department: 'Privacy & Compliance', roles: ['privacy-officer'] },
  { username: 'audrey.fox', displayName: 'Audrey Fox', department: 'Internal Audit', roles: ['auditor'] },
  { username: 'victor.imaging', displayName: 'Victor Hale (Imaging vendor)', department: 'Vendor: Acme Imaging', kind: 'vendor', manager: 'carl.berg', roles: ['vendor-technician'], expiresInDays: 90 },
];

const groups = [
  { name: 'it-infrastructure', description: 'IT infrastructure team', members: ['maria.chen', 'sam.patel', 'nina.ruiz'] },
  { name: 'ehr-team', description: 'EHR application and database team', members: ['dana.okafor'] },
  { name: 'clinical-engineering', description: 'Biomedical / clinical engineering', members: ['carl.berg'] },
  { name: 'security-office', description: 'Security and privacy office', members: ['sara.kim', 'pat.lowe'] },
  { name: 'vendors', description: 'Outside vendor technicians', members: ['victor.imaging'] },
];

function inventoryYaml(owner: (username: string) => string): string {
  return stringify({
    // Zone names are the ids the default policy pack refers to (Zone::"ehr", Zone::"medical-devices", …).
    zones: [
      { name: 'enterprise', description: 'Corporate IT: directory, mail, file servers', gateways: ['gw-enterprise'] },
      { name: 'network', description: 'Network core: switches, routers, firewalls', gateways: ['gw-enterprise'] },
      { name: 'ehr', description: 'EHR application and its databases (ePHI)', gateways: ['gw-clinical'] },
      { name: 'clinical-apps', description: 'PACS, LIS and other clinical applications (ePHI)', gateways: ['gw-clinical'] },
      { name: 'medical-devices', description: 'Medical device network (IoMT): infusion pumps, imaging modalities', gateways: ['gw-devices'] },
    ],
    targets: [
      {
        name: 'ehr-db-01', address: '10.20.1.10', protocols: ['postgres', 'ssh'], zone: 'ehr', owner: owner('dana.okafor'),
        criticality: 'clinical-critical', ephi: 'full', tags: ['ehr', 'database'],
        accounts: [
          { username: 'postgres', kind: 'service', privilege: 'root', owner: owner('dana.okafor') },
          { username: 'ehr_dba', kind: 'human-admin', privilege: 'admin', owner: owner('dana.okafor') },
        ],
      },
      {
        name: 'pacs-01', address: '10.20.2.20', protocols: ['ssh', 'https'], zone: 'clinical-apps', owner: owner('sam.patel'),
        criticality: 'high', ephi: 'full', tags: ['imaging', 'pacs'],
        accounts: [{ username: 'root', kind: 'human-admin', privilege: 'root', owner: owner('sam.patel') }],
      },
      {
        name: 'lis-app-01', address: '10.20.3.30', protocols: ['ssh'], zone: 'clinical-apps', owner: owner('sam.patel'),
        criticality: 'high', ephi: 'limited', tags: ['lab'],
        accounts: [{ username: 'lisadmin', kind: 'human-admin', privilege: 'admin', owner: owner('sam.patel') }],
      },
      {
        name: 'dc-01', address: '10.10.0.5', protocols: ['rdp'], zone: 'enterprise', owner: owner('maria.chen'),
        criticality: 'high', ephi: 'none', tags: ['directory'],
        accounts: [{ username: 'Administrator', kind: 'human-admin', privilege: 'root', owner: owner('maria.chen') }],
      },
      {
        name: 'file-srv-01', address: '10.10.0.20', protocols: ['ssh'], zone: 'enterprise', owner: owner('sam.patel'),
        criticality: 'medium', ephi: 'limited', tags: ['files'],
        accounts: [{ username: 'root', kind: 'human-admin', privilege: 'root', owner: owner('sam.patel') }],
      },
      {
        name: 'core-sw-01', address: '10.0.0.1', protocols: ['ssh'], zone: 'network', owner: owner('nina.ruiz'),
        criticality: 'high', ephi: 'none', tags: ['network'],
        passwordPolicy: { length: 16, symbols: false, exclude: '"\'\\' },
        accounts: [{ username: 'netadmin', kind: 'human-admin', privilege: 'admin', owner: owner('nina.ruiz') }],
      },
      {
        name: 'infusion-gw-01', address: '10.30.1.5', protocols: ['ssh'], zone: 'medical-devices', owner: owner('carl.berg'),
        criticality: 'clinical-critical', ephi: 'limited', tags: ['infusion', 'iomt'],
        accounts: [{ username: 'biomed', kind: 'device', privilege: 'admin', owner: owner('carl.berg') }],
      },
      {
        name: 'mri-console-01', address: '10.30.2.9', protocols: ['ssh'], zone: 'medical-devices', owner: owner('carl.berg'),
        criticality: 'high', ephi: 'full', tags: ['imaging', 'vendor-managed'],
        accounts: [
          { username: 'service', kind: 'vendor', privilege: 'admin', owner: owner('carl.berg') },
          { username: 'emergency', kind: 'emergency', privilege: 'root', owner: owner('carl.berg') },
        ],
      },
    ],
  });
}

interface DemoCredentials {
  adminPassword: string | null;
  userPassword: string;
}

export interface DemoResult {
  hospital: string;
  howToLogIn: string[];
}

/** Loads the demo hospital into a running composition; returns the lines `ward demo` prints. */
export async function loadDemoHospital(ward: Ward, options: { adminPassword?: string | undefined } = {}): Promise<DemoResult> {
  const actor = { system: 'demo-loader' };
  // The demo keeps its generated passwords in a 0600 file in the data dir so a second `npm run demo` can say
  // them again. A real deployment has no such file: `ward init` prints the admin's one-time password once.
  const file = join(ward.config.dataDir, 'demo-credentials.json');
  const saved: DemoCredentials = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as DemoCredentials)
    : { adminPassword: null, userPassword: `Demo-${randomToken(12)}` };
  if (options.adminPassword) saved.adminPassword = options.adminPassword;
  else if (ward.config.bootstrapAdminPassword) saved.adminPassword = ward.config.bootstrapAdminPassword;
  writeFileSync(file, JSON.stringify(saved, null, 2), { mode: 0o600 });

  const roleIds = new Map<string, string>();
  for (const role of roles) {
    const existing = await ward.identity.findRoleByName(role.name);
    const made = existing ?? (await ward.identity.createRole({ ...role, idleTimeoutSeconds: role.idleTimeoutSeconds ?? null }, actor));
    roleIds.set(role.name, made.id);
  }
  const userIds = new Map<string, string>();
  for (const person of users) {
    let user = await ward.identity.findUserByUsername(person.username);
    if (!user) {
      user = await ward.identity.createUser(
        {
          username: person.username,
          displayName: person.displayName,
          email: `${person.username}@stward.example`,
          kind: person.kind ?? 'human',
          department: person.department,
          managerId: person.manager ? (userIds.get(person.manager) ?? null) : null,
          expiresAt: person.expiresInDays ? ward.clock.now() + person.expiresInDays * 86_400_000 : null,
          password: saved.userPassword,
        },
        actor,
      );
      for (const role of person.roles) {
        await ward.identity.assignRole({ roleId: roleIds.get(role)!, subjectType: 'user', subjectId: user.id }, actor);
      }
    }
    userIds.set(person.username, user.id);
  }
  const existingGroups = new Set((await ward.identity.listGroups()).map((g) => g.name));
  for (const group of groups) {
    if (existingGroups.has(group.name)) continue;
    const made = await ward.identity.createGroup({ name: group.name, description: group.description }, actor);
    for (const member of group.members) await ward.identity.addMember(made.id, { type: 'user', id: userIds.get(member)! }, actor);
  }
  await ward.inventory.importInventory(
    { format: 'yaml', content: inventoryYaml((username) => userIds.get(username)!) },
    { kind: 'system', name: 'demo-loader' },
  );

  const url = ward.config.publicUrl;
  return {
    hospital: DEMO_HOSPITAL,
    howToLogIn: [
      saved.adminPassword
        ? `Administrator: username "admin", password "${saved.adminPassword}" (enrol a second factor at first sign-in)`
        : 'Administrator: username "admin" with the password `ward init` printed',
      `Demo staff (${users.map((u) => u.username).join(', ')}): password "${saved.userPassword}"`,
      `Sign in: curl -s ${url}/api/v1/auth/login -H 'content-type: application/json' -d '{"username":"admin","password":"…"}'`,
      `Demo passwords are kept in ${file} (mode 0600) for this demo only.`,
    ],
  };
}
