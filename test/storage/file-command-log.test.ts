import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { dirname, join } from "node:path";
import { Registry } from "prom-client";
import { rng } from "../../bench/lib/random.ts";
import { TesseraError } from "../../src/errors/tessera-error.ts";
import type { PushCommandRecord } from "../../src/service/commands.ts";
import { FileCommandLog } from "../../src/storage/file-command-log.ts";
import { PrometheusLogMetrics } from "../../src/storage/log-metrics.ts";
import type { LogRecord } from "../../src/storage/recover-log.ts";
import { segmentName, SEGMENT_HEADER } from "../../src/storage/segment-files.ts";
import { CountingMetrics, push, readLog, tempLogDir } from "./log-helpers.ts";

const SMALL_SEGMENTS = 4096;

function segmentNames(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.endsWith(".log")).sort();
}

test("many records round-trip across segment rolls, in LSN order with their times", async (t) => {
  const dir = tempLogDir(t);
  const log = await FileCommandLog.open({ dir, fsync: "interval", segmentBytes: SMALL_SEGMENTS });
  const n = 3000;
  const commands: PushCommandRecord[] = [];
  for (let i = 1; i <= n; i++) {
    // Varying sizes, some larger than a segment, so rolls land at every position of a batch.
    const command = push(i, i % 500 === 0 ? { blob: "x".repeat(6000) } : { pad: "p".repeat(i % 40) });
    commands.push(command);
    assert.equal(log.append(command, 1_000_000 + i).lsn, i);
    if (i % 250 === 0) await sleep(1);
  }
  await log.close();

  const names = segmentNames(dir);
  assert.ok(names.length > 20, `${names.length} segments`);
  const { records, report } = readLog(dir);
  assert.equal(report.damage, undefined);
  assert.deepEqual(report.gaps, []);
  assert.equal(report.lastValidLsn, n);
  assert.equal(report.replayed, n);
  assert.equal(records.length, n);
  records.forEach((r, i) => {
    assert.equal(r.lsn, i + 1);
    assert.equal(r.now, 1_000_001 + i);
    assert.deepEqual(r.command, commands[i]);
  });
  // Each segment is named by its first LSN.
  const firsts = new Set(records.map((r) => segmentName(r.lsn)));
  for (const name of names) assert.ok(firsts.has(name), name);
});

test("LSNs continue after reopen, and recovery replays through onRecord from fromLsn", async (t) => {
  const dir = tempLogDir(t);
  let log = await FileCommandLog.open({ dir, fsync: "always" });
  for (let i = 1; i <= 10; i++) await log.append(push(i), i).durable;
  await log.close();

  const replayed: LogRecord[] = [];
  const metrics = new CountingMetrics();
  log = await FileCommandLog.open({ dir, fsync: "always", fromLsn: 7, onRecord: (r) => replayed.push(r), metrics });
  assert.deepEqual(replayed.map((r) => r.lsn), [7, 8, 9, 10]);
  assert.deepEqual(replayed[0]!.command, push(7));
  assert.equal(log.recovery.lastValidLsn, 10);
  assert.equal(log.recovery.replayed, 4);
  assert.equal(metrics.report, log.recovery);
  const next = log.append(push(11), 11);
  assert.equal(next.lsn, 11);
  await next.durable;
  await log.close();
  assert.deepEqual(segmentNames(dir), [segmentName(1)]);
  assert.equal(readLog(dir).records.length, 11);
});

test("a snapshot newer than the log: LSNs continue after it, in a new segment", async (t) => {
  const dir = tempLogDir(t);
  let log = await FileCommandLog.open({ dir, fsync: "off" });
  for (let i = 1; i <= 5; i++) log.append(push(i), i);
  await log.close();

  log = await FileCommandLog.open({ dir, fsync: "off", fromLsn: 101 });
  assert.equal(log.recovery.replayed, 0);
  assert.equal(log.append(push(101), 101).lsn, 101);
  await log.close();
  assert.deepEqual(segmentNames(dir), [segmentName(1), segmentName(101)]);
  // Reading everything shows the hole where the snapshot's records were.
  const { records, report } = readLog(dir);
  assert.deepEqual(records.map((r) => r.lsn), [1, 2, 3, 4, 5, 101]);
  assert.deepEqual(report.gaps, [{ from: 6, to: 100 }]);
  assert.equal(report.damage, undefined);
});

test("group commit under fsync always: concurrent appends share one fsync, acked only after it", async (t) => {
  const dir = tempLogDir(t);
  const metrics = new CountingMetrics();
  const log = await FileCommandLog.open({ dir, fsync: "always", metrics });
  const n = 1000;
  const acks: Promise<void>[] = [];
  const promises = new Set<Promise<void>>();
  for (let i = 1; i <= n; i++) {
    const { lsn, durable } = log.append(push(i), i);
    assert.ok(durable !== undefined);
    promises.add(durable);
    acks.push(durable.then(() => assert.ok(metrics.syncedThrough >= lsn, `LSN ${lsn} acked before its fsync`)));
  }
  assert.equal(metrics.syncs, 0);
  await Promise.all(acks);
  assert.equal(metrics.syncs, 1);
  assert.deepEqual(metrics.batchSizes, [n]);
  assert.equal(promises.size, 1, "one promise per batch, shared by its records");

  // Appends made while a batch is being written and fsynced form the next batch.
  const waves: Promise<void>[] = [];
  let appended = 0;
  for (let wave = 0; wave < 30; wave++) {
    for (let i = 0; i < 50; i++) {
      const lsn = n + ++appended;
      const { durable } = log.append(push(lsn), lsn);
      waves.push(durable!.then(() => assert.ok(metrics.syncedThrough >= lsn, `LSN ${lsn} acked before its fsync`)));
    }
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(waves);
  assert.ok(metrics.batches - 1 <= 30, `${metrics.batches - 1} batches for 30 turns of appends`);
  assert.equal(metrics.written, n + appended);
  await log.close();
  // One fsync per batch and close's own. (When the last ack came, an earlier batch's fsync may still
  // have been running: a later one, overlapping it, already covered that batch.)
  assert.equal(metrics.syncs, metrics.batches + 1);
  assert.equal(readLog(dir).records.length, n + appended);
});

test("fsync always with overlapping fdatasyncs: an ack waits for one that began after its record was written; acks come in LSN order", async (t) => {
  const dir = tempLogDir(t);
  const probe = await open(join(dirname(dir), "probe"), "w");
  const handle = Object.getPrototypeOf(probe) as FileHandle;
  await probe.close();
  const metrics = new CountingMetrics();
  const random = rng(11);
  let inFlight = 0;
  let mostInFlight = 0;
  /** Every record written before a finished fdatasync began (LSNs of a fresh log count records). */
  let durableThrough = 0;
  const datasync = handle.datasync;
  t.mock.method(handle, "datasync", async function (this: FileHandle): Promise<void> {
    const covers = metrics.written;
    mostInFlight = Math.max(mostInFlight, ++inFlight);
    try {
      // Uneven disk latency, so that fdatasyncs overlap and finish out of order.
      await sleep(random.next() * 4);
      await datasync.call(this);
    } finally {
      inFlight--;
    }
    durableThrough = Math.max(durableThrough, covers);
  });
  const log = await FileCommandLog.open({ dir, fsync: "always", metrics });
  const acked: number[] = [];
  const acks: Promise<void>[] = [];
  let lsn = 0;
  for (let turn = 0; turn < 60; turn++) {
    for (let i = 1 + Math.floor(random.next() * 30); i > 0; i--) {
      const { lsn: mine, durable } = log.append(push(++lsn), lsn);
      acks.push(
        durable!.then(() => {
          assert.ok(durableThrough >= mine, `LSN ${mine} acked before an fdatasync covered it`);
          acked.push(mine);
        }),
      );
    }
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(acks);
  assert.deepEqual(acked, Array.from({ length: lsn }, (_, i) => i + 1));
  assert.equal(mostInFlight, 2, "fdatasyncs overlap, two at most");
  await log.close();
  assert.equal(readLog(dir).records.length, lsn);
});

test("whenDurable: under always a replayed ack waits for its original; under interval and off nothing waits", async (t) => {
  const dir = tempLogDir(t);
  let log = await FileCommandLog.open({ dir, fsync: "always" });
  const a = log.append(push(1), 1);
  assert.equal(log.whenDurable(a.lsn), a.durable);
  await a.durable;
  assert.equal(log.whenDurable(a.lsn), undefined);
  assert.throws(() => log.whenDurable(99), RangeError);
  await log.close();

  for (const fsync of ["interval", "off"] as const) {
    log = await FileCommandLog.open({ dir, fsync });
    const b = log.append(push(2), 2);
    assert.equal(b.durable, undefined);
    assert.equal(log.whenDurable(b.lsn), undefined);
    await log.close();
  }
});

test("fsync interval fsyncs within the interval after writes, and not when idle; off never fsyncs", async (t) => {
  const dir = tempLogDir(t);
  const metrics = new CountingMetrics();
  let log = await FileCommandLog.open({ dir, fsync: "interval", fsyncIntervalMs: 10, metrics });
  for (let i = 1; i <= 100; i++) log.append(push(i), i);
  for (const deadline = Date.now() + 5000; metrics.syncedThrough < 100 && Date.now() < deadline; ) await sleep(5);
  assert.equal(metrics.syncedThrough, 100);
  const idle = metrics.syncs;
  await sleep(60);
  assert.equal(metrics.syncs, idle, "no fsync without new writes");
  await log.close();

  const off = new CountingMetrics();
  log = await FileCommandLog.open({ dir, fsync: "off", metrics: off });
  for (let i = 101; i <= 200; i++) log.append(push(i), i);
  await sleep(60);
  assert.equal(off.syncs, 0);
  await log.close();
  // close() flushes and fsyncs whatever the mode.
  assert.equal(off.batches, 1);
  assert.equal(off.syncs, 1);
  assert.equal(readLog(dir).records.length, 200);
});

test("deleteBefore removes whole segments below an LSN, never the active one", async (t) => {
  const dir = tempLogDir(t);
  const log = await FileCommandLog.open({ dir, fsync: "always", segmentBytes: SMALL_SEGMENTS });
  let last: Promise<void> | undefined;
  for (let i = 1; i <= 600; i++) last = log.append(push(i), i).durable;
  await last;
  const before = segmentNames(dir);
  assert.ok(before.length >= 5);
  const firsts = before.map((n) => Number(n.slice(0, 20)));

  // LSN 0 and the first segment's own first LSN free nothing.
  assert.equal(await log.deleteBefore(firsts[1]! - 1), 0);
  // Up to the third segment's first LSN: the first two segments go.
  assert.equal(await log.deleteBefore(firsts[2]!), 2);
  assert.deepEqual(segmentNames(dir), before.slice(2));
  // Past every LSN: everything but the active segment.
  assert.equal(await log.deleteBefore(Number.MAX_SAFE_INTEGER), before.length - 3);
  assert.deepEqual(segmentNames(dir), before.slice(-1));
  assert.equal(log.append(push(601), 601).lsn, 601);
  await log.close();

  const { records, report } = readLog(dir, firsts.at(-1)!);
  assert.equal(records[0]!.lsn, firsts.at(-1));
  assert.equal(records.at(-1)!.lsn, 601);
  assert.deepEqual(report.gaps, []);
  // Replaying from an LSN the log no longer has is reported, not silently skipped.
  assert.deepEqual(readLog(dir, 1).report.gaps, [{ from: 1, to: firsts.at(-1)! - 1 }]);
});

test("appends too far ahead of the disk are refused with resource_exhausted and take no LSN", async (t) => {
  const dir = tempLogDir(t);
  const log = await FileCommandLog.open({ dir, fsync: "off", maxPendingBytes: 1000 });
  let accepted = 0;
  for (let i = 1; i <= 50; i++) {
    try {
      assert.equal(log.append(push(i), i).lsn, ++accepted);
    } catch (e) {
      assert.ok(e instanceof TesseraError && e.code === "resource_exhausted");
    }
  }
  assert.ok(accepted > 0 && accepted < 50, `${accepted} accepted`);
  // Once the batch is handed to the disk there is room again.
  await new Promise((r) => setImmediate(r));
  assert.equal(log.append(push(0), 0).lsn, accepted + 1);
  await log.close();
  assert.equal(readLog(dir).records.length, accepted + 1);
});

test("close flushes everything, is idempotent, and later appends are refused", async (t) => {
  const dir = tempLogDir(t);
  const log = await FileCommandLog.open({ dir, fsync: "interval", fsyncIntervalMs: 10_000 });
  for (let i = 1; i <= 50; i++) log.append(push(i), i);
  const closing = log.close();
  assert.equal(log.close(), closing);
  await closing;
  assert.throws(() => log.append(push(51), 51), (e: unknown) => e instanceof TesseraError && e.code === "wal_unavailable");
  assert.equal(readLog(dir).records.length, 50);
});

test("an unusable log directory is a clear wal_unavailable error at start-up", async (t) => {
  const dir = tempLogDir(t);
  mkdirSync(dir);
  const file = join(dir, "not-a-dir");
  writeFileSync(file, "x");
  await assert.rejects(FileCommandLog.open({ dir: join(file, "log"), fsync: "always" }), (e: unknown) => {
    assert.ok(e instanceof TesseraError);
    assert.equal(e.code, "wal_unavailable");
    assert.match(e.message, /cannot open the command log in .*not-a-dir\/log: ENOTDIR/);
    return true;
  });
});

test("a segment from a newer format version is refused, not cut", async (t) => {
  const dir = tempLogDir(t);
  mkdirSync(dir);
  const header = Buffer.from(SEGMENT_HEADER);
  header.writeUInt16LE(2, 6);
  const path = join(dir, segmentName(1));
  writeFileSync(path, Buffer.concat([header, Buffer.alloc(100, 7)]));
  await assert.rejects(FileCommandLog.open({ dir, fsync: "off" }), /format 2; this build reads format 1/);
  assert.ok(existsSync(path));
  assert.equal(existsSync(join(dir, "quarantine")), false);
});

test("metrics land in a prom-client registry", async (t) => {
  const dir = tempLogDir(t);
  const registry = new Registry();
  const log = await FileCommandLog.open({ dir, fsync: "always", metrics: new PrometheusLogMetrics(registry) });
  await Promise.all(Array.from({ length: 20 }, (_, i) => log.append(push(i), i).durable));
  await log.close();
  const text = await registry.metrics();
  assert.match(text, /^tessera_log_written_records_total 20$/m);
  assert.match(text, /^tessera_log_written_bytes_total \d+$/m);
  assert.match(text, /^tessera_log_batch_records_count 1$/m);
  assert.match(text, /^tessera_log_fsync_duration_seconds_count 2$/m);
  assert.match(text, /^tessera_log_failed 0$/m);
  assert.match(text, /^tessera_log_recovery_replayed_records 0$/m);
});
