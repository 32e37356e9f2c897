/**
 * Facts about the machine and processes a bench ran on. Results on a shared 2-core box drift between
 * runs, so every result file carries these alongside the ratios.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as os from "node:os";

export interface MachineFacts {
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly arch: string;
  readonly kernel: string;
  readonly cpuModel: string;
  readonly cores: number;
  readonly totalMemMb: number;
  /** 1, 5 and 15 minute load averages when the bench started: a high value means noisy neighbours. */
  readonly loadAvg: readonly number[];
}

export function machineFacts(): MachineFacts {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    kernel: os.release(),
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cores: os.availableParallelism(),
    totalMemMb: Math.round(os.totalmem() / 2 ** 20),
    loadAvg: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

let clockTicks: number | undefined;

// /proc/<pid>/stat counts CPU time in clock ticks; CLK_TCK is almost always 100 but is asked for once
// rather than assumed.
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * User + system CPU time (ms) that another process has used so far, read from /proc; null where /proc
 * is unavailable (non-Linux) or the process is gone. Resolution is one clock tick (usually 10 ms), so
 * difference it over windows of seconds, not milliseconds.
 */
export function processCpuMs(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command name (field 2) is parenthesised and may contain spaces, so split after its closing paren.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After the paren, field 3 (state) is index 0, so utime (14) and stime (15) are indices 11 and 12.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / ticksPerSecond();
}
