import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateAdminKey } from "../auth/api-keys.ts";
import type { TesseraConfig } from "../config.ts";
import type { Logger } from "../logger.ts";
import { MASTER_KEY_BYTES } from "../secrets/cipher.ts";

/**
 * The two keys the server starts with (DESIGN §3, §6):
 *
 * - The bootstrap admin API key: TESSERA_ADMIN_KEY; else `<data-dir>/admin.key` (reused when present,
 *   generated with mode 0600 when not). In --memory-only mode without TESSERA_ADMIN_KEY there is no
 *   data dir to keep it in, so a fresh key is written to `admin.key` (0600) in a new private temp
 *   directory (0700) and that path is logged; it changes on every start, as the memory-only state
 *   does. With --auth off no admin key is needed and none is generated. Only paths are ever logged.
 * - The secrets master key (AES-256): TESSERA_MASTER_KEY (base64 of 32 bytes); else
 *   `<data-dir>/master.key` (base64, reused or generated 0600). In --memory-only mode it is random
 *   and kept in memory only: nothing sealed with it outlives the process.
 */
export interface BootKeys {
  readonly adminKey: string | undefined;
  readonly masterKey: Buffer;
}

export function loadBootKeys(config: TesseraConfig, logger: Logger): BootKeys {
  try {
    return { adminKey: adminKey(config, logger), masterKey: masterKey(config, logger) };
  } catch (e) {
    const where = config.memoryOnly ? "a temporary directory" : `the data dir ${config.dataDir}`;
    throw new Error(`cannot keep the key files in ${where}: ${(e as Error).message}`, { cause: e });
  }
}

function adminKey(config: TesseraConfig, logger: Logger): string | undefined {
  if (config.auth === "off") return undefined;
  if (config.adminKey !== undefined) {
    logger.info("bootstrap admin key from TESSERA_ADMIN_KEY");
    return config.adminKey;
  }
  const dir = config.memoryOnly ? mkdtempSync(join(tmpdir(), "tessera-")) : dataDir(config);
  const path = join(dir, "admin.key");
  const existing = config.memoryOnly ? undefined : readKeyFile(path, logger);
  if (existing !== undefined) {
    if (existing.length < 16) throw new Error(`${path} holds a key shorter than 16 characters`);
    logger.info({ path }, "bootstrap admin key read from file");
    return existing;
  }
  const key = generateAdminKey();
  writeKeyFile(path, key);
  logger.warn({ path }, "bootstrap admin key generated; read it from this file (mode 0600) and keep it safe");
  return key;
}

function masterKey(config: TesseraConfig, logger: Logger): Buffer {
  if (config.masterKey !== undefined) return Buffer.from(config.masterKey, "base64");
  if (config.memoryOnly) return randomBytes(MASTER_KEY_BYTES);
  const path = join(dataDir(config), "master.key");
  const existing = readKeyFile(path, logger);
  if (existing !== undefined) {
    const key = Buffer.from(existing, "base64");
    if (key.length !== MASTER_KEY_BYTES) throw new Error(`${path} does not hold base64 of ${MASTER_KEY_BYTES} bytes`);
    logger.info({ path }, "secrets master key read from file");
    return key;
  }
  const key = randomBytes(MASTER_KEY_BYTES);
  writeKeyFile(path, key.toString("base64"));
  logger.warn({ path }, "secrets master key generated; back it up: secrets cannot be read without it");
  return key;
}

function dataDir(config: TesseraConfig): string {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  return config.dataDir;
}

function readKeyFile(path: string, logger: Logger): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  if ((statSync(path).mode & 0o077) !== 0) logger.warn({ path }, "key file is readable by group or others; chmod 600 it");
  return text.trim();
}

/** Created exclusively with mode 0600 and fsynced, so a crash cannot leave a half-written key. */
function writeKeyFile(path: string, text: string): void {
  const fd = openSync(path, "wx", 0o600);
  try {
    writeSync(fd, `${text}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
