import { Packr, Unpackr } from "msgpackr";
import { AUTH_COMMAND_TYPES, type AuthCommand } from "../auth/auth-commands.ts";
import { decodeAuthState, encodeAuthState } from "../auth/auth-state-codec.ts";
import { AuthState } from "../auth/auth-state.ts";
import type { Engine } from "../engine/index.ts";
import * as read from "../errors/snapshot-fields.ts";
import { SECRET_COMMAND_TYPES, type SecretCommand } from "../secrets/secret-commands.ts";
import { decodeSecretStore, encodeSecretStore } from "../secrets/secret-store-codec.ts";
import { SecretStore } from "../secrets/secret-store.ts";
import type { Clock } from "./clock.ts";
import type { CommandLog } from "./command-log.ts";
import type { Command } from "./commands.ts";
import { applyCommand } from "./state-machine.ts";

/**
 * The control-plane state (principals, keys, roles, secret scopes, sealed secrets) and how its
 * commands are applied. The same `apply` runs live and on replay, so recovery rebuilds the state the
 * original run had; commands carry everything they need (ids, hashes, ciphertext), never a secret.
 */
export type ControlPlaneCommand = AuthCommand | SecretCommand;

export function isControlPlaneCommand(c: Command): c is ControlPlaneCommand {
  return AUTH_COMMAND_TYPES.has(c.type) || SECRET_COMMAND_TYPES.has(c.type);
}

// Shared structures (msgpackr records) would tie the bytes to this process's packer; they must stand alone.
const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false });

export class ControlPlane {
  readonly auth: AuthState;
  readonly secrets: SecretStore;

  constructor(auth = new AuthState(), secrets = new SecretStore()) {
    this.auth = auth;
    this.secrets = secrets;
  }

  /**
   * A control plane as a snapshot left it (the bytes of exportState). Records are restored, caches
   * and indexes rebuilt, so it behaves exactly like the one exported. Throws TesseraError
   * internal_error "snapshot: ..." for bytes exportState cannot have made, and unavailable for a part
   * written in a newer format.
   */
  static fromState(bytes: Uint8Array): ControlPlane {
    let value: unknown;
    try {
      value = unpackr.unpack(bytes);
    } catch (e) {
      throw read.snapshotError(`the control-plane state is not MessagePack (${(e as Error).message})`);
    }
    const o = read.object(value, "control-plane state");
    return new ControlPlane(decodeAuthState(o["auth"]), decodeSecretStore(o["secrets"]));
  }

  /**
   * The whole state for a snapshot, as MessagePack: principals, API key hashes, role assignments and
   * secret scopes with their ciphertext (never a secret value or an API key). Each part carries its
   * own format version (auth-state-codec.ts, secret-store-codec.ts).
   */
  exportState(): Uint8Array {
    // A copy: msgpackr's result shares its working buffer, and the snapshot is written over many turns.
    return Buffer.from(packr.pack({ auth: encodeAuthState(this.auth), secrets: encodeSecretStore(this.secrets) }));
  }

  apply(c: ControlPlaneCommand, now: number): void {
    switch (c.type) {
      case "create_secret_scope":
        this.secrets.apply(c, now);
        if (c.creator !== null) {
          const creator = c.creator;
          this.auth.apply(
            { type: "assign_roles", assignments: [{ resource_type: "secret_scope", resource_id: c.scope, role: "manage_scope_role", principal_type: creator.type, principal_id: creator.id }] },
            now,
          );
        }
        return;
      case "delete_secret_scope":
        this.secrets.apply(c, now);
        this.auth.scopeDeleted(c.scope);
        return;
      case "put_secret":
      case "delete_secret":
        this.secrets.apply(c, now);
        return;
      default:
        this.auth.apply(c, now);
    }
  }

  /** A workspace was deleted: its role assignments (on it and held by it) go too. */
  workspaceDeleted(name: string): void {
    this.auth.workspaceDeleted(name);
  }
}

/** Recovery: every logged command goes to the engine or to the control plane, at its recorded time. */
export function replayCommand(engine: Engine, controlPlane: ControlPlane, command: Command, lsn: number, now: number): void {
  if (isControlPlaneCommand(command)) {
    controlPlane.apply(command, now);
    return;
  }
  applyCommand(engine, command, lsn, now);
  if (command.type === "delete_workspace") controlPlane.workspaceDeleted(command.name);
}

/**
 * Commits control-plane commands: validated by the caller first (nothing invalid is logged), then
 * appended, applied, and acknowledged once durable.
 */
export class ControlPlaneWriter {
  readonly state: ControlPlane;
  private readonly log: CommandLog;
  private readonly clock: Clock;

  constructor(state: ControlPlane, log: CommandLog, clock: Clock) {
    this.state = state;
    this.log = log;
    this.clock = clock;
  }

  now(): number {
    return this.clock.now();
  }

  async commit(...commands: ControlPlaneCommand[]): Promise<void> {
    let last: Promise<void> | undefined;
    for (const c of commands) {
      const now = this.clock.now();
      const { durable } = this.log.append(c, now);
      this.state.apply(c, now);
      last = durable ?? last;
    }
    await last;
  }
}
