import type { OperatorDef } from "../operator.ts";
import { T } from "../../types.ts";
import type { Value, ValueType } from "../../types.ts";
import {
  countParam,
  fieldAndN,
  presentField,
  requireField,
  ringFromNewest,
  ringPush,
  ringValues,
} from "./lifetime-support.ts";
import type { Ring } from "./lifetime-support.ts";

/**
 * Value-keeping buffer operators: first, last, first_n, last_n, lag, most_recent_n, reservoir_sample
 * (beava §2.3). Values are kept exactly as pushed (null and missing are skipped); lists are
 * oldest → newest (DESIGN §4).
 */

interface FieldParams {
  readonly field: string;
  readonly type: ValueType;
}

interface FieldNParams extends FieldParams {
  readonly n: number;
}

/** One kept value; `null` until the first non-null value. */
interface SlotState {
  v: Value;
}

export const firstOp: OperatorDef<FieldParams, SlotState> = {
  op: "first",
  windowSupport: "lifetime",
  params: ["field"],
  parse: (params, ctx) => requireField(params, ctx, "first"),
  outputType: (p) => p.type,
  fields: (p) => [p.field],
  create: () => ({ v: null }),
  update(s, p, row) {
    if (s.v === null) {
      const v = presentField(row, p.field);
      if (v !== undefined) s.v = v;
    }
    return s;
  },
  read: (s) => s.v,
};

export const lastOp: OperatorDef<FieldParams, SlotState> = {
  op: "last",
  windowSupport: "lifetime",
  params: ["field"],
  parse: (params, ctx) => requireField(params, ctx, "last"),
  outputType: (p) => p.type,
  fields: (p) => [p.field],
  create: () => ({ v: null }),
  update(s, p, row) {
    const v = presentField(row, p.field);
    if (v !== undefined) s.v = v;
    return s;
  },
  read: (s) => s.v,
};

/** first_n keeps the first n values in arrival order; once full it never changes. */
export const firstNOp: OperatorDef<FieldNParams, Value[]> = {
  op: "first_n",
  windowSupport: "windowed",
  params: ["field", "n"],
  parse: (params, ctx) => fieldAndN(params, ctx, "first_n"),
  outputType: (p) => T.array(p.type),
  fields: (p) => [p.field],
  create: () => [],
  update(s, p, row) {
    if (s.length < p.n) {
      const v = presentField(row, p.field);
      if (v !== undefined) s.push(v);
    }
    return s;
  },
  read: (s) => s.slice(),
  merge(into, from, p) {
    for (let i = 0; i < from.length && into.length < p.n; i++) into.push(from[i]!);
    return into;
  },
};

function lastNDef(op: "last_n" | "most_recent_n"): OperatorDef<FieldNParams, Ring<Value>> {
  return {
    op,
    windowSupport: "lifetime",
    params: ["field", "n"],
    parse: (params, ctx) => fieldAndN(params, ctx, op),
    outputType: (p) => T.array(p.type),
    fields: (p) => [p.field],
    create: () => ({ buf: [], head: 0 }),
    update(s, p, row) {
      const v = presentField(row, p.field);
      if (v !== undefined) ringPush(s, p.n, v);
      return s;
    },
    read: (s) => ringValues(s),
  };
}

/** last_n is windowed (Tecton's `last(n)` over a time window): buckets merge oldest → newest. */
export const lastNOp: OperatorDef<FieldNParams, Ring<Value>> = {
  ...lastNDef("last_n"),
  windowSupport: "windowed",
  merge(into, from, p) {
    const vals = ringValues(into).concat(ringValues(from));
    return { buf: vals.length > p.n ? vals.slice(vals.length - p.n) : vals, head: 0 };
  },
};

export const mostRecentNOp: OperatorDef<FieldNParams, Ring<Value>> = lastNDef("most_recent_n");

/** lag keeps the newest n+1 values; the oldest of them is the value n matched events back. */
export const lagOp: OperatorDef<FieldNParams, Ring<Value>> = {
  op: "lag",
  windowSupport: "lifetime",
  params: ["field", "n"],
  parse: (params, ctx) => fieldAndN(params, ctx, "lag"),
  outputType: (p) => p.type,
  fields: (p) => [p.field],
  create: () => ({ buf: [], head: 0 }),
  update(s, p, row) {
    const v = presentField(row, p.field);
    if (v !== undefined) ringPush(s, p.n + 1, v);
    return s;
  },
  read: (s, p) => (s.buf.length === p.n + 1 ? ringFromNewest(s, p.n) : null),
};

interface ReservoirParams extends FieldParams {
  readonly samples: number;
}

interface ReservoirState {
  /** Values offered so far (the Algorithm R counter, and the PRNG seed). */
  seen: number;
  vals: Value[];
}

export const reservoirSampleOp: OperatorDef<ReservoirParams, ReservoirState> = {
  op: "reservoir_sample",
  windowSupport: "lifetime",
  params: ["field", "samples"],
  parse(params, ctx) {
    const { field, type } = requireField(params, ctx, "reservoir_sample");
    return { field, type, samples: countParam(params, ctx, "reservoir_sample", "samples") };
  },
  outputType: (p) => T.array(p.type),
  fields: (p) => [p.field],
  create: () => ({ seen: 0, vals: [] }),
  update(s, p, row) {
    const v = presentField(row, p.field);
    if (v === undefined) return s;
    s.seen++;
    if (s.vals.length < p.samples) {
      s.vals.push(v);
    } else {
      const j = reservoirIndex(s.seen);
      if (j < p.samples) s.vals[j] = v;
    }
    return s;
  },
  read: (s) => s.vals.slice(),
};

// beava's reservoir PRNG (agg_buffer.rs): one xorshift64 (13, 7, 17) step from
// seen ^ 0xA0B1C2D3E4F50617 ^ 0x9E3779B97F4A7C15, then j = r mod seen. Replaying the same events
// gives the same sample. beava swaps an all-zero state for a constant; that needs seen equal to the
// xored seeds (> 2^53), which a counter never reaches. Done in 32-bit halves so the hot path
// allocates nothing.
const SEED_HI = (0xa0b1c2d3 ^ 0x9e3779b9) >>> 0;
const SEED_LO = (0xe4f50617 ^ 0x7f4a7c15) >>> 0;
const TWO_POW_32 = 4294967296;
// acc · 2^16 stays an exact double while acc < 2^37; larger counts fall back to BigInt.
const CHUNKED_MOD_LIMIT = 2 ** 37;

/** The Algorithm R slot for the `seen`-th value: uniform-ish in [0, seen). */
export function reservoirIndex(seen: number): number {
  let hi = (Math.floor(seen / TWO_POW_32) ^ SEED_HI) >>> 0;
  let lo = ((seen >>> 0) ^ SEED_LO) >>> 0;
  // s ^= s << 13
  hi = (hi ^ ((hi << 13) | (lo >>> 19))) >>> 0;
  lo = (lo ^ (lo << 13)) >>> 0;
  // s ^= s >> 7
  lo = (lo ^ ((lo >>> 7) | (hi << 25))) >>> 0;
  hi = (hi ^ (hi >>> 7)) >>> 0;
  // s ^= s << 17
  hi = (hi ^ ((hi << 17) | (lo >>> 15))) >>> 0;
  lo = (lo ^ (lo << 17)) >>> 0;
  if (seen >= CHUNKED_MOD_LIMIT) {
    return Number(((BigInt(hi) << 32n) | BigInt(lo)) % BigInt(seen));
  }
  let acc = (hi >>> 16) % seen;
  acc = (acc * 65536 + (hi & 0xffff)) % seen;
  acc = (acc * 65536 + (lo >>> 16)) % seen;
  return (acc * 65536 + (lo & 0xffff)) % seen;
}
