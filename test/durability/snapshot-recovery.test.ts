import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { rng } from "../../bench/lib/random.ts";
import { HttpDataPlaneClient } from "../../src/client/index.ts";
import { lsnOfName } from "../../src/storage/snapshot-format.ts";
import { metric, startDurable, tempDataDir, WARN, type DurableServer } from "./durable-server.ts";
import { oracle, servedRows, txnSource, TXN, USER_STATS, type Txn } from "./txn-workload.ts";

const snapshotsOf = (dir: string): string[] => readdirSync(join(dir, "snapshots")).filter((f) => f.endsWith(".snap")).sort();

async function pushAll(server: DurableServer, txns: readonly Txn[]): Promise<void> {
  const client = new HttpDataPlaneClient({ url: server.url });
  for (const txn of txns) await client.push("txn", txn);
  await client.close();
}

function loadedLsn(server: DurableServer): number | undefined {
  const line = server.logs().find((l) => l.msg === "snapshot loaded");
  return line === undefined ? undefined : Number(line["lsn"]);
}

function replayed(server: DurableServer): number {
  return Number(server.logs().find((l) => l.msg === "command log recovered")?.["replayed"]);
}

/** Flips one bit in the middle of a file. */
function flipBit(path: string): void {
  const bytes = readFileSync(path);
  bytes[bytes.length >> 1]! ^= 0x10;
  writeFileSync(path, bytes);
}

test("snapshots: written on SIGTERM and loaded at start; a damaged newest snapshot falls back to the previous one plus the log; all damaged -> the whole log", { timeout: 120_000 }, async (t) => {
  const dir = tempDataDir(t);
  const next = txnSource(rng(7), "s");
  const sent: Txn[] = [];
  const batch = (n: number): Txn[] => {
    const txns = Array.from({ length: n }, next);
    sent.push(...txns);
    return txns;
  };

  // Run 1: registration + 40 pushes, SIGTERM -> snapshot A.
  let server = await startDurable(dir, { fsync: "interval" });
  t.after(() => server.kill());
  const admin = new HttpDataPlaneClient({ url: server.url });
  await admin.register([TXN, USER_STATS]);
  await admin.close();
  await pushAll(server, batch(40));
  assert.equal(await server.stop(), 0);
  const [a] = snapshotsOf(dir);
  assert.ok(a !== undefined, "a snapshot was written on shutdown");
  assert.equal(lsnOfName(a), 41, "it covers the registration and the 40 pushes");

  // Run 2 starts from A with nothing to replay; 30 more pushes, SIGTERM -> snapshot B.
  server = await startDurable(dir, { fsync: "interval" });
  assert.equal(loadedLsn(server), 41);
  assert.equal(replayed(server), 0);
  assert.deepEqual(await servedRows(server), oracle(sent));
  assert.equal(await metric(server, "tessera_log_recovery_replayed_records"), 0);
  await pushAll(server, batch(30));
  const expected = await servedRows(server);
  assert.deepEqual(expected, oracle(sent));
  assert.equal(await server.stop(), 0);
  const [, b] = snapshotsOf(dir);
  assert.equal(lsnOfName(b!), 71);

  // Run 3: B is bit-flipped -> quarantined, A + the log after it.
  flipBit(join(dir, "snapshots", b!));
  // A temp file of a snapshot write a crash interrupted is cleaned up.
  writeFileSync(join(dir, "snapshots", `${"9".padStart(20, "0")}.snap.tmp`), "partial");
  server = await startDurable(dir, { fsync: "interval" });
  assert.equal(loadedLsn(server), 41);
  assert.equal(replayed(server), 30);
  assert.deepEqual(await servedRows(server), expected);
  const damaged = server.logs().filter((l) => l.level === WARN && l.msg.startsWith("snapshot damaged"));
  assert.equal(damaged.length, 1, "the damaged snapshot is reported");
  assert.ok(existsSync(join(dir, "snapshots", "quarantine", b!)), "and kept aside in quarantine");
  assert.ok(!readdirSync(join(dir, "snapshots")).some((f) => f.endsWith(".tmp")), "leftover temp files are removed");
  assert.equal(await server.stop(), 0);

  // Run 4: every snapshot damaged (one truncated, one flipped) -> the whole log is replayed.
  const left = snapshotsOf(dir);
  assert.ok(left.length >= 1);
  for (const [i, f] of left.entries()) {
    const path = join(dir, "snapshots", f);
    if (i % 2 === 0) truncateSync(path, Math.floor(readFileSync(path).length / 2));
    else flipBit(path);
  }
  server = await startDurable(dir, { fsync: "interval" });
  assert.equal(loadedLsn(server), undefined);
  assert.equal(replayed(server), 71);
  assert.deepEqual(await servedRows(server), expected);
  assert.equal(await server.stop(), 0);
});

test("a snapshot taken while pushes keep arriving (every 50 ms) holds exactly the state at its LSN", { timeout: 120_000 }, async (t) => {
  const dir = tempDataDir(t);
  const next = txnSource(rng(11), "c");
  const sent: Txn[] = [];
  // fsync always: every acknowledged push is on disk when the kill comes.
  let server = await startDurable(dir, { snapshotIntervalMs: 50 });
  t.after(() => server.kill());
  const client = new HttpDataPlaneClient({ url: server.url });
  await client.register([TXN, USER_STATS]);
  const deadline = Date.now() + 1500;
  while (Date.now() < deadline || snapshotsOf(dir).length < 2) {
    const txns = Array.from({ length: 20 }, next);
    sent.push(...txns);
    await Promise.all(txns.map((txn) => client.push("txn", txn)));
  }
  await client.close();
  assert.ok(((await metric(server, "tessera_snapshot_last_max_pause_seconds")) ?? Infinity) < 1, "slices are short");
  // On demand through the admin listener: a snapshot at the last LSN, then nothing left to write.
  const onDemand = async (): Promise<any> => (await fetch(`${server.adminUrl}/snapshot`, { method: "POST" })).json();
  const first = await onDemand();
  assert.ok(first.lsn === 1 + sent.length && (first.written === false || first.bytes > 0), JSON.stringify(first));
  assert.deepEqual(await onDemand(), { written: false, lsn: 1 + sent.length });
  await server.kill();

  // Recovery from the newest periodic snapshot (not a shutdown one) plus the log after it.
  server = await startDurable(dir);
  const lsn = loadedLsn(server);
  assert.ok(lsn !== undefined && lsn > 1, "recovery started from a snapshot taken under load");
  assert.equal(replayed(server), 1 + sent.length - lsn, "and replayed the records after it");
  assert.deepEqual(await servedRows(server), oracle(sent));
  assert.equal(await server.stop(), 0);
});
