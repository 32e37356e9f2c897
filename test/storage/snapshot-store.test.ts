import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Registry } from "prom-client";
import { rng } from "../../bench/lib/random.ts";
import { TesseraError } from "../../src/errors/tessera-error.ts";
import { checksum } from "../../src/storage/record-format.ts";
import { MAX_CHUNK_BYTES, SNAPSHOT_HEADER_BYTES, snapshotName } from "../../src/storage/snapshot-format.ts";
import { PrometheusSnapshotMetrics } from "../../src/storage/snapshot-metrics.ts";
import { SnapshotStore } from "../../src/storage/snapshot-store.ts";
import { loadAll, randomChunks, tempSnapshotDir, writeSnapshot } from "./snapshot-helpers.ts";

const names = (dir: string): string[] => readdirSync(dir).sort();

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail("expected a rejection");
}

test("many chunks of both sections round-trip in order, across a reopen; the file is exactly what commit reports", async (t) => {
  const dir = tempSnapshotDir(t);
  const r = rng(1);
  // Small chunks share the 1 MiB write buffer; the large ones are written past it.
  const chunks = [...randomChunks(r, 2000, 2000), ...randomChunks(r, 3, 3 * 1024 * 1024), { section: "engine" as const, bytes: new Uint8Array(0) }, ...randomChunks(r, 50, 70_000)];
  let store = await SnapshotStore.open({ dir });
  const before = Date.now();
  const info = await writeSnapshot(store, 123, chunks, 1_700_000_000_123.5);
  assert.equal(info.lsn, 123);
  assert.equal(info.now, 1_700_000_000_123.5);
  assert.equal(info.path, join(dir, snapshotName(123)));
  assert.equal(info.bytes, statSync(info.path).size);
  assert.ok(info.durationMs >= 0);
  assert.deepEqual(names(dir), [snapshotName(123)]);
  assert.deepEqual(store.list(), [{ lsn: 123, path: info.path }]);

  store = await SnapshotStore.open({ dir });
  const created: number[] = [];
  const report = await store.loadNewest((s) => {
    created.push(s.created);
    // The iterable reads the file again on every iteration.
    assert.deepEqual(Array.from(s.chunks, (c) => c.bytes.length), Array.from(s.chunks, (c) => c.bytes.length));
  });
  assert.ok(created[0]! >= before && created[0]! <= Date.now());
  assert.equal(report.outcome, "loaded");
  assert.deepEqual(report.loaded, { lsn: 123, path: info.path, now: 1_700_000_000_123.5, created: created[0], bytes: info.bytes });
  assert.deepEqual(report.skipped, []);
  const { consumed } = await loadAll(store);
  assert.equal(consumed.length, 1);
  assert.equal(consumed[0]!.now, 1_700_000_000_123.5);
  assert.deepEqual(consumed[0]!.chunks, chunks);
});

test("writes issued without awaiting each run in call order", async (t) => {
  const store = await SnapshotStore.open({ dir: tempSnapshotDir(t) });
  const chunks = randomChunks(rng(2), 300, 50_000);
  const writer = store.begin({ lsn: 5, now: 0 });
  const writes = chunks.map((c) => writer.write(c.section, c.bytes));
  const info = await writer.commit();
  await Promise.all(writes);
  assert.equal(info.lsn, 5);
  assert.deepEqual((await loadAll(store)).consumed[0]!.chunks, chunks);
});

test("an empty snapshot (no chunks) is valid", async (t) => {
  const store = await SnapshotStore.open({ dir: tempSnapshotDir(t) });
  const info = await writeSnapshot(store, 0, []);
  const { report, consumed } = await loadAll(store);
  assert.equal(report.outcome, "loaded");
  assert.deepEqual(consumed, [{ lsn: 0, now: 0, chunks: [] }]);
  assert.equal(info.bytes, SNAPSHOT_HEADER_BYTES + 9 + 16);
});

test("keep: each commit deletes the snapshots beyond the newest `keep`; oldestKeptLsn waits for `keep` of them", async (t) => {
  const dir = tempSnapshotDir(t);
  const store = await SnapshotStore.open({ dir, keep: 2 });
  assert.equal(store.keep, 2);
  assert.equal(store.oldestKeptLsn, 0);
  await writeSnapshot(store, 10, randomChunks(rng(3), 5, 100));
  assert.equal(store.oldestKeptLsn, 0, "a single snapshot: the log a cold start needs stays");
  await writeSnapshot(store, 20, []);
  assert.equal(store.oldestKeptLsn, 10);
  await writeSnapshot(store, 30, []);
  await writeSnapshot(store, 40, []);
  assert.deepEqual(names(dir), [snapshotName(30), snapshotName(40)]);
  assert.deepEqual(store.list().map((f) => f.lsn), [40, 30]);
  assert.equal(store.oldestKeptLsn, 30);
  // The same LSN again (nothing changed since) replaces the file.
  await writeSnapshot(store, 40, [{ section: "engine", bytes: new Uint8Array([1]) }]);
  assert.deepEqual(store.list().map((f) => f.lsn), [40, 30]);
  assert.deepEqual((await loadAll(store)).consumed[0]!.chunks, [{ section: "engine", bytes: new Uint8Array([1]) }]);

  const one = await SnapshotStore.open({ dir, keep: 1 });
  assert.equal(one.oldestKeptLsn, 40, "more on disk than kept: the newest `keep` count");
  await writeSnapshot(one, 50, []);
  assert.deepEqual(names(dir), [snapshotName(50)]);
  assert.equal(one.oldestKeptLsn, 50);
  await assert.rejects(SnapshotStore.open({ dir, keep: 0 }), RangeError);
});

test("open removes temp files of interrupted writes and leaves everything else", async (t) => {
  const dir = tempSnapshotDir(t);
  const store = await SnapshotStore.open({ dir });
  await writeSnapshot(store, 7, []);
  writeFileSync(join(dir, `${snapshotName(9)}.tmp`), "partial");
  writeFileSync(join(dir, "notes.txt"), "mine");
  mkdirSync(join(dir, "quarantine"));
  const reopened = await SnapshotStore.open({ dir });
  assert.deepEqual(names(dir), [snapshotName(7), "notes.txt", "quarantine"]);
  assert.deepEqual(reopened.list().map((f) => f.lsn), [7]);
});

test("abort removes the temp file; the writer then refuses; one writer at a time; LSNs do not go back", async (t) => {
  const dir = tempSnapshotDir(t);
  const registry = new Registry();
  const store = await SnapshotStore.open({ dir, metrics: new PrometheusSnapshotMetrics(registry) });
  await writeSnapshot(store, 10, []);
  const writer = store.begin({ lsn: 11, now: 0 });
  assert.throws(() => store.begin({ lsn: 12, now: 0 }), /already being written/);
  await writer.write("engine", new Uint8Array(10));
  assert.ok(existsSync(join(dir, `${snapshotName(11)}.tmp`)));
  await writer.abort();
  await writer.abort();
  assert.deepEqual(names(dir), [snapshotName(10)]);
  await assert.rejects(writer.write("engine", new Uint8Array(1)), /aborted/);
  await assert.rejects(writer.commit(), /aborted/);

  // Aborted before anything was written: nothing to remove, the store is free again.
  await store.begin({ lsn: 11, now: 0 }).abort();
  assert.throws(() => store.begin({ lsn: 9, now: 0 }), RangeError);
  const committed = store.begin({ lsn: 11, now: 0 });
  await committed.commit();
  await committed.abort();
  assert.deepEqual(names(dir), [snapshotName(10), snapshotName(11)]);
  await assert.rejects(committed.write("engine", new Uint8Array(1)), /committed/);
  assert.match(await registry.getSingleMetricAsString("tessera_snapshot_failed_total"), /tessera_snapshot_failed_total 2$/m);
  assert.match(await registry.getSingleMetricAsString("tessera_snapshot_written_total"), /tessera_snapshot_written_total 2$/m);
});

test("a chunk over the record limit is refused and the writer stays usable", async (t) => {
  const store = await SnapshotStore.open({ dir: tempSnapshotDir(t) });
  const writer = store.begin({ lsn: 1, now: 0 });
  await assert.rejects(writer.write("engine", Buffer.allocUnsafe(MAX_CHUNK_BYTES + 1)), RangeError);
  await writer.write("engine", new Uint8Array([7]));
  await writer.commit();
  assert.deepEqual((await loadAll(store)).consumed[0]!.chunks, [{ section: "engine", bytes: new Uint8Array([7]) }]);
});

test("a directory that cannot be used: open and writes fail with unavailable, the temp file goes, the store stays usable", async (t) => {
  const dir = tempSnapshotDir(t);
  writeFileSync(join(dir, "..", "file"), "");
  const notADir = await rejection(SnapshotStore.open({ dir: join(dir, "..", "file", "snapshots") }));
  assert.ok(notADir instanceof TesseraError);
  assert.equal(notADir.code, "unavailable");
  assert.match(notADir.message, /cannot open the snapshot directory .*file\/snapshots: ENOTDIR/);

  const registry = new Registry();
  const store = await SnapshotStore.open({ dir, metrics: new PrometheusSnapshotMetrics(registry) });
  rmSync(dir, { recursive: true });
  const writer = store.begin({ lsn: 1, now: 0 });
  const failed = await rejection(writer.write("engine", new Uint8Array(10)));
  assert.ok(failed instanceof TesseraError);
  assert.equal(failed.code, "unavailable");
  assert.match(failed.message, /writing the snapshot .* failed: ENOENT/);
  assert.equal(await rejection(writer.commit()), failed, "the failure is final");
  await writer.abort();

  // The directory comes back: the next snapshot works.
  mkdirSync(dir);
  const writer2 = store.begin({ lsn: 2, now: 0 });
  await writer2.write("engine", new Uint8Array(10));
  // Gone between the writes and the commit: the rename fails; nothing is left behind.
  rmSync(dir, { recursive: true });
  const atCommit = await rejection(writer2.commit());
  assert.ok(atCommit instanceof TesseraError && atCommit.code === "unavailable", String(atCommit));
  assert.deepEqual(store.list(), []);
  assert.match(await registry.getSingleMetricAsString("tessera_snapshot_failed_total"), /tessera_snapshot_failed_total 2$/m);
  store.begin({ lsn: 3, now: 0 });
});

test("a snapshot in a newer format is refused at start-up, not skipped; a flipped version field is damage", async (t) => {
  const dir = tempSnapshotDir(t);
  const store = await SnapshotStore.open({ dir });
  await writeSnapshot(store, 1, []);
  const info = await writeSnapshot(store, 2, randomChunks(rng(4), 3, 100));
  const original = readFileSync(info.path);

  const newer = Buffer.from(original);
  newer.writeUInt16LE(2, 8);
  newer.writeUInt32LE(checksum(newer, 0, 36), 36);
  writeFileSync(info.path, newer);
  const refused = await rejection(loadAll(await SnapshotStore.open({ dir })));
  assert.ok(refused instanceof TesseraError);
  assert.equal(refused.code, "unavailable");
  assert.match(refused.message, /snapshot format 2; this build reads format 1/);
  assert.ok(existsSync(info.path), "not quarantined");

  const flipped = Buffer.from(original);
  flipped[9]! ^= 0x01;
  writeFileSync(info.path, flipped);
  const { report, consumed } = await loadAll(await SnapshotStore.open({ dir }));
  assert.equal(report.outcome, "fallback");
  assert.deepEqual(report.skipped.map((s) => [s.reason, s.offset]), [["bad_header", 0]]);
  assert.deepEqual(consumed.map((c) => c.lsn), [1]);
});

test("the consumer throwing makes the snapshot rejected: quarantined, and the previous one is loaded", async (t) => {
  const dir = tempSnapshotDir(t);
  const registry = new Registry();
  const store = await SnapshotStore.open({ dir, metrics: new PrometheusSnapshotMetrics(registry) });
  const older = randomChunks(rng(5), 20, 500);
  await writeSnapshot(store, 100, older);
  const newest = await writeSnapshot(store, 200, randomChunks(rng(6), 20, 500));

  const { report, consumed } = await loadAll(store, (lsn) => lsn === 200);
  assert.equal(report.outcome, "fallback");
  assert.deepEqual(consumed.map((c) => c.lsn), [200, 100]);
  assert.deepEqual(consumed[1]!.chunks, older);
  assert.equal(report.loaded?.lsn, 100);
  const quarantined = join(dir, "quarantine", snapshotName(200));
  assert.deepEqual(report.skipped, [{ file: newest.path, reason: "rejected", offset: undefined, error: "the engine rejects snapshot 200", quarantined }]);
  assert.ok(existsSync(quarantined));
  assert.deepEqual(store.list().map((f) => f.lsn), [100]);
  assert.equal(store.oldestKeptLsn, 0, "one snapshot left: the log must stay whole");
  const metrics = await registry.metrics();
  assert.match(metrics, /tessera_snapshot_load_outcome\{outcome="fallback"\} 1/);
  assert.match(metrics, /tessera_snapshot_load_outcome\{outcome="loaded"\} 0/);
  assert.match(metrics, /tessera_snapshot_load_skipped\{reason="rejected"\} 1/);
  assert.match(metrics, /tessera_snapshot_load_lsn 100/);

  // Everything rejected: nothing loaded, the caller starts cold.
  const none = await loadAll(store, () => true);
  assert.equal(none.report.outcome, "none");
  assert.equal(none.report.loaded, undefined);
  assert.deepEqual(store.list(), []);
  assert.match(await registry.metrics(), /tessera_snapshot_load_outcome\{outcome="none"\} 1/);

  // A snapshot of the same LSN quarantined again keeps both copies.
  await writeSnapshot(store, 200, []);
  await loadAll(store, () => true);
  assert.equal(readdirSync(join(dir, "quarantine")).filter((n) => n.startsWith(snapshotName(200))).length, 2);
});

test("a consumer throwing unavailable (content from a newer build) stops start-up instead of falling back", async (t) => {
  const dir = tempSnapshotDir(t);
  const store = await SnapshotStore.open({ dir });
  await writeSnapshot(store, 1, []);
  const info = await writeSnapshot(store, 2, []);
  const refusal = new TesseraError("unavailable", "unavailable: engine state format 9");
  await assert.rejects(
    store.loadNewest(() => {
      throw refusal;
    }),
    (e) => e === refusal,
  );
  assert.ok(existsSync(info.path));
});

test("written snapshots are reported to the metrics", async (t) => {
  const registry = new Registry();
  const store = await SnapshotStore.open({ dir: tempSnapshotDir(t), metrics: new PrometheusSnapshotMetrics(registry) });
  const info = await writeSnapshot(store, 77, randomChunks(rng(7), 10, 1000));
  const metrics = await registry.metrics();
  assert.match(metrics, /tessera_snapshot_written_total 1/);
  assert.match(metrics, new RegExp(`tessera_snapshot_last_bytes ${info.bytes}`));
  assert.match(metrics, /tessera_snapshot_last_lsn 77/);
  assert.match(metrics, /tessera_snapshot_duration_seconds_count 1/);
  await loadAll(store);
  assert.match(await registry.metrics(), /tessera_snapshot_load_outcome\{outcome="loaded"\} 1/);
});
