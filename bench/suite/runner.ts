/**
 * The suite's measuring core: a case is a set of pairs (Tessera next to its baseline) that share one
 * freshly started server. Every pair is primed once (unrecorded, so round 0 does not pay for JIT
 * warm-up), then measured for `rounds` rounds; within a round the two sides of a pair run back to back,
 * baseline first in even rounds and Tessera first in odd ones, and the pair's ratio is taken within
 * the round. The report gives medians over rounds, with the range.
 */
import { median, range } from "../lib/stats.ts";
import type { TcpLoadResult } from "../lib/tcp-load.ts";
import type { LoadResult } from "../lib/load.ts";

export interface Timing {
  readonly warmupMs: number;
  readonly durationMs: number;
}

/** What every measurement reduces to, whatever generated the load. */
export interface Sample {
  /** Operations (pushes, reads, requests) per second; open loop: the arrival rate achieved. */
  readonly opsPerS: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly clientCpuPct: number | null;
  readonly serverCpuPct: number | null;
  readonly serverUsPerOp: number | null;
  readonly errors: number;
  readonly firstError: string | null;
  /** Open loop: how late the generator sent, p99. */
  readonly sendLagP99Us: number | null;
  /** A decoded reply, checked by the side. */
  readonly reply: unknown;
  readonly replyBytes: number | null;
}

export function fromTcpLoad(r: TcpLoadResult): Sample {
  const o = r.observed[0];
  return {
    opsPerS: r.fps,
    p50Us: r.latency.p50Us,
    p99Us: r.latency.p99Us,
    p999Us: r.latency.p999Us,
    clientCpuPct: r.clientCpuPct,
    serverCpuPct: o?.cpuPct ?? null,
    serverUsPerOp: o?.cpuUsPerRequest ?? null,
    errors: r.errors,
    firstError: r.firstError,
    sendLagP99Us: r.sendLag?.p99Us ?? null,
    reply: r.sample?.body ?? null,
    replyBytes: r.sample?.payloadBytes ?? null,
  };
}

export function fromLoad(r: LoadResult): Sample {
  const o = r.observed[0];
  return {
    opsPerS: r.rps,
    p50Us: r.latency.p50Us,
    p99Us: r.latency.p99Us,
    p999Us: r.latency.p999Us,
    clientCpuPct: r.clientCpuPct,
    serverCpuPct: o?.cpuPct ?? null,
    serverUsPerOp: o?.cpuUsPerRequest ?? null,
    errors: r.errors,
    firstError: r.firstError,
    sendLagP99Us: null,
    reply: null,
    replyBytes: r.sampleResponse?.body.length ?? null,
  };
}

/** One side of a pair: Tessera, or its baseline. */
export interface Side {
  /** e.g. "tessera TCP PUSH msgpack", "bare framed-TCP echo". */
  readonly label: string;
  readonly run: (t: Timing, round: number | null) => Promise<Sample>;
  /** Throws if a reply is not what the side claims to measure. */
  readonly check?: (reply: unknown) => void;
  /** Called with every successful measured sample (the max-get case sets open-loop rates). */
  readonly onSample?: (s: Sample, round: number) => void;
}

export type Metric = "throughput" | "latency" | "cpu";

export type Target =
  /** Tessera ÷ baseline ops/s at least this. */
  | { readonly kind: "ratio-min"; readonly value: number }
  /** Tessera p99 below this many µs. */
  | { readonly kind: "p99-max-us"; readonly value: number }
  /** Tessera ÷ baseline server CPU per op at most this. */
  | { readonly kind: "cpu-max"; readonly value: number }
  /** Tessera's CPU per op at most this many µs (engine micro-benchmarks). */
  | { readonly kind: "us-max"; readonly value: number };

export interface PairSpec {
  readonly id: string;
  /** What is measured, e.g. "push events/s, TCP msgpack pipelined". */
  readonly title: string;
  readonly metric: Metric;
  /** The Tessera side ("subject"): ratios are subject ÷ baseline. */
  readonly subject: Side;
  readonly baseline: Side;
  readonly target?: Target;
  /** Default true; open-loop pairs are not primed (their rate comes from the same round's max). */
  readonly prime?: boolean;
  /**
   * Throughput pairs where the baseline is another system (Redis): also compare total CPU per op
   * (server + load generator), since that system moves work into its client.
   */
  readonly totalCpu?: boolean;
  /** Which number is Tessera's in the ratio, when it is not obvious (e.g. "Tessera ÷ Redis"). */
  readonly ratioLabel?: string;
}

export interface Measurement {
  readonly pairId: string;
  readonly side: "subject" | "baseline";
  readonly round: number;
  readonly sample: Sample;
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export interface PairSummary {
  readonly id: string;
  readonly title: string;
  readonly metric: Metric;
  readonly subjectLabel: string;
  readonly baselineLabel: string;
  readonly ratioLabel: string;
  readonly rounds: number;
  /** Why the pair has no result, or null. */
  readonly notMeasured: string | null;
  /** Rounds left out (a side failed), with the reason. */
  readonly failedRounds: readonly string[];
  readonly subjectOpsPerS: number | null;
  readonly baselineOpsPerS: number | null;
  /** Subject ÷ baseline ops/s per round. */
  readonly ratio: Spread | null;
  readonly subjectUsPerOp: number | null;
  readonly baselineUsPerOp: number | null;
  /** Subject ÷ baseline server CPU per op per round. */
  readonly cpuRatio: Spread | null;
  /** Server + generator CPU per op (µs), when `totalCpu`. */
  readonly subjectTotalUsPerOp: number | null;
  readonly baselineTotalUsPerOp: number | null;
  readonly subjectP50Us: number | null;
  readonly subjectP99Us: number | null;
  readonly subjectP999Us: number | null;
  readonly baselineP50Us: number | null;
  readonly baselineP99Us: number | null;
  /** Latency pairs: subject ÷ baseline p50 and p99 per round. */
  readonly p50Ratio: Spread | null;
  readonly p99Ratio: Spread | null;
  readonly sendLagP99Us: number | null;
  readonly subjectClientCpuPct: number | null;
  readonly baselineClientCpuPct: number | null;
  readonly subjectServerCpuPct: number | null;
  readonly subjectReplyBytes: number | null;
  readonly baselineReplyBytes: number | null;
  readonly target: Target | null;
  readonly meetsTarget: boolean | null;
}

function nmedian(values: readonly (number | null | undefined)[]): number | null {
  const v = values.filter((x): x is number => typeof x === "number" && Number.isFinite(x));
  return v.length === 0 ? null : median(v);
}

function spread(values: readonly (number | null)[]): Spread | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length === 0 ? null : { median: median(v), ...range(v) };
}

export interface RunHooks {
  /** One measurement is about to run (for the progress bar's label). */
  readonly onStart?: (label: string) => void;
  /** One measurement is over, successful or not (the progress bar moves on). */
  readonly onDone?: () => void;
  /** One measurement is done: a line for the log. */
  readonly onResult?: (line: string) => void;
}

export interface PairRunState {
  readonly measurements: Measurement[];
  /** Per pair: reasons of failed rounds. */
  readonly failures: Map<string, string[]>;
}

function reasonOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] as string;
}

async function measureSide(pair: PairSpec, which: "subject" | "baseline", t: Timing, round: number | null, st: PairRunState, hooks: RunHooks): Promise<Sample | null> {
  const side = pair[which];
  hooks.onStart?.(`${pair.id} ${which === "subject" ? "tessera" : "baseline"}${round === null ? " (prime)" : ` r${round}`}`);
  try {
    // A side may throw before returning its promise (e.g. no open-loop rate yet).
    const s = await Promise.resolve()
      .then(() => side.run(t, round))
      .finally(() => hooks.onDone?.());
    if (s.errors > 0) throw new Error(`${s.errors} errors, first: ${s.firstError}`);
    side.check?.(s.reply);
    if (round !== null) {
      st.measurements.push({ pairId: pair.id, side: which, round, sample: s });
      side.onSample?.(s, round);
      const f = (v: number | null, d = 0) => (v === null || !Number.isFinite(v) ? "-" : v.toFixed(d));
      hooks.onResult?.(
        `round ${round} ${pair.id} ${which === "subject" ? "tessera " : "baseline"} ${f(s.opsPerS).padStart(8)} ops/s  p50 ${f(s.p50Us)} µs  p99 ${f(s.p99Us)} µs` +
          `  client cpu ${f(s.clientCpuPct)}%  server ${f(s.serverUsPerOp, 1)} µs/op`,
      );
    }
    return s;
  } catch (e) {
    const reason = `${round === null ? "prime" : `round ${round}`}: ${side.label}: ${reasonOf(e)}`;
    const list = st.failures.get(pair.id) ?? [];
    list.push(reason);
    st.failures.set(pair.id, list);
    hooks.onResult?.(`FAILED ${pair.id} ${reason}`);
    return null;
  }
}

/** Primes, then runs every round of `pairs` in order (pairs earlier in the list run first in each round). */
export async function runPairs(pairs: readonly PairSpec[], opts: { rounds: number; prime: boolean; measure: Timing; primeTiming: Timing }, st: PairRunState, hooks: RunHooks): Promise<void> {
  if (opts.prime) {
    for (const p of pairs) {
      if (p.prime === false) continue;
      await measureSide(p, "baseline", opts.primeTiming, null, st, hooks);
      await measureSide(p, "subject", opts.primeTiming, null, st, hooks);
    }
  }
  for (let r = 0; r < opts.rounds; r++) {
    for (const p of pairs) {
      const order: ("subject" | "baseline")[] = r % 2 === 0 ? ["baseline", "subject"] : ["subject", "baseline"];
      for (const side of order) await measureSide(p, side, opts.measure, r, st, hooks);
    }
  }
}

export function summarize(pair: PairSpec, st: PairRunState): PairSummary {
  const of = (side: "subject" | "baseline") => st.measurements.filter((m) => m.pairId === pair.id && m.side === side);
  const ss = of("subject");
  const bs = of("baseline");
  const rounds = ss.map((m) => m.round).filter((r) => bs.some((b) => b.round === r));
  const at = (xs: readonly Measurement[], r: number): Sample => (xs.find((x) => x.round === r) as Measurement).sample;
  const per = (f: (s: Sample, b: Sample) => number | null) => rounds.map((r) => f(at(ss, r), at(bs, r)));
  const ratio = spread(per((s, b) => s.opsPerS / b.opsPerS));
  const cpuRatio = spread(per((s, b) => (s.serverUsPerOp === null || b.serverUsPerOp === null ? null : s.serverUsPerOp / b.serverUsPerOp)));
  const latency = pair.metric === "latency";
  const p50Ratio = latency ? spread(per((s, b) => s.p50Us / b.p50Us)) : null;
  const p99Ratio = latency ? spread(per((s, b) => s.p99Us / b.p99Us)) : null;
  const total = (xs: readonly Measurement[]) =>
    pair.totalCpu === true
      ? nmedian(xs.map((x) => (x.sample.serverUsPerOp === null || x.sample.clientCpuPct === null ? null : x.sample.serverUsPerOp + (x.sample.clientCpuPct / 100) * (1e6 / x.sample.opsPerS))))
      : null;
  const subjectP99Us = nmedian(ss.map((x) => x.sample.p99Us));
  const subjectUsPerOp = nmedian(ss.map((x) => x.sample.serverUsPerOp));
  const target = pair.target ?? null;
  const measured = rounds.length > 0;
  const meetsTarget =
    target === null || !measured
      ? null
      : target.kind === "ratio-min"
        ? ratio !== null && ratio.median >= target.value
        : target.kind === "p99-max-us"
          ? subjectP99Us !== null && subjectP99Us < target.value
          : target.kind === "us-max"
            ? subjectUsPerOp !== null && subjectUsPerOp <= target.value
            : cpuRatio !== null && cpuRatio.median <= target.value;
  const failedRounds = st.failures.get(pair.id) ?? [];
  return {
    id: pair.id,
    title: pair.title,
    metric: pair.metric,
    subjectLabel: pair.subject.label,
    baselineLabel: pair.baseline.label,
    ratioLabel: pair.ratioLabel ?? "tessera ÷ baseline",
    rounds: rounds.length,
    notMeasured: measured ? null : (failedRounds.at(-1) ?? "not run"),
    failedRounds,
    subjectOpsPerS: nmedian(ss.map((x) => x.sample.opsPerS)),
    baselineOpsPerS: nmedian(bs.map((x) => x.sample.opsPerS)),
    ratio,
    subjectUsPerOp,
    baselineUsPerOp: nmedian(bs.map((x) => x.sample.serverUsPerOp)),
    cpuRatio,
    subjectTotalUsPerOp: total(ss),
    baselineTotalUsPerOp: total(bs),
    subjectP50Us: nmedian(ss.map((x) => x.sample.p50Us)),
    subjectP99Us,
    subjectP999Us: nmedian(ss.map((x) => x.sample.p999Us)),
    baselineP50Us: nmedian(bs.map((x) => x.sample.p50Us)),
    baselineP99Us: nmedian(bs.map((x) => x.sample.p99Us)),
    p50Ratio,
    p99Ratio,
    sendLagP99Us: nmedian(ss.map((x) => x.sample.sendLagP99Us)),
    subjectClientCpuPct: nmedian(ss.map((x) => x.sample.clientCpuPct)),
    baselineClientCpuPct: nmedian(bs.map((x) => x.sample.clientCpuPct)),
    subjectServerCpuPct: nmedian(ss.map((x) => x.sample.serverCpuPct)),
    subjectReplyBytes: ss.find((x) => x.sample.replyBytes !== null)?.sample.replyBytes ?? null,
    baselineReplyBytes: bs.find((x) => x.sample.replyBytes !== null)?.sample.replyBytes ?? null,
    target,
    meetsTarget,
  };
}
