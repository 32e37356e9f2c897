import * as read from "../errors/snapshot-fields.ts";
import { SecretStore, type ScopeRecord } from "./secret-store.ts";

/**
 * SecretStore in a snapshot, as plain data for MessagePack: scopes and their secrets in map order,
 * each secret as the nonce and AES-256-GCM ciphertext it is held as (cipher.ts). A snapshot never
 * holds a secret value; the master key is not in it either.
 *
 * Format 1:
 *
 *     { format: 1, scopes: [{ name, createTime, secrets: [{ key, nonce, ciphertext, updateTime }] }] }
 */

export const SECRET_STORE_FORMAT = 1;

export function encodeSecretStore(store: SecretStore): unknown {
  return {
    format: SECRET_STORE_FORMAT,
    scopes: Array.from(store.scopes.values(), (s) => ({
      name: s.name,
      createTime: s.createTime,
      secrets: Array.from(s.secrets, ([key, v]) => ({ key, nonce: v.nonce, ciphertext: v.ciphertext, updateTime: v.updateTime })),
    })),
  };
}

/** Throws TesseraError internal_error "snapshot: ..." for a value encodeSecretStore cannot have made. */
export function decodeSecretStore(value: unknown): SecretStore {
  const o = read.object(value, "secret store");
  read.checkFormat(o["format"], SECRET_STORE_FORMAT, "secret store");
  const store = new SecretStore();
  for (const v of read.array(o["scopes"], "scopes")) {
    const s = read.object(v, "secret scope");
    const scope: ScopeRecord = { name: read.string(s["name"], "scope name"), createTime: read.number(s["createTime"], "scope createTime"), secrets: new Map() };
    for (const e of read.array(s["secrets"], "scope secrets")) {
      const secret = read.object(e, "secret");
      scope.secrets.set(read.string(secret["key"], "secret key"), {
        nonce: read.string(secret["nonce"], "secret nonce"),
        ciphertext: read.string(secret["ciphertext"], "secret ciphertext"),
        updateTime: read.number(secret["updateTime"], "secret updateTime"),
      });
    }
    store.scopes.set(scope.name, scope);
  }
  return store;
}
