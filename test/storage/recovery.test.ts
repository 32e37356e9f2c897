import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rng } from "../../bench/lib/random.ts";
import { FileCommandLog } from "../../src/storage/file-command-log.ts";
import { recoverLog, type DamageReason } from "../../src/storage/recover-log.ts";
import { lengthFor, RECORD_HEADER_BYTES, sealRecord } from "../../src/storage/record-format.ts";
import { listSegments, SEGMENT_HEADER, SEGMENT_HEADER_BYTES, segmentName } from "../../src/storage/segment-files.ts";
import { push, readLog, recordOffsets, tempLogDir } from "./log-helpers.ts";

async function writeLog(dir: string, n: number, segmentBytes?: number): Promise<void> {
  const log = await FileCommandLog.open({ dir, fsync: "off", segmentBytes });
  for (let i = 1; i <= n; i++) log.append(push(i, { note: "n".repeat(i % 13) }), i);
  await log.close();
}

/** Snapshot of every file of a flat directory, to restore it between trials. */
function saveFiles(dir: string): Map<string, Buffer> {
  return new Map(readdirSync(dir).filter((n) => n.endsWith(".log")).map((n) => [n, readFileSync(join(dir, n))]));
}

function restoreFiles(dir: string, files: Map<string, Buffer>): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes);
}

async function appendsContinueAt(dir: string, lsn: number): Promise<void> {
  const log = await FileCommandLog.open({ dir, fsync: "off" });
  assert.equal(log.recovery.damage, undefined, "the first recovery left a clean log");
  assert.equal(log.append(push(lsn), lsn).lsn, lsn);
  await log.close();
  const { records, report } = readLog(dir);
  assert.equal(report.damage, undefined);
  assert.deepEqual(records.map((r) => r.lsn), Array.from({ length: lsn }, (_, i) => i + 1));
}

test("a tail torn at every byte of the last record: earlier records kept, the tail reported and cut", async (t) => {
  const dir = tempLogDir(t);
  const n = 20;
  await writeLog(dir, n);
  const path = join(dir, segmentName(1));
  const full = readFileSync(path);
  const lastStart = recordOffsets(path).at(-1)!;

  for (let cut = lastStart; cut < full.length; cut++) {
    restoreFiles(dir, new Map([[segmentName(1), full.subarray(0, cut)]]));
    const { records, report } = readLog(dir);
    assert.equal(records.length, n - 1, `cut at ${cut}`);
    assert.equal(report.lastValidLsn, n - 1);
    if (cut === lastStart) {
      assert.equal(report.damage, undefined);
    } else {
      assert.equal(report.damage?.reason, "torn_tail", `cut at ${cut}`);
      assert.equal(report.damage.file, path);
      assert.equal(report.damage.offset, lastStart);
      assert.equal(report.damage.droppedBytes, cut - lastStart);
      assert.deepEqual(readFileSync(report.damage.quarantined[0]!), full.subarray(lastStart, cut));
    }
    assert.equal(statSync(path).size, lastStart);
  }
  await appendsContinueAt(dir, n);
});

test("a zero-filled tail (blocks allocated but never written) is cut like a torn one", async (t) => {
  const dir = tempLogDir(t);
  await writeLog(dir, 10);
  const path = join(dir, segmentName(1));
  const size = statSync(path).size;
  appendFileSync(path, Buffer.alloc(4096));
  const { records, report } = readLog(dir);
  assert.equal(records.length, 10);
  assert.equal(report.damage?.reason, "bad_length");
  assert.equal(report.damage.offset, size);
  assert.equal(statSync(path).size, size);
  await appendsContinueAt(dir, 11);
});

test("a bit flipped in a random record: replay stops just before it, later segments are set aside", async (t) => {
  const dir = tempLogDir(t);
  const n = 400;
  await writeLog(dir, n, 4096);
  const original = saveFiles(dir);
  // Where each LSN lives, parsed independently of the reader.
  const locations: { name: string; offset: number; end: number }[] = [];
  for (const name of [...original.keys()].sort()) {
    const offsets = recordOffsets(join(dir, name));
    offsets.forEach((o, i) => locations.push({ name, offset: o, end: offsets[i + 1] ?? original.get(name)!.length }));
  }
  assert.equal(locations.length, n);
  const random = rng(20240611);
  const reasons = new Set<DamageReason>();

  for (let trial = 0; trial < 60; trial++) {
    restoreFiles(dir, original);
    const lsn = 1 + Math.floor(random.next() * n);
    const at = locations[lsn - 1]!;
    const byte = at.offset + Math.floor(random.next() * (at.end - at.offset));
    const bit = 1 << Math.floor(random.next() * 8);
    const bytes = Buffer.from(original.get(at.name)!);
    bytes[byte]! ^= bit;
    writeFileSync(join(dir, at.name), bytes);

    const { records, report } = readLog(dir);
    const label = `trial ${trial}: LSN ${lsn}, byte ${byte - at.offset} of its record`;
    assert.equal(records.length, lsn - 1, label);
    assert.equal(report.lastValidLsn, lsn - 1, label);
    assert.ok(report.damage !== undefined, label);
    assert.equal(report.damage.file, join(dir, at.name), label);
    assert.equal(report.damage.offset, at.offset, label);
    reasons.add(report.damage.reason);
    // The segments after the damaged one are moved whole into the quarantine, not deleted.
    const later = [...original.keys()].filter((name) => name > at.name);
    assert.deepEqual(readdirSync(dir).filter((name) => name.endsWith(".log")).sort(), [...original.keys()].filter((name) => name <= at.name).sort());
    assert.equal(report.damage.quarantined.length, 1 + later.length, label);
    if (trial % 20 === 0) await appendsContinueAt(dir, lsn);
  }
  assert.ok(reasons.has("checksum_mismatch"));
});

test("a damaged segment header: the segment becomes a bare header and appends continue at its name", async (t) => {
  const dir = tempLogDir(t);
  await writeLog(dir, 300, 4096);
  const segments = listSegments(dir);
  const third = segments[2]!;
  const bytes = readFileSync(third.path);
  bytes.write("XXXX", 0, "latin1");
  writeFileSync(third.path, bytes);

  const { records, report } = readLog(dir);
  assert.equal(report.damage?.reason, "bad_segment_header");
  assert.equal(report.damage.offset, 0);
  assert.equal(records.length, third.firstLsn - 1);
  assert.equal(report.lastValidLsn, third.firstLsn - 1);
  assert.deepEqual(readFileSync(third.path), SEGMENT_HEADER);
  assert.deepEqual(listSegments(dir).map((s) => s.firstLsn), segments.slice(0, 3).map((s) => s.firstLsn));
  await appendsContinueAt(dir, third.firstLsn);
});

test("a last segment created but never written (crash after the roll) is repaired in place", async (t) => {
  const dir = tempLogDir(t);
  await writeLog(dir, 5);
  writeFileSync(join(dir, segmentName(6)), SEGMENT_HEADER.subarray(0, 3));
  const { report } = readLog(dir);
  assert.equal(report.damage?.reason, "torn_tail");
  assert.equal(report.lastValidLsn, 5);
  assert.equal(statSync(join(dir, segmentName(6))).size, SEGMENT_HEADER_BYTES);
  await appendsContinueAt(dir, 6);
});

test("a segment whose name overlaps the previous one's records is set aside whole", async (t) => {
  const dir = tempLogDir(t);
  await writeLog(dir, 300, 4096);
  const segments = listSegments(dir);
  const last = segments.at(-1)!;
  const misnamed = join(dir, segmentName(last.firstLsn - 3));
  renameSync(last.path, misnamed);
  const { records, report } = readLog(dir);
  assert.equal(report.damage?.reason, "lsn_out_of_sequence");
  assert.equal(report.damage.file, misnamed);
  assert.equal(records.length, last.firstLsn - 1);
  assert.equal(existsSync(misnamed), false);
  assert.equal(report.damage.quarantined.length, 1);
  await appendsContinueAt(dir, last.firstLsn);
});

test("an intact record whose command cannot be decoded stops replay as undecodable_command", async (t) => {
  const dir = tempLogDir(t);
  await writeLog(dir, 5);
  const command = Buffer.from([9, 1, 2, 3]);
  const length = lengthFor(command.length);
  const record = Buffer.alloc(8 + length);
  command.copy(record, RECORD_HEADER_BYTES);
  sealRecord(record, 0, length, 6, 6);
  appendFileSync(join(dir, segmentName(1)), record);
  const { records, report } = readLog(dir);
  assert.equal(records.length, 5);
  assert.equal(report.damage?.reason, "undecodable_command");
});

test("recovery never throws on garbage and always leaves a log that accepts appends", async (t) => {
  const dir = tempLogDir(t);
  const random = rng(7);
  for (let trial = 0; trial < 40; trial++) {
    rmSync(dir, { recursive: true, force: true });
    await writeLog(dir, 3);
    const garbage = Buffer.from(Array.from({ length: Math.floor(random.next() * 300) }, () => Math.floor(random.next() * 256)));
    // Garbage after intact records, or as a whole segment of its own (with or without our header).
    if (trial % 3 === 0) appendFileSync(join(dir, segmentName(1)), garbage);
    else if (trial % 3 === 1) writeFileSync(join(dir, segmentName(4)), garbage);
    else writeFileSync(join(dir, segmentName(4)), Buffer.concat([SEGMENT_HEADER, garbage]));
    const { records } = readLog(dir);
    assert.deepEqual(records.map((r) => r.lsn), [1, 2, 3], `trial ${trial}`);
    await appendsContinueAt(dir, 4);
  }
});

test("segments wholly before fromLsn are not read", async (t) => {
  const dir = tempLogDir(t);
  await writeLog(dir, 300, 4096);
  const segments = listSegments(dir);
  // Damage in a segment recovery does not need is not even seen.
  truncateSync(segments[0]!.path, 20);
  const from = segments[2]!.firstLsn + 1;
  const seen: number[] = [];
  const report = recoverLog({ dir, fromLsn: from, onRecord: (r) => seen.push(r.lsn) });
  assert.equal(report.damage, undefined);
  assert.equal(seen[0], from);
  assert.equal(seen.at(-1), 300);
  assert.equal(report.replayed, 300 - from + 1);
  assert.equal(report.bytesRead, segments.slice(2).reduce((sum, s) => sum + statSync(s.path).size, 0));
});
