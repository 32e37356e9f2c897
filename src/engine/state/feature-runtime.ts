import type { AggregationSpec } from "../aggregate/catalogue.ts";
import type { OperatorDef } from "../aggregate/operator.ts";
import { CONTINUOUS_BUCKETS, continuousMinLive, readBuckets, tiledRange, updateBuckets } from "../aggregate/window.ts";
import type { Buckets } from "../aggregate/window.ts";
import type { Row, Value, ValueType } from "../types.ts";

/** What a read reports about each feature (serving encodes values and metadata from it). */
export interface FeatureInfo {
  readonly name: string;
  readonly outputType: ValueType;
  readonly windowKind: "lifetime" | "continuous" | "tiled";
  /** Tecton's coerceNullCountsToZero applies. */
  readonly isCount: boolean;
}

const LIFETIME = 0;
const CONTINUOUS = 1;
const TILED = 2;

/**
 * One feature of a table, flattened for the hot path: the op, its params and the window as plain
 * fields, so applying and reading need no lookups. Its slot in an entity's `states` holds undefined
 * until the feature's first (matched) event, then the op state (lifetime) or the bucket array.
 */
export class FeatureRuntime {
  readonly info: FeatureInfo;
  readonly spec: AggregationSpec;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly def: OperatorDef<any, any>;
  readonly params: unknown;
  readonly where: ((row: Row) => Value) | undefined;
  readonly observesUnmatched: boolean;
  readonly kind: number;
  readonly windowMs: number;
  /** Bucket width (continuous) or tile width (tiled); 0 for lifetime. */
  readonly width: number;
  /** Tiles per window (tiled). */
  readonly tiles: number;
  /** A never-updated state, read for features without events (the op's empty value). */
  readonly empty: unknown;

  constructor(spec: AggregationSpec) {
    this.spec = spec;
    this.def = spec.def;
    this.params = spec.params;
    this.where = spec.where;
    this.observesUnmatched = spec.def.observesUnmatched === true;
    const w = spec.window;
    this.kind = w.kind === "lifetime" ? LIFETIME : w.kind === "continuous" ? CONTINUOUS : TILED;
    this.windowMs = w.kind === "lifetime" ? 0 : w.windowMs;
    this.width = w.kind === "continuous" ? w.bucketMs : w.kind === "tiled" ? w.intervalMs : 0;
    this.tiles = w.kind === "tiled" ? w.windowMs / w.intervalMs : 0;
    this.empty = spec.def.create(spec.params);
    this.info = { name: spec.feature, outputType: spec.outputType, windowKind: w.kind, isCount: spec.isCount };
  }

  /** Applies one event (already past the table's prefix ops) to `states[i]`. */
  apply(states: unknown[], i: number, row: Row, now: number): void {
    let matched = true;
    if (this.where !== undefined) {
      matched = this.where(row) === true;
      if (!matched && !this.observesUnmatched) return;
    }
    const s = states[i];
    switch (this.kind) {
      case LIFETIME:
        states[i] = this.def.update(s === undefined ? this.def.create(this.params) : s, this.params, row, matched, now);
        return;
      case CONTINUOUS: {
        const idx = Math.floor(now / this.width);
        const minLive = continuousMinLive(now, this.windowMs, this.width);
        states[i] = updateBuckets(s as Buckets | undefined, idx, minLive, CONTINUOUS_BUCKETS, this.def, this.params, row, matched, now);
        return;
      }
      default: {
        // Tiles older than the current window's first tile can never be read again (ends only advance).
        const idx = Math.floor(now / this.width);
        states[i] = updateBuckets(s as Buckets | undefined, idx, idx - this.tiles, this.tiles + 1, this.def, this.params, row, matched, now);
      }
    }
  }

  /**
   * The value at read time `now`. `windowEnd` moves the end of a window (Tecton's
   * LATEST_EVENT_TIME): continuous windows end there, tiled windows at its tile boundary.
   */
  read(s: unknown, now: number, windowEnd: number | undefined): Value {
    switch (this.kind) {
      case LIFETIME:
        return this.def.read(s === undefined ? this.empty : s, this.params, now);
      case CONTINUOUS: {
        const t = windowEnd ?? now;
        if (s === undefined) return this.def.read(this.empty, this.params, t);
        const lo = continuousMinLive(t, this.windowMs, this.width);
        return readBuckets(s as Buckets, lo, Math.floor(t / this.width) + 1, this.def, this.params, this.empty, t);
      }
      default: {
        const end = this.effectiveTime(now, windowEnd) as number;
        if (s === undefined) return this.def.read(this.empty, this.params, end);
        const [lo, hi] = tiledRange(end, this.windowMs, this.width);
        return readBuckets(s as Buckets, lo, hi, this.def, this.params, this.empty, end);
      }
    }
  }

  /** Tiled features: the end of the last complete tile (Tecton's effectiveTime); else undefined. */
  effectiveTime(now: number, windowEnd: number | undefined): number | undefined {
    if (this.kind !== TILED) return undefined;
    return Math.floor((windowEnd ?? now) / this.width) * this.width;
  }
}
