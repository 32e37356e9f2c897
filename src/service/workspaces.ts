import type { Caller } from "../auth/caller.ts";
import type { Engine, WorkspaceInfo } from "../engine/index.ts";
import { TesseraError } from "../errors/tessera-error.ts";
import type { AuditLog } from "./auth-audit.ts";
import { ALLOW_ALL, type AccessControl } from "./authorization.ts";
import type { Clock } from "./clock.ts";
import type { CommandLog } from "./command-log.ts";
import type { Command } from "./commands.ts";
import { isObject } from "./request-shapes.ts";
import { applyCommand } from "./state-machine.ts";

/**
 * Workspaces (DESIGN §4): `prod` exists from the start and is live; others are created live (serving
 * features) or as development workspaces (registry only: GetFeatures there is Tecton's 404). Bodies
 * are the protobuf JSON of WorkspaceService's requests; replies its responses' JSON.
 */
export interface WorkspaceReply {
  readonly workspace: WorkspaceInfo;
}

export interface WorkspaceListReply {
  readonly workspaces: WorkspaceInfo[];
}

export interface WorkspacesOptions {
  readonly engine: Engine;
  readonly log: CommandLog;
  readonly clock: Clock;
  /** Authorization: create and delete need admin, list any principal. Absent: everything is allowed. */
  readonly access?: AccessControl;
  /** After a deletion is applied (the control plane drops the roles on and of the workspace). */
  readonly onDeleted?: (name: string) => void;
  /** Audit lines for creations and deletions. */
  readonly audit?: AuditLog;
}

export class Workspaces {
  private readonly engine: Engine;
  private readonly log: CommandLog;
  private readonly clock: Clock;
  private readonly access: AccessControl;
  private readonly onDeleted: WorkspacesOptions["onDeleted"];
  private readonly audit: AuditLog | undefined;

  constructor(options: WorkspacesOptions) {
    this.engine = options.engine;
    this.log = options.log;
    this.clock = options.clock;
    this.access = options.access ?? ALLOW_ALL;
    this.onDeleted = options.onDeleted;
    this.audit = options.audit;
  }

  /** `{"name", "live"?}`; a workspace is a development one unless `live` is true. */
  async create(body: unknown, caller?: Caller): Promise<WorkspaceReply> {
    const who = this.access.instance(caller, "manage_workspaces");
    const b = isObject(body) ? body : {};
    const live = b["live"] ?? false;
    if (typeof live !== "boolean") throw new TesseraError("invalid_argument", "`live` must be true or false");
    const name = nameOf(b);
    this.engine.checkNewWorkspace(name);
    const workspace = await this.commit({ type: "create_workspace", name, live }, (lsn, now) => applyCommand(this.engine, { type: "create_workspace", name, live }, lsn, now));
    this.audit?.record(who, "workspace.create", { workspace: name, live });
    return { workspace };
  }

  /** Sorted by name. */
  list(caller?: Caller): WorkspaceListReply {
    this.access.authenticated(caller);
    return { workspaces: this.engine.listWorkspaces() };
  }

  /** Drops the workspace with its registry and state; `prod` cannot be deleted. */
  async delete(body: unknown, caller?: Caller): Promise<Record<string, never>> {
    const who = this.access.instance(caller, "manage_workspaces");
    const name = nameOf(isObject(body) ? body : {});
    this.engine.checkDeletableWorkspace(name);
    await this.commit({ type: "delete_workspace", name }, (lsn, now) => {
      applyCommand(this.engine, { type: "delete_workspace", name }, lsn, now);
      this.onDeleted?.(name);
    });
    this.audit?.record(who, "workspace.delete", { workspace: name });
    return {};
  }

  /** Validated first (so nothing invalid is logged), then logged, applied, and acknowledged once durable. */
  private async commit<T>(command: Command, apply: (lsn: number, now: number) => T): Promise<T> {
    const now = this.clock.now();
    const { lsn, durable } = this.log.append(command, now);
    const result = apply(lsn, now);
    await durable;
    return result;
  }
}

function nameOf(b: Record<string, unknown>): string {
  const name = b["name"];
  if (typeof name !== "string" || name === "") throw new TesseraError("invalid_argument", "`name` must be a non-empty string");
  return name;
}
