import type { Row, Value } from "../types.ts";

/**
 * The compact ("slot") form of an operator: its state as a few f64 accumulators stored inline in an
 * entity's number array, instead of a JS object per entity (and per bucket). Only the windowed core
 * numeric ops have one (count, sum, mean, min/max over numbers, the variances, ratio); they are most
 * features of a typical pack, and as objects they cost ~40 B each plus a HeapNumber per update.
 *
 * An op with a slot form still has its object form (OperatorDef.create/update/read/merge): that is
 * the specification, and a property test checks the two agree. The table layout (state/layout.ts)
 * uses the slot form whenever `accumulator(p)` returns one.
 *
 * Accumulators are shared: two features of one window that need the same accumulator (same kind,
 * input field and `where`) read the same slots, e.g. `sum(amt)`, `mean(amt)` and `std(amt)` over 1h
 * all read one [n, Σx, M2] triple.
 */

/**
 * - count: [c], the matched events.
 * - moments: [n, Σx] (order 1) or [n, Σx, M2] (order 2: Welford's sum of squared deviations), over
 *   the numeric values of `field` (truncated toward zero when `trunc`: sum over i64 stays integral).
 * - min / max: [v], NaN until a numeric value arrives.
 * - ratio: [matched, total]; it sees every event, the `where` only gates `matched`.
 */
export type AccumulatorRef =
  | { readonly kind: "count" }
  | { readonly kind: "moments"; readonly field: string; readonly trunc: boolean; readonly order: 1 | 2 }
  | { readonly kind: "min" | "max"; readonly field: string }
  | { readonly kind: "ratio" };

export interface SlotForm<P> {
  /** The accumulator this instance reads; undefined keeps the object form (e.g. min over strings). */
  accumulator(p: P): AccumulatorRef | undefined;
  /**
   * The feature value from the accumulator at a[o..]: the entity's own slots (lifetime) or the
   * window's live buckets combined. Same result as the object form's `read`.
   */
  read(a: readonly number[], o: number, p: P): Value;
}

/**
 * The inline form of an object-state op whose small states are just a few finite numbers: the
 * n_unique ops (value hashes, a set) and the quantile ops (values, a multiset). The runtime keeps
 * the first `width` numbers of a state sorted in the entity's number array (a bucket row, or the
 * lifetime slots) and builds the object state only when one more arrives. A quiet entity's bucket
 * then costs `width` doubles instead of a state object (a small n_unique or quantile state is
 * 64–400 B; most buckets of most entities hold one or two values).
 */
export interface InlineForm<P, S> {
  /** How many numbers fit inline. */
  readonly width: number;
  /** Equal numbers collapse (a set of hashes) or repeat (a multiset of values). */
  readonly unique: boolean;
  /** The finite number this event contributes, or NaN when none (absent value, not a number, …). */
  value(p: P, row: Row): number;
  /** The object state holding exactly the ascending numbers a[o..o+n) (when they overflow). */
  state(a: readonly number[], o: number, n: number, p: P): S;
  /**
   * The feature value over the object states `states[0..n)` and the inline numbers `loose[0..nl)`
   * (in any order) together, as `read` of everything merged into one state would give.
   */
  read(states: readonly S[], n: number, loose: ArrayLike<number>, nl: number, p: P, now: number): Value;
}
