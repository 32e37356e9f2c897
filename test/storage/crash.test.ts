import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { rng } from "../../bench/lib/random.ts";
import { FileCommandLog } from "../../src/storage/file-command-log.ts";
import { NODE_ARGS } from "../helpers/spawn-server.ts";
import { readLog, tempLogDir } from "./log-helpers.ts";

const CHILD = fileURLToPath(new URL("./fixtures/append-child.ts", import.meta.url));

interface ChildRun {
  /** LSNs the child printed as acknowledged. */
  readonly acked: number[];
  /** The other lines it printed (ready, fail, failure, refused, whenDurable, close). */
  readonly lines: string[];
  readonly exit: { code: number | null; signal: NodeJS.Signals | null };
}

/**
 * Runs the append child on `dir`. With `killAfterMs`, SIGKILLs it that long after its first ack;
 * `fileSizeLimitKiB` runs it under `ulimit -f`, so its writes past that size fail with EFBIG.
 */
async function runChild(dir: string, options: { killAfterMs?: number; fileSizeLimitKiB?: number }): Promise<ChildRun> {
  const node = [process.execPath, ...NODE_ARGS, CHILD, dir, "always"];
  const child =
    options.fileSizeLimitKiB === undefined
      ? spawn(node[0]!, node.slice(1), { stdio: ["ignore", "pipe", "inherit"] })
      : spawn("bash", ["-c", `ulimit -f ${options.fileSizeLimitKiB} && exec "$@"`, "bash", ...node], { stdio: ["ignore", "pipe", "inherit"] });
  const acked: number[] = [];
  const lines: string[] = [];
  let rest = "";
  let killTimer: NodeJS.Timeout | undefined;
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    const parts = (rest + chunk).split("\n");
    // A line cut by the kill has no newline: it was never completely printed, so it is no ack.
    rest = parts.pop()!;
    for (const line of parts) {
      if (/^\d+$/.test(line)) acked.push(Number(line));
      else lines.push(line);
    }
    if (options.killAfterMs !== undefined && acked.length > 0 && killTimer === undefined) {
      killTimer = setTimeout(() => child.kill("SIGKILL"), options.killAfterMs);
    }
  });
  const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
  clearTimeout(killTimer);
  return { acked, lines, exit: { code, signal } };
}

test("kill -9 at random moments under fsync always: every acknowledged LSN survives", { timeout: 60_000 }, async (t) => {
  const dir = tempLogDir(t);
  const random = rng(424242);
  const allAcked: number[] = [];
  for (let cycle = 0; cycle < 6; cycle++) {
    const run = await runChild(dir, { killAfterMs: 20 + Math.floor(random.next() * 250) });
    assert.equal(run.exit.signal, "SIGKILL", `cycle ${cycle}: ${run.lines.join(" | ")}`);
    assert.ok(run.acked.length > 0);
    allAcked.push(...run.acked);

    const { records, report } = readLog(dir);
    const present = new Set(records.map((r) => r.lsn));
    for (const lsn of allAcked) assert.ok(present.has(lsn), `cycle ${cycle}: acked LSN ${lsn} lost (${JSON.stringify(report.damage)})`);
    // LSNs are dense from 1: each run continued after the previous run's last intact record.
    assert.deepEqual(records.map((r) => r.lsn), Array.from({ length: records.length }, (_, i) => i + 1));
  }
});

test("a write that fails (file size limit, EFBIG) is never acknowledged; later appends are refused", { timeout: 30_000 }, async (t) => {
  const dir = tempLogDir(t);
  const run = await runChild(dir, { fileSizeLimitKiB: 32 });
  assert.equal(run.exit.code, 0, run.lines.join(" | "));
  assert.ok(run.acked.length > 0);
  const failed = run.lines.filter((l) => l.startsWith("fail ")).map((l) => l.split(" "));
  assert.ok(failed.length > 0, "pending appends were rejected");
  for (const [, , code] of failed) assert.equal(code, "wal_unavailable");
  const lastAck = Math.max(...run.acked);
  for (const [, lsn] of failed) assert.ok(Number(lsn) > lastAck, "nothing after a failed batch was acknowledged");
  assert.ok(run.lines.includes("failure wal_unavailable EFBIG"), "onFailure saw the cause");
  assert.deepEqual(run.lines.slice(-3), ["refused wal_unavailable", "whenDurable rejected wal_unavailable", "close rejected wal_unavailable"]);

  // Without the limit the log recovers every acknowledged record and continues after them.
  const { records } = readLog(dir);
  const present = new Set(records.map((r) => r.lsn));
  for (const lsn of run.acked) assert.ok(present.has(lsn), `acked LSN ${lsn} lost`);
  const log = await FileCommandLog.open({ dir, fsync: "always" });
  const next = log.append({ type: "reset" }, 0);
  assert.equal(next.lsn, records.length + 1);
  await next.durable;
  await log.close();
});
