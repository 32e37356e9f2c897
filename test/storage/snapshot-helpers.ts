import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { Rng } from "../../bench/lib/random.ts";
import type { LoadReport, SnapshotChunk, SnapshotInfo, SnapshotStore } from "../../src/storage/snapshot-store.ts";

/** A fresh directory under the OS temp dir, removed when the test ends; returns `<tmp>/snapshots`. */
export function tempSnapshotDir(t: TestContext): string {
  const root = mkdtempSync(join(tmpdir(), "tessera-snap-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return join(root, "snapshots");
}

/** `n` chunks of random sizes below `maxBytes` and random contents, mostly engine ones. */
export function randomChunks(r: Rng, n: number, maxBytes: number): SnapshotChunk[] {
  return Array.from({ length: n }, () => {
    const bytes = new Uint8Array(Math.floor(r.next() * maxBytes));
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(r.next() * 256);
    return { section: r.next() < 0.9 ? "engine" : "control_plane", bytes };
  });
}

export async function writeSnapshot(store: SnapshotStore, lsn: number, chunks: readonly SnapshotChunk[], now = lsn * 1000): Promise<SnapshotInfo> {
  const writer = store.begin({ lsn, now });
  for (const c of chunks) await writer.write(c.section, c.bytes);
  return writer.commit();
}

export interface Loaded {
  readonly report: LoadReport;
  /** Every snapshot handed to the consumer, in order, with the chunks it yielded. */
  readonly consumed: { readonly lsn: number; readonly now: number; readonly chunks: SnapshotChunk[] }[];
}

/** loadNewest with a consumer that collects every chunk (plain Uint8Arrays, to compare deep-equal). */
export async function loadAll(store: SnapshotStore, reject?: (lsn: number) => boolean): Promise<Loaded> {
  const consumed: Loaded["consumed"] = [];
  const report = await store.loadNewest((s) => {
    const chunks = Array.from(s.chunks, (c) => ({ section: c.section, bytes: new Uint8Array(c.bytes) }));
    consumed.push({ lsn: s.lsn, now: s.now, chunks });
    if (reject?.(s.lsn)) throw new Error(`the engine rejects snapshot ${s.lsn}`);
  });
  return { report, consumed };
}
