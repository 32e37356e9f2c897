import { closeSync, fsyncSync, openSync, readdirSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname, join } from "node:path";

/**
 * Segment files of the command log: `<dir>/<first LSN, 20 digits>.log`, each starting with an 8-byte
 * header (magic "TSRLOG" and a u16 LE format version) followed by records (record-format.ts).
 * Zero-padded names sort in LSN order, and a segment's first LSN is known without reading it.
 */

export const SEGMENT_HEADER_BYTES = 8;
export const SEGMENT_FORMAT_VERSION = 1;
const MAGIC = "TSRLOG";
const NAME = /^(\d{20})\.log$/;

export const SEGMENT_HEADER: Buffer = (() => {
  const b = Buffer.alloc(SEGMENT_HEADER_BYTES);
  b.write(MAGIC, 0, "latin1");
  b.writeUInt16LE(SEGMENT_FORMAT_VERSION, 6);
  return b;
})();

/** A segment file on disk. */
export interface SegmentFile {
  readonly firstLsn: number;
  readonly path: string;
}

export function segmentName(firstLsn: number): string {
  return `${String(firstLsn).padStart(20, "0")}.log`;
}

/** The segments in `dir`, in LSN order; other files (and the quarantine folder) are ignored. */
export function listSegments(dir: string): SegmentFile[] {
  const out: SegmentFile[] = [];
  for (const name of readdirSync(dir)) {
    const m = NAME.exec(name);
    if (m !== null) out.push({ firstLsn: Number(m[1]), path: join(dir, name) });
  }
  return out.sort((a, b) => a.firstLsn - b.firstLsn);
}

/** What a segment's first 8 bytes say: ours in a known version, ours in another version, or not ours. */
export function checkSegmentHeader(header: Buffer): "ok" | "bad_magic" | number {
  if (header.toString("latin1", 0, MAGIC.length) !== MAGIC) return "bad_magic";
  const version = header.readUInt16LE(6);
  return version === SEGMENT_FORMAT_VERSION ? "ok" : version;
}

/** Makes created, renamed or removed entries of `dir` durable. */
export function syncDirSync(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** mkdir -p created `made` and everything below it down to `dir`: makes each new entry durable. */
export async function syncCreatedDirs(made: string, dir: string): Promise<void> {
  for (let d = dir; ; d = dirname(d)) {
    await syncDir(dirname(d));
    if (d === made || d === dirname(d)) return;
  }
}

/** An error from a system call (I/O, permissions, a missing path), as opposed to a bug or bad data. */
export function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).syscall === "string";
}
