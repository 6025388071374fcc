// The one interface behind which key-encryption keys live: a local key file by default, or an HSM over PKCS#11.
// Providers only ever see data keys to wrap; KEK material never leaves the provider.

/** A KEK version as the store records it; `reference` lets the provider find (and check) the key. */
export interface KekHandle {
  version: number;
  reference: string;
}

export interface KeyProvider {
  /** 'file' or 'pkcs11'. */
  readonly id: string;
  /** What wraps data keys, for the cryptography inventory. */
  readonly algorithm: string;
  /** Where the keys live, for operators (never secret). */
  readonly location: string;
  /** Makes KEK `version` and returns the reference to store beside it. */
  createKek(version: number): Promise<{ reference: string }>;
  wrap(dataKey: Uint8Array, kek: KekHandle): Promise<Uint8Array>;
  /** Throws KEY_UNAVAILABLE when the KEK cannot be used, DECRYPTION_FAILED when the wrapped key is corrupt. */
  unwrap(wrapped: Uint8Array, kek: KekHandle): Promise<Uint8Array>;
  /** Throws KEY_UNAVAILABLE unless the KEK is present and usable. */
  check(kek: KekHandle): Promise<void>;
  close(): Promise<void>;
}
