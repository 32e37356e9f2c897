import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * Secret values at rest: AES-256-GCM under the master key, a random 96-bit nonce per value, and the
 * additional authenticated data `<scope>/<key>`, so a ciphertext copied to another scope or key does
 * not decrypt. The 16-byte tag is appended to the ciphertext.
 */

export const MASTER_KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export interface Sealed {
  /** base64 */
  readonly nonce: string;
  /** base64 of ciphertext || tag */
  readonly ciphertext: string;
}

function aad(scope: string, key: string): Buffer {
  return Buffer.from(`${scope}/${key}`, "utf8");
}

export function seal(masterKey: Buffer, scope: string, key: string, plaintext: string): Sealed {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", masterKey, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(scope, key));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return { nonce: nonce.toString("base64"), ciphertext: body.toString("base64") };
}

/** The plaintext, or undefined when the ciphertext does not authenticate under this key and AAD. */
export function open(masterKey: Buffer, scope: string, key: string, sealed: Sealed): string | undefined {
  try {
    const body = Buffer.from(sealed.ciphertext, "base64");
    if (body.length < TAG_BYTES) return undefined;
    const decipher = createDecipheriv("aes-256-gcm", masterKey, Buffer.from(sealed.nonce, "base64"), { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(scope, key));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString("utf8");
  } catch {
    return undefined;
  }
}
