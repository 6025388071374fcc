// Inventory tables, merged into the Database type.
import type { Bool } from '../platform/database/schema.js';

export interface InventoryZonesTable {
  id: string;
  name: string;
  name_normalized: string;
  description: string;
  gateway_ids: string;
  created_at: number;
  updated_at: number;
}

export interface InventoryTargetsTable {
  id: string;
  name: string;
  name_normalized: string;
  address: string;
  protocols: string;
  zone_id: string;
  owner_user_id: string | null;
  criticality: string;
  ephi_sensitivity: string;
  risk_tier: string;
  tags: string;
  password_policy: string | null;
  session_policy: string | null;
  created_at: number;
  updated_at: number;
}

export interface InventoryAccountsTable {
  id: string;
  target_id: string;
  username: string;
  username_normalized: string;
  kind: string;
  privilege_level: string;
  owner_user_id: string | null;
  managed: Bool;
  created_at: number;
  updated_at: number;
}

export interface InventoryHostKeysTable {
  id: string;
  target_id: string;
  public_key: string;
  algorithm: string;
  fingerprint: string;
  pinned_by: string | null;
  pinned_at: number;
}

declare module '../platform/database/schema.js' {
  interface Database {
    inventory_zones: InventoryZonesTable;
    inventory_targets: InventoryTargetsTable;
    inventory_accounts: InventoryAccountsTable;
    inventory_host_keys: InventoryHostKeysTable;
  }
}
