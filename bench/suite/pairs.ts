/**
 * The suite's pairs: Tessera next to its baseline, what the pair measures, its target, and the summary
 * of its rounds. They run on bench/lib/rounds.ts's schedule: each pair primed once (unrecorded, so
 * round 0 does not pay for JIT warm-up) unless it is an open-loop pair, then its two sides back to back
 * in every round, baseline first in even rounds and Tessera first in odd ones; a ratio is taken within
 * a round, and the report gives medians over rounds with the range.
 */
import { paired, type CasePair, type Failure, type RoundsState } from "../lib/rounds.ts";
import { cpuPerOpRatio, type Sample } from "../lib/sample.ts";
import { nmedian, spread, type Spread } from "../lib/stats.ts";

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

/** The sides' case ids must be unique among the pairs measured together. */
export interface PairSpec extends CasePair {
  readonly id: string;
  /** What is measured, e.g. "push events/s, TCP msgpack pipelined". */
  readonly title: string;
  readonly metric: Metric;
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

/** A failed measurement as the report shows it: when, which side, the first line of why. */
export function failureText(f: Pick<Failure, "round" | "label" | "reason">): string {
  return `${f.round === null ? "prime" : `round ${f.round}`}: ${f.label}: ${f.reason.split("\n")[0]}`;
}

export function summarize(pair: PairSpec, st: RoundsState): PairSummary {
  const p = paired(st, pair);
  const med = (xs: readonly Sample[], f: (s: Sample) => number | null) => nmedian(xs.map(f));
  const ratio = spread(p.per((s, b) => s.opsPerS / b.opsPerS));
  const cpuRatio = spread(p.per(cpuPerOpRatio));
  const latency = pair.metric === "latency";
  const p50Ratio = latency ? spread(p.per((s, b) => s.p50Us / b.p50Us)) : null;
  const p99Ratio = latency ? spread(p.per((s, b) => s.p99Us / b.p99Us)) : null;
  const total = (xs: readonly Sample[]) =>
    pair.totalCpu === true ? med(xs, (x) => (x.serverUsPerOp === null || x.clientCpuPct === null ? null : x.serverUsPerOp + (x.clientCpuPct / 100) * (1e6 / x.opsPerS))) : null;
  const subjectP99Us = med(p.subject, (x) => x.p99Us);
  const subjectUsPerOp = med(p.subject, (x) => x.serverUsPerOp);
  const target = pair.target ?? null;
  const measured = p.rounds.length > 0;
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
  const failedRounds = st.failures.filter((f) => f.caseId === pair.subject.id || f.caseId === pair.baseline.id).map(failureText);
  return {
    id: pair.id,
    title: pair.title,
    metric: pair.metric,
    subjectLabel: pair.subject.label,
    baselineLabel: pair.baseline.label,
    ratioLabel: pair.ratioLabel ?? "tessera ÷ baseline",
    rounds: p.rounds.length,
    notMeasured: measured ? null : (failedRounds.at(-1) ?? "not run"),
    failedRounds,
    subjectOpsPerS: med(p.subject, (x) => x.opsPerS),
    baselineOpsPerS: med(p.baseline, (x) => x.opsPerS),
    ratio,
    subjectUsPerOp,
    baselineUsPerOp: med(p.baseline, (x) => x.serverUsPerOp),
    cpuRatio,
    subjectTotalUsPerOp: total(p.subject),
    baselineTotalUsPerOp: total(p.baseline),
    subjectP50Us: med(p.subject, (x) => x.p50Us),
    subjectP99Us,
    subjectP999Us: med(p.subject, (x) => x.p999Us),
    baselineP50Us: med(p.baseline, (x) => x.p50Us),
    baselineP99Us: med(p.baseline, (x) => x.p99Us),
    p50Ratio,
    p99Ratio,
    sendLagP99Us: med(p.subject, (x) => x.open?.sendLagP99Us ?? null),
    subjectClientCpuPct: med(p.subject, (x) => x.clientCpuPct),
    baselineClientCpuPct: med(p.baseline, (x) => x.clientCpuPct),
    subjectServerCpuPct: med(p.subject, (x) => x.serverCpuPct),
    subjectReplyBytes: p.subject.find((x) => x.replyBytes !== null)?.replyBytes ?? null,
    baselineReplyBytes: p.baseline.find((x) => x.replyBytes !== null)?.replyBytes ?? null,
    target,
    meetsTarget,
  };
}
