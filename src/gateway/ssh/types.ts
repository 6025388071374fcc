// The narrow interfaces the SSH gateway needs from the rest of Ward (identity, inventory + vault, policy, keys).
// The composition root adapts the real services to these; tests implement them in a few lines.
import type { Secret } from '../../platform/secret.js';

/** A Ward identity as the gateway sees it after authentication. */
export interface GatewayUser {
  id: string;
  username: string;
  kind?: 'user' | 'vendor' | 'service';
  /** When the user last proved a second factor (epoch ms), for policy's "MFA age". */
  mfaAt?: number | undefined;
}

export interface GatewayUsers {
  /**
   * Is this public key registered to the Ward user? The gateway has already checked the signature;
   * return null for unknown users, unknown keys, locked or disabled accounts.
   */
  authenticatePublicKey(username: string, key: { algorithm: string; blob: Buffer }): Promise<GatewayUser | null>;
  /** Password + TOTP (keyboard-interactive). Null on any failure; throttling is the identity service's job. */
  authenticatePassword(username: string, password: Secret, totp: string, context?: { clientAddress: string }): Promise<GatewayUser | null>;
}

/** What the user asked for in the SSH login name: `alice+ehr-db-01` or `alice+root@ehr-db-01`. */
export interface TargetSelection {
  username: string;
  target: string;
  /** The account on the target, when named; otherwise the target's default account. */
  account?: string | undefined;
}

export interface ResolvedTarget {
  id: string;
  name: string;
  host: string;
  port: number;
  zone: string;
  riskTier?: string | undefined;
  /**
   * Pinned host keys in OpenSSH form (`ssh-ed25519 AAAA…`). Empty: not yet pinned, and the gateway refuses
   * (first use needs an admin confirmation or an imported known_hosts).
   */
  hostKeys: string[];
}

export type AccountCredential =
  | { kind: 'password'; password: Secret }
  | { kind: 'privateKey'; privateKey: Secret<string | Buffer>; passphrase?: Secret | undefined };

export interface ResolvedAccount {
  id: string;
  name: string;
  /** "rotate after use": the gateway reports the session end so the vault can rotate. */
  rotateAfterUse?: boolean | undefined;
}

export interface GatewayTargets {
  /** Null when the target or account does not exist (the gateway says so without revealing more). */
  resolve(selection: TargetSelection): Promise<{ target: ResolvedTarget; account: ResolvedAccount } | null>;
  /** The vaulted credential; used by the gateway to log in upstream and never shown to the user. */
  credential(account: ResolvedAccount, context: { userId: string; sessionId: string }): Promise<AccountCredential>;
  /** Optional: called once a session that used the account has ended (the vault rotates when policy says so). */
  sessionEnded?(account: ResolvedAccount, context: { userId: string; sessionId: string }): void;
}

export type ChannelKind = 'shell' | 'exec' | 'sftp' | 'port-forward' | 'agent' | 'x11';

/** Command control for a target: allow-mode (exec only, exact argv allow-list) or deny-mode (shell line guard). */
export type CommandControl =
  | { mode: 'off' }
  | { mode: 'allow'; commands: string[][] }
  | { mode: 'deny'; pasteBurstChars?: number | undefined };

export interface ConnectContext {
  user: GatewayUser;
  target: ResolvedTarget;
  account: ResolvedAccount;
  /** The zones this gateway serves: a target outside them is refused (zone fence) before policy is asked. */
  gatewayZones: string[];
  clientAddress: string;
  /** How the user proved who they are; a registered key followed by password + TOTP is the strongest. */
  authMethod: 'publickey' | 'keyboard-interactive' | 'publickey+keyboard-interactive';
  time: number;
}

export type ConnectDecision =
  | {
      allowed: true;
      /** The JIT or break-glass grant that authorises the session; its end ends the session. */
      grantId?: string | undefined;
      policyIds?: string[] | undefined;
      /** Automatic logoff after this much inactivity (HIPAA 164.312(a)(2)(iii)); default from the gateway. */
      idleTimeoutMs?: number | undefined;
      commandControl?: CommandControl | undefined;
      reasonCode?: string | undefined;
      ticket?: string | undefined;
    }
  | {
      allowed: false;
      /** One line the user sees, e.g. "no active grant for ehr-db-01". */
      reason: string;
      policyIds?: string[] | undefined;
      /**
       * The refusal would lift with a second factor (the target requires one, or policy wants a fresh MFA proof):
       * after a key-only login the gateway asks for password + TOTP (SSH partial success) instead of refusing.
       */
      secondFactor?: boolean | undefined;
    };

export interface ChannelRequest {
  kind: ChannelKind;
  /** For exec: the command line; for port-forward: "host:port". */
  detail?: string | undefined;
}

export type ChannelDecision = { allowed: true } | { allowed: false; reason: string };

export interface GatewayAuthorizer {
  authorizeConnect(context: ConnectContext): Promise<ConnectDecision>;
  /** Per channel; implementations should deny port-forward, agent and x11 unless policy allows them. */
  authorizeChannel(context: ConnectContext, request: ChannelRequest): ChannelDecision | Promise<ChannelDecision>;
}

/** Per-recording data keys from the vault's key provider (envelope encryption). */
export interface RecordingKeys {
  newDataKey(): Promise<{ key: Buffer; wrapped: Buffer }>;
  unwrap(wrapped: Buffer): Promise<Buffer>;
}
