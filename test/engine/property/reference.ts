import type { AggregationSpec } from "../../../src/engine/aggregate/catalogue.ts";
import type { OperatorDef } from "../../../src/engine/aggregate/operator.ts";
import { CONTINUOUS_BUCKETS, continuousMinLive } from "../../../src/engine/aggregate/window.ts";
import type { Row, Value } from "../../../src/engine/types.ts";

/**
 * The reference model of one feature: the engine's first design, kept as an executable spec for
 * the optimised runtime (shared bucket rings, inline accumulators, inline sketch numbers). Each
 * feature keeps its op's OBJECT form: one state (lifetime) or a sorted list of (bucket index,
 * state) pairs, created when the feature's event matches; a new bucket first drops the buckets no
 * read can include (index < minLive), and at most maxBuckets are kept, as the newest. A read merges
 * the buckets in the window, oldest first, with the op's `merge`.
 */
export class ReferenceFeature {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private readonly def: OperatorDef<any, any>;
  private readonly spec: AggregationSpec;
  private state: unknown;
  private buckets: { idx: number; state: unknown }[] = [];

  constructor(spec: AggregationSpec) {
    this.spec = spec;
    this.def = spec.def;
  }

  push(row: Row, now: number): void {
    const { def, spec } = this;
    let matched = true;
    if (spec.where !== undefined) {
      matched = spec.where(row) === true;
      if (!matched && def.observesUnmatched !== true) return;
    }
    const w = spec.window;
    if (w.kind === "lifetime") {
      this.state = def.update(this.state ?? def.create(spec.params), spec.params, row, matched, now);
      return;
    }
    const width = w.kind === "continuous" ? w.bucketMs : w.intervalMs;
    const idx = Math.floor(now / width);
    const found = this.buckets.find((b) => b.idx === idx);
    if (found !== undefined) {
      found.state = def.update(found.state, spec.params, row, matched, now);
      return;
    }
    const minLive = w.kind === "continuous" ? continuousMinLive(now, w.windowMs, w.bucketMs) : idx - w.windowMs / w.intervalMs;
    const max = w.kind === "continuous" ? CONTINUOUS_BUCKETS : w.windowMs / w.intervalMs + 1;
    const kept = this.buckets.filter((b) => b.idx >= minLive);
    kept.push({ idx, state: def.update(def.create(spec.params), spec.params, row, matched, now) });
    kept.sort((a, b) => a.idx - b.idx);
    // The newest `max` are kept (the new bucket itself goes when it is the oldest).
    this.buckets = kept.slice(Math.max(0, kept.length - max));
  }

  read(now: number, windowEnd?: number): Value {
    const { def, spec } = this;
    const p = spec.params;
    const w = spec.window;
    if (w.kind === "lifetime") return def.read(this.state ?? def.create(p), p, now);
    let lo: number;
    let hi: number;
    let t: number;
    if (w.kind === "continuous") {
      t = windowEnd ?? now;
      lo = continuousMinLive(t, w.windowMs, w.bucketMs);
      hi = Math.floor(t / w.bucketMs) + 1;
    } else {
      t = Math.floor((windowEnd ?? now) / w.intervalMs) * w.intervalMs;
      hi = t / w.intervalMs;
      lo = hi - w.windowMs / w.intervalMs;
    }
    const live = this.buckets.filter((b) => b.idx >= lo && b.idx < hi);
    if (live.length === 0) return def.read(def.create(p), p, t);
    if (live.length === 1) return def.read(live[0]!.state, p, t);
    let acc = def.create(p);
    for (const b of live) acc = def.merge!(acc, b.state, p);
    return def.read(acc, p, t);
  }
}
