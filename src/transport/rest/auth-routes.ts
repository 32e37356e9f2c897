import { fromJson, toJson, type DescMessage, type JsonValue, type MessageShape } from "@bufbuild/protobuf";
import {
  AssignRolesRequestSchema,
  AssignRolesResponseSchema,
  ListAssignedPrincipalsRequestSchema,
  ListAssignedPrincipalsResponseSchema,
  ListAssignedRolesRequestSchema,
  ListAssignedRolesResponseSchema,
  GetRolesResponseSchema,
  UnassignRolesRequestSchema,
  UnassignRolesResponseSchema,
} from "../../../gen/tessera/auth/v1/auth_service_pb.ts";
import type { Caller } from "../../auth/caller.ts";
import { TesseraError } from "../../errors/tessera-error.ts";
import type { AuthAdmin } from "../../service/auth-admin.ts";
import { decodeJsonBody } from "../json-body.ts";
import type { RestHandler, RestRouter } from "./rest-router.ts";

/**
 * Tecton's authorization service on REST (DESIGN §5, seed 000): `POST /api/v1/authorization-service/
 * {assign-roles, unassign-roles, list-assigned-principals, list-assigned-roles, get-roles}` (also
 * without `/api`). Bodies are the AuthService request messages as protobuf JSON, so both casings are
 * accepted (`principal_type` and `principalType`), enums by name; unknown fields are ignored as
 * grpc-gateway does. Replies use the proto field names (snake_case, as the seed and grpc-gateway v1's
 * OrigName marshaler write them), omit empty fields except top-level lists, and errors are
 * grpc-gateway bodies.
 */
export function addAuthRoutes(router: RestRouter, admin: AuthAdmin): void {
  const routes: [string, RestHandler][] = [
    ["assign-roles", rpc(AssignRolesRequestSchema, AssignRolesResponseSchema, (c, r) => admin.assignRoles(c, r))],
    ["unassign-roles", rpc(UnassignRolesRequestSchema, UnassignRolesResponseSchema, (c, r) => admin.unassignRoles(c, r))],
    ["list-assigned-principals", rpc(ListAssignedPrincipalsRequestSchema, ListAssignedPrincipalsResponseSchema, (c, r) => admin.listAssignedPrincipals(c, r))],
    ["list-assigned-roles", rpc(ListAssignedRolesRequestSchema, ListAssignedRolesResponseSchema, (c, r) => admin.listAssignedRoles(c, r))],
    ["get-roles", (req) => req.body().then(() => ({ status: 200, body: replyJson(GetRolesResponseSchema, admin.getRoles(req.caller)) }))],
  ];
  for (const prefix of ["/api/v1/authorization-service", "/v1/authorization-service"]) {
    for (const [name, handler] of routes) router.add("POST", `${prefix}/${name}`, handler, "gateway");
  }
}

function rpc<I extends DescMessage, O extends DescMessage>(
  input: I,
  output: O,
  call: (caller: Caller | undefined, req: MessageShape<I>) => MessageShape<O> | Promise<MessageShape<O>>,
): RestHandler {
  return async (req) => {
    const message = requestMessage(input, await req.body());
    return { status: 200, body: replyJson(output, await call(req.caller, message)) };
  };
}

/** The body as the request message; an empty body is an empty message. */
function requestMessage<I extends DescMessage>(schema: I, bytes: Uint8Array): MessageShape<I> {
  const json = bytes.length === 0 ? {} : decodeJsonBody(bytes);
  try {
    return fromJson(schema, (json ?? {}) as JsonValue, { ignoreUnknownFields: true });
  } catch (e) {
    throw new TesseraError("invalid_argument", `invalid request body: ${(e as Error).message}`);
  }
}

/** Proto field names; top-level lists are always present (an empty listing is `[]`, not absent). */
function replyJson<O extends DescMessage>(schema: O, message: MessageShape<O>): Record<string, unknown> {
  const json = toJson(schema, message, { useProtoFieldName: true }) as Record<string, unknown>;
  for (const f of schema.fields) if (f.fieldKind === "list" && json[f.name] === undefined) json[f.name] = [];
  return json;
}
