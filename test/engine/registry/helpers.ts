import assert from "node:assert/strict";
import { TesseraError } from "../../../src/errors/tessera-error.ts";
import type { ErrorCode } from "../../../src/errors/codes.ts";
import { registryDeps } from "../../../src/engine/registry/index.ts";
import { createPlanner, emptyRegistry } from "../../../src/engine/registry/plan.ts";
import type { AggregationSpecLike, RegistryDeps } from "../../../src/engine/registry/deps.ts";
import type { CompiledRegistry, RegistrationPlan } from "../../../src/engine/registry/model.ts";

/** Test wiring: the real registry deps (expression module + aggregation catalogue). */
export const deps: RegistryDeps = registryDeps;

export const planner = createPlanner(deps);
export const empty = (): CompiledRegistry => emptyRegistry();

export type Reg = CompiledRegistry<AggregationSpecLike>;

// --- node builders -----------------------------------------------------------------------------------

export function event(name: string, fields: Record<string, string>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { optional_fields, ...rest } = extra;
  return { kind: "event", name, schema: { fields, ...(optional_fields === undefined ? {} : { optional_fields }) }, ...rest };
}

export function table(
  name: string,
  upstream: string,
  keys: string[],
  agg: Record<string, { op: string; params?: Record<string, unknown> }>,
  opts: { ops?: unknown[]; pk?: string[] | null; upstreams?: string[]; outputKind?: string } = {},
): Record<string, unknown> {
  const node: Record<string, unknown> = {
    kind: "derivation",
    name,
    output_kind: opts.outputKind ?? "table",
    upstreams: opts.upstreams ?? [upstream],
    ops: [...(opts.ops ?? []), { op: "group_by", keys, agg }],
  };
  if (opts.pk !== null) node.table_primary_key = opts.pk ?? keys;
  return node;
}

export function eventDerivation(name: string, upstream: string, ops: unknown[]): Record<string, unknown> {
  return { kind: "derivation", name, output_kind: "event", upstreams: [upstream], ops };
}

/** A small standard payload: one event, one table. */
export const TXN = event("txn", { user: "str", amount: "f64", merchant: "str", n: "i64" }, { optional_fields: ["merchant"] });
export const USER_TXN = table("user_txn", "txn", ["user"], {
  txn_count: { op: "count" },
  amt_sum: { op: "sum", params: { field: "amount", window: "1h" } },
});

// --- plan helpers ------------------------------------------------------------------------------------

export function plan(current: Reg, nodes: unknown[], opts: { force?: boolean; dry_run?: boolean } = {}): RegistrationPlan {
  return planner.planRegistration(current, { nodes, ...opts });
}

/** Registers and returns the resulting registry (apply or noop). */
export function reg(current: Reg, nodes: unknown[], opts: { force?: boolean } = {}): Reg {
  const p = plan(current, nodes, opts);
  if (p.kind === "apply") return p.next;
  if (p.kind === "noop") return current;
  throw new Error("unexpected dry run");
}

export function applyPlan(current: Reg, nodes: unknown[], opts: { force?: boolean; dry_run?: boolean } = {}) {
  const p = plan(current, nodes, opts);
  assert.equal(p.kind, "apply");
  return p as Extract<RegistrationPlan, { kind: "apply" }>;
}

/** Asserts that `f` throws a TesseraError with `code` (and `path` when given); returns it. */
export function throwsCode(f: () => unknown, code: ErrorCode, path?: string): TesseraError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof TesseraError, `expected TesseraError, got ${String(e)}`);
    assert.equal(e.code, code, `code: ${e.message} ${JSON.stringify(e.details)}`);
    if (path !== undefined) assert.equal(e.details.path, path, `path (${e.message})`);
    return e;
  }
  assert.fail(`expected ${code}, nothing thrown`);
}

/** Registers `nodes` on an empty registry and expects `code`. */
export function rejects(nodes: unknown, code: ErrorCode, path?: string, envelope: Record<string, unknown> = {}): TesseraError {
  return throwsCode(() => planner.planRegistration(emptyRegistry(), { nodes, ...envelope }), code, path);
}
