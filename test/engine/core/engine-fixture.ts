import { Engine } from "../../../src/engine/index.ts";
import type { Value } from "../../../src/engine/index.ts";

export const T0 = 1_700_000_000_000;

export const TXN_EVENT = {
  kind: "event",
  name: "txn",
  schema: { fields: { user: "str", merchant: "str", amt: "f64", n: "i64", ok: "bool", meta: "json", id: "str" }, optional_fields: ["merchant", "n", "ok", "meta", "id"] },
};

export function table(name: string, keys: string[], agg: Record<string, unknown>, prefix: unknown[] = []): unknown {
  return { kind: "derivation", name, output_kind: "table", upstreams: ["txn"], table_primary_key: keys, ops: [...prefix, { op: "group_by", keys, agg }] };
}

export const USER_TXN = table("user_txn", ["user"], {
  cnt: { op: "count" },
  amt_sum: { op: "sum", params: { field: "amt" } },
  amt_1h: { op: "sum", params: { field: "amt", window: "1h" } },
  big: { op: "count", params: { where: "(amt > 100)" } },
});

/** Registers nodes (with force) or throws. */
export function register(e: Engine, nodes: unknown[], ws = "prod", event: Record<string, unknown> = {}): void {
  const plan = e.planRegister(ws, { nodes, force: true, ...event });
  if (plan.kind === "apply") e.applyRegister(ws, plan);
}

export function engineWith(nodes: unknown[] = [TXN_EVENT, USER_TXN]): Engine {
  const e = new Engine();
  register(e, nodes);
  return e;
}

let lsn = 0;
/** Prepares and applies a push; returns the ack. */
export function push(e: Engine, data: Record<string, Value>, now = T0, event = "txn", ws = "prod"): { ack: number; replay: boolean } {
  const p = e.preparePush(ws, event, data, now);
  if (p.kind === "replay") return { ack: p.ackLsn, replay: true };
  const out = e.applyPush(p.command, ++lsn, now);
  return { ack: out.ackLsn, replay: out.replay };
}

/** The row as a feature → value object, or null. */
export function row(e: Engine, tableName: string, key: unknown, now = T0, features?: string[], ws = "prod"): Record<string, Value> | null {
  const r = e.read(ws, tableName, key, features, now);
  if (r === null) return null;
  return Object.fromEntries(r.features.map((f, i) => [f.name, r.values[i]!]));
}

export function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    return (err as { code: string }).code;
  }
  return "no error";
}
