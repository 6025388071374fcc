// KEKs inside an HSM over PKCS#11: generated in the token as sensitive, non-extractable AES-256 keys, and every
// wrap/unwrap of a data key is an AES-GCM encrypt/decrypt performed by the token. The PIN never appears in errors.
import { randomBytes } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { WardError } from '../platform/errors.js';
import { decryptionFailed, kekAad } from './crypto.js';
import type { KekHandle, KeyProvider } from './key-provider.js';

export interface Pkcs11Options {
  /** e.g. /usr/lib/softhsm/libsofthsm2.so */
  modulePath: string;
  tokenLabel: string;
  /** User PIN, from configuration or the environment; never logged. */
  pin: string;
  /** Objects are labelled `<prefix><version>`. */
  labelPrefix?: string;
}

// A PKCS#11 module is initialised once per process; every provider on the same module shares it.
const modules = new Map<string, pkcs11js.PKCS11>();

function loadModule(path: string): pkcs11js.PKCS11 {
  let module = modules.get(path);
  if (module) return module;
  module = new pkcs11js.PKCS11();
  try {
    module.load(path);
  } catch {
    throw new WardError('KEY_UNAVAILABLE', `The PKCS#11 module ${path} cannot be loaded.`);
  }
  try {
    module.C_Initialize();
  } catch (error) {
    if (!/CKR_CRYPTOKI_ALREADY_INITIALIZED/.test(String((error as Error).message))) {
      throw new WardError('KEY_UNAVAILABLE', `The PKCS#11 module ${path} failed to initialise.`);
    }
  }
  modules.set(path, module);
  return module;
}

function pkcs11Code(error: unknown): string {
  const match = /CKR_[A-Z_]+/.exec(String((error as Error)?.message ?? error));
  return match ? match[0] : 'unknown error';
}

const GCM_IV = 12;

export interface Pkcs11KeyProvider extends KeyProvider {
  /** Reads the KEK's protection attributes from the token (tests and `ward crypto inventory`). */
  inspectKek(kek: KekHandle): Promise<{ extractable: boolean; sensitive: boolean; valueReadable: boolean }>;
}

export function createPkcs11KeyProvider(options: Pkcs11Options): Pkcs11KeyProvider {
  const prefix = options.labelPrefix ?? 'ward-kek-';
  let state: { module: pkcs11js.PKCS11; session: Buffer } | undefined;
  const handles = new Map<string, Buffer>();

  function unavailable(message: string): WardError {
    return new WardError('KEY_UNAVAILABLE', message);
  }

  function connect(): { module: pkcs11js.PKCS11; session: Buffer } {
    if (state) return state;
    const module = loadModule(options.modulePath);
    let slot: Buffer | undefined;
    for (const candidate of module.C_GetSlotList(true)) {
      try {
        if (module.C_GetTokenInfo(candidate).label.trim() === options.tokenLabel) {
          slot = candidate;
          break;
        }
      } catch {
        /* a slot whose token vanished */
      }
    }
    if (!slot) throw unavailable(`The HSM token "${options.tokenLabel}" is not present.`);
    let session: Buffer;
    try {
      session = module.C_OpenSession(slot, pkcs11js.CKF_RW_SESSION | pkcs11js.CKF_SERIAL_SESSION);
    } catch (error) {
      throw unavailable(`Cannot open a session on HSM token "${options.tokenLabel}" (${pkcs11Code(error)}).`);
    }
    try {
      module.C_Login(session, pkcs11js.CKU_USER, options.pin);
    } catch (error) {
      const code = pkcs11Code(error);
      if (code !== 'CKR_USER_ALREADY_LOGGED_IN') {
        try {
          module.C_CloseSession(session);
        } catch {
          /* already gone */
        }
        const why = code === 'CKR_PIN_LOCKED' ? 'the token is locked' : code === 'CKR_PIN_INCORRECT' ? 'the PIN was refused' : code;
        throw unavailable(`Cannot log in to HSM token "${options.tokenLabel}": ${why}.`);
      }
    }
    state = { module, session };
    return state;
  }

  function reset(): void {
    if (state) {
      try {
        state.module.C_CloseSession(state.session);
      } catch {
        /* already gone */
      }
    }
    state = undefined;
    handles.clear();
  }

  function findKey(label: string): Buffer {
    const cached = handles.get(label);
    if (cached) return cached;
    const { module, session } = connect();
    module.C_FindObjectsInit(session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_LABEL, value: label },
    ]);
    const found = module.C_FindObjects(session, 2);
    module.C_FindObjectsFinal(session);
    if (found.length !== 1) throw unavailable(`The HSM token "${options.tokenLabel}" has ${found.length === 0 ? 'no' : 'more than one'} key labelled "${label}".`);
    handles.set(label, found[0]!);
    return found[0]!;
  }

  /** Runs a token operation; a lost session is reopened once, other failures become KEY_UNAVAILABLE. */
  function withToken<T>(work: (module: pkcs11js.PKCS11, session: Buffer) => T): T {
    for (let attempt = 0; ; attempt++) {
      const { module, session } = connect();
      try {
        return work(module, session);
      } catch (error) {
        if (error instanceof WardError) throw error;
        const code = pkcs11Code(error);
        if (['CKR_ENCRYPTED_DATA_INVALID', 'CKR_ENCRYPTED_DATA_LEN_RANGE'].includes(code)) throw decryptionFailed();
        reset();
        if (attempt === 0 && /SESSION|DEVICE|TOKEN_NOT|USER_NOT_LOGGED_IN|OBJECT_HANDLE/.test(code)) continue;
        throw unavailable(`The HSM token "${options.tokenLabel}" refused the operation (${code}).`);
      }
    }
  }

  function gcm(iv: Buffer, version: number) {
    return {
      mechanism: pkcs11js.CKM_AES_GCM,
      parameter: { type: pkcs11js.CK_PARAMS_AES_GCM, iv, aad: Buffer.from(kekAad(version)), ivBits: GCM_IV * 8, tagBits: 128 },
    } as pkcs11js.Mechanism;
  }

  return {
    id: 'pkcs11',
    algorithm: 'AES-256-GCM in PKCS#11 token (non-extractable)',
    location: `pkcs11:token=${options.tokenLabel}`,
    async createKek(version) {
      const label = `${prefix}${version}`;
      return withToken((module, session) => {
        module.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_LABEL, value: label }]);
        const existing = module.C_FindObjects(session, 1);
        module.C_FindObjectsFinal(session);
        if (existing.length) throw new WardError('CONFLICT', `The HSM token already holds a key labelled "${label}".`);
        const handle = module.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
          { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
          { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
          { type: pkcs11js.CKA_TOKEN, value: true },
          { type: pkcs11js.CKA_PRIVATE, value: true },
          { type: pkcs11js.CKA_SENSITIVE, value: true },
          { type: pkcs11js.CKA_EXTRACTABLE, value: false },
          { type: pkcs11js.CKA_ENCRYPT, value: true },
          { type: pkcs11js.CKA_DECRYPT, value: true },
          { type: pkcs11js.CKA_WRAP, value: false },
          { type: pkcs11js.CKA_UNWRAP, value: false },
          { type: pkcs11js.CKA_LABEL, value: label },
        ]);
        handles.set(label, handle);
        return { reference: label };
      });
    },
    async wrap(dataKey, kek) {
      return withToken((module, session) => {
        const key = findKey(kek.reference);
        const iv = randomBytes(GCM_IV);
        module.C_EncryptInit(session, gcm(iv, kek.version), key);
        const body = module.C_Encrypt(session, Buffer.from(dataKey), Buffer.alloc(dataKey.length + 32));
        return Buffer.concat([iv, body]);
      });
    },
    async unwrap(wrapped, kek) {
      if (wrapped.length <= GCM_IV + 16) throw decryptionFailed();
      const buffer = Buffer.from(wrapped);
      return withToken((module, session) => {
        const key = findKey(kek.reference);
        module.C_DecryptInit(session, gcm(buffer.subarray(0, GCM_IV), kek.version), key);
        return Buffer.from(module.C_Decrypt(session, buffer.subarray(GCM_IV), Buffer.alloc(buffer.length)));
      });
    },
    async check(kek) {
      withToken(() => findKey(kek.reference));
    },
    async inspectKek(kek) {
      return withToken((module, session) => {
        const key = findKey(kek.reference);
        const [extractable, sensitive] = module.C_GetAttributeValue(session, key, [
          { type: pkcs11js.CKA_EXTRACTABLE },
          { type: pkcs11js.CKA_SENSITIVE },
        ]);
        let valueReadable = true;
        try {
          const [value] = module.C_GetAttributeValue(session, key, [{ type: pkcs11js.CKA_VALUE }]);
          valueReadable = Buffer.isBuffer(value?.value) && value.value.length > 0;
        } catch {
          valueReadable = false;
        }
        const truthy = (a: pkcs11js.Attribute | undefined) => Buffer.isBuffer(a?.value) ? a.value[0] === 1 : a?.value === true;
        return { extractable: truthy(extractable), sensitive: truthy(sensitive), valueReadable };
      });
    },
    async close() {
      reset();
    },
  };
}
