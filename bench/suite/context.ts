/** What every suite case gets, and what it gives back. */
import type { BareEcho } from "../lib/bare-echo.ts";
import type { BareFrameEcho } from "../lib/bare-frame-echo.ts";
import { newRoundsState, runRounds, type BenchCase } from "../lib/rounds.ts";
import { sampleLine } from "../lib/sample.ts";
import type { TcpLoadGenerator } from "../lib/tcp-load.ts";
import type { SuiteOptions } from "./options.ts";
import { failureText, summarize, type PairSpec, type PairSummary } from "./pairs.ts";
import { startTessera, type SuiteServer, type SuiteServerOptions } from "./servers.ts";

export type Group = "push" | "get" | "getfeatures" | "redis" | "durability" | "engine" | "memory";

/** How a case's measurements show on the progress bar and log. */
export interface RunHooks {
  /** One measurement is about to run (for the progress bar's label). */
  readonly onStart?: (label: string) => void;
  /** One measurement is over, successful or not (the progress bar moves on). */
  readonly onDone?: () => void;
  /** One measurement is done: a line for the log. */
  readonly onResult?: (line: string) => void;
}

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

/**
 * Runs `pairs` with the suite's timings (a failed side runs again the next round) and returns the
 * case's result: their summaries, under `conditions`.
 */
export async function measureCase(ctx: SuiteContext, spec: Omit<CaseSpec, "run" | "steps">, pairs: readonly PairSpec[], conditions: Record<string, unknown>): Promise<CaseResult> {
  const o = ctx.opts;
  type Side = { readonly pair: string; readonly who: "tessera" | "baseline" };
  const sides = new Map<BenchCase, Side>();
  for (const p of pairs) sides.set(p.baseline, { pair: p.id, who: "baseline" }).set(p.subject, { pair: p.id, who: "tessera" });
  const side = (c: BenchCase) => sides.get(c) as Side;
  const st = newRoundsState();
  await runRounds(
    pairs.map((p) => ({ pairs: [p], prime: p.prime !== false, retry: true })),
    {
      rounds: o.rounds,
      measure: { warmupMs: o.warmupS * 1000, durationMs: o.durationS * 1000 },
      prime: o.prime ? { warmupMs: 0, durationMs: o.primeS * 1000 } : null,
      hooks: {
        onStart: (c, round) => ctx.hooks.onStart?.(`${side(c).pair} ${side(c).who}${round === null ? " (prime)" : ` r${round}`}`),
        onDone: () => ctx.hooks.onDone?.(),
        onMeasured: (c, round, s) => ctx.hooks.onResult?.(`round ${round} ${side(c).pair} ${side(c).who.padEnd(8)} ${sampleLine(s, "ops/s", "op")}`),
        onFailed: (c, round, reason) => ctx.hooks.onResult?.(`FAILED ${side(c).pair} ${failureText({ round, label: c.label, reason })}`),
      },
    },
    st,
  );
  return { ...spec, skipped: null, conditions, pairs: pairs.map((p) => summarize(p, st)) };
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

/** The first line of an error's message, for a table cell. */
export function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] as string;
}

/**
 * Runs `measure` against a fresh Tessera and stops it after; when the server does not start, or
 * `measure` throws while setting up, every pair of the case is "not measured", with the reason.
 */
export async function onFreshServer(
  spec: Omit<CaseSpec, "run" | "steps">,
  titles: readonly { id: string; title: string }[],
  options: SuiteServerOptions,
  measure: (server: SuiteServer) => Promise<CaseResult>,
): Promise<CaseResult> {
  let server: SuiteServer;
  try {
    server = await startTessera(options);
  } catch (e) {
    return unmeasured(spec, `server did not start: ${firstLine(e)}`, titles);
  }
  try {
    return await measure(server);
  } catch (e) {
    return unmeasured(spec, `setup failed: ${firstLine(e)}`, titles);
  } finally {
    await server.stop();
  }
}
