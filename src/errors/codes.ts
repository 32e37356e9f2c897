/**
 * The one table of error codes. Every TesseraError carries one of these codes; each transport maps it
 * through this table and nowhere else:
 * - `http`: the status on the beava-style routes (/push, /get, /register, ...) and the Tecton REST paths
 *   (where the body is the grpc-gateway shape built from `grpc`).
 * - `grpc`: the gRPC status code (numerically identical to connect's `Code`), used by Connect/gRPC and
 *   inside the grpc-gateway body `{"error":m,"code":grpc,"message":m}`.
 * TCP error frames carry the same JSON body as the beava HTTP routes.
 *
 * The table holds every code of the wire contracts (beava-behaviour.md, tecton-behaviour.md, DESIGN),
 * including those whose transports are still being built.
 */

/** gRPC status codes (same numbering as `Code` in @connectrpc/connect). */
export const Grpc = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type GrpcCode = (typeof Grpc)[keyof typeof Grpc];

interface CodeSpec {
  readonly http: number;
  readonly grpc: GrpcCode;
  /** The code written in beava error bodies when beava reports this error under another code. */
  readonly beavaCode?: string;
}

const spec = (http: number, grpc: GrpcCode, beavaCode?: string): CodeSpec => (beavaCode === undefined ? { http, grpc } : { http, grpc, beavaCode });

export const ERROR_CODES = {
  // --- generic / transport ---
  not_found: spec(404, Grpc.NOT_FOUND),
  method_not_allowed: spec(405, Grpc.UNIMPLEMENTED),
  http_protocol_error: spec(400, Grpc.INVALID_ARGUMENT),
  invalid_argument: spec(400, Grpc.INVALID_ARGUMENT),
  internal_error: spec(500, Grpc.INTERNAL),
  unavailable: spec(503, Grpc.UNAVAILABLE),
  deadline_exceeded: spec(504, Grpc.DEADLINE_EXCEEDED),
  resource_exhausted: spec(429, Grpc.RESOURCE_EXHAUSTED),
  invalid_json_body: spec(400, Grpc.INVALID_ARGUMENT),
  unsupported_media_type: spec(415, Grpc.INVALID_ARGUMENT),
  unsupported_request_shape: spec(400, Grpc.INVALID_ARGUMENT),
  // --- TCP framing ---
  frame_too_large: spec(413, Grpc.RESOURCE_EXHAUSTED),
  frame_error: spec(400, Grpc.INVALID_ARGUMENT),
  unknown_op: spec(400, Grpc.UNIMPLEMENTED),
  op_not_implemented: spec(501, Grpc.UNIMPLEMENTED),
  unsupported_content_type: spec(415, Grpc.INVALID_ARGUMENT),
  // --- registration (beava §1.8) ---
  invalid_registration: spec(400, Grpc.INVALID_ARGUMENT),
  invalid_expression: spec(400, Grpc.INVALID_ARGUMENT),
  aggregation_unknown_op: spec(400, Grpc.INVALID_ARGUMENT),
  aggregation_unknown_field: spec(400, Grpc.INVALID_ARGUMENT),
  aggregation_invalid_where: spec(400, Grpc.INVALID_ARGUMENT),
  aggregation_invalid_window: spec(400, Grpc.INVALID_ARGUMENT),
  aggregation_on_table_not_supported: spec(400, Grpc.INVALID_ARGUMENT),
  aggregation_group_key_collides_with_feature: spec(400, Grpc.INVALID_ARGUMENT),
  aggregation_feature_name_collision_across_aggregations: spec(400, Grpc.INVALID_ARGUMENT),
  window_not_supported: spec(400, Grpc.INVALID_ARGUMENT),
  invalid_percentile_q: spec(400, Grpc.INVALID_ARGUMENT),
  invalid_top_k_k: spec(400, Grpc.INVALID_ARGUMENT),
  invalid_bloom_fpr: spec(400, Grpc.INVALID_ARGUMENT),
  unsupported_node_kind: spec(400, Grpc.INVALID_ARGUMENT),
  feature_removed_no_joins_v0: spec(400, Grpc.INVALID_ARGUMENT),
  feature_removed_no_unions_v0: spec(400, Grpc.INVALID_ARGUMENT),
  unknown_field_event_time_v0: spec(400, Grpc.INVALID_ARGUMENT),
  unknown_field_tolerate_delay_v0: spec(400, Grpc.INVALID_ARGUMENT),
  unbounded_op_in_lifetime_mode: spec(400, Grpc.INVALID_ARGUMENT),
  force_required: spec(409, Grpc.FAILED_PRECONDITION),
  wal_unavailable: spec(503, Grpc.UNAVAILABLE),
  // --- push (beava §4.2) ---
  missing_event_name_in_body: spec(400, Grpc.INVALID_ARGUMENT),
  invalid_event: spec(400, Grpc.INVALID_ARGUMENT),
  control_character_in_string: spec(400, Grpc.INVALID_ARGUMENT),
  event_not_found: spec(404, Grpc.NOT_FOUND),
  unknown_field_v0: spec(400, Grpc.INVALID_ARGUMENT),
  // --- reads (beava §5) ---
  unknown_table: spec(404, Grpc.NOT_FOUND),
  key_parse_failure: spec(404, Grpc.INVALID_ARGUMENT),
  // beava answers an unknown feature in a get with 500 internal_error and the reason "feature_not_found: ...".
  feature_not_found: spec(500, Grpc.NOT_FOUND, "internal_error"),
  // --- test mode ---
  reset_disabled_in_production: spec(403, Grpc.PERMISSION_DENIED),
  // --- workspaces / feature serving (Tecton) ---
  workspace_not_found: spec(404, Grpc.NOT_FOUND),
  workspace_already_exists: spec(409, Grpc.ALREADY_EXISTS),
  feature_service_not_found: spec(404, Grpc.NOT_FOUND),
  // --- auth / secrets ---
  unauthenticated: spec(401, Grpc.UNAUTHENTICATED),
  permission_denied: spec(403, Grpc.PERMISSION_DENIED),
  already_exists: spec(409, Grpc.ALREADY_EXISTS),
  failed_precondition: spec(400, Grpc.FAILED_PRECONDITION),
} as const satisfies Record<string, CodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function codeSpec(code: ErrorCode): CodeSpec {
  return ERROR_CODES[code];
}

/**
 * grpc-gateway v1's HTTPStatusFromCode: the status of a Tecton REST error with the given gRPC code
 * (tecton-behaviour.md §1.4).
 */
export const GATEWAY_HTTP_STATUS: Readonly<Record<GrpcCode, number>> = {
  0: 200,
  1: 408,
  2: 500,
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  9: 400,
  10: 409,
  11: 400,
  12: 501,
  13: 500,
  14: 503,
  15: 500,
  16: 401,
};
