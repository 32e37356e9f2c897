import type { Caller } from "../auth/caller.ts";
import type { Logger } from "../logger.ts";

/**
 * The audit log: one structured pino line (`"audit":true`) for every control-plane change and every
 * secret read, successful or refused: who (`actor`), what (`action` and its target), when (pino's
 * `time`), and the outcome. Secret values and API keys are never passed here; targets name scopes,
 * secret keys and principals only. Field names avoid `key` and `value`, which the logger redacts.
 *
 * Audit lines are written at info even when the server logs at warn, so turning logs down does not
 * turn auditing off; only `--log-level silent` does.
 */
export type AuditOutcome = "ok" | "denied" | "failed";

export class AuditLog {
  private readonly log: Logger;

  constructor(logger: Logger) {
    const silent = logger.level === "silent";
    this.log = logger.child({ audit: true }, { level: silent ? "silent" : "info" });
  }

  record(caller: Caller, action: string, target: Record<string, unknown>, outcome: AuditOutcome = "ok", reason?: string): void {
    const actor = caller.authOff ? "local (auth off)" : `${caller.actor.type}:${caller.actor.id}`;
    const line: Record<string, unknown> = { action, actor, outcome, ...target };
    if (reason !== undefined) line["reason"] = reason;
    this.log.info(line, `audit ${action} ${outcome}`);
  }
}
