import type { SecretCommand } from "./secret-commands.ts";
import type { Sealed } from "./cipher.ts";

/**
 * Secret scopes and their secrets, as ciphertext only: the state machine of the secret commands.
 * Role grants on scopes live in AuthState (a scope's creator gets manage_scope_role there).
 */

export interface ScopeRecord {
  readonly name: string;
  readonly createTime: number;
  /** key -> sealed value */
  readonly secrets: Map<string, Sealed & { readonly updateTime: number }>;
}

export class SecretStore {
  readonly scopes = new Map<string, ScopeRecord>();

  apply(c: SecretCommand, now: number): void {
    switch (c.type) {
      case "create_secret_scope":
        if (!this.scopes.has(c.scope)) this.scopes.set(c.scope, { name: c.scope, createTime: now, secrets: new Map() });
        return;
      case "delete_secret_scope":
        this.scopes.delete(c.scope);
        return;
      case "put_secret":
        this.scopes.get(c.scope)?.secrets.set(c.key, { nonce: c.nonce, ciphertext: c.ciphertext, updateTime: now });
        return;
      case "delete_secret":
        this.scopes.get(c.scope)?.secrets.delete(c.key);
        return;
    }
  }
}
