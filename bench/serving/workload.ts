/**
 * The serving bench workload, shaped like Tecton's published feature-server benchmark
 * (tecton-behaviour.md §7.1: "10 aggregate FVs × 3 features, 30-day windows, 1-day interval"): one
 * event source feeding 10 tables keyed by user, 3 tiled aggregations each, one feature service over
 * all of them. Every body (preload batches, REST / Connect JSON requests, protobuf requests, gRPC
 * frames) is built before any load runs. Deterministic: the same seed gives the same bytes.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { GetFeaturesRequestSchema } from "../../gen/tessera/featureservice/v1/feature_service_pb.ts";
import { grpcFrame } from "../lib/grpc.ts";
import { rng } from "../lib/random.ts";

export const EVENT = "txn";
const SERVICE = "bench_fs";
export const TABLES = 10;
export const FEATURES_PER_TABLE = 3;

/** A day boundary (2023-11-14T00:00:00Z): events land in one 1-day tile, read once it is complete. */
export const PUSH_AT_MS = 1_699_920_000_000;
/** Half a day after the tile of the events closed: every window holds them. */
export const READ_AT_MS = PUSH_AT_MS + 36 * 3_600_000;

const TILES = { window: "30d", interval: "1d" };
/**
 * Per table: three of Tecton's aggregation functions over a 30-day window in 1-day tiles (two sets,
 * alternating). Feature names are unique across a registry, so each table prefixes its own.
 */
const AGGREGATIONS: readonly Record<string, { op: string; params: Record<string, unknown> }>[] = [
  {
    amt_sum_30d_1d: { op: "sum", params: { field: "amt", ...TILES } },
    amt_mean_30d_1d: { op: "mean", params: { field: "amt", ...TILES } },
    txn_count_30d_1d: { op: "count", params: { ...TILES } },
  },
  {
    amt_max_30d_1d: { op: "max", params: { field: "amt", ...TILES } },
    amt_min_30d_1d: { op: "min", params: { field: "amt", ...TILES } },
    qty_sum_30d_1d: { op: "sum", params: { field: "qty", ...TILES } },
  },
];
export const FEATURE_SUMMARY =
  "10 tables keyed by user × 3 tiled aggregations (30d window, 1d interval), alternately {sum, mean of amt; count} and {max, min of amt; sum of qty}";

function prefixed<T>(prefix: string, agg: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(agg).map(([name, spec]) => [`${prefix}${name}`, spec]));
}

export function tableName(i: number): string {
  return `user_metrics_${String(i).padStart(2, "0")}`;
}

/** The `/register` body: the event, 10 tables, the feature service over all of them. */
export function registerBody(): { nodes: unknown[]; force: boolean } {
  const tables = Array.from({ length: TABLES }, (_x, i) => ({
    kind: "derivation",
    name: tableName(i),
    output_kind: "table",
    upstreams: [EVENT],
    table_primary_key: ["user"],
    ops: [{ op: "group_by", keys: ["user"], agg: prefixed(`t${String(i).padStart(2, "0")}_`, AGGREGATIONS[i % AGGREGATIONS.length]!) }],
  }));
  return {
    nodes: [
      { kind: "event", name: EVENT, schema: { fields: { user: "str", merchant: "str", amt: "f64", qty: "i64" } } },
      ...tables,
      { kind: "feature_service", name: SERVICE, description: "serving bench", features: tables.map((t) => ({ table: t.name })) },
    ],
    force: true,
  };
}

/** Entity i's key: fixed width, so every request body has the same size. */
export function userKey(i: number): string {
  return `u${String(i).padStart(6, "0")}`;
}

/** `/push_batch` bodies: two events per entity, `batch` events per body. */
export function preloadBodies(entities: number, batch = 1000): string[] {
  const r = rng(0x5e7e);
  const events: unknown[] = [];
  for (let u = 0; u < entities; u++) {
    for (let k = 0; k < 2; k++) {
      events.push({
        event: EVENT,
        data: {
          user: userKey(u),
          merchant: `m${String(Math.floor(r.next() * 5000)).padStart(5, "0")}`,
          amt: Math.round((1 + r.next() * 998.99) * 100) / 100,
          qty: 1 + Math.floor(r.next() * 20),
        },
      });
    }
  }
  const bodies: string[] = [];
  for (let i = 0; i < events.length; i += batch) bodies.push(JSON.stringify({ events: events.slice(i, i + batch) }));
  return bodies;
}

/** Which metadata the requests ask for: none (the server default) or what both official clients send by default. */
export type MetadataMode = "none" | "names";

export interface GetFeaturesWorkload {
  /** `{"params": {...}}`: the body of the Tecton REST route and of Connect JSON alike. */
  readonly jsonBodies: readonly Buffer[];
  /** The GetFeaturesRequest message, protobuf binary (Connect `application/proto`). */
  readonly protoBodies: readonly Buffer[];
  /** The same message in a gRPC length-prefixed frame. */
  readonly grpcBodies: readonly Buffer[];
  readonly jsonBytes: number;
  readonly protoBytes: number;
}

/** Requests for `count` entities drawn uniformly from the preloaded ones. */
export function getFeaturesWorkload(count: number, entities: number, metadata: MetadataMode): GetFeaturesWorkload {
  const r = rng(0x6e7);
  const metadataOptions = metadata === "names" ? { includeNames: true, includeDataTypes: true } : undefined;
  const jsonBodies: Buffer[] = [];
  const protoBodies: Buffer[] = [];
  const grpcBodies: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const user = userKey(Math.floor(r.next() * entities));
    const params = { featureServiceName: SERVICE, workspaceName: "prod", joinKeyMap: { user }, ...(metadataOptions === undefined ? {} : { metadataOptions }) };
    jsonBodies.push(Buffer.from(JSON.stringify({ params })));
    const message = create(GetFeaturesRequestSchema, {
      params: {
        featureServiceName: SERVICE,
        workspaceName: "prod",
        joinKeyMap: { user: create(ValueSchema, { kind: { case: "stringValue", value: user } }) },
        metadataOptions,
      },
    });
    const proto = Buffer.from(toBinary(GetFeaturesRequestSchema, message));
    protoBodies.push(proto);
    grpcBodies.push(grpcFrame(proto));
  }
  return { jsonBodies, protoBodies, grpcBodies, jsonBytes: jsonBodies[0]!.length, protoBytes: protoBodies[0]!.length };
}
