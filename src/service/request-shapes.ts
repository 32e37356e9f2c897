import { TesseraError } from "../errors/tessera-error.ts";

/**
 * The beava request bodies, checked once for every wire (HTTP bodies, TCP payloads and the Struct
 * fields of DataPlaneService all arrive here as parsed JSON data). Shape errors use the codes of the
 * notes: missing_event_name_in_body, invalid_event, unsupported_request_shape.
 */

export const DEFAULT_WORKSPACE = "prod";

/** Most events one push_batch may carry (beyond the 4 MiB body cap). */
export const MAX_BATCH_EVENTS = 10_000;

/** Most entries one batch_get may carry. */
export const MAX_BATCH_GET = 10_000;

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `workspace` of a body: absent or null means prod. */
export function workspaceOf(body: unknown): string {
  const ws = isObject(body) ? body["workspace"] : undefined;
  if (ws === undefined || ws === null || ws === "") return DEFAULT_WORKSPACE;
  if (typeof ws !== "string") throw new TesseraError("invalid_argument", "`workspace` must be a string");
  return ws;
}

export interface PushShape {
  readonly event: string;
  /** `data`, or `body` (beava's TCP key); undefined when neither is present (treated as {}). */
  readonly data: unknown;
}

/** `{"event":name,"data":{...}}`; `body` is accepted for `data` on every wire (DESIGN §5). */
export function pushShape(body: unknown): PushShape {
  const event = isObject(body) ? body["event"] : undefined;
  if (typeof event !== "string") {
    throw new TesseraError("missing_event_name_in_body", "missing_event_name_in_body: the body must be {\"event\": string, \"data\": object}");
  }
  const b = body as JsonObject;
  return { event, data: b["data"] !== undefined ? b["data"] : b["body"] };
}

/** `{"events":[{event,data}, ...]}`. */
export function pushBatchShape(body: unknown): unknown[] {
  const events = isObject(body) ? body["events"] : undefined;
  if (!Array.isArray(events)) {
    throw new TesseraError("unsupported_request_shape", "push_batch expects {\"events\": [{\"event\", \"data\"}, ...]}");
  }
  if (events.length > MAX_BATCH_EVENTS) {
    throw new TesseraError("invalid_argument", `push_batch carries at most ${MAX_BATCH_EVENTS} events, got ${events.length}`, { limit: MAX_BATCH_EVENTS });
  }
  return events;
}

export interface GetShape {
  readonly table: string;
  /** A wire key string, or an array of segment values. */
  readonly key: unknown;
  /** undefined = every feature. */
  readonly features: readonly string[] | undefined;
}

const GET_SHAPE = "POST /get expects {table, key, features?}";

/** One get (or one batch_get entry): `{table, key | entity_id, features?}`. */
export function getShape(body: unknown): GetShape {
  if (!isObject(body)) throw new TesseraError("unsupported_request_shape", `${GET_SHAPE}; the body is not an object`);
  if (body["table"] === undefined && (body["keys"] !== undefined || body["feature"] !== undefined)) {
    throw new TesseraError("unsupported_request_shape", `${GET_SHAPE}; the legacy {keys, features} and {feature, key} shapes are not supported`);
  }
  const table = body["table"];
  if (typeof table !== "string") throw new TesseraError("unsupported_request_shape", `${GET_SHAPE}; \`table\` must be a string`);
  const hasKey = body["key"] !== undefined && body["key"] !== null;
  const hasEntityId = body["entity_id"] !== undefined && body["entity_id"] !== null;
  if (hasKey && hasEntityId) throw new TesseraError("unsupported_request_shape", `${GET_SHAPE}; give \`key\` or \`entity_id\`, not both`);
  if (!hasKey && !hasEntityId) throw new TesseraError("unsupported_request_shape", `${GET_SHAPE}; \`key\` is required ("" for a global table)`);
  const key = hasKey ? body["key"] : body["entity_id"];
  const f = body["features"];
  let features: string[] | undefined;
  if (f !== undefined && f !== null) {
    if (!Array.isArray(f) || !f.every((x) => typeof x === "string")) {
      throw new TesseraError("unsupported_request_shape", `${GET_SHAPE}; \`features\` must be an array of strings`);
    }
    features = f as string[];
  }
  return { table, key, features };
}

/** `{"requests":[get, ...]}`; entries are checked one by one so a bad entry fails alone. */
export function batchGetShape(body: unknown): unknown[] {
  const requests = isObject(body) ? body["requests"] : undefined;
  if (!Array.isArray(requests)) throw new TesseraError("unsupported_request_shape", "POST /batch_get expects {\"requests\": [{table, key, features?}, ...]}");
  if (requests.length > MAX_BATCH_GET) {
    throw new TesseraError("invalid_argument", `batch_get carries at most ${MAX_BATCH_GET} requests, got ${requests.length}`, { limit: MAX_BATCH_GET });
  }
  return requests;
}

/** The register envelope must be an object; its fields are the registry's to validate. */
export function registerShape(body: unknown): JsonObject {
  if (!isObject(body)) {
    throw new TesseraError("invalid_registration", "invalid_registration: the body must be {\"nodes\": [...], \"force\"?, \"dry_run\"?}", {
      path: "<body>",
      reason: "expected a JSON object with field `nodes`",
    });
  }
  return body;
}
