/**
 * bench/engine's apply and read micro-benchmarks (no server, no transport) as a suite case, run in a
 * child process (engine-child.ts) with the engine benches' own workloads and baselines:
 *   apply, 12-feature table        vs a Map<key, Float64Array> update (+1 per feature)   target ≤ 1 µs/event (issue 3)
 *   apply, fraud pipeline          5 tables, ~100 features, same stream and baseline
 *   read, 12 features of a key     vs Map.get + copy of a 12-number row
 * Reported as ops/s (1e9 ÷ ns per op), so the ratio reads like every other row: Tessera ÷ baseline.
 */
import { fileURLToPath } from "node:url";
import { newRoundsState, paired, type BenchCase } from "../../lib/rounds.ts";
import type { Sample } from "../../lib/sample.ts";
import { runJsonChild } from "../../lib/json-child.ts";
import type { CaseResult, CaseSpec, SuiteContext } from "../context.ts";
import { unmeasured } from "../context.ts";
import type { EngineChildResult } from "../engine-child.ts";
import { compact } from "../keys.ts";
import type { SuiteOptions } from "../options.ts";
import { summarize, type PairSpec } from "../pairs.ts";
import { childEnv } from "../servers.ts";

const CHILD = fileURLToPath(new URL("../engine-child.ts", import.meta.url));

function sampleOf(ns: number): Sample {
  return {
    opsPerS: 1e9 / ns,
    p50Us: Number.NaN,
    p99Us: Number.NaN,
    p999Us: Number.NaN,
    clientCpuPct: null,
    serverCpuPct: 100,
    serverUsPerOp: ns / 1000,
    errors: 0,
    firstError: null,
    open: null,
    reply: null,
    replyBytes: null,
  };
}

export function engineCase(o: SuiteOptions): CaseSpec {
  const entities = o.fixedEntities ?? (o.quick ? 10_000 : 100_000);
  const events = o.fixedEntities !== null ? 5 * o.fixedEntities : o.quick ? 50_000 : 500_000;
  const rounds = o.quick ? 1 : Math.max(3, o.rounds);
  const id = "engine";
  const title = "engine micro-benchmarks (bench/engine)";
  const workload = `${compact(events)} events, zipf(0.99) over ${compact(entities)}`;
  const titles = [
    { id: "engine/apply-12", title: "engine apply ev/s, 12-feature table vs Map update" },
    { id: "engine/apply-fraud", title: "engine apply ev/s, fraud pipeline (5 tables, 100 features) vs Map update" },
    { id: "engine/read-12", title: "engine read rows/s, 12 features vs Map.get + copy" },
  ];
  return {
    id,
    group: "engine",
    title,
    workload,
    steps: 1,
    async run(ctx: SuiteContext): Promise<CaseResult> {
      ctx.hooks.onStart?.("engine apply and read (child process)");
      let r: EngineChildResult;
      try {
        r = await runJsonChild<EngineChildResult>(CHILD, [String(events), String(entities), String(rounds)], { nodeArgs: ["--expose-gc"], env: childEnv(), timeoutMs: 15 * 60_000, what: "engine child failed" });
      } catch (e) {
        return unmeasured({ id, group: "engine", title, workload }, (e as Error).message, titles);
      } finally {
        ctx.hooks.onDone?.();
      }
      // Measured in the child: the rounds are recorded as if the suite's schedule had run them.
      const st = newRoundsState();
      const never = () => Promise.reject(new Error("measured in the child"));
      const recorded = (c: BenchCase, ns: readonly number[]) => ns.forEach((x, round) => st.measurements.push({ round, caseId: c.id, label: c.label, sample: sampleOf(x) }));
      const pairs: PairSpec[] = r.series.map((s, i) => {
        const pairId = titles[i]?.id ?? s.id;
        const subject: BenchCase = { id: `${pairId}/tessera`, label: s.title, run: never };
        const baseline: BenchCase = { id: `${pairId}/baseline`, label: s.id.startsWith("engine-read") ? "Map.get + copy of the row" : "per table Map<key, Float64Array>, +1 per feature", run: never };
        recorded(subject, s.subjectNs);
        recorded(baseline, s.baselineNs);
        return {
          id: pairId,
          title: titles[i]?.title ?? s.title,
          metric: "throughput",
          subject,
          baseline,
          ...(s.id === "engine-apply-12" ? { target: { kind: "us-max" as const, value: 1 } } : {}),
        };
      });
      for (const p of pairs) ctx.hooks.onResult?.(`${p.id}: ${paired(st, p).subject.map((x) => Math.round((x.serverUsPerOp as number) * 1000)).join(", ")} ns/op`);
      return {
        id,
        group: "engine",
        title,
        workload,
        skipped: null,
        conditions: {
          source: "bench/engine/workloads.ts (stream, twelveFeatures, fraudNodes), measured as bench/engine/apply.ts and read.ts do, in a child process (bench/suite/engine-child.ts)",
          stream: `${events} events, zipf(0.99) keys over ${entities} per key column, one event per 10 ms (windows slide)`,
          apply: "applyPush of pre-prepared commands into a fresh engine per round (a full GC first), after one warm-up run; preparePush not timed",
          read: "all 12 features of a random existing key at a fixed now, 200k reads per round after one warm-up round",
          rounds: `${rounds} (medians); srv µs/op here is the engine's time per op in the child, not a server`,
        },
        pairs: pairs.map((p) => summarize(p, st)),
      };
    },
  };
}
