// The one table from Ward action codes to DICOM audit event codes (PS3.15 A.5, code system DCM), used by the FHIR
// exporter and CEF. Exact actions first, then the longest matching prefix, then "Application Activity".

export interface DicomCode {
  code: string;
  display: string;
}

export interface DicomMapping {
  type: DicomCode;
  subtype?: DicomCode | undefined;
  /** FHIR AuditEvent.action: C create, R read, U update, D delete, E execute. */
  fhirAction: 'C' | 'R' | 'U' | 'D' | 'E';
}

export const DCM_SYSTEM = 'http://dicom.nema.org/resources/ontology/DCM';

const dcm = {
  applicationActivity: { code: '110100', display: 'Application Activity' },
  auditLogUsed: { code: '110101', display: 'Audit Log Used' },
  export: { code: '110106', display: 'Export' },
  securityAlert: { code: '110113', display: 'Security Alert' },
  userAuthentication: { code: '110114', display: 'User Authentication' },
  login: { code: '110122', display: 'Login' },
  logout: { code: '110123', display: 'Logout' },
  emergencyOverrideStarted: { code: '110127', display: 'Emergency Override Started' },
  securityConfiguration: { code: '110129', display: 'Security Configuration' },
  restrictedFunction: { code: '110132', display: 'Use of a restricted function' },
  securityRolesChanged: { code: '110136', display: 'Security Roles Changed' },
  userSecurityAttributesChanged: { code: '110137', display: 'User security Attributes Changed' },
  emergencyOverrideStopped: { code: '110138', display: 'Emergency Override Stopped' },
  remoteServiceStarted: { code: '110139', display: 'Remote Service Operation Started' },
  remoteServiceStopped: { code: '110140', display: 'Remote Service Operation Stopped' },
} satisfies Record<string, DicomCode>;

const security = (subtype: DicomCode, fhirAction: DicomMapping['fhirAction'] = 'E'): DicomMapping => ({ type: dcm.securityAlert, subtype, fhirAction });

/** Exact Ward action codes. */
export const dicomByAction: Record<string, DicomMapping> = {
  'auth.login': { type: dcm.userAuthentication, subtype: dcm.login, fhirAction: 'E' },
  'auth.login.failed': { type: dcm.userAuthentication, subtype: dcm.login, fhirAction: 'E' },
  'auth.mfa.verified': { type: dcm.userAuthentication, subtype: dcm.login, fhirAction: 'E' },
  'auth.logout': { type: dcm.userAuthentication, subtype: dcm.logout, fhirAction: 'E' },
  'auth.session.expired': { type: dcm.userAuthentication, subtype: dcm.logout, fhirAction: 'E' },
  'auth.session.revoked': { type: dcm.userAuthentication, subtype: dcm.logout, fhirAction: 'E' },
  'access.breakglass.started': security(dcm.emergencyOverrideStarted),
  'access.breakglass.ended': security(dcm.emergencyOverrideStopped),
  'access.breakglass.expired': security(dcm.emergencyOverrideStopped),
  'identity.role.assigned': security(dcm.securityRolesChanged, 'U'),
  'identity.role.removed': security(dcm.securityRolesChanged, 'U'),
  'identity.role.created': security(dcm.securityRolesChanged, 'C'),
  'identity.role.updated': security(dcm.securityRolesChanged, 'U'),
  'identity.role.deleted': security(dcm.securityRolesChanged, 'D'),
  'identity.user.locked': security(dcm.userSecurityAttributesChanged, 'U'),
  'identity.user.unlocked': security(dcm.userSecurityAttributesChanged, 'U'),
  'identity.user.disabled': security(dcm.userSecurityAttributesChanged, 'U'),
  'identity.user.enabled': security(dcm.userSecurityAttributesChanged, 'U'),
  'identity.user.mfa.enrolled': security(dcm.userSecurityAttributesChanged, 'U'),
  'identity.user.mfa.reset': security(dcm.userSecurityAttributesChanged, 'U'),
  'identity.user.password.changed': security(dcm.userSecurityAttributesChanged, 'U'),
  'audit.log.used': { type: dcm.auditLogUsed, fhirAction: 'R' },
  'audit.log.exported': { type: dcm.auditLogUsed, fhirAction: 'R' },
  'audit.log.verified': { type: dcm.auditLogUsed, fhirAction: 'R' },
  'audit.archive.sealed': { type: dcm.export, fhirAction: 'E' },
  'gateway.session.started': security(dcm.remoteServiceStarted),
  'gateway.session.ended': security(dcm.remoteServiceStopped),
  'vault.secret.revealed': security(dcm.restrictedFunction, 'R'),
  'vault.checkout.created': security(dcm.restrictedFunction),
};

/** Families of actions without an exact entry. */
export const dicomByPrefix: Array<[prefix: string, mapping: DicomMapping]> = [
  ['auth.', { type: dcm.userAuthentication, fhirAction: 'E' }],
  ['identity.role.', security(dcm.securityRolesChanged, 'U')],
  ['identity.user.', security(dcm.userSecurityAttributesChanged, 'U')],
  ['policy.', security(dcm.securityConfiguration, 'U')],
  ['audit.sink.', security(dcm.securityConfiguration, 'U')],
  ['vault.keys.', security(dcm.securityConfiguration, 'U')],
  ['access.breakglass.', { type: dcm.securityAlert, fhirAction: 'E' }],
  ['detection.', { type: dcm.securityAlert, fhirAction: 'E' }],
  ['gateway.', security(dcm.restrictedFunction)],
];

const fallback: DicomMapping = { type: dcm.applicationActivity, fhirAction: 'E' };

export function dicomFor(action: string): DicomMapping {
  const exact = dicomByAction[action];
  if (exact) return exact;
  let best: [string, DicomMapping] | undefined;
  for (const entry of dicomByPrefix) if (action.startsWith(entry[0]) && (!best || entry[0].length > best[0].length)) best = entry;
  return best?.[1] ?? fallback;
}
