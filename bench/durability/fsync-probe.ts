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
