import type { OperatorDef, ParamContext, RawParams } from "../operator.ts";
import { T } from "../../types.ts";
import type { ValueType } from "../../types.ts";
import { countParam, fail, optionalField, ringFromNewest, ringPush } from "./lifetime-support.ts";
import type { Ring } from "./lifetime-support.ts";

/**
 * Recency operators (beava §2.3): when matched events happened, in processing-time epoch ms.
 * Durations are computed at read time from the read's `now`, so they grow between events.
 */

/** Params of the ops that count events: an optional, unused `field` (see optionalField). */
interface EventParams {
  readonly field: string | undefined;
}

/** The processing time of one chosen matched event; null until there is one. */
interface TimeState {
  t: number | null;
}

function parseEvent(op: string) {
  return (params: RawParams, ctx: ParamContext): EventParams => ({ field: optionalField(params, ctx, op)?.field });
}

const eventFields = (p: EventParams): readonly string[] => (p.field === undefined ? [] : [p.field]);

const keepFirst = (s: TimeState, _p: unknown, _row: unknown, _m: unknown, now: number): TimeState => {
  if (s.t === null) s.t = now;
  return s;
};

const keepLast = (s: TimeState, _p: unknown, _row: unknown, _m: unknown, now: number): TimeState => {
  s.t = now;
  return s;
};

/** Shared shape of the five ops over one timestamp; only the parse, kept event and read differ. */
function timeOp(
  op: string,
  params: readonly string[],
  outputType: ValueType,
  keep: typeof keepFirst,
  read: (s: TimeState, now: number) => number | boolean | null,
): OperatorDef<EventParams, TimeState> {
  return {
    op,
    windowSupport: "lifetime",
    params,
    parse: parseEvent(op),
    outputType: () => outputType,
    fields: eventFields,
    create: () => ({ t: null }),
    update: keep,
    read: (s, _p, now) => read(s, now),
  };
}

const elapsed = (s: TimeState, now: number): number | null => (s.t === null ? null : Math.max(0, now - s.t));

export const firstSeenOp = timeOp("first_seen", [], T.timestamp, keepFirst, (s) => s.t);
export const lastSeenOp = timeOp("last_seen", [], T.timestamp, keepLast, (s) => s.t);
export const ageOp = timeOp("age", [], T.i64, keepFirst, elapsed);
export const hasSeenOp = timeOp("has_seen", ["field"], T.bool, keepFirst, (s) => s.t !== null);
export const timeSinceOp = timeOp("time_since", [], T.i64, keepLast, elapsed);

interface LastNTimesParams {
  readonly n: number;
}

/** Milliseconds since the n-th most recent matched event; null until there have been n. */
export const timeSinceLastNOp: OperatorDef<LastNTimesParams, Ring<number>> = {
  op: "time_since_last_n",
  windowSupport: "lifetime",
  params: ["n"],
  parse: (params, ctx) => ({ n: countParam(params, ctx, "time_since_last_n", "n") }),
  outputType: () => T.i64,
  fields: () => [],
  create: () => ({ buf: [], head: 0 }),
  update(s, p, _row, _matched, now) {
    ringPush(s, p.n, now);
    return s;
  },
  read: (s, p, now) => (s.buf.length < p.n ? null : Math.max(0, now - ringFromNewest(s, p.n - 1))),
};

interface InWindowParams extends EventParams {
  readonly windowMs: number;
}

/**
 * True iff the latest matched event is younger than the window: 0 ≤ now − t < window (beava).
 * beava accepts `window: "forever"` and then always answers false; here it is rejected instead,
 * since a feature that can never be true is a registration mistake.
 */
export const firstSeenInWindowOp: OperatorDef<InWindowParams, TimeState> = {
  op: "first_seen_in_window",
  windowSupport: "window_required",
  params: ["field"],
  parse(params, ctx, windowMs) {
    if (params.window === "forever" || windowMs === undefined || !Number.isFinite(windowMs) || windowMs <= 0) {
      fail("aggregation_invalid_window", ctx, "first_seen_in_window", "needs a finite `window` such as \"1h\"");
    }
    return { field: optionalField(params, ctx, "first_seen_in_window")?.field, windowMs };
  },
  outputType: () => T.bool,
  fields: eventFields,
  create: () => ({ t: null }),
  update: keepLast,
  read(s, p, now) {
    if (s.t === null) return false;
    const age = now - s.t;
    return age >= 0 && age < p.windowMs;
  },
};
