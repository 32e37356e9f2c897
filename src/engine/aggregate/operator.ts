import type { Row, Value, ValueType } from "../types.ts";
import type { InlineForm, SlotForm } from "./slots.ts";

/**
 * The contract every aggregation operator implements. The catalogue (catalogue.ts) owns what is
 * common to all operators — `window`/`interval` parsing, `where` compilation and gating, bucketing —
 * and calls into an OperatorDef for the op-specific parts.
 *
 * State is PLAIN DATA (numbers, strings, arrays, typed arrays, Maps, plain objects; no class
 * instances, no closures) so snapshots can serialise it generically (node:v8 serialize) and window
 * buckets can hold it. Behaviour lives in the def's functions. A state must be cheap: it exists once
 * per entity per feature (or once per live bucket for windowed features).
 */

/** Parameters for an aggregation exactly as on the wire (`agg.<feature>.params`). */
export type RawParams = Readonly<Record<string, unknown>>;

export interface ParamContext {
  /** The feature being defined (for error messages). */
  readonly feature: string;
  /** Type of a field of the upstream (post prefix-ops) schema; undefined when it does not exist. */
  fieldType(name: string): ValueType | undefined;
}

/**
 * - `windowed`: accepts `window` (continuous or tiled) or none (lifetime); needs `merge`.
 * - `lifetime`: a `window` param is rejected with `aggregation_invalid_window` (DESIGN §4: never ignored).
 * - `window_required`: needs a `window` (first_seen_in_window); it is passed to the op, not bucketed.
 */
export type WindowSupport = "windowed" | "lifetime" | "window_required";

export interface OperatorDef<P = unknown, S = unknown> {
  /** Canonical wire name. */
  readonly op: string;
  /** Other accepted wire names (e.g. `ema` for `ewma`, `var_samp` for `var`). */
  readonly aliases?: readonly string[];
  readonly windowSupport: WindowSupport;
  /**
   * When true the op also sees events whose `where` did not match (`matched=false`): ratio, streak,
   * negative_streak. Otherwise the catalogue skips the update for unmatched events.
   */
  readonly observesUnmatched?: boolean;
  /** Param names this op understands besides `window`, `interval`, `where` (others are rejected). */
  readonly params: readonly string[];
  /**
   * Validate and normalise the op-specific params. Throws TesseraError with the codes of
   * beava-behaviour.md §1.4 (aggregation_unknown_field, invalid_percentile_q, ...).
   * `windowMs` is the parsed window for `window_required` ops, else undefined.
   */
  parse(params: RawParams, ctx: ParamContext, windowMs: number | undefined): P;
  /** Declared output type (used by reads, metadata and Tecton encoding). */
  outputType(p: P): ValueType;
  /** Field names the op reads (diffing and schema checks). */
  fields(p: P): readonly string[];
  /** A fresh state (the empty value is `read(create(p), p, now)`). */
  create(p: P): S;
  /**
   * Apply one event. `now` is the command's processing time in epoch ms. Returns the state to keep
   * (usually the same object, mutated; a different one when it promotes, e.g. exact -> sketch).
   */
  update(s: S, p: P, row: Row, matched: boolean, now: number): S;
  /** The feature value at read time `now`. Must not mutate `s`. */
  read(s: S, p: P, now: number): Value;
  /** Windowed ops: fold bucket `from` into `into` (returns the result; may mutate `into`). */
  merge?(into: S, from: S, p: P): S;
  /** Optional compact form (slots.ts): the state as inline f64 accumulators. */
  readonly slots?: SlotForm<P>;
  /** Optional (slots.ts): small states kept as a few inline numbers until they overflow. */
  readonly inline?: InlineForm<P, S>;
}

/** Reads a numeric field: i64/f64 values as numbers; anything else (null, str, bool, NaN) -> undefined. */
export function numericField(row: Row, field: string): number | undefined {
  const v = row[field];
  return typeof v === "number" && !Number.isNaN(v) ? v : undefined;
}
