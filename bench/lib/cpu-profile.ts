/**
 * Reading a server's `node --cpu-prof` profile: the samples taken in a measured window, as self time
 * by layer (each bench names its layers) and by function, and inclusive time of Tessera's functions.
 */
import { readFileSync } from "node:fs";

export interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

export interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: number[];
}

export interface CpuProfile {
  readonly nodes: ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: number[];
  readonly timeDeltas: number[];
}

export function readCpuProfile(path: string): CpuProfile {
  return JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
}

/** The clock the profile's timestamps use (monotonic, µs), to cut a profile to a window. */
export function profileClockUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** A layer of the stack, e.g. "node http" or "tessera engine"; a layer named "idle" is not busy time. */
export interface Layer {
  readonly name: string;
  readonly test: (f: CallFrame) => boolean;
}

/** The first of `layers` that matches `f`; the list must end with a catch-all. */
export function layerOf(layers: readonly Layer[], f: CallFrame): string {
  return (layers.find((l) => l.test(f)) as Layer).name;
}

/** "fn src/path.ts:line", paths relative to src/ or node_modules/. */
function frameKey(f: CallFrame): string {
  const file = f.url.replace(/^file:\/\/.*?\/(src|node_modules)\//, "$1/");
  return `${f.functionName || "(anonymous)"} ${file}${f.url ? `:${f.lineNumber + 1}` : ""}`;
}

/** Shares are of the busy (non-idle) time. */
export interface Breakdown {
  readonly sampledMs: number;
  readonly busyMs: number;
  readonly layers: { name: string; ms: number; share: number }[];
  readonly selfTop: { fn: string; layer: string; ms: number; share: number }[];
  /** Tessera functions by inclusive time. */
  readonly inclusiveTop: { fn: string; ms: number; share: number }[];
}

/** The samples whose timestamps fall in [fromUs, toUs], `top` functions each way. */
export function analyseCpuProfile(p: CpuProfile, fromUs: number, toUs: number, layers: readonly Layer[], top: number): Breakdown {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] as number;
    if (t < fromUs || t > toUs) continue;
    // A sample stands for the interval until the next one.
    const dt = (p.timeDeltas[i + 1] ?? 0) as number;
    const id = p.samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + dt);
  }
  const layerMs = new Map<string, number>();
  const fnSelf = new Map<string, { ms: number; layer: string }>();
  const fnIncl = new Map<string, number>();
  let sampled = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const node = byId.get(id) as ProfileNode;
    const ms = us / 1000;
    sampled += ms;
    const layer = layerOf(layers, node.callFrame);
    if (layer === "idle") idle += ms;
    layerMs.set(layer, (layerMs.get(layer) ?? 0) + ms);
    const k = frameKey(node.callFrame);
    const e = fnSelf.get(k) ?? { ms: 0, layer };
    e.ms += ms;
    fnSelf.set(k, e);
    // Inclusive: every distinct Tessera function on the stack gets the sample once.
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const f = (byId.get(n) as ProfileNode).callFrame;
      if (!f.url.includes("/src/")) continue;
      const fk = frameKey(f);
      if (seen.has(fk)) continue;
      seen.add(fk);
      fnIncl.set(fk, (fnIncl.get(fk) ?? 0) + ms);
    }
  }
  const busy = sampled - idle;
  const share = (ms: number) => ms / busy;
  return {
    sampledMs: sampled,
    busyMs: busy,
    layers: [...layerMs]
      .filter(([name]) => name !== "idle")
      .map(([name, ms]) => ({ name, ms, share: share(ms) }))
      .sort((a, b) => b.ms - a.ms),
    selfTop: [...fnSelf]
      .filter(([, v]) => v.layer !== "idle")
      .map(([fn, v]) => ({ fn, layer: v.layer, ms: v.ms, share: share(v.ms) }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top),
    inclusiveTop: [...fnIncl]
      .map(([fn, ms]) => ({ fn, ms, share: share(ms) }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top),
  };
}
