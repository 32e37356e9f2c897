import assert from "node:assert/strict";
import { test } from "node:test";
import { rng } from "../../bench/lib/random.ts";
import { HttpDataPlaneClient } from "../../src/client/index.ts";
import { metric, startDurable, tempDataDir, type DurableServer } from "./durable-server.ts";
import { loggedPushes } from "./logged-pushes.ts";
import { pushUntilFailure, type LoadShape } from "./push-load.ts";
import { oracle, servedRows, txnSource, TXN, USER_STATS, type Txn } from "./txn-workload.ts";

const CYCLES = 8;
const SHAPE: LoadShape = { httpClients: 2, httpWorkers: 3, tcpClients: 2, tcpDepth: 16 };
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `snapshotIntervalMs`: with snapshots taken every few ms, kills land before, during (a temp file
 * left behind) and after snapshot writes, and recovery starts from a snapshot taken while pushes were
 * being applied (copy-on-write) — the recovered state must still be exactly the logged events.
 */
function killCycles(title: string, seed: number, snapshotIntervalMs: number | undefined): void {
test(title, { timeout: 120_000 }, async (t) => {
  const dir = tempDataDir(t);
  const random = rng(seed);
  const options = { snapshotIntervalMs };
  /** Every event ever sent, by id. */
  const sent = new Map<string, Txn>();
  /** Every acknowledged id (load acks and retry acks), with its LSN. */
  const acked = new Map<string, number>();

  let server: DurableServer = await startDurable(dir, options);
  t.after(() => server.kill());
  const admin = new HttpDataPlaneClient({ url: server.url });
  await admin.register([TXN, USER_STATS]);
  await admin.close();
  /** The highest LSN in the log before the current cycle's load; the registration is LSN 1. */
  let before = 1;

  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const load = pushUntilFailure(server, SHAPE, txnSource(random, `c${cycle}`));
    // A random moment once pushes are being acknowledged (a busy box may take a while to get there).
    const killAfterMs = Math.floor(random.next() * 600);
    await Promise.race([load.firstAck, load.done]);
    await pause(killAfterMs);
    await server.kill();
    const outcome = await load.done;
    for (const txn of outcome.sent) sent.set(txn.id, txn);
    for (const [id, lsn] of outcome.acked) acked.set(id, lsn);
    assert.ok(outcome.acked.size > 0, `cycle ${cycle}: pushes were acknowledged before the kill`);
    assert.deepEqual([...outcome.errorCodes], ["unavailable"], `cycle ${cycle}: pushes failed only because the server went away`);

    // acked ⊆ logged ⊆ sent, each acked push at the LSN it was acknowledged with.
    const log = loggedPushes(dir);
    for (const [id, lsn] of acked) assert.equal(log.pushes.get(id)?.lsn, lsn, `cycle ${cycle}: acked ${id} (LSN ${lsn}) is not in the log at that LSN`);
    for (const [id, { txn }] of log.pushes) assert.deepEqual(txn, sent.get(id), `cycle ${cycle}: the log holds ${id}, which was never sent as such`);
    const logged = [...log.pushes.values()].map((p) => p.txn);

    // LSNs: strictly increasing along each ordered stream, and above everything logged before this load.
    for (const s of outcome.streams) {
      const lsns = s.acks.sort((a, b) => a[0] - b[0]).map(([, lsn]) => lsn);
      for (let i = 0; i < lsns.length; i++) {
        assert.ok(lsns[i]! > (i === 0 ? before : lsns[i - 1]!), `cycle ${cycle}, ${s.name}: ack LSNs ${lsns.slice(Math.max(0, i - 1), i + 1)} after ${before}`);
      }
    }

    server = await startDurable(dir, options);
    const rows = await servedRows(server);
    const ackedPerUser = new Map<string, number>();
    for (const id of acked.keys()) ackedPerUser.set(sent.get(id)!.user, (ackedPerUser.get(sent.get(id)!.user) ?? 0) + 1);
    for (const [user, n] of ackedPerUser) assert.ok((rows[user] as { n: number }).n >= n, `cycle ${cycle}: ${user} counts every acknowledged push`);
    assert.deepEqual(rows, oracle(logged), `cycle ${cycle}: the recovered state is the state of exactly the logged events`);
    // Every record after the snapshot recovery started from was replayed (all of them without one).
    const snapshotLsn = Number(server.logs().find((l) => l.msg === "snapshot loaded")?.["lsn"] ?? 0);
    if (snapshotIntervalMs === undefined) assert.equal(snapshotLsn, 0);
    assert.ok(snapshotLsn <= log.lastLsn, `cycle ${cycle}: the snapshot (LSN ${snapshotLsn}) is not ahead of the log (${log.lastLsn})`);
    assert.equal(await metric(server, "tessera_log_recovery_replayed_records"), log.lastLsn - snapshotLsn, "every record after the snapshot was replayed");
    const recovered = server.logs().find((l) => l.msg === "command log recovered");
    assert.equal(recovered?.["replayed"], log.lastLsn - snapshotLsn);

    // A client retries what it did not get an answer for: the logged ones are replays with their
    // original LSN, the others are applied now, after every earlier LSN.
    const retry = new HttpDataPlaneClient({ url: server.url });
    const replies = await Promise.all(outcome.inFlight.map((txn) => retry.push("txn", txn)));
    for (const [i, txn] of outcome.inFlight.entries()) {
      const r = replies[i]!;
      const original = log.pushes.get(txn.id);
      if (original !== undefined) {
        assert.deepEqual([r.idempotentReplay, r.ackLsn], [true, original.lsn], `cycle ${cycle}: retry of logged ${txn.id}`);
      } else {
        assert.equal(r.idempotentReplay, false, `cycle ${cycle}: retry of unlogged ${txn.id}`);
        assert.ok(r.ackLsn > log.lastLsn, `cycle ${cycle}: a new ack (${r.ackLsn}) after restart is above every earlier LSN (${log.lastLsn})`);
      }
      acked.set(txn.id, r.ackLsn);
    }
    await retry.close();
    assert.deepEqual(await servedRows(server), oracle(sent.values()), `cycle ${cycle}: after the retries every event sent is applied exactly once`);
    before = Math.max(log.lastLsn, ...acked.values());
    t.diagnostic(
      `cycle ${cycle}: killed ${killAfterMs} ms after the first ack; sent ${outcome.sent.length}, acked ${outcome.acked.size}, ` +
        `in flight ${outcome.inFlight.length} of which logged ${outcome.inFlight.filter((x) => log.pushes.has(x.id)).length}; log LSN ${log.lastLsn}, tail ${log.damage ?? "clean"}, ` +
        `recovered from snapshot LSN ${snapshotLsn}`,
    );
  }
  assert.equal(await server.stop(), 0);
});
}

killCycles("kill -9 under concurrent HTTP and TCP pushes (fsync always), 8 cycles on one data dir: acked ⊆ recovered ⊆ sent, state = oracle", 20261130, undefined);
killCycles("the same with a snapshot every 100 ms: recovery from snapshots taken under load", 20261201, 100);
