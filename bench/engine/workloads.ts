import { Engine } from "../../src/engine/index.ts";
import type { Value } from "../../src/engine/index.ts";
import { rng, zipf } from "../lib/random.ts";


/** Shared workloads for the engine benchmarks. Deterministic (seeded PRNG), no I/O. */

export const T0 = 1_700_000_000_000;

export const EVENT = {
  kind: "event",
  name: "txn",
  schema: {
    fields: { user: "str", card: "str", merchant: "str", device: "str", ip: "str", amt: "f64", country: "str", is_online: "bool" },
  },
};

type Agg = Record<string, { op: string; params?: Record<string, unknown> }>;

export function table(name: string, key: string, agg: Agg): unknown {
  return { kind: "derivation", name, output_kind: "table", upstreams: ["txn"], table_primary_key: [key], ops: [{ op: "group_by", keys: [key], agg }] };
}

/** The 12-feature table of the apply benchmark: a typical mix of lifetime, continuous and tiled. */
export function twelveFeatures(p = ""): Agg {
  return {
    [`${p}cnt`]: { op: "count" },
    [`${p}cnt_1h`]: { op: "count", params: { window: "1h" } },
    [`${p}cnt_1d_1h`]: { op: "count", params: { window: "1d", interval: "1h" } },
    [`${p}amt_sum_1h`]: { op: "sum", params: { field: "amt", window: "1h" } },
    [`${p}amt_sum_1d_1h`]: { op: "sum", params: { field: "amt", window: "1d", interval: "1h" } },
    [`${p}amt_mean_1d`]: { op: "mean", params: { field: "amt", window: "1d" } },
    [`${p}amt_max_1d`]: { op: "max", params: { field: "amt", window: "1d" } },
    [`${p}amt_min_1h`]: { op: "min", params: { field: "amt", window: "1h" } },
    [`${p}amt_std_1d`]: { op: "std", params: { field: "amt", window: "1d" } },
    [`${p}big_cnt_1h`]: { op: "count", params: { window: "1h", where: "amt > 500" } },
    [`${p}online_ratio_1d`]: { op: "ratio", params: { window: "1d", where: "is_online" } },
    [`${p}amt_sum`]: { op: "sum", params: { field: "amt" } },
  };
}

/** 30 features: the 12 above plus longer windows, distinct counts and a quantile. */
export function thirtyFeatures(): Agg {
  return {
    ...twelveFeatures(),
    cnt_10m: { op: "count", params: { window: "10m" } },
    cnt_7d_1d: { op: "count", params: { window: "7d", interval: "1d" } },
    amt_sum_10m: { op: "sum", params: { field: "amt", window: "10m" } },
    amt_sum_7d_1d: { op: "sum", params: { field: "amt", window: "7d", interval: "1d" } },
    amt_mean_1h: { op: "mean", params: { field: "amt", window: "1h" } },
    amt_mean: { op: "mean", params: { field: "amt" } },
    amt_max: { op: "max", params: { field: "amt" } },
    amt_min: { op: "min", params: { field: "amt" } },
    amt_max_1h: { op: "max", params: { field: "amt", window: "1h" } },
    amt_var_1h: { op: "var", params: { field: "amt", window: "1h" } },
    amt_std: { op: "std", params: { field: "amt" } },
    big_cnt_1d: { op: "count", params: { window: "1d", where: "amt > 500" } },
    online_cnt_1d: { op: "count", params: { window: "1d", where: "is_online" } },
    online_ratio: { op: "ratio", params: { where: "is_online" } },
    merchants_1d: { op: "n_unique", params: { field: "merchant", window: "1d" } },
    countries: { op: "n_unique", params: { field: "country" } },
    amt_p50_1d: { op: "quantile", params: { field: "amt", window: "1d" } },
    amt_sum_1d: { op: "sum", params: { field: "amt", window: "1d" } },
  };
}

function strip(agg: Agg): Agg {
  // Drops undefined params so the registration JSON is clean.
  return JSON.parse(JSON.stringify(agg)) as Agg;
}

/** A fraud-shaped pipeline: 5 tables (user, card, merchant, device, ip), ~100 features. */
export function fraudNodes(): unknown[] {
  const agg = (p: string, n: number): Agg => {
    const all = Object.entries(strip(thirtyFeatures()));
    return Object.fromEntries(all.slice(0, n).map(([k, v]) => [`${p}_${k}`, v]));
  };
  return [
    EVENT,
    table("by_user", "user", agg("u", 30)),
    table("by_card", "card", agg("c", 20)),
    table("by_merchant", "merchant", agg("m", 20)),
    table("by_device", "device", agg("d", 15)),
    table("by_ip", "ip", agg("i", 15)),
  ];
}

export function engineWith(nodes: unknown[]): Engine {
  const e = new Engine();
  const plan = e.planRegister("prod", { nodes });
  if (plan.kind !== "apply") throw new Error("registration did not apply");
  e.applyRegister("prod", plan);
  return e;
}

/**
 * An engine whose one table (`agg`, keyed by user) holds `entities` users with `events` events each,
 * spread over `spanMs` (so continuous and tiled windows hold several buckets), users interleaved.
 */
export function loadedEngine(agg: Record<string, unknown>, entities: number, events: number, spanMs = 2 * 3_600_000): Engine {
  const e = engineWith([EVENT, table("pack", "user", JSON.parse(JSON.stringify(agg)) as Agg)]);
  const step = spanMs / events;
  let lsn = 0;
  for (let j = 0; j < events; j++) {
    for (let u = 0; u < entities; u++) {
      const now = T0 + Math.floor(j * step + (u % 1000) * 37);
      const data = { user: `user_${u}`, card: "c", merchant: `m${(u * 7 + j) % 50}`, device: "d", ip: "i", amt: (u % 977) + j * 1.25, country: j % 2 ? "US" : "GB", is_online: (u + j) % 3 === 0 };
      const p = e.preparePush("prod", "txn", data, now);
      if (p.kind === "apply") e.applyPush(p.command, ++lsn, now);
    }
  }
  if (e.stats().entities !== entities) throw new Error("entity count mismatch");
  return e;
}

export interface Stream {
  readonly rows: Record<string, Value>[];
  readonly times: Float64Array;
  /** The user key of each row (for the baseline). */
  readonly keys: string[];
}

/** `n` events, zipfian keys over `entities` per key column, `msPerEvent` apart. */
export function stream(n: number, entities: number, msPerEvent: number, seed = 42): Stream {
  const r = rng(seed);
  const z = zipf(r, entities, 0.99);
  const rows: Record<string, Value>[] = [];
  const keys: string[] = [];
  const times = new Float64Array(n);
  const countries = ["US", "GB", "DE", "FR", "BR", "IN", "JP", "NG"];
  for (let i = 0; i < n; i++) {
    const user = `u${z()}`;
    keys.push(user);
    rows.push({
      user,
      card: `c${z()}`,
      merchant: `m${z() % 5000}`,
      device: `d${z()}`,
      ip: `ip${z()}`,
      amt: Math.round(r.next() * 100000) / 100,
      country: countries[Math.floor(r.next() * countries.length)]!,
      is_online: r.next() < 0.3,
    });
    times[i] = T0 + Math.floor(i * msPerEvent);
  }
  return { rows, times, keys };
}

export { median } from "../lib/stats.ts";

export function fmt(x: number, digits = 0): string {
  return x.toFixed(digits);
}
