import { isPlainObject, fail } from "./names.ts";

/**
 * The JSON-level checks of beava §1.5 step 1, run on the raw envelope before any strict shape check.
 * They tolerate any malformed input (non-object nodes, non-array ops, ...): malformed parts are
 * skipped here and reported by the strict shape checks (descriptors.ts).
 * Each check scans the whole payload before the next one runs; the first hit throws.
 */

const SUPPORTED_KINDS = new Set(["event", "derivation", "realtime", "feature_service"]);

/**
 * Operator names the registry knows when the catalogue does not export `isKnownOperator`
 * (beava §2.3 plus aliases, plus DESIGN §4's Tecton names). Only used for the memory-governance check.
 */
export const FALLBACK_KNOWN_OPS: ReadonlySet<string> = new Set([
  "count", "sum", "mean", "min", "max", "var", "std", "ratio", "n_unique", "quantile", "top_k", "bloom_member", "entropy",
  "first", "last", "first_n", "last_n", "lag", "first_seen", "last_seen", "age", "has_seen", "time_since",
  "time_since_last_n", "streak", "max_streak", "negative_streak", "first_seen_in_window", "ewma", "ema", "ewvar",
  "ew_zscore", "decayed_sum", "decayed_count", "twa", "rate_of_change", "inter_arrival_stats", "burst_count",
  "delta_from_prev", "trend", "trend_residual", "outlier_count", "value_change_count", "z_score", "histogram",
  "hour_of_day_histogram", "dow_hour_histogram", "seasonal_deviation", "event_type_mix", "most_recent_n",
  "reservoir_sample", "geo_velocity", "geo_distance", "geo_spread", "distance_from_home",
  // DESIGN §4 (Tecton)
  "var_pop", "std_pop", "var_samp", "std_samp", "first_distinct_n", "last_distinct_n", "approx_count_distinct",
  "approx_percentile",
]);

/** Ops whose lifetime state grows with `n` (memory governance: `n > 0` required without a window). */
const N_BOUNDED_OPS = new Set(["first_n", "last_n", "lag", "time_since_last_n", "most_recent_n", "first_distinct_n", "last_distinct_n"]);

function nodesOf(envelope: unknown): readonly unknown[] {
  if (!isPlainObject(envelope) || !Array.isArray(envelope.nodes)) return [];
  return envelope.nodes;
}

function opsOf(node: unknown): readonly unknown[] {
  if (!isPlainObject(node) || !Array.isArray(node.ops)) return [];
  return node.ops;
}

function positive(v: unknown): boolean {
  return typeof v === "number" && Number.isFinite(v) && v > 0;
}

export function runJsonLevelChecks(envelope: unknown, isKnownOperator: (op: string) => boolean): void {
  const nodes = nodesOf(envelope);

  // 1. join / union ops
  nodes.forEach((node, i) => {
    opsOf(node).forEach((op, j) => {
      if (!isPlainObject(op)) return;
      if (op.op === "join") throw fail("feature_removed_no_joins_v0", `nodes[${i}].ops[${j}].op`, "join was removed in v0");
      if (op.op === "union") throw fail("feature_removed_no_unions_v0", `nodes[${i}].ops[${j}].op`, "union was removed in v0");
    });
  });

  // 2. event-time keys
  nodes.forEach((node, i) => {
    if (!isPlainObject(node)) return;
    if (Object.hasOwn(node, "event_time_field")) {
      throw fail("unknown_field_event_time_v0", `nodes[${i}].event_time_field`, "event_time_field is not supported: Tessera uses processing time");
    }
    if (Object.hasOwn(node, "tolerate_delay_ms")) {
      throw fail("unknown_field_tolerate_delay_v0", `nodes[${i}].tolerate_delay_ms`, "tolerate_delay_ms is not supported: Tessera uses processing time");
    }
  });

  // 3. node kinds (a missing, empty or non-string kind is a shape error, reported later)
  nodes.forEach((node, i) => {
    if (!isPlainObject(node)) return;
    const kind = node.kind;
    if (typeof kind === "string" && kind !== "" && !SUPPORTED_KINDS.has(kind)) {
      throw fail("unsupported_node_kind", `nodes[${i}].${kind}.kind`, `unsupported node kind ${JSON.stringify(kind)}; expected event, derivation, realtime or feature_service`);
    }
  });

  // 4. memory governance: lifetime (no `params.window` string) features must be bounded
  nodes.forEach((node, i) => {
    opsOf(node).forEach((op, j) => {
      if (!isPlainObject(op) || op.op !== "group_by" || !isPlainObject(op.agg)) return;
      for (const [feature, spec] of Object.entries(op.agg)) {
        if (!isPlainObject(spec)) continue;
        const params = isPlainObject(spec.params) ? spec.params : {};
        if (typeof params.window === "string") continue;
        const path = `nodes[${i}].ops[${j}].agg.${feature}`;
        const name = spec.op;
        if (typeof name !== "string") continue; // shape error, reported later
        if (!isKnownOperator(name)) {
          throw fail("unbounded_op_in_lifetime_mode", path, `unknown op ${JSON.stringify(name)} in lifetime mode (no window)`);
        }
        if (N_BOUNDED_OPS.has(name) && !positive(params.n)) {
          throw fail("unbounded_op_in_lifetime_mode", path, `${name} without a window needs n > 0`);
        }
        if (name === "reservoir_sample" && !positive(params.samples)) {
          throw fail("unbounded_op_in_lifetime_mode", path, "reservoir_sample without a window needs samples > 0");
        }
        if (name === "histogram" && !(Array.isArray(params.buckets) && params.buckets.length > 0)) {
          throw fail("unbounded_op_in_lifetime_mode", path, "histogram without a window needs a non-empty buckets list");
        }
      }
    });
  });
}
