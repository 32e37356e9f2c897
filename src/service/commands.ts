import type { AuthCommand } from "../auth/auth-commands.ts";
import type { Row } from "../engine/index.ts";
import type { SecretCommand } from "../secrets/secret-commands.ts";

/**
 * Every mutation is a command (DESIGN §1): appended to the command log, then applied to the state
 * machine. Commands are plain JSON data so the log can store them and recovery can re-apply them
 * with the time they were first applied at.
 */
export type Command =
  | RegisterCommand
  | PushCommandRecord
  | ResetCommand
  | CreateWorkspaceCommand
  | DeleteWorkspaceCommand
  // Control plane (src/service/auth-control-plane.ts applies them): principals, keys, roles, secrets.
  | AuthCommand
  | SecretCommand;

export interface RegisterCommand {
  readonly type: "register";
  readonly workspace: string;
  /** The validated envelope; re-planning it against the same registry yields the same plan. */
  readonly envelope: unknown;
}

export interface PushCommandRecord {
  readonly type: "push";
  readonly workspace: string;
  readonly event: string;
  readonly data: Row;
}

export interface ResetCommand {
  readonly type: "reset";
  /** Absent: every workspace. */
  readonly workspace?: string;
}

export interface CreateWorkspaceCommand {
  readonly type: "create_workspace";
  readonly name: string;
  readonly live: boolean;
}

export interface DeleteWorkspaceCommand {
  readonly type: "delete_workspace";
  readonly name: string;
}
