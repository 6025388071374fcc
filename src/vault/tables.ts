// Vault tables: KEK versions, wrapped data keys, secrets and their encrypted versions, check-outs, rotation jobs.
export interface VaultKeksTable {
  version: number;
  provider_id: string;
  algorithm: string;
  reference: string;
  state: string;
  created_at: number;
  retired_at: number | null;
}

export interface VaultDataKeysTable {
  id: string;
  purpose: string;
  wrapped_key: Uint8Array;
  kek_version: number;
  created_at: number;
}

export interface VaultSecretsTable {
  id: string;
  account_id: string;
  kind: string;
  current_version: number;
  status: string;
  status_reason: string | null;
  created_at: number;
  updated_at: number;
}

export interface VaultSecretVersionsTable {
  secret_id: string;
  version: number;
  data_key_id: string;
  algorithm: string;
  ciphertext: Uint8Array;
  metadata: string;
  created_at: number;
  created_by: string | null;
}

export interface VaultCheckoutsTable {
  id: string;
  account_id: string;
  /** Equal to account_id while open, null once ended: the unique index makes check-out exclusive. */
  open_account_id: string | null;
  user_id: string;
  username: string;
  reason: string;
  reason_code: string;
  ticket: string | null;
  checked_out_at: number;
  expires_at: number;
  ended_at: number | null;
  end_reason: string | null;
}

export interface VaultRotationJobsTable {
  id: string;
  kek_version: number;
  state: string;
  rewrapped: number;
  started_at: number;
  updated_at: number;
  finished_at: number | null;
}

declare module '../platform/database/schema.js' {
  interface Database {
    vault_keks: VaultKeksTable;
    vault_data_keys: VaultDataKeysTable;
    vault_secrets: VaultSecretsTable;
    vault_secret_versions: VaultSecretVersionsTable;
    vault_checkouts: VaultCheckoutsTable;
    vault_rotation_jobs: VaultRotationJobsTable;
  }
}
