/**
 * The suite's one table, and the result files: bench/results/<ISO time>.json (every summary, the
 * conditions of every case, machine facts) and .md (the table with its conditions).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { MachineFacts } from "../lib/machine.ts";
import type { CaseResult, MemoryRow } from "./context.ts";
import { compact as compactN } from "./keys.ts";
import type { Spread } from "../lib/stats.ts";
import type { PairSummary, Target } from "./pairs.ts";

type Align = "l" | "r";
type Cell = string;
interface Row {
  readonly cells: readonly Cell[] | null;
  /** A section heading instead of cells. */
  readonly section?: string;
}

const COLUMNS: readonly { header: string; align: Align }[] = [
  { header: "measure", align: "l" },
  { header: "workload", align: "l" },
  { header: "tessera", align: "r" },
  { header: "baseline", align: "r" },
  { header: "ratio (range)", align: "r" },
  { header: "target", align: "l" },
  { header: "ok", align: "l" },
  { header: "cpu/op ratio", align: "r" },
  { header: "srv µs/op t | b", align: "r" },
  { header: "client cpu%", align: "r" },
];

const N0 = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function fmt(v: number | null, digits = 0): string {
  if (v === null || !Number.isFinite(v)) return "-";
  return digits === 0 ? N0.format(v) : v.toFixed(digits);
}

function spreadCell(s: Spread | null, digits = 2): string {
  if (s === null) return "-";
  return s.min === s.max ? s.median.toFixed(digits) : `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
}

function targetCell(t: Target | null): string {
  if (t === null) return "";
  if (t.kind === "us-max") return `≤ ${t.value} µs/op`;
  return t.kind === "ratio-min" ? `≥ ${t.value}` : t.kind === "p99-max-us" ? `p99 < ${t.value / 1000} ms` : `cpu ≤ ${t.value}`;
}

function okCell(p: PairSummary): string {
  return p.meetsTarget === null ? "" : p.meetsTarget ? "yes" : "NO";
}

/** Reasons too long for a cell go under the table as numbered notes. */
function reasonCell(reason: string, notes: string[]): string {
  if (reason.length <= 40) return reason;
  let i = notes.indexOf(reason);
  if (i < 0) i = notes.push(reason) - 1;
  return `not measured [${i + 1}]`;
}

/** " [n]" pointing to a note listing the measurements that failed (left out of the medians), or "". */
function failedMark(p: PairSummary, notes: string[]): string {
  if (p.failedRounds.length === 0) return "";
  const i = notes.push(`${p.id}: ${p.rounds} round(s) measured; failed and left out: ${p.failedRounds.join("; ")}`);
  return ` [${i}]`;
}

function pairRows(c: CaseResult, p: PairSummary, notes: string[]): Row[] {
  if (p.notMeasured !== null) return [{ cells: [p.title, c.workload, reasonCell(p.notMeasured, notes), "", "", targetCell(p.target), c.skipped !== null ? "skipped" : "n/m", "", "", ""] }];
  const cpu = `${fmt(p.subjectUsPerOp, 1)} | ${fmt(p.baselineUsPerOp, 1)}`;
  const cpuRatio = spreadCell(p.cpuRatio);
  const client = `${fmt(p.subjectClientCpuPct)} | ${fmt(p.baselineClientCpuPct)}`;
  if (p.metric === "latency") {
    const rate = `${p.title}${failedMark(p, notes)} @ ${fmt(p.subjectOpsPerS)}/s`;
    return [
      { cells: [`${rate}, p50`, c.workload, `${fmt(p.subjectP50Us)} µs`, `${fmt(p.baselineP50Us)} µs`, spreadCell(p.p50Ratio), "", "", cpuRatio, cpu, client] },
      {
        cells: [`${rate}, p99`, c.workload, `${fmt(p.subjectP99Us)} µs`, `${fmt(p.baselineP99Us)} µs`, spreadCell(p.p99Ratio), targetCell(p.target), okCell(p), "", `p99.9 ${fmt(p.subjectP999Us)} µs`, `lag p99 ${fmt(p.sendLagP99Us)} µs`],
      },
    ];
  }
  const rows: Row[] = [
    { cells: [`${p.title}${failedMark(p, notes)}`, c.workload, `${fmt(p.subjectOpsPerS)}/s`, `${fmt(p.baselineOpsPerS)}/s`, spreadCell(p.ratio), targetCell(p.target), okCell(p), cpuRatio, cpu, client] },
  ];
  if (p.subjectTotalUsPerOp !== null || p.baselineTotalUsPerOp !== null) {
    const ratio = p.subjectTotalUsPerOp !== null && p.baselineTotalUsPerOp !== null ? (p.subjectTotalUsPerOp / p.baselineTotalUsPerOp).toFixed(2) : "-";
    rows.push({ cells: [`  └ CPU per op, server + load generator`, "", `${fmt(p.subjectTotalUsPerOp, 1)} µs`, `${fmt(p.baselineTotalUsPerOp, 1)} µs`, "", "", "", ratio, "", ""] });
  }
  return rows;
}

function memoryRows(rows: readonly MemoryRow[], notes: string[]): Row[] {
  return rows.map((m) => {
    const measure = `memory B/entity, ${m.pack} pack (${m.features} feature${m.features === 1 ? "" : "s"})`;
    const workload = `${compactN(m.entities)} entities × ${m.waves} wave${m.waves === 1 ? "" : "s"}, ${compactN(m.tableRows)} rows`;
    if (m.error !== null) return { cells: [measure, workload, reasonCell(m.error, notes), "", "", "", "n/m", "", "", ""] };
    return { cells: [measure, workload, `${fmt(m.bytesPerEntity)} B`, `${fmt(m.floorBytesPerEntity)} B floor`, m.ratio === null ? "-" : m.ratio.toFixed(2), "", "", "", `${fmt(m.bytesPerRow)} B/row`, ""] };
  });
}

const SECTIONS: Record<string, string> = {
  push: "push throughput vs bare echo servers",
  get: "get: max throughput, and latency at a fixed arrival rate (open loop)",
  getfeatures: "GetFeatures (Tecton REST, Connect, gRPC)",
  redis: "the same features on Redis (counters + sorted sets via ioredis): ratio = Tessera ÷ Redis",
  durability: "command log (--fsync interval) vs memory-only",
  engine: "engine alone (bench/engine workloads, no server): ops/s vs a Map baseline",
  memory: "memory: engine state per entity vs a Map floor",
};

export function renderTable(cases: readonly CaseResult[]): string {
  const rows: Row[] = [];
  const notes: string[] = [];
  let group = "";
  for (const c of cases) {
    if (c.group !== group) {
      group = c.group;
      rows.push({ cells: null, section: SECTIONS[group] ?? group });
    }
    for (const p of c.pairs) rows.push(...pairRows(c, p, notes));
    if (c.memory !== undefined) rows.push(...memoryRows(c.memory, notes));
  }
  const widths = COLUMNS.map((col, i) => Math.max(col.header.length, ...rows.map((r) => (r.cells === null ? 0 : (r.cells[i] ?? "").length))));
  const line = (cells: readonly string[]) =>
    cells
      .map((s, i) => (COLUMNS[i]!.align === "r" ? s.padStart(widths[i]!) : s.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  const out = [line(COLUMNS.map((c) => c.header)), widths.map((w) => "-".repeat(w)).join("  ")];
  for (const r of rows) out.push(r.cells === null ? `-- ${r.section}` : line(r.cells));
  if (notes.length > 0) out.push("", ...notes.map((n, i) => `[${i + 1}] ${n}`));
  return out.join("\n");
}

export const LEGEND = [
  "ratio = Tessera ÷ baseline ops/s measured back to back in the same round (median over rounds, range in brackets); latency rows: Tessera ÷ baseline p50 / p99 at the same arrival rate.",
  "cpu/op ratio = Tessera's server CPU per op ÷ the baseline's (from /proc): the steadier figure on a shared machine. srv µs/op t | b = server CPU per op, Tessera | baseline.",
  "client cpu% t | b = the load generator's CPU (% of one core) on each side: near 100 % means the generator, not the server, set the pace.",
  "Redis rows: the baseline is redis-server; its 'client' is the ioredis process that does the feature work, so the └ row compares server + generator CPU per op.",
  "memory: (heapUsed + arrayBuffers) delta after GC ÷ entities, engine in a child process; floor = Map<key, one number per feature> per table, same keys.",
];

/** One line per case: its conditions, flattened. */
export function conditionLines(cases: readonly CaseResult[]): string[] {
  const lines: string[] = [];
  for (const c of cases) {
    lines.push(`${c.id} (${c.workload})${c.skipped !== null ? `: ${c.skipped}` : ""}`);
    for (const [k, v] of Object.entries(c.conditions)) lines.push(`    ${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
  }
  return lines;
}

export interface SuiteReport {
  readonly suite: "tessera-bench";
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly elapsedS: number;
  readonly quick: boolean;
  readonly machine: MachineFacts & { readonly loadAvgEnd: readonly number[] };
  readonly tesseraCommit: string;
  readonly conditions: Record<string, unknown>;
  readonly cases: readonly CaseResult[];
  readonly table: string;
}

function stampOf(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, "Z").replaceAll(":", "-");
}

export function machineLine(m: SuiteReport["machine"]): string {
  return `node ${m.node} (V8 ${m.v8}), ${m.cpuModel} × ${m.cores} cores, ${N0.format(m.totalMemMb)} MB, ${m.platform} ${m.kernel}; load average (1/5/15 min) at start ${m.loadAvg.join(" ")}, at end ${m.loadAvgEnd.join(" ")}`;
}

/** Writes <outDir>/<ISO time>.json and .md; returns both paths. */
export async function writeReport(outDir: string, r: SuiteReport): Promise<{ json: string; md: string }> {
  await mkdir(outDir, { recursive: true });
  const base = join(outDir, stampOf(new Date(r.startedAt)));
  const json = `${base}.json`;
  const md = `${base}.md`;
  await writeFile(json, `${JSON.stringify(r, null, 2)}\n`);
  const global = Object.entries(r.conditions).map(([k, v]) => `- ${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
  const perCase = r.cases.flatMap((c) => [
    `- **${c.id}** (${c.workload})${c.skipped !== null ? `: ${c.skipped}` : ""}`,
    ...Object.entries(c.conditions).map(([k, v]) => `  - ${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`),
  ]);
  const text = [
    `# Tessera benchmark suite — ${r.startedAt}${r.quick ? " (--quick)" : ""}`,
    "",
    `Machine: ${machineLine(r.machine)}.`,
    `Tessera: ${r.tesseraCommit}. Run took ${Math.round(r.elapsedS)} s.`,
    "",
    "```",
    r.table,
    "```",
    "",
    ...LEGEND.map((l) => `- ${l}`),
    "",
    "## Conditions",
    "",
    ...global,
    "",
    "## Per case",
    "",
    ...perCase,
    "",
  ].join("\n");
  await writeFile(md, text);
  return { json, md };
}
