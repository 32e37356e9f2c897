import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * API keys: `tsk_<id>_<secret>`, where id is 16 hex digits (it names the stored record, so a lookup
 * needs no scan) and secret is 32 random bytes in base64url. Only SHA-256 of the whole key is stored;
 * a plain hash is enough because the key carries 256 bits of entropy (nothing to brute-force, so no
 * slow KDF). Hashes are compared with crypto.timingSafeEqual.
 */

export const KEY_PREFIX = "tsk_";
const KEY_RE = /^tsk_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$/;

/** Longest presented key that is even looked at; longer ones are rejected without hashing. */
export const MAX_PRESENTED_KEY_LENGTH = 512;

export interface NewApiKey {
  readonly id: string;
  /** The secret key, shown once. */
  readonly key: string;
  readonly hash: Buffer;
  readonly prefix: string;
}

export function newApiKeyId(): string {
  return randomBytes(8).toString("hex");
}

export function generateApiKey(id: string = newApiKeyId()): NewApiKey {
  const key = `${KEY_PREFIX}${id}_${randomBytes(32).toString("base64url")}`;
  return { id, key, hash: hashKey(key), prefix: `${KEY_PREFIX}${id}` };
}

/** A fresh bootstrap admin key (same entropy, not tied to a record). */
export function generateAdminKey(): string {
  return `${KEY_PREFIX}admin_${randomBytes(32).toString("base64url")}`;
}

export function hashKey(key: string): Buffer {
  return createHash("sha256").update(key, "utf8").digest();
}

/** The record id a presented key names, or undefined when it is not in the key format. */
export function keyIdOf(key: string): string | undefined {
  return KEY_RE.exec(key)?.[1];
}

export function sameHash(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A 32-hex-digit principal id, like Tecton's service account ids. */
export function newPrincipalId(): string {
  return randomBytes(16).toString("hex");
}
