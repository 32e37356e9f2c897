import type { Actor, ApiKeyRecord, UserRecord } from "./principal.ts";

/**
 * Who is making a request. Transports authenticate (header or OP_AUTH) and pass the Caller into every
 * service method; the service layer authorizes against it (src/service/authorization.ts).
 *
 * A Caller references live records: revoking its key, or deactivating or deleting its principal,
 * makes it invalid on its next use, on every wire and every connection, with nothing to invalidate.
 */
export interface Caller {
  readonly actor: Actor;
  /** The API key used; null for the bootstrap admin key and for the auth-off caller. */
  readonly apiKey: ApiKeyRecord | null;
  /** True only for the caller of a server running with `--auth off`. */
  readonly authOff: boolean;
}

/** Still usable: the key is not revoked and the principal is active and not deleted. */
export function isValidCaller(c: Caller): boolean {
  return c.actor.isActive && !c.actor.deleted && (c.apiKey === null || !c.apiKey.revoked);
}

const LOCAL_USER: UserRecord = {
  type: "user",
  id: "local",
  loginEmail: "",
  firstName: "local",
  lastName: "(auth off)",
  isActive: true,
  deleted: false,
  createTime: 0,
  builtin: true,
  grants: undefined,
  grantsVersion: 0,
};

/** Every request of a server with `--auth off` runs as this caller, which is allowed everything. */
export const AUTH_OFF_CALLER: Caller = Object.freeze({ actor: LOCAL_USER, apiKey: null, authOff: true });
