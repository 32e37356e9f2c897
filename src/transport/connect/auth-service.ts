import { createContextKey, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { AuthService } from "../../../gen/tessera/auth/v1/auth_service_pb.ts";
import type { Authenticator } from "../../auth/authenticator.ts";
import type { Caller } from "../../auth/caller.ts";
import { connectError } from "../../errors/wire-errors.ts";
import type { AuthAdmin } from "../../service/auth-admin.ts";

/**
 * Authentication on Connect, gRPC and gRPC-web, and the AuthService.
 *
 * `authGate` is connect's requestGate: it runs once the headers are in and before any request
 * message is read, so an unauthenticated RPC is refused (UNAUTHENTICATED) with its body never parsed.
 * The Caller it authenticates travels in the handler context to the service implementations, which
 * hand it to the service layer; authorization (PERMISSION_DENIED) happens there, as on every wire.
 * Health and reflection stay public, so probes and `buf curl --list-services` work without a key.
 */

export const CALLER = createContextKey<Caller | undefined>(undefined, { description: "tessera caller" });

export function callerOf(ctx: HandlerContext): Caller | undefined {
  return ctx.values.get(CALLER);
}

const PUBLIC_SERVICES: ReadonlySet<string> = new Set(["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"]);

/** The request gate: with auth off every RPC runs as the auth-off caller (the services' default). */
export function authGate(authenticator: Authenticator): (ctx: HandlerContext) => void {
  return (ctx) => {
    if (PUBLIC_SERVICES.has(ctx.service.typeName)) return;
    try {
      ctx.values.set(CALLER, authenticator.fromHeader(ctx.requestHeader.get("authorization") ?? undefined));
    } catch (e) {
      throw connectError(e);
    }
  };
}

/** AuthService over Connect: a thin mapping onto the AuthAdmin service. */
export function authServiceImpl(admin: AuthAdmin): ServiceImpl<typeof AuthService> {
  return {
    assignRoles: (req, ctx) => admin.assignRoles(callerOf(ctx), req),
    unassignRoles: (req, ctx) => admin.unassignRoles(callerOf(ctx), req),
    listAssignedPrincipals: (req, ctx) => admin.listAssignedPrincipals(callerOf(ctx), req),
    listAssignedRoles: (req, ctx) => admin.listAssignedRoles(callerOf(ctx), req),
    getRoles: (_req, ctx) => admin.getRoles(callerOf(ctx)),
    createServiceAccount: (req, ctx) => admin.createServiceAccount(callerOf(ctx), req),
    listServiceAccounts: (_req, ctx) => admin.listServiceAccounts(callerOf(ctx)),
    updateServiceAccount: (req, ctx) => admin.updateServiceAccount(callerOf(ctx), req),
    deleteServiceAccount: (req, ctx) => admin.deleteServiceAccount(callerOf(ctx), req),
    createUser: (req, ctx) => admin.createUser(callerOf(ctx), req),
    listUsers: (_req, ctx) => admin.listUsers(callerOf(ctx)),
    updateUser: (req, ctx) => admin.updateUser(callerOf(ctx), req),
    deleteUser: (req, ctx) => admin.deleteUser(callerOf(ctx), req),
    createGroup: (req, ctx) => admin.createGroup(callerOf(ctx), req),
    listGroups: (_req, ctx) => admin.listGroups(callerOf(ctx)),
    updateGroup: (req, ctx) => admin.updateGroup(callerOf(ctx), req),
    deleteGroup: (req, ctx) => admin.deleteGroup(callerOf(ctx), req),
    addGroupMembers: (req, ctx) => admin.addGroupMembers(callerOf(ctx), req),
    removeGroupMembers: (req, ctx) => admin.removeGroupMembers(callerOf(ctx), req),
    createApiKey: (req, ctx) => admin.createApiKey(callerOf(ctx), req),
    listApiKeys: (req, ctx) => admin.listApiKeys(callerOf(ctx), req),
    revokeApiKey: (req, ctx) => admin.revokeApiKey(callerOf(ctx), req),
    getCallerIdentity: (_req, ctx) => admin.getCallerIdentity(callerOf(ctx)),
  };
}
