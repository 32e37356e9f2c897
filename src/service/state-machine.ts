import type { Engine, PushOutcome, RegisterResponse, RegistrationPlan, WorkspaceInfo } from "../engine/index.ts";
import { TesseraError } from "../errors/tessera-error.ts";
import type { Command, CreateWorkspaceCommand, DeleteWorkspaceCommand, PushCommandRecord, RegisterCommand, ResetCommand } from "./commands.ts";

/**
 * Applies a logged command to the engine at its recorded time. The live path and recovery both come
 * here, so a replay rebuilds exactly the state the original run had.
 */
export function applyCommand(engine: Engine, command: PushCommandRecord, lsn: number, now: number): PushOutcome;
export function applyCommand(engine: Engine, command: RegisterCommand, lsn: number, now: number, plan?: RegistrationPlan): RegisterResponse;
export function applyCommand(engine: Engine, command: ResetCommand, lsn: number, now: number): number;
export function applyCommand(engine: Engine, command: CreateWorkspaceCommand, lsn: number, now: number): WorkspaceInfo;
export function applyCommand(engine: Engine, command: DeleteWorkspaceCommand, lsn: number, now: number): void;
export function applyCommand(engine: Engine, command: Command, lsn: number, now: number): unknown;
export function applyCommand(engine: Engine, command: Command, lsn: number, now: number, plan?: RegistrationPlan): unknown {
  switch (command.type) {
    case "push":
      return engine.applyPush(command, lsn, now);
    case "register": {
      // Live, the service passes the plan it validated; on replay the envelope is planned again
      // against the same registry, which yields the same plan.
      const p = plan ?? engine.planRegister(command.workspace, command.envelope);
      if (p.kind !== "apply") throw new TesseraError("internal_error", `logged registration ${lsn} no longer applies`);
      return engine.applyRegister(command.workspace, p as Extract<RegistrationPlan, { kind: "apply" }> & Parameters<Engine["applyRegister"]>[1]);
    }
    case "reset":
      return engine.reset(command.workspace);
    case "create_workspace":
      return engine.createWorkspace(command.name, command.live);
    case "delete_workspace":
      return engine.deleteWorkspace(command.name);
    default:
      // Principals, keys, roles and secrets are applied by the control plane (auth-control-plane.ts).
      throw new TesseraError("internal_error", `command ${command.type} is not an engine command`);
  }
}
