import { TesseraError } from "../../errors/tessera-error.ts";
import { DEFAULT_WORKSPACE } from "../../service/request-shapes.ts";
import type { Ack, DataPlane, PushReply } from "../../service/data-plane.ts";
import { decodeJsonBody } from "../json-body.ts";
import type { RestHandler, RestReply, RestRequest, RestRouter } from "./rest-router.ts";

/**
 * The beava verbs on the REST fast path (DESIGN §5, beava-behaviour §1, §4–§6). Handlers only turn
 * bytes into a service call and the result into a reply; every check and error code is the
 * DataPlane's, so HTTP, TCP and Connect answer alike. Bodies are JSON whatever the Content-Type,
 * except /register, which beava gates on application/json.
 */
export function addBeavaRoutes(router: RestRouter, plane: DataPlane): void {
  const push: RestHandler = (req) => req.body().then((bytes) => settle(plane.push(decodeJsonBody(bytes), req.caller), pushReply));
  // Legacy form: the event name is in the path and the raw body is the data object.
  const pushNamed: RestHandler = (req) =>
    req.body().then((bytes) => settle(plane.push({ event: req.params["event"], data: decodeJsonBody(bytes) }, req.caller), pushReply));

  router
    .add("POST", "/register", (req) => {
      requireJsonMediaType(req, plane);
      return req.body().then((bytes) => settle(plane.register(registerBody(bytes, plane), req.caller), ok));
    })
    .add("POST", "/push", push)
    .add("POST", "/push-sync", push)
    .add("POST", "/push/:event", pushNamed)
    .add("POST", "/push-sync/:event", pushNamed)
    .add("POST", "/push_batch", (req) => req.body().then((bytes) => settle(plane.pushBatch(decodeJsonBody(bytes), req.caller), ok)))
    .add("POST", "/get", (req) => req.body().then((bytes) => ok(plane.get(decodeJsonBody(bytes), req.caller))))
    .add("POST", "/batch_get", (req) => req.body().then((bytes) => ok(plane.batchGet(decodeJsonBody(bytes), req.caller))))
    // beava's ping ignores its body, so it is never read.
    .add("POST", "/ping", (req) => ok(plane.ping(req.caller)))
    // An empty body resets every workspace, so a bare `curl -X POST /reset` works as in beava.
    .add("POST", "/reset", (req) =>
      req.body().then((bytes) => settle(plane.reset(bytes.length === 0 ? undefined : decodeJsonBody(bytes), req.caller), ok)),
    )
    .add("POST", "/test/clock", (req) => req.body().then((bytes) => ok(plane.controlClock(decodeJsonBody(bytes), req.caller))));
}

const REPLAY_HEADERS: Readonly<Record<string, string>> = Object.freeze({ "x-beava-idempotent-replay": "1" });

function ok(body: unknown): RestReply {
  return { status: 200, body };
}

/** Waits only when the service's ack is not yet durable, so memory-only replies stay synchronous. */
function settle<T>(ack: Ack<T>, reply: (value: T) => RestReply): RestReply | Promise<RestReply> {
  return ack instanceof Promise ? ack.then(reply) : reply(ack);
}

/**
 * The push ack is the hottest reply and always the same three integers and a boolean, so it is
 * written straight into its JSON text instead of going through JSON.stringify.
 */
function pushReply(r: PushReply): RestReply {
  const body = `{"ack_lsn":${r.ack_lsn},"idempotent_replay":${r.idempotent_replay},"registry_version":${r.registry_version}}`;
  return r.idempotent_replay ? { status: 200, body, headers: REPLAY_HEADERS } : { status: 200, body };
}

/**
 * beava §1.1: the media type before `;`, case-insensitively, must be application/json. The check
 * runs before the body is read, so the version reported is the default workspace's.
 */
function requireJsonMediaType(req: RestRequest, plane: DataPlane): void {
  const header = req.headers["content-type"];
  const semi = header === undefined ? -1 : header.indexOf(";");
  const mediaType = header === undefined ? "" : (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase();
  if (mediaType !== "application/json") {
    throw new TesseraError("unsupported_media_type", undefined, {
      path: "/register",
      reason: "expected application/json",
      registry_version: plane.registryVersion(DEFAULT_WORKSPACE),
    });
  }
}

/** beava §1.5 step 2: a register body that is not JSON is an invalid registration at `<body>`. */
function registerBody(bytes: Uint8Array, plane: DataPlane): unknown {
  try {
    return decodeJsonBody(bytes);
  } catch (e) {
    const reason = (e as TesseraError).message;
    throw new TesseraError("invalid_registration", reason, { path: "<body>", reason, registry_version: plane.registryVersion(DEFAULT_WORKSPACE) });
  }
}
