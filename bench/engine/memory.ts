/**
 * Bytes per entity for a 30-feature pack. Run:
 *   node_modules/.bin/node --expose-gc --experimental-transform-types --disable-warning=ExperimentalWarning bench/engine/memory.ts
 *
 * Per round: gc, then heapUsed + arrayBuffers (typed arrays over 64 B keep their bytes off the JS
 * heap; they are state too); a fresh engine with one 30-feature table; ENTITIES entities each
 * receiving E events spread over SPAN_MS (so 1h and 1d windows hold several buckets); gc; the delta
 * divided by the entity count. The events are generated on the fly and dropped, so only state counts.
 * Baseline in the same run, alternated with the engine: a Map of the same keys to a 30-number array
 * (a bare "one number per feature" store: the floor any per-entity state sits on).
 *
 * Env: EVENTS (default "1,10": one case per count), PACK=nosketch drops the three sketch features
 * (n_unique ×2, quantile) to show their share, ROUNDS (default 5).
 */
import { fmt, loadedEngine, median, thirtyFeatures } from "./workloads.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run node with --expose-gc");

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const ENTITIES = 50_000;
const EVENTS = (process.env.EVENTS ?? "1,10").split(",").map(Number);
const SPAN_MS = 2 * 3_600_000;
const PACK = process.env.PACK ?? "full";

function pack(): Record<string, unknown> {
  const agg = JSON.parse(JSON.stringify(thirtyFeatures())) as Record<string, { op: string }>;
  if (PACK === "nosketch") for (const [k, v] of Object.entries(agg)) if (v.op === "n_unique" || v.op === "quantile") delete agg[k];
  return agg;
}

function bytes(): number {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function engineRound(events: number): number {
  const before = bytes();
  const e = loadedEngine(pack(), ENTITIES, events, SPAN_MS);
  const after = bytes();
  // Read after the measurement, so the engine is alive while it is taken.
  if (e.stats().entities !== ENTITIES) throw new Error("entity count mismatch");
  return (after - before) / ENTITIES;
}

function baselineRound(): number {
  const before = bytes();
  const m = new Map<string, number[]>();
  for (let u = 0; u < ENTITIES; u++) m.set(`user_${u}`, Array.from({ length: 30 }, (_v, i) => i + 0.5));
  const after = bytes();
  if (m.size !== ENTITIES) throw new Error("unreachable");
  return (after - before) / ENTITIES;
}

const features = Object.keys(pack()).length;
for (const events of EVENTS) {
  const eng: number[] = [];
  const base: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    base.push(baselineRound());
    eng.push(engineRound(events));
  }
  const b = median(base);
  const x = median(eng);
  console.log(
    `memory | ${features}-feature pack (${PACK}) | ${ENTITIES} entities x ${events} event(s) over ${SPAN_MS / 3_600_000} h | ` +
      `engine ${fmt(x)} B/entity | baseline Map<key, 30 doubles> ${fmt(b)} B/entity | engine/baseline ${fmt(x / b, 2)}x`,
  );
}
console.log(`heapUsed + arrayBuffers after gc; medians of ${ROUNDS} rounds; node ${process.version}`);
