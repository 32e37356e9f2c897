/**
 * The disk's own fdatasync latency, measured next to the data dirs: the in-run baseline that
 * `--fsync always` cannot beat. A group commit waits for one fdatasync, so a disk shared with other
 * writers (or a slow one) shows up here before it shows up in the push ratios.
 */
import { open, rm } from "node:fs/promises";
import { join } from "node:path";
import { LatencyRecorder, type LatencySummary } from "../lib/stats.ts";

/** Appends `bytes` and fdatasyncs, `n` times, in a scratch file under `dir`. */
export async function probeFdatasync(dir: string, n = 200, bytes = 4096): Promise<LatencySummary> {
  const path = join(dir, "fdatasync-probe.bin");
  const file = await open(path, "w");
  const chunk = Buffer.alloc(bytes, 0x5a);
  const rec = new LatencyRecorder();
  try {
    for (let i = 0; i < n; i++) {
      await file.write(chunk);
      const t0 = performance.now();
      await file.datasync();
      rec.record((performance.now() - t0) * 1000);
    }
  } finally {
    await file.close();
    await rm(path, { force: true });
  }
  return rec.summary();
}

/**
 * Append + fdatasync cycles per second on one file for `durationMs`, with `lanes` cycles in flight
 * (appends in order, fdatasyncs overlapping): how much the log gains from overlapping the
 * fdatasyncs of consecutive batches under `--fsync always` (file-command-log.ts).
 */
export async function probeSyncsPerS(dir: string, lanes: number, durationMs = 1000, bytes = 4096): Promise<number> {
  const path = join(dir, `fdatasync-lanes-${lanes}.bin`);
  const file = await open(path, "w");
  const chunk = Buffer.alloc(bytes, 0x5a);
  let syncs = 0;
  // One write at a time, as the log's single writer does; each lane then waits for its own fdatasync.
  let writing: Promise<unknown> = Promise.resolve();
  const started = performance.now();
  const lane = async (): Promise<void> => {
    while (performance.now() - started < durationMs) {
      writing = writing.then(() => file.write(chunk));
      await writing;
      await file.datasync();
      syncs++;
    }
  };
  try {
    await Promise.all(Array.from({ length: lanes }, lane));
  } finally {
    await file.close();
    await rm(path, { force: true });
  }
  return syncs / ((performance.now() - started) / 1000);
}
