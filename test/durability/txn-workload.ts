import type { Rng } from "../../bench/lib/random.ts";
import type { JsonObject } from "../../src/client/index.ts";
import type { SpawnedServer } from "../helpers/spawn-server.ts";

/**
 * The workload the durability tests push: transactions with a unique id (the dedupe key), per-user
 * lifetime count / sum / min / max / distinct merchants, and a naive oracle of those features.
 *
 * Amounts are multiples of 0.25, so every sum is exact in f64 whatever order the events were applied
 * in: the oracle can be compared with `deepEqual` over any set of events.
 */

export const USERS = 16;
const MERCHANTS = 40;

export const TXN: JsonObject = {
  kind: "event",
  name: "txn",
  schema: { fields: { id: "str", user: "str", amt: "f64", merchant: "str" } },
  dedupe_key: "id",
};

export const USER_STATS: JsonObject = {
  kind: "derivation",
  name: "user_stats",
  output_kind: "table",
  upstreams: ["txn"],
  table_primary_key: ["user"],
  ops: [
    {
      op: "group_by",
      keys: ["user"],
      agg: {
        n: { op: "count" },
        amt_sum: { op: "sum", params: { field: "amt" } },
        amt_min: { op: "min", params: { field: "amt" } },
        amt_max: { op: "max", params: { field: "amt" } },
        merchants: { op: "n_unique", params: { field: "merchant" } },
      },
    },
  ],
};

export interface Txn extends JsonObject {
  id: string;
  user: string;
  amt: number;
  merchant: string;
}

export function userName(i: number): string {
  return `u${i}`;
}

/** Transactions `<prefix>-0`, `<prefix>-1`, ... with seeded users, amounts and merchants. */
export function txnSource(random: Rng, prefix: string): () => Txn {
  let seq = 0;
  return () => ({
    id: `${prefix}-${seq++}`,
    user: userName(Math.floor(random.next() * USERS)),
    amt: Math.floor(random.next() * 4000 + 1) / 4,
    merchant: `m${Math.floor(random.next() * MERCHANTS)}`,
  });
}

export interface UserRow {
  n: number;
  amt_sum: number;
  amt_min: number;
  amt_max: number;
  merchants: number;
}

/** Each user's features computed naively from `events`; a user without events reads `{}` (cold start). */
export function oracle(events: Iterable<Txn>): Record<string, UserRow | Record<string, never>> {
  const rows: Record<string, UserRow | Record<string, never>> = {};
  const merchants = new Map<string, Set<string>>();
  for (let i = 0; i < USERS; i++) rows[userName(i)] = {};
  for (const e of events) {
    const seen = merchants.get(e.user) ?? new Set<string>();
    merchants.set(e.user, seen.add(e.merchant));
    const r = rows[e.user] as Partial<UserRow>;
    r.n = (r.n ?? 0) + 1;
    r.amt_sum = (r.amt_sum ?? 0) + e.amt;
    r.amt_min = Math.min(r.amt_min ?? Infinity, e.amt);
    r.amt_max = Math.max(r.amt_max ?? -Infinity, e.amt);
    r.merchants = seen.size;
  }
  return rows;
}

/** Every user's row as the server serves it, read at one instant with /batch_get. */
export async function servedRows(server: SpawnedServer, workspace = "prod"): Promise<Record<string, unknown>> {
  const users = Array.from({ length: USERS }, (_, i) => userName(i));
  const res = await fetch(`${server.url}/batch_get`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ workspace, requests: users.map((key) => ({ table: "user_stats", key })) }),
  });
  const body = (await res.json()) as { results: unknown[] };
  if (res.status !== 200) throw new Error(`/batch_get answered ${res.status}: ${JSON.stringify(body)}`);
  return Object.fromEntries(users.map((u, i) => [u, body.results[i]]));
}
