import { fromJson, type JsonObject } from "@bufbuild/protobuf";
import { StructSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { codeSpec, GATEWAY_HTTP_STATUS } from "./codes.ts";
import { TesseraError } from "./tessera-error.ts";

/**
 * Renders a TesseraError for each wire, using only the table in codes.ts. Transports call these and
 * never build error statuses or bodies themselves.
 */

/** Details that beava places next to `error` rather than inside it. */
const TOP_LEVEL_DETAILS = new Set(["registry_version"]);

/** Anything thrown that is not a TesseraError is an internal error whose text is not leaked. */
export function asTesseraError(e: unknown): TesseraError {
  if (e instanceof TesseraError) return e;
  return new TesseraError("internal_error", "internal error");
}

/** beava routes and TCP error frames: `{"error":{"code",...details, "message"?}, ...top-level}`. */
export function beavaError(e: TesseraError): { status: number; body: Record<string, unknown> } {
  const inner: Record<string, unknown> = { code: codeSpec(e.code).beavaCode ?? e.code };
  const outer: Record<string, unknown> = { error: inner };
  if (e.hasMessage) inner["message"] = e.message;
  for (const [k, v] of Object.entries(e.details)) {
    if (TOP_LEVEL_DETAILS.has(k)) outer[k] = v;
    else inner[k] = v;
  }
  return { status: codeSpec(e.code).http, body: outer };
}

/** Tecton REST paths: grpc-gateway v1 `{"error":m,"code":grpcInt,"message":m}` with its status mapping. */
export function gatewayError(e: TesseraError): { status: number; body: { error: string; code: number; message: string } } {
  const grpc = codeSpec(e.code).grpc;
  return { status: GATEWAY_HTTP_STATUS[grpc], body: { error: e.message, code: grpc, message: e.message } };
}

/** Header (Connect) / trailer (gRPC) carrying the Tessera error code next to the gRPC status. */
export const ERROR_CODE_HEADER = "tessera-error-code";

/**
 * Connect, gRPC and gRPC-web: the table's gRPC code, the message, the Tessera code as metadata, and
 * the details (a registration diff, the offending field, ...) as a google.protobuf.Struct error
 * detail `{"code", ...details}` so typed clients get what the JSON wires carry.
 */
export function connectError(e: unknown): ConnectError {
  if (e instanceof ConnectError) return e;
  const t = asTesseraError(e);
  const details = Object.keys(t.details).length === 0 ? [] : [fromJson(StructSchema, jsonData({ code: t.code, ...t.details }))];
  return new ConnectError(t.message, codeSpec(t.code).grpc as Code, { [ERROR_CODE_HEADER]: t.code }, details.map((value) => ({ desc: StructSchema, value })));
}

/** Error details as JSON data: a JSON round trip drops undefined members and turns non-finite numbers into null. */
function jsonData(details: Record<string, unknown>): JsonObject {
  return JSON.parse(JSON.stringify(details)) as JsonObject;
}
