// What other folders may import from the vault: the service factory, key providers, the data-key API types,
// routes, backups and the ML-DSA-65 signer.
export { createVault, type Vault, type VaultDeps, type RotationStatus, type RevealInput } from './service.js';
export { vaultRoutes } from './routes.js';
export { vaultMigrations } from './migrations.js';
export type { KeyProvider, KekHandle } from './key-provider.js';
export { createFileKeyProvider, defaultKeyFilePath, defaultKeyFileName } from './file-key-provider.js';
export { createPkcs11KeyProvider, type Pkcs11Options, type Pkcs11KeyProvider } from './pkcs11-key-provider.js';
export { seal, open, newKey, DATA_ALGORITHM } from './crypto.js';
export { createBackup, restoreBackup, openBackup, readBackupHeader, generateBackupKeyPair, BACKUP_ALGORITHM, type BackupHeader } from './backup.js';
export { createMlDsaSigner, loadOrCreateMlDsaSigner, loadOrCreateAuditMlDsaSigner, mlDsaVerifier, verifyMlDsa65, mlDsaKeyId, signerInventoryEntry, type MlDsaSigner } from './pq-signer.js';
export { secretKinds, generatePassword, generateSshKey, type SecretKind } from './secret-kinds.js';
export * from './types.js';
export { keyProviderSettings, createKeyProvider, type KeyProviderSettings } from './provider-config.js';
