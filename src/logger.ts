import { pino, type Logger } from "pino";
import type { LogLevel } from "./config.ts";

export type { Logger };

/**
 * Structured JSON logs on stderr: stdout carries only the ready line (and CLI output), so scripts can
 * read it without filtering logs. Values that might be secrets are never passed to the logger; the
 * redact list is a second line of defence for headers.
 */
export function createLogger(level: LogLevel): Logger {
  return pino(
    {
      level,
      base: { service: "tessera" },
      redact: { paths: ["authorization", "headers.authorization", "api_key", "value", "key"], censor: "[redacted]" },
    },
    pino.destination({ dest: 2, sync: false }),
  );
}
