import { toJson } from "@bufbuild/protobuf";
import { StructSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { ERROR_CODES } from "../errors/codes.ts";
import { ERROR_CODE_HEADER } from "../errors/wire-errors.ts";
import type { EntryError, TransportKind } from "./data-plane-client.ts";

export interface TesseraClientErrorInit {
  readonly transport: TransportKind;
  /** HTTP status of the reply, on the HTTP transport. */
  readonly status?: number;
  /** gRPC / Connect status code, on the Connect transport. */
  readonly grpcCode?: number;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

/**
 * The one error every client method throws. `code` is a Tessera error code (src/errors/codes.ts),
 * the same on every transport for the same failure, including failures that never reached the server:
 * `unavailable` (cannot connect, connection lost — a request in flight may or may not have been
 * applied), `deadline_exceeded` (no reply within the timeout), `frame_too_large` (a TCP request over
 * the frame limit, not sent) and `internal_error` (a reply the client cannot read).
 */
export class TesseraClientError extends Error {
  readonly code: string;
  readonly transport: TransportKind;
  readonly status: number | undefined;
  readonly grpcCode: number | undefined;
  /** Members of the server's error body besides `code` and `message` (`reason`, `path`, `diff`, `registry_version`, ...). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, init: TesseraClientErrorInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "TesseraClientError";
    this.code = code;
    this.transport = init.transport;
    this.status = init.status;
    this.grpcCode = init.grpcCode;
    this.details = init.details ?? {};
  }
}

/**
 * Tessera codes that beava error bodies render under another code (feature_not_found is written as
 * `internal_error` with the reason `feature_not_found: ...`), so the client can report the Tessera code
 * on every transport. Derived from the server's one error table.
 */
const RENDERED_AS: ReadonlyMap<string, readonly string[]> = (() => {
  const m = new Map<string, string[]>();
  for (const [code, spec] of Object.entries(ERROR_CODES)) {
    const rendered: string | undefined = "beavaCode" in spec ? spec.beavaCode : undefined;
    if (rendered !== undefined) m.set(rendered, [...(m.get(rendered) ?? []), code]);
  }
  return m;
})();

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The error object of a beava body (`{"code", "message"?, ...}`) as an EntryError, with the Tessera
 * code recovered where the body carries a rendered alias.
 */
export function entryErrorFromBeava(error: unknown): EntryError {
  if (!isRecord(error) || typeof error["code"] !== "string") {
    return { code: "internal_error", message: "the server sent an error without a code", details: isRecord(error) ? error : {} };
  }
  const { code: wireCode, message: wireMessage, ...details } = error;
  const text = typeof wireMessage === "string" ? wireMessage : typeof details["reason"] === "string" ? (details["reason"] as string) : wireCode;
  const code = RENDERED_AS.get(wireCode as string)?.find((c) => text.startsWith(`${c}:`)) ?? (wireCode as string);
  return { code, message: text, details };
}

/** A beava error body (HTTP reply or TCP error frame): `{"error":{...}, ...top-level details}`. */
export function errorFromBeavaBody(body: unknown, init: Omit<TesseraClientErrorInit, "details">): TesseraClientError {
  if (!isRecord(body) || !isRecord(body["error"])) {
    return new TesseraClientError("internal_error", "the server sent an error reply that is not a Tessera error body", { ...init, details: { body } });
  }
  const { error, ...topLevel } = body;
  const entry = entryErrorFromBeava(error);
  return new TesseraClientError(entry.code, entry.message, { ...init, details: { ...entry.details, ...topLevel } });
}

/** A gRPC code name in the table's spelling, for Connect errors that carry no Tessera code (e.g. connection refused). */
function codeOfGrpc(code: Code): string {
  if (code === Code.Internal) return "internal_error";
  return (Code[code] ?? "unknown").replace(/[A-Z]/g, (c, i: number) => (i === 0 ? c.toLowerCase() : `_${c.toLowerCase()}`));
}

/** Any failure of a Connect call. */
export function errorFromConnect(e: unknown): TesseraClientError {
  const ce = ConnectError.from(e);
  const code = ce.metadata.get(ERROR_CODE_HEADER) ?? codeOfGrpc(ce.code);
  // The server sends the error's details (a diff, the offending field, ...) as a Struct detail `{code, ...details}`.
  const [struct] = ce.findDetails(StructSchema);
  const { code: _code, ...details } = struct === undefined ? {} : (toJson(StructSchema, struct) as Record<string, unknown>);
  return new TesseraClientError(code, ce.rawMessage, { transport: "connect", grpcCode: ce.code, cause: e, details });
}
