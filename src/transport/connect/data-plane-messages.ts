import type { JsonObject, MessageInitShape } from "@bufbuild/protobuf";
import type {
  BatchGetRequest,
  BatchGetResponseSchema,
  EntryErrorSchema,
  GetRequest,
  GetResponseSchema,
  PingResponseSchema,
  PushBatchRequest,
  PushBatchResponseSchema,
  PushResponseSchema,
  PushStreamResponseSchema,
  RegisterRequest,
  RegisterResponseSchema,
  ResetRequest,
  ResetResponseSchema,
} from "../../../gen/tessera/dataplane/v1/data_plane_service_pb.ts";
import type { DryRunResponse, RegisterResponse } from "../../engine/index.ts";
import { TesseraError } from "../../errors/tessera-error.ts";
import {
  isEntryError,
  type BatchGetReply,
  type EntryError,
  type FeatureRow,
  type PingReply,
  type PushBatchReply,
  type PushReply,
  type PushStreamSummary,
  type ResetReply,
} from "../../service/data-plane.ts";
import { DEFAULT_WORKSPACE } from "../../service/request-shapes.ts";
import { toStruct } from "./struct-json.ts";

/**
 * DataPlaneService messages <-> the beava JSON bodies and replies of the DataPlane service. Only
 * the shape changes here: every check happens in the service, so a Connect client gets the same
 * codes as a REST or TCP client. Where proto3 cannot tell "absent" from a default value, the
 * default maps to absent: an empty workspace is prod, an empty event name is a missing one (no
 * event can be registered under ""), an unset data Struct is beava's absent `data` ({}).
 */

// --- requests ------------------------------------------------------------------------------------

export function registerBody(req: RegisterRequest): JsonObject {
  return { workspace: req.workspace, nodes: req.nodes, force: req.force, dry_run: req.dryRun };
}

/** One push (`/push`, a push stream message): the event of a PushRequest or PushStreamRequest in its workspace. */
export function pushBody(req: { readonly workspace: string; readonly event: string; readonly data?: JsonObject | undefined }): Record<string, unknown> {
  return { workspace: req.workspace, ...eventBody(req) };
}

export function pushBatchBody(req: PushBatchRequest): Record<string, unknown> {
  return { workspace: req.workspace, events: req.events.map(eventBody) };
}

function eventBody(e: { readonly event: string; readonly data?: JsonObject | undefined }): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (e.event !== "") body["event"] = e.event;
  if (e.data !== undefined) body["data"] = e.data;
  return body;
}

/** One `/get` body; inside a batch the entry's workspace is the batch's (checked by batchGetBody). */
export function getBody(req: GetRequest): Record<string, unknown> {
  if (req.key !== "" && req.keySegments.length > 0) {
    throw new TesseraError("unsupported_request_shape", "GetRequest takes `key` or `key_segments`, not both");
  }
  // No segments means `key`, which is also how a global table ("") is read.
  const body: Record<string, unknown> = { workspace: req.workspace, table: req.table, key: req.keySegments.length > 0 ? req.keySegments : req.key };
  // A repeated field cannot be absent: features_set marks an explicit empty list (beava's `features: []`).
  if (req.featuresSet || req.features.length > 0) body["features"] = req.features;
  return body;
}

/**
 * `/batch_get` reads one workspace: an entry naming another one is refused rather than read from
 * the wrong place. Like both key forms in one entry, that is a misuse of the message, not a bad
 * entry, so the whole call fails.
 */
export function batchGetBody(req: BatchGetRequest): Record<string, unknown> {
  const ws = req.workspace || DEFAULT_WORKSPACE;
  const requests = req.requests.map((r, i) => {
    if (r.workspace !== "" && r.workspace !== ws) {
      throw new TesseraError("invalid_argument", `requests[${i}] names workspace ${JSON.stringify(r.workspace)} inside a batch for ${JSON.stringify(ws)}`);
    }
    return getBody(r);
  });
  return { workspace: req.workspace, requests };
}

/** An empty workspace resets every workspace, as `/reset` with `{}` does. */
export function resetBody(req: ResetRequest): Record<string, unknown> {
  return req.workspace === "" ? {} : { workspace: req.workspace };
}

// --- replies -------------------------------------------------------------------------------------

/** A dry run leaves status and registry_version unset: beava's dry-run body has neither. */
export function registerResponse(reply: RegisterResponse | DryRunResponse): MessageInitShape<typeof RegisterResponseSchema> {
  if ("diff" in reply) {
    const { diff } = reply;
    return {
      diff: { additive: diff.additive.map(toStruct), destructive: diff.destructive.map(toStruct), alreadyPresent: [...diff.already_present] },
      wouldApply: reply.would_apply,
    };
  }
  return {
    status: reply.status,
    registryVersion: BigInt(reply.registry_version),
    registeredDescriptors: [...reply.registered_descriptors],
    added: [...reply.added],
    alreadyPresent: [...reply.already_present],
  };
}

export function pushResponse(reply: PushReply): MessageInitShape<typeof PushResponseSchema> {
  return { ackLsn: BigInt(reply.ack_lsn), idempotentReplay: reply.idempotent_replay, registryVersion: BigInt(reply.registry_version) };
}

export function pushBatchResponse(reply: PushBatchReply): MessageInitShape<typeof PushBatchResponseSchema> {
  return {
    outcomes: reply.outcomes.map((o) =>
      isEntryError(o) ? { error: entryError(o.error) } : { ackLsn: BigInt(o.ack_lsn), idempotentReplay: o.idempotent_replay },
    ),
    registryVersion: BigInt(reply.registry_version),
  };
}

export function pushStreamResponse(s: PushStreamSummary): MessageInitShape<typeof PushStreamResponseSchema> {
  return {
    accepted: BigInt(s.accepted),
    replayed: BigInt(s.replayed),
    rejected: BigInt(s.rejected),
    lastAckLsn: BigInt(s.last_ack_lsn),
    errors: s.errors.map((e) => ({ index: BigInt(e.index), error: entryError(e.error) })),
    registryVersion: BigInt(s.registry_version),
  };
}

export function getResponse(row: FeatureRow): MessageInitShape<typeof GetResponseSchema> {
  return { features: toStruct(row) };
}

export function batchGetResponse(reply: BatchGetReply): MessageInitShape<typeof BatchGetResponseSchema> {
  return { results: reply.results.map((r) => (isEntryError(r) ? { error: entryError(r.error) } : { features: toStruct(r) })) };
}

export function pingResponse(reply: PingReply): MessageInitShape<typeof PingResponseSchema> {
  return { pong: reply.pong, serverVersion: reply.server_version, registryVersion: BigInt(reply.registry_version) };
}

export function resetResponse(reply: ResetReply): MessageInitShape<typeof ResetResponseSchema> {
  return { reset: reply.reset, registryVersion: BigInt(reply.registry_version) };
}

/** beava's `{code, message, ...details}` error object as an EntryError. */
function entryError(e: EntryError["error"]): MessageInitShape<typeof EntryErrorSchema> {
  const { code, message, ...details } = e;
  return Object.keys(details).length === 0 ? { code, message } : { code, message, details: toStruct(details) };
}
