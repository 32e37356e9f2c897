import * as read from "../errors/snapshot-fields.ts";
import { AuthState } from "./auth-state.ts";
import { assignmentKey, BOOTSTRAP_ADMIN_ID, principalKey, type PrincipalKind, type PrincipalRef, type ResourceKind } from "./principal.ts";

/**
 * AuthState in a snapshot, as plain data for MessagePack: the records of every map in map order (so
 * listings that follow insertion order come out the same), API keys as their SHA-256 only. Not
 * stored: the bootstrap admin (every AuthState builds it), the per-actor grants caches and the
 * membership index (rebuilt), and the `deleted`/`revoked` flags (always false on a record still in
 * its map).
 *
 * Format 1:
 *
 *     { format: 1, grantsVersion,
 *       users:           [{ id, loginEmail, firstName, lastName, isActive, createTime }],
 *       serviceAccounts: [{ id, name, description, isActive, createTime, creator: ref | null }],
 *       groups:          [{ id, name, description, createTime, members: [ref] }],
 *       apiKeys:         [{ id, owner: ref, description, prefix, hash: bin, createTime }],
 *       assignments:     [{ resourceType, resourceId, role, principalType, principalId }] }
 *
 * where ref is { type, id }.
 */

export const AUTH_STATE_FORMAT = 1;

const PRINCIPAL_KINDS: readonly PrincipalKind[] = ["user", "service_account", "group", "workspace"];
const RESOURCE_KINDS: readonly ResourceKind[] = ["workspace", "organization", "secret_scope"];

export function encodeAuthState(state: AuthState): unknown {
  return {
    format: AUTH_STATE_FORMAT,
    grantsVersion: state.version,
    users: Array.from(state.users.values(), (u) => ({
      id: u.id,
      loginEmail: u.loginEmail,
      firstName: u.firstName,
      lastName: u.lastName,
      isActive: u.isActive,
      createTime: u.createTime,
    })),
    serviceAccounts: Array.from(state.serviceAccounts.values())
      .filter((sa) => !sa.builtin)
      .map((sa) => ({ id: sa.id, name: sa.name, description: sa.description, isActive: sa.isActive, createTime: sa.createTime, creator: sa.creator && ref(sa.creator) })),
    groups: Array.from(state.groups.values(), (g) => ({
      id: g.id,
      name: g.name,
      description: g.description,
      createTime: g.createTime,
      members: Array.from(g.members.values(), ref),
    })),
    apiKeys: Array.from(state.apiKeys.values(), (k) => ({
      id: k.id,
      owner: ref(k.owner),
      description: k.description,
      prefix: k.prefix,
      hash: k.hash,
      createTime: k.createTime,
    })),
    assignments: Array.from(state.assignments.values(), (a) => ({
      resourceType: a.resourceType,
      resourceId: a.resourceId,
      role: a.role,
      principalType: a.principalType,
      principalId: a.principalId,
    })),
  };
}

/** Throws TesseraError internal_error "snapshot: ..." for a value encodeAuthState cannot have made. */
export function decodeAuthState(value: unknown): AuthState {
  const o = read.object(value, "auth state");
  read.checkFormat(o["format"], AUTH_STATE_FORMAT, "auth state");
  const state = new AuthState();
  for (const v of read.array(o["users"], "users")) {
    const u = read.object(v, "user");
    const id = read.string(u["id"], "user id");
    state.users.set(id, {
      type: "user",
      id,
      loginEmail: read.string(u["loginEmail"], "user loginEmail"),
      firstName: read.string(u["firstName"], "user firstName"),
      lastName: read.string(u["lastName"], "user lastName"),
      isActive: read.boolean(u["isActive"], "user isActive"),
      deleted: false,
      createTime: read.number(u["createTime"], "user createTime"),
      builtin: false,
      grants: undefined,
      grantsVersion: 0,
    });
  }
  for (const v of read.array(o["serviceAccounts"], "serviceAccounts")) {
    const sa = read.object(v, "service account");
    const id = read.string(sa["id"], "service account id");
    // Would replace the built-in admin every AuthState makes, and its special standing with it.
    if (id === BOOTSTRAP_ADMIN_ID) throw read.snapshotError("the bootstrap admin is stored as a service account");
    state.serviceAccounts.set(id, {
      type: "service_account",
      id,
      name: read.string(sa["name"], "service account name"),
      description: read.string(sa["description"], "service account description"),
      isActive: read.boolean(sa["isActive"], "service account isActive"),
      deleted: false,
      createTime: read.number(sa["createTime"], "service account createTime"),
      builtin: false,
      creator: sa["creator"] === null ? null : readRef(sa["creator"], "service account creator"),
      grants: undefined,
      grantsVersion: 0,
    });
  }
  for (const v of read.array(o["groups"], "groups")) {
    const g = read.object(v, "group");
    const id = read.string(g["id"], "group id");
    const members = new Map<string, PrincipalRef>();
    for (const m of read.array(g["members"], "group members")) {
      const member = readRef(m, "group member");
      members.set(principalKey(member), member);
    }
    state.groups.set(id, {
      id,
      name: read.string(g["name"], "group name"),
      description: read.string(g["description"], "group description"),
      members,
      createTime: read.number(g["createTime"], "group createTime"),
    });
  }
  for (const v of read.array(o["apiKeys"], "apiKeys")) {
    const k = read.object(v, "API key");
    const id = read.string(k["id"], "API key id");
    state.apiKeys.set(id, {
      id,
      owner: readRef(k["owner"], "API key owner"),
      description: read.string(k["description"], "API key description"),
      prefix: read.string(k["prefix"], "API key prefix"),
      hash: read.bytes(k["hash"], "API key hash"),
      createTime: read.number(k["createTime"], "API key createTime"),
      revoked: false,
    });
  }
  for (const v of read.array(o["assignments"], "assignments")) {
    const a = read.object(v, "assignment");
    const assignment = {
      resourceType: read.oneOf(a["resourceType"], RESOURCE_KINDS, "assignment resourceType"),
      resourceId: read.string(a["resourceId"], "assignment resourceId"),
      role: read.string(a["role"], "assignment role"),
      principalType: read.oneOf(a["principalType"], PRINCIPAL_KINDS, "assignment principalType"),
      principalId: read.string(a["principalId"], "assignment principalId"),
    };
    state.assignments.set(assignmentKey(assignment), assignment);
  }
  state.restored(read.number(o["grantsVersion"], "grantsVersion"));
  return state;
}

function ref(p: PrincipalRef): PrincipalRef {
  return { type: p.type, id: p.id };
}

function readRef(v: unknown, what: string): PrincipalRef {
  const r = read.object(v, what);
  return { type: read.oneOf(r["type"], PRINCIPAL_KINDS, `${what} type`), id: read.string(r["id"], `${what} id`) };
}
