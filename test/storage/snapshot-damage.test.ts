import { test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { rng } from "../../bench/lib/random.ts";
import { SnapshotDamageError } from "../../src/storage/snapshot-reader.ts";
import { RECORD_DATA_OFFSET, recordChecksum, SECTION_END, SNAPSHOT_HEADER_BYTES, snapshotName } from "../../src/storage/snapshot-format.ts";
import { SnapshotStore, type SnapshotChunk, type SnapshotDamageReason } from "../../src/storage/snapshot-store.ts";
import { loadAll, randomChunks, tempSnapshotDir, writeSnapshot, type Loaded } from "./snapshot-helpers.ts";

/** Record offsets of a snapshot file, parsed independently of the reader under test; the last is the footer. */
function recordOffsets(bytes: Buffer): number[] {
  const out: number[] = [];
  for (let at = SNAPSHOT_HEADER_BYTES; at + 8 <= bytes.length; at += 8 + bytes.readUInt32LE(at)) out.push(at);
  return out;
}

interface Fixture {
  readonly dir: string;
  readonly older: readonly SnapshotChunk[];
  readonly newer: readonly SnapshotChunk[];
  /** The newer snapshot's path and intact bytes. */
  readonly path: string;
  readonly bytes: Buffer;
}

/** Two snapshots: LSN 10 (the fallback) and LSN 20 (the one the tests damage). */
async function fixture(dir: string, chunks = 6): Promise<Fixture> {
  const store = await SnapshotStore.open({ dir });
  const older = randomChunks(rng(10), chunks, 40);
  const newer = randomChunks(rng(20), chunks, 40);
  await writeSnapshot(store, 10, older);
  const info = await writeSnapshot(store, 20, newer);
  return { dir, older, newer, path: info.path, bytes: readFileSync(info.path) };
}

/** Puts `bytes` in place of the newer snapshot (and the older one back, were it quarantined) and loads. */
async function loadWith(f: Fixture, bytes: Uint8Array): Promise<Loaded> {
  rmSync(join(f.dir, "quarantine"), { recursive: true, force: true });
  writeFileSync(f.path, bytes);
  return loadAll(await SnapshotStore.open({ dir: f.dir }));
}

/** The newer snapshot was skipped (for `reason`) and moved aside; only the older one reached the consumer. */
function fellBack(f: Fixture, loaded: Loaded, reason?: SnapshotDamageReason, offset?: number): void {
  const { report, consumed } = loaded;
  assert.equal(report.outcome, "fallback");
  assert.equal(report.skipped.length, 1);
  const skipped = report.skipped[0]!;
  if (reason !== undefined) assert.equal(skipped.reason, reason);
  if (offset !== undefined) assert.equal(skipped.offset, offset);
  assert.equal(skipped.file, f.path);
  assert.equal(skipped.quarantined, join(f.dir, "quarantine", snapshotName(20)));
  assert.ok(existsSync(skipped.quarantined) && !existsSync(f.path));
  assert.deepEqual(consumed.map((c) => c.lsn), [10], "nothing of the damaged file was handed out");
  assert.deepEqual(consumed[0]!.chunks, f.older);
}

test("a snapshot cut at every byte (header, record prefixes, data, footer) is reported truncated and the older one loads", async (t) => {
  const f = await fixture(tempSnapshotDir(t));
  const offsets = recordOffsets(f.bytes);
  assert.equal(offsets.length, f.newer.length + 1);
  for (let cut = 0; cut < f.bytes.length; cut++) {
    const loaded = await loadWith(f, f.bytes.subarray(0, cut));
    // Where the reader stops: the header, or the record the cut falls in (or the missing one after the last).
    const expected = cut < SNAPSHOT_HEADER_BYTES ? 0 : offsets.findLast((o) => o <= cut)!;
    fellBack(f, loaded, "truncated", expected);
  }
});

test("bytes after the footer, a renamed file and foreign files are damage, each with its reason", async (t) => {
  const f = await fixture(tempSnapshotDir(t));
  fellBack(f, await loadWith(f, Buffer.concat([f.bytes, Buffer.from([0])])), "trailing_bytes", f.bytes.length);
  fellBack(f, await loadWith(f, Buffer.alloc(4096)), "bad_header", 0);
  fellBack(f, await loadWith(f, Buffer.from("TSRLOG\x01\x00 not a snapshot at all, a log segment")), "bad_header", 0);

  // A record whose length is 0 (no section byte): impossible.
  const zero = Buffer.from(f.bytes);
  zero.writeUInt32LE(0, SNAPSHOT_HEADER_BYTES);
  fellBack(f, await loadWith(f, zero), "bad_length", SNAPSHOT_HEADER_BYTES);

  // An intact snapshot under another LSN's name.
  rmSync(join(f.dir, "quarantine"), { recursive: true, force: true });
  writeFileSync(f.path, f.bytes);
  const renamed = join(f.dir, snapshotName(30));
  renameSync(f.path, renamed);
  const { report, consumed } = await loadAll(await SnapshotStore.open({ dir: f.dir }));
  assert.deepEqual(report.skipped.map((s) => [s.file, s.reason]), [[renamed, "lsn_mismatch"]]);
  assert.deepEqual(consumed.map((c) => c.lsn), [10]);
});

test("a footer whose counts do not match is bad_footer; an unknown section is bad_section", async (t) => {
  const f = await fixture(tempSnapshotDir(t));
  const footer = recordOffsets(f.bytes).at(-1)!;
  const reseal = (b: Buffer, at: number): Buffer => {
    b.writeUInt32LE(recordChecksum(b[at + 8]!, b.subarray(at + RECORD_DATA_OFFSET, at + 8 + b.readUInt32LE(at))), at + 4);
    return b;
  };
  const count = Buffer.from(f.bytes);
  count[footer + RECORD_DATA_OFFSET]! += 1;
  fellBack(f, await loadWith(f, reseal(count, footer)), "bad_footer", footer);

  const section = Buffer.from(f.bytes);
  section[SNAPSHOT_HEADER_BYTES + 8] = 7;
  fellBack(f, await loadWith(f, reseal(section, SNAPSHOT_HEADER_BYTES)), "bad_section", SNAPSHOT_HEADER_BYTES);

  // An end marker early: the footer's counts say otherwise (and the real footer would follow it).
  const early = Buffer.from(f.bytes);
  early[SNAPSHOT_HEADER_BYTES + 8] = SECTION_END;
  fellBack(f, await loadWith(f, reseal(early, SNAPSHOT_HEADER_BYTES)), "bad_footer", SNAPSHOT_HEADER_BYTES);
});

test("random corruption anywhere (property): never throws, never hands out a chunk that was not written, always loads one snapshot whole", async (t) => {
  const f = await fixture(tempSnapshotDir(t), 4);
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ offset: fc.nat({ max: f.bytes.length - 1 }), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 3 }),
      async (flips) => {
        const damaged = Buffer.from(f.bytes);
        for (const { offset, xor } of flips) damaged[offset]! ^= xor;
        const loaded = await loadWith(f, damaged);
        if (damaged.equals(f.bytes)) {
          assert.equal(loaded.report.outcome, "loaded");
          return;
        }
        // Caught at the record (or header) holding the first damaged byte, or before it.
        fellBack(f, loaded);
        assert.ok(loaded.report.skipped[0]!.offset! <= Math.min(...flips.map((x) => x.offset)));
      },
    ),
    { numRuns: 150 },
  );
});

test("single bit flips at every byte of a small snapshot each fall back", async (t) => {
  const f = await fixture(tempSnapshotDir(t), 2);
  for (let offset = 0; offset < f.bytes.length; offset++) {
    const damaged = Buffer.from(f.bytes);
    damaged[offset]! ^= 1 << offset % 8;
    const loaded = await loadWith(f, damaged);
    fellBack(f, loaded);
    assert.ok(loaded.report.skipped[0]!.offset! <= offset, `flip at ${offset}`);
  }
});

test("every snapshot damaged: nothing is handed out, the report says start cold", async (t) => {
  const f = await fixture(tempSnapshotDir(t));
  writeFileSync(join(f.dir, snapshotName(10)), Buffer.alloc(0));
  const { report, consumed } = await loadWith(f, f.bytes.subarray(0, f.bytes.length - 1));
  assert.equal(report.outcome, "none");
  assert.equal(report.loaded, undefined);
  assert.deepEqual(report.skipped.map((s) => [s.reason, s.file]), [
    ["truncated", f.path],
    ["truncated", join(f.dir, snapshotName(10))],
  ]);
  assert.deepEqual(consumed, []);
});

test("bytes that change after validation are caught as the chunks are read, even when the consumer swallows the error", async (t) => {
  const dir = tempSnapshotDir(t);
  const store = await SnapshotStore.open({ dir });
  await writeSnapshot(store, 1, [{ section: "engine", bytes: new Uint8Array([1, 2, 3]) }]);
  // Larger than the reader's 4 MiB window, so the first record is read from the file again.
  const big = await writeSnapshot(store, 2, [
    { section: "engine", bytes: new Uint8Array(1024).fill(1) },
    { section: "engine", bytes: new Uint8Array(5 * 1024 * 1024).fill(2) },
  ]);
  const seen: number[][] = [];
  const report = await store.loadNewest((s) => {
    if (s.lsn === 2) {
      const fd = openSync(big.path, "r+");
      writeSync(fd, Buffer.from([9]), 0, 1, SNAPSHOT_HEADER_BYTES + RECORD_DATA_OFFSET + 10);
      closeSync(fd);
    }
    try {
      for (const c of s.chunks) seen.push([s.lsn, c.bytes.length]);
    } catch (e) {
      assert.ok(e instanceof SnapshotDamageError);
    }
  });
  assert.deepEqual(seen, [[1, 3]], "the changed record was never handed out");
  assert.deepEqual(report.skipped.map((s) => [s.reason, s.offset]), [["checksum_mismatch", SNAPSHOT_HEADER_BYTES]]);
  assert.equal(report.loaded?.lsn, 1);
});
