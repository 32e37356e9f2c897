import type { JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type CallOptions, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { AuthService, PrincipalType, ResourceType } from "../../gen/tessera/auth/v1/auth_service_pb.ts";
import { DataPlaneService } from "../../gen/tessera/dataplane/v1/data_plane_service_pb.ts";
import { FeatureService } from "../../gen/tessera/featureservice/v1/feature_service_pb.ts";
import { SecretsService } from "../../gen/tessera/secrets/v1/secrets_service_pb.ts";
import { WorkspaceService } from "../../gen/tessera/workspace/v1/workspace_service_pb.ts";
import { spawnServer, type SpawnedServer } from "../helpers/spawn-server.ts";
import { body as frameBody, FrameSocket, JSON_CT, OP, type Frame } from "../helpers/tcp-frames.ts";

/** The bootstrap admin key every auth test server starts with (TESSERA_ADMIN_KEY). */
export const ADMIN_KEY = "test-admin-key-0123456789abcdef";

/** A key in the right format that no record has. */
export const UNKNOWN_KEY = `tsk_0123456789abcdef_${"A".repeat(43)}`;

/** A server with auth required, the bootstrap admin key above, test mode and TCP on. */
export function spawnAuthServer(args: string[] = [], env: Record<string, string> = {}): Promise<SpawnedServer> {
  return spawnServer(args, { TESSERA_AUTH: "required", TESSERA_ADMIN_KEY: ADMIN_KEY, ...env });
}

/** Outcome of a call on any wire: ok, or the error code the wire carried. */
export type Outcome = "ok" | "unauthenticated" | "permission_denied" | string;

export interface RestReply {
  readonly status: number;
  readonly body: any;
  readonly text: string;
}

/** One REST call; `key` undefined sends no Authorization header. */
export async function rest(server: SpawnedServer, method: string, path: string, body?: unknown, key?: string, scheme = "Tecton-key"): Promise<RestReply> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== undefined) headers["authorization"] = `${scheme} ${key}`;
  const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  const res = await fetch(`${server.url}${path}`, { method, headers, body: payload });
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : JSON.parse(text), text };
}

export function restOutcome(r: RestReply): Outcome {
  if (r.status >= 200 && r.status < 300) return "ok";
  if (r.status === 401) return "unauthenticated";
  if (r.status === 403) return "permission_denied";
  return `http_${r.status}:${r.text.slice(0, 200)}`;
}

/** Per-call Connect options carrying the key (none when undefined). */
export function withKey(key: string | undefined): CallOptions {
  return key === undefined ? {} : { headers: { authorization: `Tecton-key ${key}` } };
}

export async function connectOutcome(call: Promise<unknown>): Promise<Outcome> {
  try {
    await call;
    return "ok";
  } catch (e) {
    const ce = ConnectError.from(e);
    if (ce.code === Code.Unauthenticated) return "unauthenticated";
    if (ce.code === Code.PermissionDenied) return "permission_denied";
    return `${Code[ce.code]}:${ce.rawMessage}`;
  }
}

export interface Clients {
  readonly auth: Client<typeof AuthService>;
  readonly secrets: Client<typeof SecretsService>;
  readonly dataPlane: Client<typeof DataPlaneService>;
  readonly features: Client<typeof FeatureService>;
  readonly workspaces: Client<typeof WorkspaceService>;
}

/** Clients of every service over one transport (Connect JSON over HTTP/1.1 by default). */
export function clients(server: SpawnedServer, transport?: Transport): Clients {
  const t = transport ?? createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" });
  return {
    auth: createClient(AuthService, t),
    secrets: createClient(SecretsService, t),
    dataPlane: createClient(DataPlaneService, t),
    features: createClient(FeatureService, t),
    workspaces: createClient(WorkspaceService, t),
  };
}

export function grpcClients(server: SpawnedServer): Clients {
  return clients(server, createGrpcTransport({ baseUrl: server.url }));
}

/** A TCP connection that sent OP_AUTH with `key` first (no OP_AUTH when undefined). */
export async function tcpSession(server: SpawnedServer, key: string | undefined): Promise<FrameSocket> {
  const socket = await FrameSocket.open(server.tcp!);
  if (key !== undefined) await socket.call(OP.AUTH, JSON_CT, { api_key: key });
  return socket;
}

export function tcpOutcome(f: Frame): Outcome {
  if (f.op !== OP.ERROR) return "ok";
  const b = frameBody(f);
  const code = b?.error?.code as string;
  return code === "unauthenticated" || code === "permission_denied" ? code : `${code}:${JSON.stringify(b).slice(0, 200)}`;
}

export interface Account {
  readonly id: string;
  readonly key: string;
}

/** A service account created by the bootstrap admin, with its first key. */
export async function serviceAccount(c: Clients, name: string, creatorKey = ADMIN_KEY): Promise<Account> {
  const r = await c.auth.createServiceAccount({ name, description: `${name} (test)` }, withKey(creatorKey));
  return { id: r.serviceAccount!.id, key: r.apiKey };
}

export interface Grant {
  readonly resourceType: ResourceType;
  readonly resourceId: string;
  readonly role: string;
  readonly principalType?: PrincipalType;
  readonly principalId: string;
}

export async function assign(c: Clients, grants: readonly Grant[], key = ADMIN_KEY): Promise<void> {
  await c.auth.assignRoles(
    { assignments: grants.map((g) => ({ ...g, principalType: g.principalType ?? PrincipalType.SERVICE_ACCOUNT })) },
    withKey(key),
  );
}

export const WS = ResourceType.WORKSPACE;
export const ORG = ResourceType.ORGANIZATION;
export const SCOPE = ResourceType.SECRET_SCOPE;

/** A small registry: an event, a table and a feature service over it. */
export const TXN: JsonObject = { kind: "event", name: "txn", schema: { fields: { user: "str", amt: "f64" }, optional_fields: [] } };
export const USER_TXN: JsonObject = {
  kind: "derivation",
  name: "user_txn",
  output_kind: "table",
  upstreams: ["txn"],
  table_primary_key: ["user"],
  ops: [{ op: "group_by", keys: ["user"], agg: { cnt: { op: "count" }, amt_sum: { op: "sum", params: { field: "amt" } } } }],
};
export const FRAUD: JsonObject = { kind: "feature_service", name: "fraud", features: [{ table: "user_txn" }] };
export const NODES: JsonObject[] = [TXN, USER_TXN, FRAUD];

/** Lines of a captured stderr that are audit records. */
export function auditLines(stderr: string): Record<string, unknown>[] {
  return stderr
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l["audit"] === true);
}

/** The audit lines once `enough` holds of them (logs are written asynchronously); fails after 5 s. */
export async function waitForAudit(server: SpawnedServer, enough: (lines: Record<string, unknown>[]) => boolean): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const lines = auditLines(server.stderr());
    if (enough(lines) || Date.now() > deadline) return lines;
    await new Promise((r) => setTimeout(r, 20));
  }
}
