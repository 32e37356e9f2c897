import assert from "node:assert/strict";
import { join } from "node:path";
import type { PushCommandRecord } from "../../src/service/commands.ts";
import { recoverLog } from "../../src/storage/recover-log.ts";
import type { Txn } from "./txn-workload.ts";

export interface LoggedPush {
  readonly lsn: number;
  readonly txn: Txn;
}

export interface LogContents {
  /** The LSN of the last intact record. */
  readonly lastLsn: number;
  /** The push records by event id. */
  readonly pushes: Map<string, LoggedPush>;
  /** Why reading stopped before the end of the files, if it did. */
  readonly damage: string | undefined;
}

/**
 * What `<dataDir>/log` holds, read as recovery reads it (which cuts a torn tail, as the server's next
 * start would). Fails when the LSNs are not dense from 1 or an event id is in the log twice (a
 * replayed push must answer the original ack, never be logged again).
 */
export function loggedPushes(dataDir: string): LogContents {
  const pushes = new Map<string, LoggedPush>();
  let expected = 1;
  const report = recoverLog({
    dir: join(dataDir, "log"),
    onRecord: (r) => {
      assert.equal(r.lsn, expected++, "LSNs are dense from 1");
      if (r.command.type !== "push") return;
      const txn = (r.command as PushCommandRecord).data as unknown as Txn;
      assert.ok(!pushes.has(txn.id), `${txn.id} is in the log twice: a replayed push was applied again`);
      pushes.set(txn.id, { lsn: r.lsn, txn });
    },
  });
  assert.deepEqual(report.gaps, []);
  return { lastLsn: report.lastValidLsn, pushes, damage: report.damage?.reason };
}
