import type { Value as ValueMessage } from "@bufbuild/protobuf/wkt";
import type {
  FeatureServiceLocator,
  GetFeaturesBatchParameters,
  GetFeaturesParameters,
  MetadataOptions as MetadataOptionsMessage,
  RequestOptions as RequestOptionsMessage,
} from "../../gen/tessera/featureservice/v1/feature_service_pb.ts";
import {
  checkBatchRows,
  EMPTY_MAP,
  latencyBudgetOf,
  leadingEdgeOf,
  locatorOf,
  type BatchParams,
  type GetFeaturesParams,
  type Locator,
  type MetadataOptions,
  type RequestOptions,
  type RowInput,
} from "./request-params.ts";

/**
 * The Connect FeatureService's request messages read into the same params as Tecton's JSON bodies
 * (request-params.ts), with the same checks and messages. connect-node has already decoded the wire
 * (Connect JSON with either casing and unknown fields ignored, Connect binary, gRPC), so the field
 * types are settled; join keys and request context stay google.protobuf.Value, turned into the JSON
 * values the request reader checks against the service's key and field types.
 */

/** A google.protobuf.Value as the JSON value it stands for. */
function jsonOf(v: ValueMessage): unknown {
  const k = v.kind;
  switch (k.case) {
    case "stringValue":
    case "numberValue":
    case "boolValue":
      return k.value;
    case "listValue":
      return k.value.values.map(jsonOf);
    case "structValue": {
      // Without a prototype, a key like "__proto__" is a key like any other.
      const out: Record<string, unknown> = Object.create(null);
      for (const key in k.value.fields) out[key] = jsonOf(k.value.fields[key]!);
      return out;
    }
    default:
      // nullValue, or a Value with no kind set (protobuf JSON has no way to send that but null).
      return null;
  }
}

function mapOf(m: { readonly [key: string]: ValueMessage }): Readonly<Record<string, unknown>> {
  let out: Record<string, unknown> | undefined;
  for (const key in m) (out ??= Object.create(null) as Record<string, unknown>)[key] = jsonOf(m[key]!);
  return out ?? EMPTY_MAP;
}

function rowOf(p: { readonly joinKeyMap: { readonly [key: string]: ValueMessage }; readonly requestContextMap: { readonly [key: string]: ValueMessage } }): RowInput {
  return { joinKeyMap: mapOf(p.joinKeyMap), requestContextMap: mapOf(p.requestContextMap) };
}

function metadataOf(m: MetadataOptionsMessage | undefined): MetadataOptions {
  return {
    names: m?.includeNames ?? false,
    effectiveTimes: m?.includeEffectiveTimes ?? false,
    // includeTypes is the legacy spelling of includeDataTypes.
    dataTypes: (m?.includeDataTypes ?? false) || (m?.includeTypes ?? false),
    sloInfo: m?.includeSloInfo ?? false,
    servingStatus: m?.includeServingStatus ?? false,
    descriptions: m?.includeFeatureDescriptions ?? false,
    tags: m?.includeFeatureTags ?? false,
  };
}

function optionsOf(o: RequestOptionsMessage | undefined): RequestOptions {
  if (o === undefined) return { coerceNullCountsToZero: false, latencyBudgetMs: undefined, leadingEdge: "wall_clock" };
  return {
    coerceNullCountsToZero: o.coerceNullCountsToZero,
    latencyBudgetMs: latencyBudgetOf(Number(o.latencyBudgetMs)),
    leadingEdge: leadingEdgeOf(o.aggregationLeadingEdge),
  };
}

function locator(p: FeatureServiceLocator | GetFeaturesParameters | GetFeaturesBatchParameters | undefined): Locator {
  return locatorOf(p?.featureServiceId ?? "", p?.featureServiceName ?? "", p?.workspaceName ?? "");
}

export function getFeaturesFromMessage(p: GetFeaturesParameters | undefined): GetFeaturesParams {
  const at = locator(p);
  return { locator: at, row: p === undefined ? { joinKeyMap: EMPTY_MAP, requestContextMap: EMPTY_MAP } : rowOf(p), metadata: metadataOf(p?.metadataOptions), options: optionsOf(p?.requestOptions) };
}

export function getFeaturesBatchFromMessage(p: GetFeaturesBatchParameters | undefined): BatchParams {
  const at = locator(p);
  const data = p?.requestData ?? [];
  checkBatchRows(data.length);
  return { locator: at, rows: data.map(rowOf), metadata: metadataOf(p?.metadataOptions), options: optionsOf(p?.requestOptions) };
}

export function metadataFromMessage(p: FeatureServiceLocator | undefined): Locator {
  return locator(p);
}
