/** What every suite case gets, and what it gives back. */
import type { BareEcho } from "../lib/bare-echo.ts";
import type { BareFrameEcho } from "../lib/bare-frame-echo.ts";
import type { TcpLoadGenerator } from "../lib/tcp-load.ts";
import type { SuiteOptions } from "./options.ts";
import { runPairs, summarize, type PairRunState, type PairSpec, type PairSummary, type RunHooks } from "./runner.ts";

export type Group = "push" | "get" | "getfeatures" | "redis" | "durability" | "engine" | "memory";

export interface SuiteContext {
  readonly opts: SuiteOptions;
  /** The out-of-process TCP / raw HTTP/1.1 load generator, shared by every case. */
  readonly gen: TcpLoadGenerator;
  /** Baselines, started once (they keep no state): bare node http JSON echo and the framed-TCP echo. */
  readonly jsonEcho: BareEcho;
  readonly frameEcho: BareFrameEcho;
  readonly hooks: RunHooks;
  /** A progress line (stderr, or above the bar). */
  readonly log: (line: string) => void;
  /** Marks one non-measurement step done (setup, preload, a memory run). */
  readonly step: (label: string) => void;
}

/** One row of the memory case (not a pair: a child process measures the engine and a floor). */
export interface MemoryRow {
  readonly pack: string;
  readonly entities: number;
  readonly features: number;
  readonly tableRows: number;
  /** Engine state bytes per entity (heap + array buffers delta after GC ÷ entities). */
  readonly bytesPerEntity: number | null;
  readonly bytesPerRow: number | null;
  /** The floor: Map<key, number[features]> per table, same keys, same child. */
  readonly floorBytesPerEntity: number | null;
  readonly ratio: number | null;
  readonly events: number;
  /** Rounds of one event per event kind per entity. */
  readonly waves: number;
  readonly buildMs: number | null;
  readonly error: string | null;
}

export interface CaseResult {
  readonly id: string;
  readonly group: Group;
  readonly title: string;
  /** Pack, keys, sizes: one line. */
  readonly workload: string;
  /** Set when the whole case did not run (e.g. redis-server not installed). */
  readonly skipped: string | null;
  readonly conditions: Record<string, unknown>;
  readonly pairs: readonly PairSummary[];
  readonly memory?: readonly MemoryRow[];
}

export interface CaseSpec {
  readonly id: string;
  readonly group: Group;
  readonly title: string;
  readonly workload: string;
  /** Progress steps this case will take (measurements + setup steps). */
  readonly steps: number;
  run(ctx: SuiteContext): Promise<CaseResult>;
}

/** Steps of a pair-based case: its measurements (open-loop pairs are not primed) plus `setupSteps`. */
export function pairSteps(opts: SuiteOptions, pairs: number, openPairs: number, setupSteps: number): number {
  return pairs * (2 * opts.rounds + (opts.prime ? 2 : 0)) + openPairs * 2 * opts.rounds + setupSteps;
}

/** Runs `pairs` with the suite's timings and returns their summaries. */
export async function measurePairs(ctx: SuiteContext, pairs: readonly PairSpec[]): Promise<PairSummary[]> {
  const o = ctx.opts;
  const st: PairRunState = { measurements: [], failures: new Map() };
  await runPairs(
    pairs,
    {
      rounds: o.rounds,
      prime: o.prime,
      measure: { warmupMs: o.warmupS * 1000, durationMs: o.durationS * 1000 },
      primeTiming: { warmupMs: 0, durationMs: o.primeS * 1000 },
    },
    st,
    ctx.hooks,
  );
  return pairs.map((p) => summarize(p, st));
}

/** A case result in which every pair is "not measured" for `reason` (setup failed, or skipped). */
export function unmeasured(spec: Omit<CaseSpec, "run" | "steps">, reason: string, titles: readonly { id: string; title: string }[], conditions: Record<string, unknown> = {}): CaseResult {
  return {
    id: spec.id,
    group: spec.group,
    title: spec.title,
    workload: spec.workload,
    skipped: reason,
    conditions,
    pairs: titles.map((t) => ({
      id: t.id,
      title: t.title,
      metric: "throughput",
      subjectLabel: "",
      baselineLabel: "",
      ratioLabel: "tessera ÷ baseline",
      rounds: 0,
      notMeasured: reason,
      failedRounds: [],
      subjectOpsPerS: null,
      baselineOpsPerS: null,
      ratio: null,
      subjectUsPerOp: null,
      baselineUsPerOp: null,
      cpuRatio: null,
      subjectTotalUsPerOp: null,
      baselineTotalUsPerOp: null,
      subjectP50Us: null,
      subjectP99Us: null,
      subjectP999Us: null,
      baselineP50Us: null,
      baselineP99Us: null,
      p50Ratio: null,
      p99Ratio: null,
      sendLagP99Us: null,
      subjectClientCpuPct: null,
      baselineClientCpuPct: null,
      subjectServerCpuPct: null,
      subjectReplyBytes: null,
      baselineReplyBytes: null,
      target: null,
      meetsTarget: null,
    })),
  };
}
