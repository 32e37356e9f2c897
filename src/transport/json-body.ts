import { TesseraError } from "../errors/tessera-error.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Parses a request body (HTTP) or a JSON frame payload (TCP). Invalid UTF-8 is an error rather than
 * being replaced with U+FFFD, so no byte of an event is silently changed.
 */
export function decodeJsonBody(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new TesseraError("invalid_json_body", "invalid_json_body: the body is not valid UTF-8");
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new TesseraError("invalid_json_body", `invalid_json_body: ${(e as Error).message}`);
  }
}
