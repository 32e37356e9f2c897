import type { OperatorDef } from "../operator.ts";
import { T } from "../../types.ts";
import { optionalField } from "./lifetime-support.ts";

/**
 * Streak operators (beava §2.3). They observe unmatched events too: for them a `where` miss is
 * information (it ends a streak, or extends a negative one). Without `where` every event matches.
 */

interface StreakParams {
  /** Accepted because the beava SDK sends it; the `where` match is what counts. */
  readonly field: string | undefined;
}

interface StreakState {
  /** Length of the current run (of matches; of misses for negative_streak). */
  cur: number;
  /** Longest run of matches ever (max_streak). */
  max: number;
}

function streakDef(
  op: string,
  update: (s: StreakState, matched: boolean) => void,
  read: (s: StreakState) => number,
): OperatorDef<StreakParams, StreakState> {
  return {
    op,
    windowSupport: "lifetime",
    observesUnmatched: true,
    params: ["field"],
    parse: (params, ctx) => ({ field: optionalField(params, ctx, op)?.field }),
    outputType: () => T.i64,
    fields: (p) => (p.field === undefined ? [] : [p.field]),
    create: () => ({ cur: 0, max: 0 }),
    update(s, _p, _row, matched) {
      update(s, matched);
      return s;
    },
    read: (s) => read(s),
  };
}

function matchRun(s: StreakState, matched: boolean): void {
  if (matched) {
    s.cur++;
    if (s.cur > s.max) s.max = s.cur;
  } else {
    s.cur = 0;
  }
}

export const streakOp = streakDef("streak", matchRun, (s) => s.cur);
export const maxStreakOp = streakDef("max_streak", matchRun, (s) => s.max);
export const negativeStreakOp = streakDef(
  "negative_streak",
  (s, matched) => {
    s.cur = matched ? 0 : s.cur + 1;
  },
  (s) => s.cur,
);
