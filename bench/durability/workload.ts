/**
 * What the durability bench registers and pushes: a transaction event and a per-user table with the
 * lifetime aggregations of the durability tests (count, sum, min, max, distinct merchants) plus a 1 h
 * continuous count and sum. No dedupe key: the recovery bench replays millions of events, and a
 * dedupe cache that large would measure the cache, not the log.
 */
import type { JsonObject } from "../../src/client/index.ts";
import type { Rng } from "../lib/random.ts";

export const NODES: JsonObject[] = [
  { kind: "event", name: "txn", schema: { fields: { user: "str", amt: "f64", merchant: "str" } } },
  {
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
          n_1h: { op: "count", params: { window: "1h" } },
          amt_sum_1h: { op: "sum", params: { field: "amt", window: "1h" } },
        },
      },
    ],
  },
];

/**
 * The recovery bench's other table: the same event into a single count. Replay then costs little
 * more than reading and decoding the log, where NODES' seven aggregations (a distinct count among
 * them) make the engine's apply the larger share.
 */
export const SMALL_NODES: JsonObject[] = [
  NODES[0]!,
  {
    kind: "derivation",
    name: "user_stats",
    output_kind: "table",
    upstreams: ["txn"],
    table_primary_key: ["user"],
    ops: [{ op: "group_by", keys: ["user"], agg: { n: { op: "count" } } }],
  },
];

/** The event every throughput push carries (one pre-built body: the log's cost does not depend on the key). */
export const PUSH_DATA: JsonObject = { user: "u4242", amt: 12.5, merchant: "m17" };

/** Users the recovery log's events are spread over. */
const LOG_USERS = 10_000;

export interface SyntheticTxn extends JsonObject {
  user: string;
  amt: number;
  merchant: string;
}

/** A seeded stream of transactions for the recovery log: uniform users, amounts and merchants. */
export function syntheticTxns(random: Rng): () => SyntheticTxn {
  return () => ({
    user: `u${Math.floor(random.next() * LOG_USERS)}`,
    amt: Math.round(random.next() * 50_000) / 100,
    merchant: `m${Math.floor(random.next() * 200)}`,
  });
}
