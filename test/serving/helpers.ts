import type { SpawnedServer } from "../helpers/spawn-server.ts";

/** 2023-11-14T00:00:00Z: a day boundary, so 10m tiles and 1h windows start exactly here. */
export const T0 = 1_699_920_000_000;
export const MIN = 60_000;

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  // Bodies are asserted with deepEqual, so their static type does not matter here.
  readonly body: any;
  readonly text: string;
}

/** POSTs a body (JSON-encoded unless already a string) and parses the JSON reply. */
export async function post(server: SpawnedServer, path: string, body?: unknown, headers: Record<string, string> = { "content-type": "application/json" }): Promise<Reply> {
  const payload = body === undefined || typeof body === "string" ? body : JSON.stringify(body);
  const res = await fetch(`${server.url}${path}`, { method: "POST", headers, body: payload as string | undefined });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text), text };
}

export async function get(server: SpawnedServer, path: string): Promise<Reply> {
  const res = await fetch(`${server.url}${path}`);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text), text };
}

/** Like post, but fails unless the reply is 200. */
export async function ok(server: SpawnedServer, path: string, body?: unknown): Promise<any> {
  const r = await post(server, path, body);
  if (r.status !== 200) throw new Error(`${path} answered ${r.status}: ${r.text}`);
  return r.body;
}

export const GET_FEATURES = "/api/v1/feature-service/get-features";
export const GET_FEATURES_BATCH = "/api/v1/feature-service/get-features-batch";
export const METADATA = "/api/v1/feature-service/metadata";

/** POST get-features with `{"params": params}`. */
export function getFeatures(server: SpawnedServer, params: Record<string, unknown>, path = GET_FEATURES): Promise<Reply> {
  return post(server, path, { params });
}

export const ALL_METADATA = {
  includeNames: true,
  includeEffectiveTimes: true,
  includeDataTypes: true,
  includeSloInfo: true,
  includeServingStatus: true,
  includeFeatureDescriptions: true,
  includeFeatureTags: true,
};

export function setClock(server: SpawnedServer, nowMs: number): Promise<unknown> {
  return ok(server, "/test/clock", { now_ms: nowMs });
}

export function push(server: SpawnedServer, event: string, data: Record<string, unknown>, workspace?: string): Promise<unknown> {
  return ok(server, "/push", workspace === undefined ? { event, data } : { event, data, workspace });
}

export function register(server: SpawnedServer, nodes: unknown[], workspace?: string): Promise<unknown> {
  return ok(server, "/register", workspace === undefined ? { nodes, force: true } : { nodes, force: true, workspace });
}

export function event(name: string, fields: Record<string, string>, optional: string[] = []): unknown {
  return { kind: "event", name, schema: { fields, optional_fields: optional } };
}

export function table(name: string, upstream: string, keys: string[], agg: Record<string, unknown>): unknown {
  return { kind: "derivation", name, output_kind: "table", upstreams: [upstream], table_primary_key: keys, ops: [{ op: "group_by", keys, agg }] };
}

/**
 * The registry most serving tests use: a transaction table with one feature of every serving type,
 * a table keyed by an i64, one with a composite key, a realtime view, and services over them.
 */
export const TXN = event(
  "txn",
  { user: "str", merchant: "str", amt: "f64", qty: "i64", flag: "bool", at: "datetime", payload: "json", note: "i64" },
  ["at", "payload", "note"],
);
export const CLICK = event("click", { user: "str", device: "i64", page: "str" });
export const USER_TXN = table("user_txn", "txn", ["user"], {
  amt_mean_1d_10m: { op: "mean", params: { field: "amt", window: "1d", interval: "10m" } },
  amt_sum_1h: { op: "sum", params: { field: "amt", window: "1h" } },
  txn_count_1h_10m: { op: "count", params: { window: "1h", interval: "10m" } },
  qty_sum: { op: "sum", params: { field: "qty" } },
  qty_max: { op: "max", params: { field: "qty" } },
  last_flag: { op: "last", params: { field: "flag" } },
  last_merchant: { op: "last", params: { field: "merchant" } },
  last_at: { op: "last", params: { field: "at" } },
  seen_last: { op: "last_seen" },
  last_payload: { op: "last", params: { field: "payload" } },
  last_note: { op: "last", params: { field: "note" } },
  recent_merchants: { op: "last_n", params: { field: "merchant", n: 3 } },
  recent_qty: { op: "last_n", params: { field: "qty", n: 3 } },
  top_merchants: { op: "top_k", params: { field: "merchant", k: 2 } },
  qty_hist: { op: "histogram", params: { field: "qty", buckets: [5] } },
  merchant_mix: { op: "event_type_mix", params: { field: "merchant" } },
});
export const DEVICE_CLICKS = table("device_clicks", "click", ["device"], { clicks: { op: "count" } });
export const USER_DEVICE = table("user_device", "click", ["user", "device"], { pages: { op: "count", params: { window: "1h", interval: "10m" } } });
export const CHECKS = {
  kind: "realtime",
  name: "checks",
  request_schema: { fields: { amt: "f64", n: "i64", ts: "datetime", channel: "str" } },
  tables: ["user_txn"],
  features: {
    is_high: "amt > coalesce(user_txn.amt_mean_1d_10m, 0.0)",
    amt_echo: "amt",
    n_echo: "n",
    ts_echo: "ts",
    mean_or_null: "user_txn.amt_mean_1d_10m",
  },
  description: "request-time checks",
  tags: { team: "risk" },
};
export const FRAUD = { kind: "feature_service", name: "fraud", description: "fraud model", tags: { tier: "1" }, features: [{ table: "user_txn" }, { realtime: "checks" }] };
export const DEVICES = { kind: "feature_service", name: "devices", features: [{ table: "device_clicks" }] };
export const COMBO = { kind: "feature_service", name: "combo:v2", features: [{ table: "user_device" }, { table: "user_txn", features: ["qty_sum"], alias: "u" }] };
export const OFFLINE = { kind: "feature_service", name: "offline", online_serving_enabled: false, features: [{ table: "device_clicks" }] };
export const NODES = [TXN, CLICK, USER_TXN, DEVICE_CLICKS, USER_DEVICE, CHECKS, FRAUD, DEVICES, COMBO, OFFLINE];

/** Request context every `fraud` request needs. */
export const CONTEXT = { amt: 100, n: "7", ts: "2023-11-14T00:00:00Z", channel: "web" };
