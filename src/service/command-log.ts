import type { Command } from "./commands.ts";

/** The result of appending a command: its LSN, and when it is not yet durable, a promise of that. */
export interface Appended {
  readonly lsn: number;
  /** Resolves once the record is durable under the fsync policy; undefined when it already is. */
  readonly durable: Promise<void> | undefined;
}

/**
 * Where commands go before they are applied. The memory-only log just numbers them; the durable log
 * (src/storage) writes records with group commit. LSNs are strictly increasing.
 */
export interface CommandLog {
  append(command: Command, now: number): Appended;
  /** Resolves once every record up to `lsn` is durable (a replayed ack must not outrun its original). */
  whenDurable(lsn: number): Promise<void> | undefined;
}

/** `--memory-only`: nothing is written; LSNs count commands from 1. */
export class MemoryCommandLog implements CommandLog {
  private lsn = 0;

  append(_command: Command, _now: number): Appended {
    return { lsn: ++this.lsn, durable: undefined };
  }

  whenDurable(_lsn: number): undefined {
    return undefined;
  }
}
