/**
 * The suite's feature packs: what is registered, and seeded event sources for it.
 *
 * - small:  1 event, 1 table, 1 feature (a lifetime count per user).
 * - medium: the data-plane bench's table (bench/dataplane/workload.ts): 1 event, 1 table, 12 features
 *           (count, sum, mean, max over 1h and 1d continuous windows, n_unique 1d, quantile 0.95 1d,
 *           lifetime count and sum).
 * - fraud:  examples/fraud/registry.json (2 events, 4 tables, 27 table features, a realtime view of 3,
 *           the fraud_detection feature service), extended to the fraud shape: 3 more events
 *           and 6 more tables, so 5 events, 10 tables, 5 key kinds (user, card, merchant, device, ip)
 *           and ~100 features, sketches included (approx_percentile, approx_count_distinct, top_k,
 *           bloom_member, n_unique, quantile).
 *
 * The read-heavy pack (10 tables × 3 features behind one feature service) is bench/serving's workload
 * and is used from there.
 *
 * Every source is deterministic: the same seed, key space and distribution give the same events.
 */
import fraudRegistry from "../../examples/fraud/registry.json" with { type: "json" };
import {
  amount,
  CHANNELS,
  COUNTRIES,
  eventData as mediumEventData,
  registerBody as mediumRegisterBody,
  EVENT as MEDIUM_EVENT,
  FEATURE_NAMES as MEDIUM_FEATURES,
  TABLE as MEDIUM_TABLE,
  userKey,
} from "../dataplane/workload.ts";
import { pick, rng, type Rng } from "../lib/random.ts";
import { keyDraw, type KeyDistribution } from "./keys.ts";

export type PackId = "small" | "medium" | "fraud";

export interface PackEvent {
  readonly event: string;
  readonly data: Record<string, string | number | boolean>;
}

export interface PackTable {
  readonly name: string;
  /** The key column. */
  readonly key: string;
  readonly features: readonly string[];
}

export interface Pack {
  readonly id: PackId;
  /** One line: events, tables, features. */
  readonly summary: string;
  readonly events: readonly string[];
  readonly tables: readonly PackTable[];
  /** Table features (realtime features not counted). */
  readonly features: number;
  readonly realtimeFeatures: number;
  readonly keyKinds: readonly string[];
  /** The `/register` body. */
  registerBody(): { nodes: unknown[] };
  /** Events whose keys are drawn with `dist` over `entities` (per key kind), seeded. */
  source(seed: number, entities: number, dist: KeyDistribution): () => PackEvent;
  /**
   * The events that give entity `i` its state, one per event kind (every key kind of the pack takes
   * index i, merchants i mod merchantsFor(entities)); used to preload and by the memory bench.
   */
  entityEvents(i: number, entities: number, r: Rng): PackEvent[];
}

/** A pack of one event kind keyed by user: `event(r, i)` is entity i's event, its other fields drawn from r. */
function perUser(event: (r: Rng, user: number) => PackEvent): Pick<Pack, "source" | "entityEvents"> {
  return {
    source(seed, entities, dist) {
      const r = rng(seed);
      const users = keyDraw(r, entities, dist);
      return () => event(r, users());
    },
    entityEvents: (i, _n, r) => [event(r, i)],
  };
}

// --- small ----------------------------------------------------------------------------------------

const SMALL_EVENT = "click";
const SMALL_TABLE = "user_clicks";

const small: Pack = {
  id: "small",
  summary: "1 event, 1 table, 1 feature (lifetime count per user)",
  events: [SMALL_EVENT],
  tables: [{ name: SMALL_TABLE, key: "user", features: ["clicks"] }],
  features: 1,
  realtimeFeatures: 0,
  keyKinds: ["user"],
  registerBody: () => ({
    nodes: [
      { kind: "event", name: SMALL_EVENT, schema: { fields: { user: "str" } } },
      {
        kind: "derivation",
        name: SMALL_TABLE,
        output_kind: "table",
        upstreams: [SMALL_EVENT],
        table_primary_key: ["user"],
        ops: [{ op: "group_by", keys: ["user"], agg: { clicks: { op: "count" } } }],
      },
    ],
  }),
  ...perUser((_r, user) => ({ event: SMALL_EVENT, data: { user: userKey(user) } })),
};

// --- medium ---------------------------------------------------------------------------------------

const medium: Pack = {
  id: "medium",
  summary: `1 event, 1 table, ${MEDIUM_FEATURES.length} features (count/sum/mean/max over 1h and 1d continuous windows, n_unique 1d, quantile 0.95 1d, lifetime count and sum)`,
  events: [MEDIUM_EVENT],
  tables: [{ name: MEDIUM_TABLE, key: "user", features: MEDIUM_FEATURES }],
  features: MEDIUM_FEATURES.length,
  realtimeFeatures: 0,
  keyKinds: ["user"],
  registerBody: () => mediumRegisterBody(),
  // The data-plane bench's events, keys drawn here.
  ...perUser((r, user) => ({ event: MEDIUM_EVENT, data: mediumEventData(r, user) })),
};

// --- fraud ----------------------------------------------------------------------------------------

type Agg = Record<string, { op: string; params?: Record<string, unknown> }>;

function table(name: string, upstream: string, key: string, agg: Agg): Record<string, unknown> {
  return { kind: "derivation", name, output_kind: "table", upstreams: [upstream], table_primary_key: [key], ops: [{ op: "group_by", keys: [key], agg }] };
}

/** The three events and six tables that take the example to the fraud shape. */
const FRAUD_EXTRA_EVENTS = [
  { kind: "event", name: "card_auth", schema: { fields: { card_id: "str", merchant_id: "str", ip: "str", amount: "f64", approved: "bool" } } },
  { kind: "event", name: "device_session", schema: { fields: { device_id: "str", ip: "str", user_id: "str", duration_s: "f64" } } },
  { kind: "event", name: "chargeback", schema: { fields: { merchant_id: "str", card_id: "str", amount: "f64", reason: "str" } } },
];

const FRAUD_EXTRA_TABLES = [
  table("card_txn", "transaction", "card_id", {
    card_txn_count_10m: { op: "count", params: { window: "10m" } },
    card_txn_count_1h: { op: "count", params: { window: "1h" } },
    card_txn_count_1d_1h: { op: "count", params: { window: "1d", interval: "1h" } },
    card_amt_sum_1h: { op: "sum", params: { field: "amount", window: "1h" } },
    card_amt_sum_1d_1h: { op: "sum", params: { field: "amount", window: "1d", interval: "1h" } },
    card_amt_mean_1d: { op: "mean", params: { field: "amount", window: "1d" } },
    card_amt_max_1d: { op: "max", params: { field: "amount", window: "1d" } },
    card_amt_std_1d: { op: "std", params: { field: "amount", window: "1d" } },
    card_merchants_1d: { op: "n_unique", params: { field: "merchant_id", window: "1d" } },
    card_countries_1d: { op: "n_unique", params: { field: "country", window: "1d" } },
    card_devices_known: { op: "bloom_member", params: { field: "device_id", capacity: 64 } },
    card_txn_count: { op: "count" },
  }),
  table("card_auth_stats", "card_auth", "card_id", {
    auth_count_10m: { op: "count", params: { window: "10m" } },
    auth_count_1h: { op: "count", params: { window: "1h" } },
    auth_count_1d_1h: { op: "count", params: { window: "1d", interval: "1h" } },
    auth_declined_1h: { op: "count", params: { window: "1h", where: "not approved" } },
    auth_declined_1d: { op: "count", params: { window: "1d", where: "not approved" } },
    auth_decline_ratio_1d: { op: "ratio", params: { window: "1d", where: "not approved" } },
    auth_amt_sum_1h: { op: "sum", params: { field: "amount", window: "1h" } },
    auth_amt_mean_1d: { op: "mean", params: { field: "amount", window: "1d" } },
    auth_amt_max_1h: { op: "max", params: { field: "amount", window: "1h" } },
    auth_amt_min_1h: { op: "min", params: { field: "amount", window: "1h" } },
    auth_amt_p99_1d: { op: "approx_percentile", params: { field: "amount", percentile: 0.99, window: "1d", interval: "1h" } },
    auth_merchants_1h: { op: "n_unique", params: { field: "merchant_id", window: "1h" } },
    auth_ips_1d: { op: "approx_count_distinct", params: { field: "ip", window: "1d", interval: "1h" } },
    auth_top_merchants_1d: { op: "top_k", params: { field: "merchant_id", k: 3, window: "1d", interval: "1h" } },
    auth_count: { op: "count" },
  }),
  table("device_stats", "device_session", "device_id", {
    dev_sessions_1h: { op: "count", params: { window: "1h" } },
    dev_sessions_1d_1h: { op: "count", params: { window: "1d", interval: "1h" } },
    dev_sessions_7d_1d: { op: "count", params: { window: "7d", interval: "1d" } },
    dev_duration_sum_1d: { op: "sum", params: { field: "duration_s", window: "1d" } },
    dev_duration_mean_1d: { op: "mean", params: { field: "duration_s", window: "1d" } },
    dev_duration_max_1d: { op: "max", params: { field: "duration_s", window: "1d" } },
    dev_duration_p50_1d: { op: "quantile", params: { field: "duration_s", q: 0.5, window: "1d" } },
    dev_users_1d: { op: "n_unique", params: { field: "user_id", window: "1d" } },
    dev_users_7d: { op: "approx_count_distinct", params: { field: "user_id", window: "7d", interval: "1d" } },
    dev_ips_1d: { op: "n_unique", params: { field: "ip", window: "1d" } },
    dev_last_ip: { op: "last", params: { field: "ip" } },
    dev_sessions: { op: "count" },
  }),
  table("ip_sessions", "device_session", "ip", {
    ip_sessions_10m: { op: "count", params: { window: "10m" } },
    ip_sessions_1h: { op: "count", params: { window: "1h" } },
    ip_sessions_1d_1h: { op: "count", params: { window: "1d", interval: "1h" } },
    ip_devices_1h: { op: "n_unique", params: { field: "device_id", window: "1h" } },
    ip_devices_1d: { op: "approx_count_distinct", params: { field: "device_id", window: "1d", interval: "1h" } },
    ip_users_1d: { op: "n_unique", params: { field: "user_id", window: "1d" } },
    ip_duration_mean_1h: { op: "mean", params: { field: "duration_s", window: "1h" } },
    ip_duration_sum_1d: { op: "sum", params: { field: "duration_s", window: "1d" } },
    ip_top_users_1d: { op: "top_k", params: { field: "user_id", k: 3, window: "1d", interval: "1h" } },
    ip_user_known: { op: "bloom_member", params: { field: "user_id", capacity: 64 } },
    ip_sessions: { op: "count" },
  }),
  table("ip_auth", "card_auth", "ip", {
    ip_auth_count_10m: { op: "count", params: { window: "10m" } },
    ip_auth_count_1h: { op: "count", params: { window: "1h" } },
    ip_auth_declined_1h: { op: "count", params: { window: "1h", where: "not approved" } },
    ip_auth_cards_1h: { op: "n_unique", params: { field: "card_id", window: "1h" } },
    ip_auth_cards_1d: { op: "approx_count_distinct", params: { field: "card_id", window: "1d", interval: "1h" } },
    ip_auth_amt_sum_1h: { op: "sum", params: { field: "amount", window: "1h" } },
    ip_auth_amt_max_1d: { op: "max", params: { field: "amount", window: "1d" } },
    ip_auth_count: { op: "count" },
  }),
  table("merchant_chargebacks", "chargeback", "merchant_id", {
    cb_count_1d_1h: { op: "count", params: { window: "1d", interval: "1h" } },
    cb_count_7d_1d: { op: "count", params: { window: "7d", interval: "1d" } },
    cb_amt_sum_7d_1d: { op: "sum", params: { field: "amount", window: "7d", interval: "1d" } },
    cb_amt_mean_7d: { op: "mean", params: { field: "amount", window: "7d" } },
    cb_cards_7d: { op: "approx_count_distinct", params: { field: "card_id", window: "7d", interval: "1d" } },
    cb_top_reasons_7d: { op: "top_k", params: { field: "reason", k: 2, window: "7d", interval: "1d" } },
    cb_count: { op: "count" },
  }),
];

interface RegistryNode {
  kind: string;
  name: string;
  table_primary_key?: string[];
  ops?: { op: string; agg?: Record<string, unknown> }[];
  features?: unknown;
}

const FRAUD_EXAMPLE = fraudRegistry.nodes as unknown as RegistryNode[];
/** Example nodes first (events, tables, realtime, service), then the extension. */
function fraudNodes(): unknown[] {
  const example = FRAUD_EXAMPLE.map((n) => structuredClone(n));
  const events = example.filter((n) => n.kind === "event");
  const rest = example.filter((n) => n.kind !== "event");
  return [...events, ...structuredClone(FRAUD_EXTRA_EVENTS), ...structuredClone(FRAUD_EXTRA_TABLES), ...rest];
}

function tablesOf(nodes: readonly unknown[]): PackTable[] {
  return (nodes as RegistryNode[])
    .filter((n) => n.kind === "derivation")
    .map((n) => ({
      name: n.name,
      key: n.table_primary_key?.[0] ?? "",
      features: (n.ops ?? []).flatMap((o) => (o.op === "group_by" ? Object.keys(o.agg ?? {}) : [])),
    }));
}

const FRAUD_TABLES = tablesOf(fraudNodes());
const FRAUD_REALTIME = FRAUD_EXAMPLE.filter((n) => n.kind === "realtime").reduce((s, n) => s + Object.keys((n.features ?? {}) as object).length, 0);

/** Merchants are fewer than users: one per 50 entities, at least 200. */
function merchantsFor(entities: number): number {
  return Math.max(200, Math.floor(entities / 50));
}

const REASONS = ["fraud", "not_received", "duplicate", "other"];

/** Key strings of the fraud pack, fixed width per kind. */
const fk = {
  user: (i: number) => `u${String(i).padStart(7, "0")}`,
  card: (i: number) => `c${String(i).padStart(7, "0")}`,
  device: (i: number) => `d${String(i).padStart(7, "0")}`,
  ip: (i: number) => `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`,
  merchant: (i: number) => `m${String(i).padStart(6, "0")}`,
};

interface FraudKeys {
  user: number;
  card: number;
  device: number;
  ip: number;
  merchant: number;
}

/** Share of each event kind in a fraud stream (cumulative thresholds below). */
const FRAUD_MIX: readonly [string, number][] = [
  ["transaction", 0.5],
  ["login", 0.1],
  ["card_auth", 0.25],
  ["device_session", 0.1],
  ["chargeback", 0.05],
];

function fraudEvent(kind: string, r: Rng, k: FraudKeys, seq: number): PackEvent {
  switch (kind) {
    case "transaction":
      return {
        event: "transaction",
        data: {
          txn_id: `t${seq.toString(36).padStart(8, "0")}`,
          user_id: fk.user(k.user),
          card_id: fk.card(k.card),
          merchant_id: fk.merchant(k.merchant),
          device_id: fk.device(k.device),
          amount: amount(r),
          country: pick(r, COUNTRIES),
          channel: pick(r, CHANNELS),
        },
      };
    case "login":
      return { event: "login", data: { user_id: fk.user(k.user), device_id: fk.device(k.device), country: pick(r, COUNTRIES), success: r.next() > 0.03 } };
    case "card_auth":
      return { event: "card_auth", data: { card_id: fk.card(k.card), merchant_id: fk.merchant(k.merchant), ip: fk.ip(k.ip), amount: amount(r), approved: r.next() > 0.05 } };
    case "device_session":
      return { event: "device_session", data: { device_id: fk.device(k.device), ip: fk.ip(k.ip), user_id: fk.user(k.user), duration_s: Math.round(r.next() * 360_000) / 100 } };
    default:
      return { event: "chargeback", data: { merchant_id: fk.merchant(k.merchant), card_id: fk.card(k.card), amount: amount(r), reason: pick(r, REASONS) } };
  }
}

const fraud: Pack = {
  id: "fraud",
  summary: `examples/fraud/registry.json extended: 5 events, ${FRAUD_TABLES.length} tables, ${FRAUD_TABLES.reduce((s, t) => s + t.features.length, 0)} table features + ${FRAUD_REALTIME} realtime, 5 key kinds, sketches (approx_percentile, approx_count_distinct, top_k, bloom_member, n_unique, quantile)`,
  events: ["transaction", "login", ...FRAUD_EXTRA_EVENTS.map((e) => e.name)],
  tables: FRAUD_TABLES,
  features: FRAUD_TABLES.reduce((s, t) => s + t.features.length, 0),
  realtimeFeatures: FRAUD_REALTIME,
  keyKinds: ["user_id", "card_id", "merchant_id", "device_id", "ip"],
  registerBody: () => ({ nodes: fraudNodes() }),
  source(seed, entities, dist) {
    const r = rng(seed);
    const users = keyDraw(r, entities, dist);
    const cards = keyDraw(r, entities, dist);
    const devices = keyDraw(r, entities, dist);
    const ips = keyDraw(r, entities, dist);
    const merchants = keyDraw(r, merchantsFor(entities), dist);
    let seq = 0;
    return () => {
      const u = r.next();
      let acc = 0;
      let kind = "chargeback";
      for (const [k, share] of FRAUD_MIX) {
        acc += share;
        if (u < acc) {
          kind = k;
          break;
        }
      }
      return fraudEvent(kind, r, { user: users(), card: cards(), device: devices(), ip: ips(), merchant: merchants() }, seq++);
    };
  },
  entityEvents(i, entities, r) {
    const k = { user: i, card: i, device: i, ip: i, merchant: i % merchantsFor(entities) };
    return FRAUD_MIX.map(([kind]) => fraudEvent(kind, r, k, i));
  },
};

export const PACKS: Readonly<Record<PackId, Pack>> = { small, medium, fraud };

export { MEDIUM_TABLE, userKey };
