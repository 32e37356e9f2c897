import { DEFAULT_WORKSPACE } from "../service/request-shapes.ts";
import { invalidParams, locatorRequired } from "./serving-errors.ts";

/**
 * Tecton's request bodies, `{"params": {...}}`, read the way grpc-gateway's protobuf JSON reads them
 * (tecton-behaviour.md §1.3): lowerCamelCase or snake_case names, null is "not set", unknown fields
 * are ignored, int64 fields accept a number or a decimal string, enums their name or number. The
 * Connect service hands in the protobuf JSON of its request, so both wires meet here.
 */

/** Most rows one GetFeaturesBatch may carry (the seed's limit). */
export const MAX_BATCH_ROWS = 10;

/** Row maps that were absent or null. */
export const EMPTY_MAP: Readonly<Record<string, unknown>> = Object.freeze({});

export interface Locator {
  readonly workspace: string;
  readonly featureService: string;
}

export interface MetadataOptions {
  readonly names: boolean;
  readonly effectiveTimes: boolean;
  readonly dataTypes: boolean;
  readonly sloInfo: boolean;
  readonly servingStatus: boolean;
  readonly descriptions: boolean;
  readonly tags: boolean;
}

/** Whether any option adds a member to metadata.features. */
export function wantsFeatureMetadata(m: MetadataOptions): boolean {
  return m.names || m.effectiveTimes || m.dataTypes || m.servingStatus || m.descriptions || m.tags;
}

/** Where tiled windows end: the last complete tile before the request time, or before the table's latest event. */
export type LeadingEdge = "wall_clock" | "latest_event";

export interface RequestOptions {
  readonly coerceNullCountsToZero: boolean;
  /** Positive; undefined = no budget (the 2 s server timeout applies). */
  readonly latencyBudgetMs: number | undefined;
  readonly leadingEdge: LeadingEdge;
}

export interface RowInput {
  /** Join key name → JSON value as sent (null values kept: a null key reads nothing). */
  readonly joinKeyMap: Readonly<Record<string, unknown>>;
  readonly requestContextMap: Readonly<Record<string, unknown>>;
}

export interface GetFeaturesParams {
  readonly locator: Locator;
  readonly row: RowInput;
  readonly metadata: MetadataOptions;
  readonly options: RequestOptions;
}

export interface BatchParams {
  readonly locator: Locator;
  readonly rows: readonly RowInput[];
  readonly metadata: MetadataOptions;
  readonly options: RequestOptions;
}

type Obj = Record<string, unknown>;

/** A field's two spellings, computed once. */
interface Name {
  readonly camel: string;
  readonly snake: string;
  /** Where it sits, for messages. */
  readonly path: string;
}

function name(path: string): Name {
  const camel = path.slice(path.lastIndexOf(".") + 1);
  return { camel, snake: camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), path };
}

const N = {
  params: name("params"),
  featureServiceId: name("params.featureServiceId"),
  featureServiceName: name("params.featureServiceName"),
  workspaceName: name("params.workspaceName"),
  joinKeyMap: name("params.joinKeyMap"),
  requestContextMap: name("params.requestContextMap"),
  metadataOptions: name("params.metadataOptions"),
  requestOptions: name("params.requestOptions"),
  allowPartialResults: name("params.allowPartialResults"),
  requestData: name("params.requestData"),
  includeNames: name("params.metadataOptions.includeNames"),
  includeEffectiveTimes: name("params.metadataOptions.includeEffectiveTimes"),
  includeTypes: name("params.metadataOptions.includeTypes"),
  includeDataTypes: name("params.metadataOptions.includeDataTypes"),
  includeSloInfo: name("params.metadataOptions.includeSloInfo"),
  includeServingStatus: name("params.metadataOptions.includeServingStatus"),
  includeFeatureDescriptions: name("params.metadataOptions.includeFeatureDescriptions"),
  includeFeatureTags: name("params.metadataOptions.includeFeatureTags"),
  readFromCache: name("params.requestOptions.readFromCache"),
  writeToCache: name("params.requestOptions.writeToCache"),
  ignoreExtraRequestContextFields: name("params.requestOptions.ignoreExtraRequestContextFields"),
  latencyBudgetMs: name("params.requestOptions.latencyBudgetMs"),
  aggregationLeadingEdge: name("params.requestOptions.aggregationLeadingEdge"),
  coerceNullCountsToZero: name("params.requestOptions.coerceNullCountsToZero"),
} as const;

function isObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The field under either spelling; null counts as absent, as in protobuf JSON. */
function field(o: Obj, n: Name): unknown {
  const v = o[n.camel] ?? o[n.snake];
  return v === null ? undefined : v;
}

function object(o: Obj, n: Name): Obj | undefined {
  const v = field(o, n);
  if (v === undefined || isObject(v)) return v;
  throw invalidParams(`${n.path} must be a JSON object`);
}

function string(o: Obj, n: Name): string {
  const v = field(o, n);
  if (v === undefined) return "";
  if (typeof v === "string") return v;
  throw invalidParams(`${n.path} must be a string`);
}

function bool(o: Obj | undefined, n: Name): boolean {
  const v = o === undefined ? undefined : field(o, n);
  if (v === undefined) return false;
  if (typeof v === "boolean") return v;
  throw invalidParams(`${n.path} must be true or false`);
}

function int64(o: Obj, n: Name): number {
  const v = field(o, n);
  if (v === undefined) return 0;
  if (typeof v === "number" && Number.isInteger(v)) return v;
  if (typeof v === "string" && /^-?\d{1,18}$/.test(v)) return Number(v);
  throw invalidParams(`${n.path} must be an integer (a JSON number or a decimal string)`);
}

const LEADING_EDGES: Readonly<Record<string, LeadingEdge>> = {
  AGGREGATION_MODE_UNSPECIFIED: "wall_clock",
  AGGREGATION_MODE_WALL_CLOCK_TIME: "wall_clock",
  AGGREGATION_MODE_LATEST_EVENT_TIME: "latest_event",
  "0": "wall_clock",
  "1": "wall_clock",
  "2": "latest_event",
};

/** An aggregationLeadingEdge by enum name or number (the Connect wire hands in the number). */
export function leadingEdgeOf(v: unknown): LeadingEdge {
  const edge = typeof v === "string" || typeof v === "number" ? LEADING_EDGES[String(v)] : undefined;
  if (edge !== undefined) return edge;
  throw invalidParams(`${N.aggregationLeadingEdge.path} must be AGGREGATION_MODE_WALL_CLOCK_TIME or AGGREGATION_MODE_LATEST_EVENT_TIME`);
}

function leadingEdge(o: Obj): LeadingEdge {
  const v = field(o, N.aggregationLeadingEdge);
  return v === undefined ? "wall_clock" : leadingEdgeOf(v);
}

/** A latencyBudgetMs: 0 is none; negative is invalid. */
export function latencyBudgetOf(budget: number): number | undefined {
  if (budget < 0) throw invalidParams(`${N.latencyBudgetMs.path} must not be negative`);
  return budget === 0 ? undefined : budget;
}

/** Feature services have no id apart from their name; exactly one of the two names the service. */
export function locatorOf(id: string, name: string, workspace: string): Locator {
  if ((id === "") === (name === "")) throw locatorRequired();
  return { workspace: workspace === "" ? DEFAULT_WORKSPACE : workspace, featureService: name === "" ? id : name };
}

/** 1 to MAX_BATCH_ROWS rows. */
export function checkBatchRows(rows: number): void {
  if (rows === 0) throw invalidParams(`${N.requestData.path} must hold at least one entry`);
  if (rows > MAX_BATCH_ROWS) throw invalidParams(`${N.requestData.path} holds ${rows} entries; the maximum batch size is ${MAX_BATCH_ROWS}`);
}

/** `{"params": {...}}`; a missing or null `params` is an empty one (which then lacks a service name). */
function paramsOf(body: unknown): Obj {
  if (!isObject(body)) throw invalidParams("the request body must be a JSON object {\"params\": {...}}");
  return object(body, N.params) ?? {};
}

/** The v2 paths name the workspace and the service; those win over anything in `params`, as grpc-gateway's path fields do. */
function locator(p: Obj, path: Locator | undefined): Locator {
  return path ?? locatorOf(string(p, N.featureServiceId), string(p, N.featureServiceName), string(p, N.workspaceName));
}

function metadataOf(p: Obj): MetadataOptions {
  const m = object(p, N.metadataOptions);
  return {
    names: bool(m, N.includeNames),
    effectiveTimes: bool(m, N.includeEffectiveTimes),
    // includeTypes is the legacy spelling of includeDataTypes.
    dataTypes: bool(m, N.includeDataTypes) || bool(m, N.includeTypes),
    sloInfo: bool(m, N.includeSloInfo),
    servingStatus: bool(m, N.includeServingStatus),
    descriptions: bool(m, N.includeFeatureDescriptions),
    tags: bool(m, N.includeFeatureTags),
  };
}

function optionsOf(p: Obj): RequestOptions {
  const o = object(p, N.requestOptions);
  if (o === undefined) return { coerceNullCountsToZero: false, latencyBudgetMs: undefined, leadingEdge: "wall_clock" };
  // Checked so a malformed body fails as protobuf JSON would; Tessera has no serving cache, and its
  // request schemas have no struct-typed fields for ignoreExtraRequestContextFields to relax.
  bool(o, N.readFromCache);
  bool(o, N.writeToCache);
  bool(o, N.ignoreExtraRequestContextFields);
  return {
    coerceNullCountsToZero: bool(o, N.coerceNullCountsToZero),
    latencyBudgetMs: latencyBudgetOf(int64(o, N.latencyBudgetMs)),
    leadingEdge: leadingEdge(o),
  };
}

function rowOf(o: Obj, joinKeyMap: Name, requestContextMap: Name): RowInput {
  return { joinKeyMap: object(o, joinKeyMap) ?? EMPTY_MAP, requestContextMap: object(o, requestContextMap) ?? EMPTY_MAP };
}

export function parseGetFeatures(body: unknown, path?: Locator): GetFeaturesParams {
  const p = paramsOf(body);
  const at = locator(p, path);
  // No online store size limit exists to exceed, so allowPartialResults never changes a response.
  bool(p, N.allowPartialResults);
  return { locator: at, row: rowOf(p, N.joinKeyMap, N.requestContextMap), metadata: metadataOf(p), options: optionsOf(p) };
}

const ROW_JOIN_KEY_MAP = name("params.requestData[].joinKeyMap");
const ROW_REQUEST_CONTEXT_MAP = name("params.requestData[].requestContextMap");

export function parseGetFeaturesBatch(body: unknown, path?: Locator): BatchParams {
  const p = paramsOf(body);
  const at = locator(p, path);
  const data = field(p, N.requestData);
  if (data !== undefined && !Array.isArray(data)) throw invalidParams(`${N.requestData.path} must be an array`);
  const entries = data ?? [];
  checkBatchRows(entries.length);
  const rows = entries.map((e, i) => {
    if (e === null) return { joinKeyMap: EMPTY_MAP, requestContextMap: EMPTY_MAP };
    if (!isObject(e)) throw invalidParams(`${N.requestData.path}[${i}] must be a JSON object`);
    return rowOf(e, ROW_JOIN_KEY_MAP, ROW_REQUEST_CONTEXT_MAP);
  });
  return { locator: at, rows, metadata: metadataOf(p), options: optionsOf(p) };
}

/** Metadata's body is a bare FeatureServiceLocator in `params`; the v2 GET has no body. */
export function parseMetadata(body: unknown, path?: Locator): Locator {
  return path ?? locator(paramsOf(body), undefined);
}
