import { TesseraError } from "../../errors/tessera-error.ts";
import { compileChecked } from "../expr/index.ts";
import { parseDuration } from "../registry/parse-duration.ts";
import type { Row, Schema, Value, ValueType } from "../types.ts";
import type { OperatorDef, ParamContext, RawParams } from "./operator.ts";
import { LIFETIME_OPERATORS } from "./ops/lifetime-ops.ts";
import { WINDOWED_OPERATORS } from "./ops/windowed-ops.ts";
import { CONTINUOUS_BUCKETS } from "./window.ts";
import type { WindowSpec } from "./window.ts";

/**
 * The operator catalogue: op lookup (with aliases) and compilation of one `agg` entry into an
 * AggregationSpec. It owns what is common to all operators — unknown-param rejection, `window` /
 * `interval` parsing, `where` compilation — and calls the op's OperatorDef for the rest.
 *
 * Order of checks (beava §1.4, where it applies): unknown op; unknown params; the op's own checks
 * (half_life, sub_window, field, n, bloom, q/k: OperatorDef.parse); window (rejected on lifetime ops,
 * required by window_required ops, then syntax and the interval rules); `where`.
 */

/** One compiled aggregation (one feature of a table). */
export interface AggregationSpec<P = unknown, S = unknown> {
  readonly feature: string;
  /** The canonical op name (aliases resolved). */
  readonly op: string;
  readonly def: OperatorDef<P, S>;
  /** The op's parsed params. */
  readonly params: P;
  readonly outputType: ValueType;
  readonly window: WindowSpec;
  /** The compiled `where`; undefined when every event matches. Only `true` counts as a match. */
  readonly where?: (row: Row) => Value;
  readonly whereSource?: string;
  /** Every field read: the op's and the `where`'s. */
  readonly fields: readonly string[];
  /** True for `count` (Tecton's coerceNullCountsToZero applies to it). */
  readonly isCount: boolean;
  /** Canonical JSON of what determines the feature's state (see specKey). */
  readonly key: string;
}

/** Params every op accepts besides its own (whether they are valid for the op is checked later). */
const COMMON_PARAMS: readonly string[] = ["window", "interval", "where"];

/** Guards tile arrays against absurd window/interval ratios (e.g. 365d at 1s). */
export const MAX_TILES = 16_384;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDef = OperatorDef<any, any>;

const BY_NAME: ReadonlyMap<string, AnyDef> = (() => {
  const m = new Map<string, AnyDef>();
  for (const def of [...WINDOWED_OPERATORS, ...LIFETIME_OPERATORS]) {
    for (const name of [def.op, ...(def.aliases ?? [])]) {
      if (m.has(name)) throw new Error(`operator name ${name} is defined twice`);
      m.set(name, def);
    }
  }
  return m;
})();

/** Whether `op` is a wire op name (canonical or alias) this catalogue accepts. */
export function isKnownOperator(op: string): boolean {
  return BY_NAME.has(op);
}

/** The OperatorDef for a wire op name, or undefined. */
export function lookupOperator(op: string): AnyDef | undefined {
  return BY_NAME.get(op);
}

/** Every canonical op name, sorted (docs and the metadata API). */
export function operatorNames(): string[] {
  return [...new Set([...BY_NAME.values()].map((d) => d.op))].sort();
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

function invalidWindow(feature: string, reason: string): TesseraError {
  return new TesseraError("aggregation_invalid_window", `${feature}: ${reason}`, { reason });
}

/** A window param as ms, "forever", or a TesseraError naming the feature. */
function duration(feature: string, name: string, v: unknown): number | "forever" {
  try {
    return parseDuration(v);
  } catch {
    throw invalidWindow(feature, `\`${name}\` must be a duration like "10m" or "forever" (got ${JSON.stringify(v)})`);
  }
}

function parseWindow(feature: string, op: string, def: AnyDef, params: RawParams): WindowSpec {
  const hasWindow = present(params.window);
  const hasInterval = present(params.interval);
  if (def.windowSupport !== "windowed") {
    // window_required ops take their window as a param (parsed before OperatorDef.parse).
    if (hasInterval) throw invalidWindow(feature, `${op} does not support \`interval\``);
    if (def.windowSupport === "lifetime" && hasWindow) {
      throw invalidWindow(feature, `${op} is lifetime-only: \`window\` is not supported`);
    }
    return { kind: "lifetime" };
  }
  const w = hasWindow ? duration(feature, "window", params.window) : "forever";
  if (w === "forever") {
    if (hasInterval) throw invalidWindow(feature, "`interval` needs a finite `window`");
    return { kind: "lifetime" };
  }
  if (!hasInterval) return { kind: "continuous", windowMs: w, bucketMs: Math.ceil(w / CONTINUOUS_BUCKETS) };
  const i = duration(feature, "interval", params.interval);
  if (i === "forever" || w % i !== 0) {
    throw invalidWindow(feature, `\`window\` (${String(params.window)}) must be a whole multiple of \`interval\` (${String(params.interval)})`);
  }
  if (w / i > MAX_TILES) throw invalidWindow(feature, `\`window\` / \`interval\` is ${w / i} tiles; at most ${MAX_TILES} are supported`);
  return { kind: "tiled", windowMs: w, intervalMs: i };
}

/** Serialises plain data with sorted object keys (typed arrays as arrays; functions omitted). */
function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (ArrayBuffer.isView(v)) return canonicalJson(Array.from(v as unknown as ArrayLike<number>));
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v instanceof Map) return canonicalJson(Object.fromEntries(v));
  if (v instanceof Set) return canonicalJson([...v]);
  const rec = v as Record<string, unknown>;
  const parts: string[] = [];
  for (const k of Object.keys(rec).sort()) {
    const x = rec[k];
    if (x === undefined || typeof x === "function") continue;
    parts.push(`${JSON.stringify(k)}:${canonicalJson(x)}`);
  }
  return `{${parts.join(",")}}`;
}

/**
 * Canonical JSON of what determines a feature's state and value: canonical op, parsed params
 * (defaults applied, so `q` omitted equals `q: 0.5`), window and `where`. Two specs with the same key
 * can share state.
 */
export function specKey(spec: Pick<AggregationSpec, "op" | "params" | "window" | "whereSource">): string {
  return canonicalJson({ op: spec.op, params: spec.params, window: spec.window, where: spec.whereSource ?? null });
}

/** Compiles one `agg` entry against the table's (post prefix-ops) schema. Throws TesseraError. */
export function compileAggregation(input: { feature: string; op: string; params: Record<string, unknown> }, schema: Schema): AggregationSpec {
  const { feature, op: wireOp } = input;
  const params: RawParams = input.params ?? {};
  const def = BY_NAME.get(wireOp);
  if (def === undefined) {
    throw new TesseraError("aggregation_unknown_op", `${feature}: unknown aggregation op ${JSON.stringify(wireOp)}`, {
      reason: `unknown op ${JSON.stringify(wireOp)}`,
    });
  }
  const op = def.op;
  for (const name of Object.keys(params)) {
    if (!def.params.includes(name) && !COMMON_PARAMS.includes(name)) {
      const accepted = [...def.params, ...COMMON_PARAMS].join(", ");
      throw new TesseraError("invalid_registration", `${feature}: ${op} has no param ${JSON.stringify(name)} (accepted: ${accepted})`, {
        reason: `unknown param ${JSON.stringify(name)} for op ${op}`,
      });
    }
  }
  const ctx: ParamContext = { feature, fieldType: (name) => schema.fields.get(name) };
  let opWindowMs: number | undefined;
  if (def.windowSupport === "window_required" && present(params.window)) {
    const w = duration(feature, "window", params.window);
    if (w === "forever") throw invalidWindow(feature, `${op} needs a finite \`window\``);
    opWindowMs = w;
  }
  const parsed: unknown = def.parse(params, ctx, opWindowMs);
  if (def.windowSupport === "window_required" && opWindowMs === undefined) {
    throw invalidWindow(feature, `${op} requires a \`window\``);
  }
  const window = parseWindow(feature, op, def, params);
  if (window.kind !== "lifetime" && def.merge === undefined) throw new Error(`windowed op ${op} has no merge`);

  let where: ((row: Row) => Value) | undefined;
  let whereSource: string | undefined;
  const fields = [...def.fields(parsed)];
  if (present(params.where)) {
    if (typeof params.where !== "string") {
      throw new TesseraError("aggregation_invalid_where", `${feature}: \`where\` must be an expression string`, {
        reason: "`where` must be a string",
      });
    }
    const compiled = compileChecked(params.where, (name) => schema.fields.get(name), "aggregation_invalid_where");
    where = compiled.evaluate;
    whereSource = params.where;
    for (const f of compiled.fields) if (!fields.includes(f)) fields.push(f);
  }
  const spec = { op, params: parsed, window, whereSource };
  return {
    feature,
    op,
    def,
    params: parsed,
    outputType: def.outputType(parsed),
    window,
    ...(where !== undefined ? { where, whereSource } : {}),
    fields,
    isCount: op === "count",
    key: specKey(spec),
  };
}
