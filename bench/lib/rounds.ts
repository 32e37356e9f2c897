/**
 * The schedule of every paired bench. A pair is Tessera on some wire (the subject) next to a baseline,
 * the least work node does for the same wire. On a small shared machine capacity drifts from minute to
 * minute, so the two sides of a pair run back to back in every round, baseline first in even rounds
 * and subject first in odd ones, and a pair's ratio is taken within a round. A case that is in several
 * pairs runs once per round. Before round 0 every case can run once unrecorded, so that round 0 does
 * not pay for JIT warm-up.
 */
import type { Sample } from "./sample.ts";

export interface Timing {
  readonly warmupMs: number;
  readonly durationMs: number;
}

/** One side of a pair. */
export interface BenchCase {
  readonly id: string;
  /** What is measured, e.g. "tessera TCP PUSH msgpack". */
  readonly label: string;
  readonly run: (t: Timing) => Promise<Sample>;
  /** Throws if a reply is not what the case claims to measure. */
  readonly check?: (reply: unknown) => void;
  /** Called with every recorded sample (a max case sets the open-loop rate of the same round). */
  readonly onSample?: (s: Sample, round: number) => void;
}

export interface CasePair {
  /** Tessera's side: ratios are subject ÷ baseline. */
  readonly subject: BenchCase;
  readonly baseline: BenchCase;
}

/** Pairs that share a round: each round runs every stage's pairs in turn. */
export interface Stage {
  readonly pairs: readonly CasePair[];
  /** Default true. Open-loop cases are not primed: their rate comes from the same round's max. */
  readonly prime?: boolean;
  /**
   * A failed case runs again in the next round (an open loop may overload a busy machine in one
   * round and not in the next); otherwise a failure drops the case.
   */
  readonly retry?: boolean;
  /** Runs before the stage in every round. */
  readonly before?: (round: number) => void;
}

export interface Measurement {
  readonly round: number;
  readonly caseId: string;
  readonly label: string;
  readonly sample: Sample;
}

export interface Failure {
  readonly caseId: string;
  readonly label: string;
  /** null: while priming, or before the case could run at all. */
  readonly round: number | null;
  readonly reason: string;
  /** The case does not run again. */
  readonly final: boolean;
}

export interface RoundsState {
  readonly measurements: Measurement[];
  /** In the order they happened. */
  readonly failures: Failure[];
}

export interface RoundHooks {
  readonly onStart?: (c: BenchCase, round: number | null) => void;
  /** The case's load is over, whatever its outcome. */
  readonly onDone?: () => void;
  readonly onMeasured?: (c: BenchCase, round: number, s: Sample) => void;
  readonly onFailed?: (c: BenchCase, round: number | null, reason: string) => void;
}

export interface RoundsOptions {
  readonly rounds: number;
  readonly measure: Timing;
  /** The unrecorded run before round 0, or null for none. */
  readonly prime: Timing | null;
  readonly hooks?: RoundHooks;
}

export function newRoundsState(): RoundsState {
  return { measurements: [], failures: [] };
}

/** Every case of `pairs` once, in schedule order (a pair's baseline before its subject). */
export function casesOf(pairs: readonly CasePair[]): BenchCase[] {
  return [...new Set(pairs.flatMap((p) => [p.baseline, p.subject]))];
}

async function measure(c: BenchCase, round: number | null, retry: boolean, o: RoundsOptions, st: RoundsState): Promise<void> {
  if (st.failures.some((f) => f.final && f.caseId === c.id)) return;
  const hooks = o.hooks ?? {};
  hooks.onStart?.(c, round);
  let s: Sample;
  try {
    // A case may throw before it returns its promise (no open-loop rate yet).
    s = await Promise.resolve()
      .then(() => c.run(round === null ? (o.prime as Timing) : o.measure))
      .finally(() => hooks.onDone?.());
    if (s.errors > 0) throw new Error(`${s.errors} errors, first: ${s.firstError}`);
    c.check?.(s.reply);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    st.failures.push({ caseId: c.id, label: c.label, round, reason, final: !retry });
    hooks.onFailed?.(c, round, reason);
    return;
  }
  if (round === null) return;
  st.measurements.push({ round, caseId: c.id, label: c.label, sample: s });
  c.onSample?.(s, round);
  hooks.onMeasured?.(c, round, s);
}

/** Primes (when `o.prime` is set), then runs `o.rounds` rounds of `stages`. */
export async function runRounds(stages: readonly Stage[], o: RoundsOptions, st: RoundsState): Promise<void> {
  if (o.prime !== null) {
    const primed = new Set<BenchCase>();
    for (const stage of stages) {
      if (stage.prime === false) continue;
      for (const c of casesOf(stage.pairs)) {
        if (primed.has(c)) continue;
        primed.add(c);
        await measure(c, null, stage.retry === true, o, st);
      }
    }
  }
  for (let r = 0; r < o.rounds; r++) {
    for (const stage of stages) {
      stage.before?.(r);
      const order: BenchCase[] = [];
      for (const p of stage.pairs) for (const c of r % 2 === 0 ? [p.baseline, p.subject] : [p.subject, p.baseline]) if (!order.includes(c)) order.push(c);
      for (const c of order) await measure(c, r, stage.retry === true, o, st);
    }
  }
}

/** A pair's recorded samples, and the rounds in which both sides were measured. */
export interface Paired {
  readonly subject: readonly Sample[];
  readonly baseline: readonly Sample[];
  readonly rounds: readonly number[];
  /** `f` of the two sides' samples in each of `rounds`. */
  per<T>(f: (subject: Sample, baseline: Sample) => T): T[];
}

export function paired(st: RoundsState, pair: CasePair): Paired {
  const of = (c: BenchCase) => st.measurements.filter((m) => m.caseId === c.id);
  const ss = of(pair.subject);
  const bs = of(pair.baseline);
  const rounds = ss.map((m) => m.round).filter((r) => bs.some((b) => b.round === r));
  const at = (xs: readonly Measurement[], r: number): Sample => (xs.find((x) => x.round === r) as Measurement).sample;
  return {
    subject: ss.map((m) => m.sample),
    baseline: bs.map((m) => m.sample),
    rounds,
    per: (f) => rounds.map((r) => f(at(ss, r), at(bs, r))),
  };
}
