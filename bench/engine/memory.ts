/**
 * Bytes per entity for a 30-feature pack. Run:
 *   node_modules/.bin/node --expose-gc --experimental-transform-types bench/engine/memory.ts
 *
 * Per run: gc, heapUsed; a fresh engine with one 30-feature table; ENTITIES entities each receiving
 * EVENTS_PER_ENTITY events spread over SPAN_MS (so windows hold several buckets); gc, heapUsed.
 * (heap delta − pre-generated rows) / entities. Baseline in the same run: a Map of the same keys to a
 * 30-slot array of numbers (what a bare "one number per feature" store costs).
 */
import { engineWith, EVENT, fmt, median, T0, table, thirtyFeatures } from "./workloads.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run node with --expose-gc");

const RUNS = 5;
const ENTITIES = 50_000;
const EVENTS_PER_ENTITY = Number(process.env.EVENTS ?? 10);
const SPAN_MS = 2 * 3_600_000;
/** PACK=nosketch drops the three sketch features (n_unique x2, quantile) to show their share. */
const PACK = process.env.PACK ?? "full";

function pack(): Record<string, unknown> {
  const agg = JSON.parse(JSON.stringify(thirtyFeatures())) as Record<string, { op: string }>;
  if (PACK === "nosketch") for (const [k, v] of Object.entries(agg)) if (v.op === "n_unique" || v.op === "quantile") delete agg[k];
  return agg;
}

function heap(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

function engineRun(): number {
  const before = heap();
  const e = engineWith([EVENT, table("pack", "user", pack() as never)]);
  const step = SPAN_MS / EVENTS_PER_ENTITY;
  let lsn = 0;
  for (let j = 0; j < EVENTS_PER_ENTITY; j++) {
    for (let u = 0; u < ENTITIES; u++) {
      const now = T0 + Math.floor(j * step + (u % 1000) * 37);
      const data = { user: `user_${u}`, card: "c", merchant: `m${(u * 7 + j) % 50}`, device: "d", ip: "i", amt: (u % 977) + j * 1.25, country: j % 2 ? "US" : "GB", is_online: (u + j) % 3 === 0 };
      const p = e.preparePush("prod", "txn", data, now);
      if (p.kind === "apply") e.applyPush(p.command, ++lsn, now);
    }
  }
  const after = heap();
  if (e.stats().entities !== ENTITIES) throw new Error("entity count mismatch");
  return (after - before) / ENTITIES;
}

function baselineRun(): number {
  const before = heap();
  const m = new Map<string, number[]>();
  for (let u = 0; u < ENTITIES; u++) m.set(`user_${u}`, Array.from({ length: 30 }, (_v, i) => i + 0.5));
  const after = heap();
  if (m.size !== ENTITIES) throw new Error("unreachable");
  return (after - before) / ENTITIES;
}

const eng: number[] = [];
const base: number[] = [];
for (let r = 0; r < RUNS; r++) {
  base.push(baselineRun());
  eng.push(engineRun());
}
const b = median(base);
const x = median(eng);
console.log(
  `30-feature pack (${PACK}, ${Object.keys(pack()).length} features): ${ENTITIES} entities x ${EVENTS_PER_ENTITY} events over ${SPAN_MS / 3_600_000} h | engine ${fmt(x)} B/entity | ` +
    `baseline Map<key, 30 doubles> ${fmt(b)} B/entity | ratio ${fmt(x / b, 1)}x (medians of ${RUNS} runs, node ${process.version})`,
);
