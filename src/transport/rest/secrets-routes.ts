import type { Secrets } from "../../service/secrets-service.ts";
import { isObject } from "../../service/request-shapes.ts";
import { TesseraError } from "../../errors/tessera-error.ts";
import { decodeJsonBody } from "../json-body.ts";
import type { RestReply, RestRequest, RestRouter } from "./rest-router.ts";

/**
 * The Secrets service on REST (DESIGN §5, seed 000, tecton-behaviour §1.1), under
 * `/api/v1/secrets-service` (canonical), `/api/v1/secrets` (the seed's alias) and
 * `/v1/secrets-service` (the SDK's path without `/api`):
 *
 *   GET    /scopes                      → {"scopes":[{"name"}]}
 *   POST   /scopes          {"scope"}   → {}   (create; also POST /scopes/{scope} without a body)
 *   DELETE /scopes/{scope}              → {}
 *   GET    /scopes/{scope}/keys         → {"keys":[{"name"}]}
 *   GET    /scopes/{scope}/keys/{key}   → {"value"}
 *   PUT    /scopes/{scope}/keys/{key}  {"value"} → {}   (upsert; POST is accepted too)
 *   DELETE /scopes/{scope}/keys/{key}   → {}
 *   POST   /get-secret-value {"scope","key"} → {"secret_value":{"value"}}   (older Tecton SDKs)
 *
 * Bodies are read here without a protobuf JSON decoder, whose errors could echo a malformed value.
 * Errors are grpc-gateway bodies.
 */
export function addSecretsRoutes(router: RestRouter, secrets: Secrets): void {
  for (const prefix of ["/api/v1/secrets-service", "/api/v1/secrets", "/v1/secrets-service"]) {
    const scopes = `${prefix}/scopes`;
    const scope = `${scopes}/:scope`;
    const keys = `${scope}/keys`;
    const key = `${keys}/:key`;
    const put = async (req: RestRequest): Promise<RestReply> => {
      const value = field(jsonObject(await req.body()), "value");
      return done(await secrets.putSecretValue(req.caller, { scope: req.params["scope"]!, key: req.params["key"]!, value: value as string }));
    };
    router
      .add("GET", scopes, (req) => reply({ scopes: secrets.listScopes(req.caller).scopes.map((s) => ({ name: s.name })) }), "gateway")
      .add("POST", scopes, async (req) => done(await secrets.createScope(req.caller, { scope: field(jsonObject(await req.body()), "scope", "name") as string })), "gateway")
      .add("POST", scope, async (req) => {
        await req.body();
        return done(await secrets.createScope(req.caller, { scope: req.params["scope"]! }));
      }, "gateway")
      .add("DELETE", scope, async (req) => done(await secrets.deleteScope(req.caller, { scope: req.params["scope"]! })), "gateway")
      .add("GET", keys, (req) => reply({ keys: secrets.listSecrets(req.caller, { scope: req.params["scope"]! }).keys.map((k) => ({ name: k.name })) }), "gateway")
      .add("GET", key, (req) => reply({ value: secrets.getSecretValue(req.caller, { scope: req.params["scope"]!, key: req.params["key"]! }).value }), "gateway")
      .add("PUT", key, put, "gateway")
      .add("POST", key, put, "gateway")
      .add("DELETE", key, async (req) => done(await secrets.deleteSecret(req.caller, { scope: req.params["scope"]!, key: req.params["key"]! })), "gateway")
      .add("POST", `${prefix}/get-secret-value`, async (req) => {
        const body = jsonObject(await req.body());
        const r = secrets.getSecretValue(req.caller, { scope: field(body, "scope") as string, key: field(body, "key") as string });
        return reply({ secret_value: { value: r.value } });
      }, "gateway");
  }
}

function reply(body: unknown): RestReply {
  return { status: 200, body };
}

function done(_empty: unknown): RestReply {
  return { status: 200, body: {} };
}

/** The body as a JSON object; undefined when empty. */
function jsonObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  if (bytes.length === 0) return undefined;
  let body: unknown;
  try {
    body = decodeJsonBody(bytes);
  } catch {
    // JSON.parse's message quotes the text around the fault, which may be part of a secret.
    throw new TesseraError("invalid_json_body", "invalid_json_body: the body is not valid JSON");
  }
  if (!isObject(body)) throw new TesseraError("invalid_argument", "the body must be a JSON object");
  return body;
}

/** A string member of a JSON object body (the first of `names` present); undefined when absent. */
function field(body: Record<string, unknown> | undefined, ...names: string[]): string | undefined {
  if (body === undefined) return undefined;
  for (const n of names) {
    const v = body[n];
    if (v === undefined || v === null) continue;
    if (typeof v !== "string") throw new TesseraError("invalid_argument", `\`${n}\` must be a string`);
    return v;
  }
  return undefined;
}
