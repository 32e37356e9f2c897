import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { NullValue, timestampFromMs, type ListValue, type Struct, type Value as ValueMessage } from "@bufbuild/protobuf/wkt";
import {
  BatchFeatureMetadataSchema,
  BatchResponseMetadataSchema,
  BatchSloInfoSchema,
  DataTypeSchema,
  FeatureMetadataSchema,
  FeatureStatus as StatusEnum,
  GetFeaturesBatchResponseSchema,
  MetadataResponseSchema,
  SloInfoSchema,
  type BatchFeatureMetadata,
  type DataType as DataTypeMessage,
  type FeatureMetadata,
  type FeatureVector,
  type GetFeaturesBatchResponse,
  type GetFeaturesResponse,
  type MetadataResponse,
  type ResponseMetadata,
  type SloInfo,
} from "../../gen/tessera/featureservice/v1/feature_service_pb.ts";
import type { DataType } from "./data-type.ts";
import type { ReadPlan } from "./read-plan.ts";
import type { BatchReply, FeaturesReply } from "./replies.ts";
import { wantsFeatureMetadata, type MetadataOptions } from "./request-params.ts";
import type { FeatureStatus } from "./request-reader.ts";
import { formatTimestamp } from "./rfc3339.ts";
import { batchSlo, rowSlo, seconds, type SloTimes } from "./slo.ts";
import type { WireValue } from "./value-encoder.ts";

/**
 * The GetFeatures, GetFeaturesBatch and Metadata replies as the Connect FeatureService's messages,
 * built straight from a read (no JSON round trip), with the same content as the REST replies
 * (response-json.ts): values are the same wire values as google.protobuf.Value, and metadata carries
 * only what was asked for (protobuf JSON then omits the rest, so a Connect JSON reply equals the
 * Tecton JSON one). Everything a plan alone decides (data types, metadata entries without
 * per-request members, the Metadata reply) is built once per plan and shared by every reply:
 * connect-node only reads messages to serialise them.
 */

const NULL: ValueMessage = { $typeName: "google.protobuf.Value", kind: { case: "nullValue", value: NullValue.NULL_VALUE } };
const TRUE: ValueMessage = { $typeName: "google.protobuf.Value", kind: { case: "boolValue", value: true } };
const FALSE: ValueMessage = { $typeName: "google.protobuf.Value", kind: { case: "boolValue", value: false } };

/** A wire value as google.protobuf.Value; written as literals because every reply makes one per feature. */
function valueMessage(v: WireValue): ValueMessage {
  if (v === null) return NULL;
  switch (typeof v) {
    case "string":
      return { $typeName: "google.protobuf.Value", kind: { case: "stringValue", value: v } };
    case "number":
      return { $typeName: "google.protobuf.Value", kind: { case: "numberValue", value: v } };
    case "boolean":
      return v ? TRUE : FALSE;
  }
  if (Array.isArray(v)) {
    const list: ListValue = { $typeName: "google.protobuf.ListValue", values: (v as readonly WireValue[]).map(valueMessage) };
    return { $typeName: "google.protobuf.Value", kind: { case: "listValue", value: list } };
  }
  const record = v as { readonly [key: string]: WireValue };
  const fields: { [key: string]: ValueMessage } = Object.create(null);
  for (const key in record) fields[key] = valueMessage(record[key]!);
  const struct: Struct = { $typeName: "google.protobuf.Struct", fields };
  return { $typeName: "google.protobuf.Value", kind: { case: "structValue", value: struct } };
}

function featureVector(values: readonly WireValue[]): FeatureVector {
  return { $typeName: "tessera.featureservice.v1.FeatureVector", features: values.map(valueMessage) };
}

const STATUS: Readonly<Record<FeatureStatus, StatusEnum>> = {
  PRESENT: StatusEnum.PRESENT,
  MISSING_DATA: StatusEnum.MISSING_DATA,
  UNKNOWN: StatusEnum.UNKNOWN,
  TIME_OUT: StatusEnum.TIME_OUT,
};

function dataTypeMessage(t: DataType): DataTypeMessage {
  return create(DataTypeSchema, {
    type: t.type,
    elementType: t.elementType === undefined ? undefined : dataTypeMessage(t.elementType),
    fields: t.fields?.map((f) => ({ name: f.name, dataType: dataTypeMessage(f.dataType) })) ?? [],
    keyType: t.keyType === undefined ? undefined : dataTypeMessage(t.keyType),
    valueType: t.valueType === undefined ? undefined : dataTypeMessage(t.valueType),
  });
}

/** What one plan decides for every reply: per output, its data type message; entries and Metadata built on first use. */
interface PlanMessages {
  readonly dataTypes: readonly DataTypeMessage[];
  /** metadata.features without per-request members, by options (see staticKey). */
  readonly staticFeatures: Map<number, readonly FeatureMetadata[]>;
  metadata: MetadataResponse | undefined;
}

const byPlan = new WeakMap<ReadPlan, PlanMessages>();

function planMessages(plan: ReadPlan): PlanMessages {
  let p = byPlan.get(plan);
  if (p === undefined) {
    p = { dataTypes: plan.outputs.map((o) => dataTypeMessage(o.dataType)), staticFeatures: new Map(), metadata: undefined };
    byPlan.set(plan, p);
  }
  return p;
}

function effectiveTimeOf(ms: number | undefined): ReturnType<typeof timestampFromMs> | undefined {
  // The range check is RFC 3339's (and google.protobuf.Timestamp's), as in the JSON reply.
  return ms === undefined || formatTimestamp(ms) === undefined ? undefined : timestampFromMs(ms);
}

/** The members of one metadata.features entry that do not depend on the request's rows. */
function entryBase(plan: ReadPlan, i: number, m: MetadataOptions, dataTypes: readonly DataTypeMessage[]) {
  const o = plan.outputs[i]!;
  return {
    name: m.names ? o.name : "",
    dataType: m.dataTypes ? dataTypes[i] : undefined,
    description: m.descriptions ? o.description : "",
    tags: m.tags ? o.tags : {},
  };
}

function staticKey(m: MetadataOptions): number {
  return (m.names ? 1 : 0) | (m.dataTypes ? 2 : 0) | (m.descriptions ? 4 : 0) | (m.tags ? 8 : 0);
}

function featuresMetadata(plan: ReadPlan, m: MetadataOptions, effectiveTimes: FeaturesReply["effectiveTimes"], status: (i: number) => StatusEnum): readonly FeatureMetadata[] {
  const p = planMessages(plan);
  const entry = (i: number, dynamic: boolean): FeatureMetadata =>
    create(FeatureMetadataSchema, {
      ...entryBase(plan, i, m, p.dataTypes),
      effectiveTime: dynamic && m.effectiveTimes ? effectiveTimeOf(effectiveTimes?.[i]) : undefined,
      status: dynamic && m.servingStatus ? status(i) : undefined,
    });
  if (m.effectiveTimes || m.servingStatus) return plan.outputs.map((_o, i) => entry(i, true));
  const key = staticKey(m);
  let entries = p.staticFeatures.get(key);
  if (entries === undefined) p.staticFeatures.set(key, (entries = plan.outputs.map((_o, i) => entry(i, false))));
  return entries;
}

function sloMessage(t: SloTimes): SloInfo {
  return create(SloInfoSchema, {
    sloEligible: true,
    sloServerTimeSeconds: seconds(t.sloServerMs),
    serverTimeSeconds: seconds(t.serverMs),
    storeMaxLatency: seconds(t.storeMaxMs),
  });
}

export function getFeaturesMessage(reply: FeaturesReply): GetFeaturesResponse {
  const { plan, metadata: m, row } = reply;
  const featureMetadata = wantsFeatureMetadata(m);
  // A latency budget that cut features makes the response partial, whatever was asked for.
  // A literal, as the reply itself: create() costs more than the rest of this function.
  const metadata: ResponseMetadata | undefined =
    featureMetadata || m.sloInfo || row.timedOut
      ? {
          $typeName: "tessera.featureservice.v1.ResponseMetadata",
          features: featureMetadata ? (featuresMetadata(plan, m, reply.effectiveTimes, (i) => STATUS[row.statuses[i]!]) as FeatureMetadata[]) : [],
          sloInfo: m.sloInfo ? sloMessage(reply.slo) : undefined,
          partialResults: row.timedOut,
        }
      : undefined;
  return { $typeName: "tessera.featureservice.v1.GetFeaturesResponse", result: featureVector(row.values), metadata };
}

export function getFeaturesBatchMessage(reply: BatchReply): GetFeaturesBatchResponse {
  const { plan, metadata: m, rows } = reply;
  const featureMetadata = wantsFeatureMetadata(m);
  let features: BatchFeatureMetadata[] = [];
  if (featureMetadata) {
    const p = planMessages(plan);
    features = plan.outputs.map((_o, i) =>
      create(BatchFeatureMetadataSchema, {
        ...entryBase(plan, i, m, p.dataTypes),
        effectiveTime: m.effectiveTimes ? effectiveTimeOf(reply.effectiveTimes?.[i]) : undefined,
        status: m.servingStatus ? rows.map((r) => STATUS[r.statuses[i]!]) : [],
      }),
    );
  }
  let metadata;
  if (featureMetadata || m.sloInfo) {
    const perRow = m.sloInfo ? rows.map(rowSlo) : [];
    const batch = batchSlo(perRow, reply.serverMs);
    metadata = create(BatchResponseMetadataSchema, {
      features,
      sloInfo: perRow.map(sloMessage),
      batchSloInfo: m.sloInfo
        ? create(BatchSloInfoSchema, {
            sloEligible: true,
            sloServerTimeSeconds: seconds(batch.sloServerMs),
            serverTimeSeconds: seconds(batch.serverMs),
            storeMaxLatency: seconds(batch.storeMaxMs),
          })
        : undefined,
    });
  }
  return create(GetFeaturesBatchResponseSchema, { result: rows.map((r) => featureVector(r.values)), metadata });
}

/** The Metadata reply, from the plan's pre-rendered JSON, once per plan. */
export function metadataMessage(plan: ReadPlan): MetadataResponse {
  const p = planMessages(plan);
  p.metadata ??= fromJson(MetadataResponseSchema, JSON.parse(plan.metadataJson) as JsonValue);
  return p.metadata;
}
