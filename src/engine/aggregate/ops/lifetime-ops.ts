import type { OperatorDef } from "../operator.ts";

/** Operators beyond the windowed core (buffers, recency, streaks, decay, velocity, histograms, geo, bloom). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const LIFETIME_OPERATORS: readonly OperatorDef<any, any>[] = [];
