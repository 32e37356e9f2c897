import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { Value } from "../../../src/engine/types.ts";
import { Feature, schemaOf } from "../core/helpers.ts";
import { close, inContinuous, inSpan, inTiled, oracle } from "./oracle.ts";
import type { RawEvent } from "./oracle.ts";

/**
 * Every windowed core op against a naive oracle that keeps all raw events and recomputes at read
 * time, over random streams with interleaved reads. Lifetime and tiled windows must match exactly
 * (floats up to rounding); continuous windows must match the bucket rule exactly and, for monotone
 * ops, lie between the pure-time windows W − bucket and W.
 */

type Action = { kind: "push"; dt: number; v: Value; matched: boolean } | { kind: "read"; dt: number };

const T0 = 1_700_000_000_000;
const W = 64_000;
const B = 1_000;
const I = 10_000;
const TILED_W = 60_000;
const SCHEMA = schemaOf({ amt: "f64", s: "str", flag: "bool" }, ["amt", "s", "flag"]);

const numbers = fc.oneof(fc.integer({ min: -50, max: 50 }), fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.constant(null));
const strings = fc.oneof(fc.constantFrom("a", "b", "c", "d", "e"), fc.constant(null));

const actions = (values: fc.Arbitrary<Value>) =>
  fc.array(
    fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant("push" as const), dt: fc.integer({ min: 0, max: 6_000 }), v: values, matched: fc.boolean() }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("read" as const), dt: fc.integer({ min: 0, max: 90_000 }) }) },
    ),
    { maxLength: 120 },
  );

interface Case {
  readonly op: string;
  readonly field?: "amt" | "s";
  readonly params?: Record<string, unknown>;
  readonly oracleParams?: { q?: number; k?: number };
  readonly monotone?: boolean;
}

const CASES: readonly Case[] = [
  { op: "count", monotone: true },
  { op: "sum", field: "amt" },
  { op: "mean", field: "amt" },
  { op: "min", field: "amt" },
  { op: "max", field: "amt" },
  { op: "min", field: "s" },
  { op: "max", field: "s" },
  { op: "var", field: "amt" },
  { op: "std", field: "amt" },
  { op: "var_pop", field: "amt" },
  { op: "std_pop", field: "amt" },
  { op: "ratio" },
  { op: "n_unique", field: "s", monotone: true },
  { op: "n_unique", field: "amt", monotone: true },
  { op: "quantile", field: "amt", params: { q: 0.3 }, oracleParams: { q: 0.3 } },
  { op: "top_k", field: "s", params: { k: 3 }, oracleParams: { k: 3 } },
  { op: "entropy", field: "s" },
];

type WindowMode = "lifetime" | "continuous" | "tiled";

function windowParams(mode: WindowMode): Record<string, unknown> {
  if (mode === "continuous") return { window: `${W}ms` };
  if (mode === "tiled") return { window: `${TILED_W}ms`, interval: `${I}ms` };
  return {};
}

function run(c: Case, mode: WindowMode, acts: readonly Action[]): void {
  const params = { ...(c.params ?? {}), ...(c.field ? { field: c.field } : {}), where: "(flag == true)", ...windowParams(mode) };
  const f = new Feature(c.op, params, SCHEMA);
  const events: RawEvent[] = [];
  let t = T0;
  const check = (readAt: number) => {
    const got = f.read(readAt);
    const inWindow = mode === "lifetime" ? events : mode === "continuous" ? inContinuous(events, readAt, W, B) : inTiled(events, readAt, TILED_W, I);
    const want = oracle(c.op, inWindow, c.oracleParams);
    assert.ok(close(got, want), `${c.op}/${mode} at +${readAt - T0}: got ${JSON.stringify(got)}, oracle ${JSON.stringify(want)}`);
    if (mode === "continuous" && c.monotone) {
      const lo = oracle(c.op, inSpan(events, readAt, W - B), c.oracleParams) as number;
      const hi = oracle(c.op, inSpan(events, readAt, W), c.oracleParams) as number;
      assert.ok(lo <= (got as number) && (got as number) <= hi, `${c.op}: ${String(got)} not in [${lo}, ${hi}]`);
    }
  };
  for (const a of acts) {
    t += a.dt;
    if (a.kind === "push") {
      const row = { flag: a.matched, ...(c.field ? { [c.field]: a.v } : {}) };
      f.push(row as Record<string, Value>, t);
      events.push({ t, v: a.v, matched: a.matched });
    } else {
      check(t);
    }
  }
  check(t);
}

describe("windowed ops match a naive oracle", () => {
  for (const c of CASES) {
    for (const mode of ["lifetime", "continuous", "tiled"] as const) {
      it(`${c.op}(${c.field ?? ""}) ${mode}`, () => {
        const values = c.field === "s" ? strings : numbers;
        fc.assert(fc.property(actions(values), (acts) => run(c, mode, acts)), { numRuns: 60 });
      });
    }
  }
});

describe("sketch-backed ops stay within their bounds", () => {
  it("n_unique beyond the exact threshold: within 5% (HLL p=12, ~1.6% standard error)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1500, max: 6000 }), fc.integer({ min: 0, max: 1e6 }), (n, offset) => {
        const f = new Feature("n_unique", { field: "amt", window: `${W}ms` });
        for (let i = 0; i < n; i++) f.push({ amt: offset + i }, T0 + Math.floor((i * W) / n / 2));
        const got = f.read(T0 + W / 2) as number;
        return Math.abs(got - n) / n <= 0.05;
      }),
      { numRuns: 15 },
    );
  });
  it("quantile beyond 256 values: within 1% relative error of the exact answer (positive data)", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.01, max: 1e6, noNaN: true }), { minLength: 300, maxLength: 2000 }), fc.double({ min: 0.01, max: 0.99, noNaN: true }), (xs, q) => {
        const f = new Feature("quantile", { field: "amt", q, window: `${W}ms` });
        xs.forEach((x, i) => f.push({ amt: x }, T0 + Math.floor((i * W) / xs.length / 2)));
        const want = oracle("quantile", xs.map((v) => ({ t: 0, v, matched: true })), { q }) as number;
        const got = f.read(T0 + W / 2) as number;
        return Math.abs(got - want) <= 0.0101 * want;
      }),
      { numRuns: 30 },
    );
  });
  it("top_k beyond 1024 distinct values: the heavy hitters and counts within ε·N", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
        const f = new Feature("top_k", { field: "amt", k: 3, window: `${W}ms` });
        let n = 0;
        for (let i = 0; i < 3000; i++) {
          f.push({ amt: seed + i }, T0 + i);
          n++;
          if (i % 10 === 0) {
            f.push({ amt: -1 }, T0 + i);
            n++;
          }
          if (i % 20 === 0) {
            f.push({ amt: -2 }, T0 + i);
            n++;
          }
        }
        const got = f.read(T0 + 3000) as { value: number; count: number }[];
        const eps = (Math.E / 2048) * n;
        return got[0]!.value === -1 && got[1]!.value === -2 && got[0]!.count >= 300 && got[0]!.count <= 300 + eps && got[1]!.count >= 150 && got[1]!.count <= 150 + eps;
      }),
      { numRuns: 5 },
    );
  });
});
