/**
 * Sketch micro-benchmark: ns per operation on the hot paths, each a median of ROUNDS timed runs
 * (after one warm-up run), next to a Map.set baseline from the same run (so results read as
 * ratios, whatever the machine).
 *   node_modules/.bin/node --experimental-transform-types --disable-warning=ExperimentalWarning bench/engine/sketch.ts
 */
import { bloomAdd, bloomCreate } from "../../src/engine/sketch/bloom-filter.ts";
import { distinctAddHash, distinctCreate, distinctEstimate } from "../../src/engine/sketch/distinct-counter.ts";
import { hashValue } from "../../src/engine/sketch/hash.ts";
import { quantileAdd, quantileCreate, quantileQuery } from "../../src/engine/sketch/quantile-sketch.ts";
import { topKAdd, topKCreate, topKResult } from "../../src/engine/sketch/top-k.ts";
import { median } from "./workloads.ts";

const N = 2_000_000;
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const strings = Array.from({ length: 4096 }, (_, i) => `user-${i * 7919}`);
const numbers = Array.from({ length: 4096 }, (_, i) => (i * 7919) / 3);
let baseline = NaN;

function bench(label: string, ops: number, run: () => number): void {
  run(); // warm-up
  const times: number[] = [];
  let sink = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    sink += run();
    times.push(Number(process.hrtime.bigint() - t0) / ops);
  }
  const ns = median(times);
  if (Number.isNaN(baseline)) baseline = ns;
  console.log(`${label.padEnd(44)} ${ns.toFixed(1).padStart(9)} ns/op  ${(ns / baseline).toFixed(1).padStart(6)}x baseline${sink === -1 ? " " : ""}`);
}

bench("baseline: Map.set(string, number)", N, () => {
  const m = new Map<string, number>();
  for (let i = 0; i < N; i++) m.set(strings[i & 4095], i);
  return m.size;
});
bench("hashValue(number)", N, () => {
  let x = 0;
  for (let i = 0; i < N; i++) x += hashValue(numbers[i & 4095]);
  return x;
});
bench("hashValue(12-char string)", N, () => {
  let x = 0;
  for (let i = 0; i < N; i++) x += hashValue(strings[i & 4095]);
  return x;
});
bench("distinct add, exact mode (<=1024 values)", N, () => {
  const s = distinctCreate(12);
  for (let i = 0; i < N; i++) distinctAddHash(s, hashValue(strings[i & 1023]));
  return distinctEstimate(s);
});
bench("distinct add, HLL mode (p=12)", N, () => {
  const s = distinctCreate(12);
  for (let i = 0; i < N; i++) distinctAddHash(s, hashValue(numbers[i & 4095] + i));
  return distinctEstimate(s);
});
const hll = distinctCreate(12, 0);
for (let i = 0; i < 100_000; i++) distinctAddHash(hll, hashValue(i));
bench("distinct estimate, HLL p=12", 10_000, () => {
  let x = 0;
  for (let i = 0; i < 10_000; i++) x += distinctEstimate(hll);
  return x;
});
bench("quantile add, exact mode (<=256 values)", N, () => {
  let x = 0;
  for (let i = 0; i < N; i += 256) {
    const s = quantileCreate();
    for (let j = 0; j < 256; j++) quantileAdd(s, numbers[(i + j) & 4095]);
    x += s.count;
  }
  return x;
});
bench("quantile add, sketch mode", N, () => {
  const s = quantileCreate();
  for (let i = 0; i < N; i++) quantileAdd(s, numbers[i & 4095] + 1);
  return s.count;
});
const q = quantileCreate();
for (let i = 0; i < 100_000; i++) quantileAdd(q, Math.exp((i % 1000) / 100));
bench("quantile query, sketch mode (~460 buckets)", 100_000, () => {
  let x = 0;
  for (let i = 0; i < 100_000; i++) x += quantileQuery(q, (i % 100) / 100) as number;
  return x;
});
bench("top-k add, exact mode", N, () => {
  const s = topKCreate(10);
  for (let i = 0; i < N; i++) topKAdd(s, strings[i & 1023]);
  return s.k;
});
bench("top-k add, sketch mode", N, () => {
  const s = topKCreate(10);
  for (let i = 0; i < N; i++) topKAdd(s, strings[(i * i) & 4095]);
  return s.k;
});
const tk = topKCreate(10);
for (let i = 0; i < 100_000; i++) topKAdd(tk, strings[(i * 31) & 1023]);
bench("top-k result, exact mode, 1024 values, k=10", 10_000, () => {
  let x = 0;
  for (let i = 0; i < 10_000; i++) x += topKResult(tk).length;
  return x;
});
bench("bloom add (1024, 0.01)", N, () => {
  const s = bloomCreate();
  let x = 0;
  for (let i = 0; i < N; i++) if (bloomAdd(s, hashValue(strings[i & 4095]))) x++;
  return x;
});
console.log(`node ${process.version}; medians of ${ROUNDS} runs after one warm-up run; baseline = the first line`);
