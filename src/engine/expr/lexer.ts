import type { Fail } from "./expr-error.ts";

/** Words that are never field names; matched case-insensitively (SQL style `AND`, `NULL`). */
export type Keyword = "and" | "or" | "not" | "true" | "false" | "null";
const KEYWORDS: ReadonlySet<string> = new Set<Keyword>(["and", "or", "not", "true", "false", "null"]);

/** Operators after normalisation (`=` → `==`, `<>` → `!=`). */
export type OperatorText = "+" | "-" | "*" | "/" | "%" | "==" | "!=" | "<" | "<=" | ">" | ">=";

export type Token =
  | { readonly kind: "int" | "float"; readonly value: number; readonly text: string; readonly col: number }
  | { readonly kind: "string"; readonly value: string; readonly col: number }
  | { readonly kind: "ident"; readonly text: string; readonly col: number }
  | { readonly kind: "keyword"; readonly text: Keyword; readonly col: number }
  | { readonly kind: "op"; readonly text: OperatorText; readonly col: number }
  | { readonly kind: "(" | ")" | "," | "eof"; readonly col: number };

/** Beyond 2^63 an integer literal is not an i64 (2^63 itself is allowed so that `-9223372036854775808` parses). */
const INT_LIMIT = 2n ** 63n;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const isIdentStart = (c: string | undefined): boolean =>
  c !== undefined && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_");
const isIdentPart = (c: string | undefined): boolean => isIdentStart(c) || isDigit(c);

/** Splits the source into tokens; columns are 1-based UTF-16 offsets. The list always ends with `eof`. */
export function tokenize(source: string, fail: Fail): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    const col = i + 1;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
    } else if (isDigit(c) || (c === "." && isDigit(source[i + 1]))) {
      i = lexNumber(source, i, tokens, fail);
    } else if (isIdentStart(c)) {
      i = lexIdentifier(source, i, tokens, fail);
    } else if (c === "'") {
      i = lexString(source, i, tokens, fail);
    } else if (c === "(" || c === ")" || c === ",") {
      tokens.push({ kind: c, col });
      i++;
    } else {
      const two = OPERATORS_2.get(source.slice(i, i + 2));
      const op = two ?? OPERATORS_1.get(c);
      if (op === undefined) fail(col, `unexpected character ${JSON.stringify(c)}`);
      tokens.push({ kind: "op", text: op, col });
      i += two !== undefined ? 2 : 1;
    }
  }
  tokens.push({ kind: "eof", col: source.length + 1 });
  return tokens;
}

const OPERATORS_2: ReadonlyMap<string, OperatorText> = new Map<string, OperatorText>([
  ["==", "=="],
  ["!=", "!="],
  ["<>", "!="],
  ["<=", "<="],
  [">=", ">="],
]);
const OPERATORS_1: ReadonlyMap<string, OperatorText> = new Map<string, OperatorText>([
  ["+", "+"],
  ["-", "-"],
  ["*", "*"],
  ["/", "/"],
  ["%", "%"],
  ["=", "=="],
  ["<", "<"],
  [">", ">"],
]);

function lexNumber(source: string, start: number, tokens: Token[], fail: Fail): number {
  let i = start;
  let float = false;
  while (isDigit(source[i])) i++;
  if (source[i] === ".") {
    float = true;
    i++;
    while (isDigit(source[i])) i++;
  }
  if (source[i] === "e" || source[i] === "E") {
    float = true;
    i++;
    if (source[i] === "+" || source[i] === "-") i++;
    if (!isDigit(source[i])) fail(start + 1, `invalid number ${JSON.stringify(source.slice(start, i + 1))}`);
    while (isDigit(source[i])) i++;
  }
  // `1abc` or `1.2.3` is a typo, not a number followed by a name.
  if (isIdentPart(source[i]) || source[i] === ".") fail(start + 1, `invalid number ${JSON.stringify(source.slice(start, i + 1))}`);
  const text = source.slice(start, i);
  if (!float && isBeyondI64(text)) fail(start + 1, `integer literal ${text} is out of the i64 range`);
  tokens.push({ kind: float ? "float" : "int", value: Number(text), text, col: start + 1 });
  return i;
}

function isBeyondI64(digits: string): boolean {
  const significant = digits.replace(/^0+/, "");
  return significant.length > 19 || (significant.length === 19 && BigInt(significant) > INT_LIMIT);
}

function lexIdentifier(source: string, start: number, tokens: Token[], fail: Fail): number {
  let i = start + 1;
  while (isIdentPart(source[i])) i++;
  let dotted = false;
  if (source[i] === ".") {
    if (!isIdentStart(source[i + 1])) fail(i + 1, "expected a name after '.'");
    dotted = true;
    i += 2;
    while (isIdentPart(source[i])) i++;
    if (source[i] === ".") fail(i + 1, "a field name may contain only one '.'");
  }
  const text = source.slice(start, i);
  const lower = text.toLowerCase();
  if (!dotted && KEYWORDS.has(lower)) tokens.push({ kind: "keyword", text: lower as Keyword, col: start + 1 });
  else tokens.push({ kind: "ident", text, col: start + 1 });
  return i;
}

/** Single-quoted; `\\` and `\'` are escapes, any other backslash is kept literally (beava). */
function lexString(source: string, start: number, tokens: Token[], fail: Fail): number {
  let value = "";
  let i = start + 1;
  for (;;) {
    if (i >= source.length) fail(start + 1, "unterminated string");
    const c = source[i];
    if (c === "'") break;
    if (c === "\\" && (source[i + 1] === "\\" || source[i + 1] === "'")) {
      value += source[i + 1];
      i += 2;
    } else {
      value += c;
      i++;
    }
  }
  tokens.push({ kind: "string", value, col: start + 1 });
  return i + 1;
}
