import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { rng } from "../../bench/lib/random.ts";
import { HttpDataPlaneClient } from "../../src/client/index.ts";
import { segmentName } from "../../src/storage/segment-files.ts";
import { recordOffsets } from "../storage/log-helpers.ts";
import { metric, startDurable, tempDataDir, WARN } from "./durable-server.ts";
import { oracle, servedRows, txnSource, TXN, USER_STATS, type Txn } from "./txn-workload.ts";

const PUSHES = 80;
const random = rng(5150);

/** A data dir whose log holds a registration (LSN 1) and PUSHES pushes (LSN 2...), written by a real server. */
let pristine: string;
/** The pushes by LSN. */
const pushed = new Map<number, Txn>();

before(async () => {
  pristine = mkdtempSync(join(tmpdir(), "tessera-durability-"));
  const server = await startDurable(pristine);
  const client = new HttpDataPlaneClient({ url: server.url });
  await client.register([TXN, USER_STATS]);
  const next = txnSource(random, "d");
  for (let i = 0; i < PUSHES; i++) {
    const txn = next();
    pushed.set((await client.push("txn", txn)).ackLsn, txn);
  }
  await client.close();
  assert.equal(await server.stop(), 0);
  // The shutdown wrote a snapshot holding every push; these tests are about the log alone, so
  // recovery must start from the log (snapshot damage is test/durability/snapshot-recovery.test.ts).
  rmSync(join(pristine, "snapshots"), { recursive: true, force: true });
});
after(() => rmSync(pristine, { recursive: true, force: true }));

interface Damage {
  /** The reason recovery must report. */
  readonly reason: string;
  /** Damages the record at [recordStart, recordEnd) of the segment, in place or by truncating the file. */
  apply(path: string, recordStart: number, recordEnd: number): void;
}

const DAMAGES: Record<string, Damage> = {
  "truncated inside a record": {
    reason: "torn_tail",
    apply(path, start, end) {
      truncateSync(path, start + 1 + Math.floor(random.next() * (end - start - 1)));
    },
  },
  "a bit flipped in a record's checksum or checksummed bytes": {
    reason: "checksum_mismatch",
    apply(path, start, end) {
      const bytes = readFileSync(path);
      const at = start + 4 + Math.floor(random.next() * (end - start - 4));
      bytes[at]! ^= 1 << Math.floor(random.next() * 8);
      writeFileSync(path, bytes);
    },
  },
  "the top bit of a record's length flipped": {
    reason: "bad_length",
    apply(path, start) {
      const bytes = readFileSync(path);
      bytes[start + 3]! ^= 0x80;
      writeFileSync(path, bytes);
    },
  },
};

describe("a damaged log tail: the server starts, serves what precedes the damage, reports it, and takes new pushes", () => {
  for (const [name, damage] of Object.entries(DAMAGES)) {
    test(name, { timeout: 30_000 }, async (t) => {
      const dir = tempDataDir(t);
      cpSync(pristine, dir, { recursive: true });
      const segment = join(dir, "log", segmentName(1));
      const offsets = recordOffsets(segment);
      assert.equal(offsets.length, 1 + PUSHES);
      // Damage a random push record (LSN 2 and up), so everything from it on is lost.
      const lsn = 2 + Math.floor(random.next() * PUSHES);
      const size = statSync(segment).size;
      // Recovery stops at the start of the damaged record.
      const cut = offsets[lsn - 1]!;
      damage.apply(segment, cut, lsn < offsets.length ? offsets[lsn]! : size);
      t.diagnostic(`damaged LSN ${lsn}, the record at offset ${cut} of ${size} bytes`);

      const server = await startDurable(dir);
      t.after(() => server.kill());
      const survivors = [...pushed].filter(([l]) => l < lsn).map(([, txn]) => txn);
      assert.deepEqual(await servedRows(server), oracle(survivors), "the records before the damage are served");

      const warning = server.logs().find((l) => l.level === WARN && l["reason"] !== undefined);
      assert.ok(warning !== undefined, `a warning names the damage:\n${server.stderr()}`);
      assert.equal(warning["reason"], damage.reason);
      assert.match(warning.msg, /damaged/);
      assert.equal(warning["offset"], cut);
      assert.equal(await metric(server, "tessera_log_recovery_damaged", `reason="${damage.reason}"`), 1);
      assert.equal(await metric(server, "tessera_log_recovery_replayed_records"), lsn - 1);
      assert.equal(await metric(server, "tessera_log_recovery_dropped_bytes"), warning["droppedBytes"]);
      assert.ok((warning["droppedBytes"] as number) > 0);
      assert.equal(readdirSync(join(dir, "log", "quarantine")).length, 1, "the cut bytes are kept in the quarantine");

      // New pushes continue the LSNs after the last intact record; a lost event can be pushed again,
      // an intact one is still a replay.
      const client = new HttpDataPlaneClient({ url: server.url });
      const lost = pushed.get(lsn)!;
      const again = await client.push("txn", lost);
      assert.deepEqual([again.ackLsn, again.idempotentReplay], [lsn, false], "the first new record takes the damaged record's LSN");
      if (lsn > 2) assert.equal((await client.push("txn", pushed.get(2)!)).idempotentReplay, true);
      await client.close();
      assert.equal(await server.stop(), 0);

      // The cut is durable: the next start finds a clean log holding the new record.
      const next = await startDurable(dir);
      t.after(() => next.kill());
      assert.equal(next.logs().filter((l) => l.level >= WARN && /command log/.test(l.msg)).length, 0, next.stderr());
      assert.deepEqual(await servedRows(next), oracle([...survivors, lost]));
      assert.equal(await next.stop(), 0);
    });
  }
});
