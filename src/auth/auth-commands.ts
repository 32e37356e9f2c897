import type { PrincipalKind, PrincipalRef, ResourceKind } from "./principal.ts";

/**
 * Control-plane commands of principals, API keys and role assignments. Like every command they are
 * plain data appended to the command log and applied at their recorded time (DESIGN §1). Ids are
 * chosen before logging, so a replay rebuilds the same records. An API key is logged as its SHA-256
 * (hex) only; the key itself never reaches the log.
 */
export type AuthCommand =
  | { readonly type: "create_user"; readonly id: string; readonly login_email: string; readonly first_name: string; readonly last_name: string }
  | { readonly type: "update_user"; readonly id: string; readonly first_name?: string; readonly last_name?: string; readonly is_active?: boolean }
  | { readonly type: "delete_user"; readonly id: string }
  | { readonly type: "create_service_account"; readonly id: string; readonly name: string; readonly description: string; readonly creator: PrincipalRef | null }
  | { readonly type: "update_service_account"; readonly id: string; readonly name?: string; readonly description?: string; readonly is_active?: boolean }
  | { readonly type: "delete_service_account"; readonly id: string }
  | { readonly type: "create_group"; readonly id: string; readonly name: string; readonly description: string }
  | { readonly type: "update_group"; readonly id: string; readonly name?: string; readonly description?: string }
  | { readonly type: "delete_group"; readonly id: string }
  | { readonly type: "add_group_members"; readonly group_id: string; readonly members: readonly PrincipalRef[] }
  | { readonly type: "remove_group_members"; readonly group_id: string; readonly members: readonly PrincipalRef[] }
  | { readonly type: "create_api_key"; readonly id: string; readonly owner: PrincipalRef; readonly description: string; readonly prefix: string; readonly sha256: string }
  | { readonly type: "revoke_api_key"; readonly id: string }
  | { readonly type: "assign_roles"; readonly assignments: readonly LoggedAssignment[] }
  | { readonly type: "unassign_roles"; readonly assignments: readonly LoggedAssignment[] };

export interface LoggedAssignment {
  readonly resource_type: ResourceKind;
  readonly resource_id: string;
  readonly role: string;
  readonly principal_type: PrincipalKind;
  readonly principal_id: string;
}

export const AUTH_COMMAND_TYPES: ReadonlySet<string> = new Set<AuthCommand["type"]>([
  "create_user",
  "update_user",
  "delete_user",
  "create_service_account",
  "update_service_account",
  "delete_service_account",
  "create_group",
  "update_group",
  "delete_group",
  "add_group_members",
  "remove_group_members",
  "create_api_key",
  "revoke_api_key",
  "assign_roles",
  "unassign_roles",
]);
