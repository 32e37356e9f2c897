/** Command-line flags the benches share. */
import type { Timing } from "./rounds.ts";

/** `--name`'s value as a positive number; throws naming the flag otherwise. */
export function positive(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${raw}`);
  return n;
}

/** The schedule flags of a paired bench (bench/dataplane, bench/serving), for parseArgs. */
export const ROUND_FLAGS = {
  quick: { type: "boolean", default: false },
  rounds: { type: "string" },
  "duration-s": { type: "string" },
  "warmup-s": { type: "string" },
} as const;

export interface RoundPlan {
  readonly quick: boolean;
  readonly rounds: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly measure: Timing;
  /** Every case runs once unrecorded before round 0, so round 0 does not pay for JIT warm-up. */
  readonly prime: Timing;
}

/** Full run: 3 rounds of 5 s after 1 s of warm-up; --quick: 1 round of 1 s after 0.5 s. */
export function roundPlan(v: { readonly quick: boolean; readonly rounds?: string; readonly "duration-s"?: string; readonly "warmup-s"?: string }): RoundPlan {
  const quick = v.quick;
  const rounds = Math.round(positive("rounds", v.rounds ?? (quick ? "1" : "3")));
  const durationS = positive("duration-s", v["duration-s"] ?? (quick ? "1" : "5"));
  const warmupS = positive("warmup-s", v["warmup-s"] ?? (quick ? "0.5" : "1"));
  return {
    quick,
    rounds,
    durationS,
    warmupS,
    measure: { warmupMs: warmupS * 1000, durationMs: durationS * 1000 },
    prime: { warmupMs: 0, durationMs: (quick ? 0.5 : Math.min(2, warmupS * 2)) * 1000 },
  };
}

/** The schedule as a result file records it. */
export function scheduleConditions(p: RoundPlan) {
  return {
    quick: p.quick,
    rounds: p.rounds,
    durationS: p.durationS,
    warmupS: p.warmupS,
    schedule: "prime every case once; per round each baseline/case pair back to back (baseline first in even rounds); ratios within a round, medians over rounds",
  };
}
