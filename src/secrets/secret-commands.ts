import type { PrincipalRef } from "../auth/principal.ts";

/**
 * Control-plane commands of the Secrets service. A secret reaches the log only as AES-256-GCM
 * ciphertext (with its nonce, both base64); the plaintext never does.
 */
export type SecretCommand =
  /** The creator (null with --auth off) gets manage_scope_role on the scope in the same command. */
  | { readonly type: "create_secret_scope"; readonly scope: string; readonly creator: PrincipalRef | null }
  | { readonly type: "delete_secret_scope"; readonly scope: string }
  | { readonly type: "put_secret"; readonly scope: string; readonly key: string; readonly nonce: string; readonly ciphertext: string }
  | { readonly type: "delete_secret"; readonly scope: string; readonly key: string };

export const SECRET_COMMAND_TYPES: ReadonlySet<string> = new Set<SecretCommand["type"]>(["create_secret_scope", "delete_secret_scope", "put_secret", "delete_secret"]);
