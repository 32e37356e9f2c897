import { create } from "@bufbuild/protobuf";
import {
  CreateSecretScopeResponseSchema,
  DeleteSecretResponseSchema,
  DeleteSecretScopeResponseSchema,
  GetSecretValueResponseSchema,
  ListSecretScopesResponseSchema,
  ListSecretsResponseSchema,
  PutSecretValueResponseSchema,
  type CreateSecretScopeResponse,
  type DeleteSecretResponse,
  type DeleteSecretScopeResponse,
  type GetSecretValueResponse,
  type ListSecretScopesResponse,
  type ListSecretsResponse,
  type PutSecretValueResponse,
} from "../../gen/tessera/secrets/v1/secrets_service_pb.ts";
import type { Caller } from "../auth/caller.ts";
import { TesseraError } from "../errors/tessera-error.ts";
import { open, seal } from "../secrets/cipher.ts";
import type { ScopeRecord } from "../secrets/secret-store.ts";
import type { AuditLog } from "./auth-audit.ts";
import type { ControlPlaneWriter } from "./auth-control-plane.ts";
import type { AccessControl, ScopeOperation } from "./authorization.ts";

/**
 * The Secrets service (DESIGN §6, seed 000): scopes of secrets, for the REST routes and the Connect
 * SecretsService alike. Semantics from the seed: the creator of a scope gets manage_scope_role;
 * creating an existing scope is ALREADY_EXISTS; deleting a scope that still holds secrets is
 * FAILED_PRECONDITION (delete its secrets first); put is an idempotent upsert.
 *
 * A value is sealed with AES-256-GCM (AAD `<scope>/<key>`) here, before its command exists, so only
 * ciphertext reaches the command log. Values never appear in errors, logs or metrics; every read and
 * every change writes an audit line naming the scope and key only.
 *
 * Order of checks: input shape (400), then the scope's existence (404; scope names are listable by
 * every principal, so this tells nothing), then the caller's role on it (403), then the key (404).
 *
 * Limits: scope and key names are 1–255 characters of `A-Z a-z 0-9 _ . -`, starting with a letter,
 * digit or `_`; a value is a non-empty UTF-8 string of at most 64 KiB; at most 10 000 scopes and 1 000
 * secrets per scope.
 */

export const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;
export const MAX_VALUE_BYTES = 64 * 1024;
export const MAX_SCOPES = 10_000;
export const MAX_SECRETS_PER_SCOPE = 1_000;

export interface SecretsOptions {
  readonly writer: ControlPlaneWriter;
  readonly access: AccessControl;
  readonly audit: AuditLog;
  /** AES-256 key the values are sealed under. */
  readonly masterKey: Buffer;
}

export interface ScopeRequest {
  readonly scope: string;
}

export interface SecretRequest {
  readonly scope: string;
  readonly key: string;
}

export interface PutSecretRequest extends SecretRequest {
  readonly value: string;
}

export class Secrets {
  private readonly writer: ControlPlaneWriter;
  private readonly access: AccessControl;
  private readonly audit: AuditLog;
  private readonly masterKey: Buffer;

  constructor(options: SecretsOptions) {
    this.writer = options.writer;
    this.access = options.access;
    this.audit = options.audit;
    this.masterKey = options.masterKey;
  }

  private get store() {
    return this.writer.state.secrets;
  }

  async createScope(caller: Caller | undefined, req: ScopeRequest): Promise<CreateSecretScopeResponse> {
    const c = this.access.authenticated(caller);
    const scope = validName(req.scope, "scope");
    return this.audited(c, "create_scope", { scope }, async () => {
      if (this.store.scopes.has(scope)) throw new TesseraError("already_exists", `secret scope \`${scope}\` already exists`);
      if (this.store.scopes.size >= MAX_SCOPES) throw new TesseraError("resource_exhausted", `at most ${MAX_SCOPES} secret scopes`);
      const creator = c.authOff ? null : { type: c.actor.type, id: c.actor.id };
      await this.writer.commit({ type: "create_secret_scope", scope, creator });
      return create(CreateSecretScopeResponseSchema);
    });
  }

  /** Every scope, by name, to any authenticated principal (as Tecton lists them). */
  listScopes(caller: Caller | undefined): ListSecretScopesResponse {
    this.access.authenticated(caller);
    const names = [...this.store.scopes.keys()].sort();
    return create(ListSecretScopesResponseSchema, { scopes: names.map((name) => ({ name })) });
  }

  async deleteScope(caller: Caller | undefined, req: ScopeRequest): Promise<DeleteSecretScopeResponse> {
    const c = this.access.authenticated(caller);
    const scope = validName(req.scope, "scope");
    return this.audited(c, "delete_scope", { scope }, async () => {
      const s = this.scopeFor(c, "delete_scope", scope);
      if (s.secrets.size > 0) {
        throw new TesseraError("failed_precondition", `secret scope \`${scope}\` still holds ${s.secrets.size} secret(s): delete them before the scope`, { secrets: s.secrets.size });
      }
      await this.writer.commit({ type: "delete_secret_scope", scope });
      return create(DeleteSecretScopeResponseSchema);
    });
  }

  listSecrets(caller: Caller | undefined, req: ScopeRequest): ListSecretsResponse {
    const c = this.access.authenticated(caller);
    const s = this.scopeFor(c, "list_secrets", validName(req.scope, "scope"));
    return create(ListSecretsResponseSchema, { keys: [...s.secrets.keys()].sort().map((name) => ({ name })) });
  }

  getSecretValue(caller: Caller | undefined, req: SecretRequest): GetSecretValueResponse {
    const c = this.access.authenticated(caller);
    const scope = validName(req.scope, "scope");
    const key = validName(req.key, "key");
    return this.auditedSync(c, "read_secret", { scope, secret_key: key }, () => {
      const sealed = this.scopeFor(c, "read_secret", scope).secrets.get(key);
      if (sealed === undefined) throw new TesseraError("not_found", `secret \`${key}\` not found in scope \`${scope}\``);
      const value = open(this.masterKey, scope, key, sealed);
      if (value === undefined) {
        throw new TesseraError("failed_precondition", `secret \`${key}\` in scope \`${scope}\` cannot be decrypted with this server's master key (was TESSERA_MASTER_KEY or master.key changed?)`);
      }
      return create(GetSecretValueResponseSchema, { value });
    });
  }

  /** Creates or overwrites (idempotent upsert). */
  async putSecretValue(caller: Caller | undefined, req: PutSecretRequest): Promise<PutSecretValueResponse> {
    const c = this.access.authenticated(caller);
    const scope = validName(req.scope, "scope");
    const key = validName(req.key, "key");
    const value = req.value;
    if (typeof value !== "string" || value === "") throw new TesseraError("invalid_argument", "`value` must be a non-empty string");
    if (Buffer.byteLength(value, "utf8") > MAX_VALUE_BYTES) throw new TesseraError("invalid_argument", `\`value\` is longer than ${MAX_VALUE_BYTES} bytes`, { limit: MAX_VALUE_BYTES });
    return this.audited(c, "put_secret", { scope, secret_key: key }, async () => {
      const s = this.scopeFor(c, "put_secret", scope);
      if (!s.secrets.has(key) && s.secrets.size >= MAX_SECRETS_PER_SCOPE) {
        throw new TesseraError("resource_exhausted", `at most ${MAX_SECRETS_PER_SCOPE} secrets per scope`);
      }
      const sealed = seal(this.masterKey, scope, key, value);
      await this.writer.commit({ type: "put_secret", scope, key, nonce: sealed.nonce, ciphertext: sealed.ciphertext });
      return create(PutSecretValueResponseSchema);
    });
  }

  async deleteSecret(caller: Caller | undefined, req: SecretRequest): Promise<DeleteSecretResponse> {
    const c = this.access.authenticated(caller);
    const scope = validName(req.scope, "scope");
    const key = validName(req.key, "key");
    return this.audited(c, "delete_secret", { scope, secret_key: key }, async () => {
      const s = this.scopeFor(c, "delete_secret", scope);
      if (!s.secrets.has(key)) throw new TesseraError("not_found", `secret \`${key}\` not found in scope \`${scope}\``);
      await this.writer.commit({ type: "delete_secret", scope, key });
      return create(DeleteSecretResponseSchema);
    });
  }

  private scopeFor(c: Caller, operation: ScopeOperation, scope: string): ScopeRecord {
    const s = this.store.scopes.get(scope);
    if (s === undefined) throw new TesseraError("not_found", `secret scope \`${scope}\` not found`);
    this.access.scope(c, operation, scope);
    return s;
  }

  private async audited<T>(c: Caller, action: string, target: Record<string, unknown>, run: () => Promise<T>): Promise<T> {
    try {
      const r = await run();
      this.audit.record(c, `secrets.${action}`, target);
      return r;
    } catch (e) {
      this.auditFailure(c, action, target, e);
      throw e;
    }
  }

  private auditedSync<T>(c: Caller, action: string, target: Record<string, unknown>, run: () => T): T {
    try {
      const r = run();
      this.audit.record(c, `secrets.${action}`, target);
      return r;
    } catch (e) {
      this.auditFailure(c, action, target, e);
      throw e;
    }
  }

  private auditFailure(c: Caller, action: string, target: Record<string, unknown>, e: unknown): void {
    const code = e instanceof TesseraError ? e.code : "internal_error";
    this.audit.record(c, `secrets.${action}`, target, code === "permission_denied" ? "denied" : "failed", code);
  }
}

function validName(v: unknown, field: "scope" | "key"): string {
  if (typeof v !== "string" || !NAME_PATTERN.test(v)) {
    throw new TesseraError("invalid_argument", `\`${field}\` must be 1 to 255 characters of A-Z a-z 0-9 _ . - starting with a letter, digit or _`);
  }
  return v;
}
