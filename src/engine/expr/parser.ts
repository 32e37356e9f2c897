import type { ErrorCode } from "../../errors/codes.ts";
import type { ArithOp, CompareOp, ExprNode, LogicOp } from "./ast.ts";
import { childrenOf } from "./ast.ts";
import { CAST_TARGETS } from "./cast.ts";
import type { Fail } from "./expr-error.ts";
import { failWith } from "./expr-error.ts";
import { lookupFunction } from "./functions.ts";
import type { Keyword, OperatorText, Token } from "./lexer.ts";
import { tokenize } from "./lexer.ts";

/**
 * Limit on nesting (parentheses, calls, prefix operators) and on the height of the resulting tree
 * (edges from the root to the deepest leaf).
 * Both keep every later recursive walk (check, compile, evaluate) far from the stack limit.
 */
export const MAX_DEPTH = 512;

const COMPARE_OPS: ReadonlySet<OperatorText> = new Set<OperatorText>(["==", "!=", "<", "<=", ">", ">="]);

/**
 * Grammar, lowest precedence first:
 *   or := and ('or' and)*            and := not ('and' not)*          not := 'not' not | cmp
 *   cmp := add (cmpop add)?          add := mul (('+'|'-') mul)*      mul := unary (('*'|'/'|'%') unary)*
 *   unary := '-' unary | 'not' not | atom
 *   atom := literal | field | name '(' args ')' | 'cast' '(' expr ',' type ')' | '(' or ')'
 * Rewrites: `x == null` / `null == x` → isnull(x); `x != null` / `null != x` → not isnull(x).
 */
export function parseExpression(source: string, errorCode: ErrorCode = "invalid_expression"): ExprNode {
  const fail: Fail = failWith(errorCode);
  const tokens = tokenize(source, fail);
  let pos = 0;
  let depth = 0;

  const peek = (): Token => tokens[pos];
  const advance = (): Token => tokens[pos++];
  const isKeyword = (t: Token, word: Keyword): boolean => t.kind === "keyword" && t.text === word;
  const isOp = (t: Token, op: OperatorText): boolean => t.kind === "op" && t.text === op;

  function nested<N>(col: number, parse: () => N): N {
    if (++depth > MAX_DEPTH) fail(col, `expression nesting depth exceeds ${MAX_DEPTH}`);
    const node = parse();
    depth--;
    return node;
  }

  function expect(kind: ")" | ",", what: string): void {
    const t = peek();
    if (t.kind !== kind) fail(t.col, `expected ${what}, found ${describe(t)}`);
    advance();
  }

  function parseLogic(op: LogicOp, parseOperand: () => ExprNode): ExprNode {
    const first = parseOperand();
    if (!isKeyword(peek(), op)) return first;
    const col = peek().col;
    const operands: ExprNode[] = [];
    const add = (n: ExprNode): void => {
      if (n.kind === "logic" && n.op === op) operands.push(...n.operands);
      else operands.push(n);
    };
    add(first);
    while (isKeyword(peek(), op)) {
      advance();
      add(parseOperand());
    }
    return { kind: "logic", op, operands, col };
  }

  const parseOr = (): ExprNode => parseLogic("or", parseAnd);
  const parseAnd = (): ExprNode => parseLogic("and", parseNot);

  function parseNot(): ExprNode {
    const t = peek();
    if (!isKeyword(t, "not")) return parseComparison();
    advance();
    return nested(t.col, () => ({ kind: "not", operand: parseNot(), col: t.col }));
  }

  function parseComparison(): ExprNode {
    const left = parseAdditive();
    const t = peek();
    if (t.kind !== "op" || !COMPARE_OPS.has(t.text)) return left;
    advance();
    const right = parseAdditive();
    const after = peek();
    if (after.kind === "op" && COMPARE_OPS.has(after.text)) {
      fail(after.col, "comparisons do not chain (write a < b and b < c)");
    }
    return comparison(t.text as CompareOp, left, right, t.col);
  }

  function parseBinaryChain(ops: readonly ArithOp[], parseOperand: () => ExprNode): ExprNode {
    let left = parseOperand();
    for (;;) {
      const t = peek();
      const op = ops.find((o) => isOp(t, o));
      if (op === undefined) return left;
      advance();
      left = { kind: "arith", op, left, right: parseOperand(), col: t.col };
    }
  }

  const parseAdditive = (): ExprNode => parseBinaryChain(["+", "-"], parseMultiplicative);
  const parseMultiplicative = (): ExprNode => parseBinaryChain(["*", "/", "%"], parseUnary);

  function parseUnary(): ExprNode {
    const t = peek();
    if (isKeyword(t, "not")) return parseNot();
    if (!isOp(t, "-")) return parseAtom();
    advance();
    const operand = nested(t.col, parseUnary);
    if (operand.kind === "literal" && (operand.literalType === "i64" || operand.literalType === "f64")) {
      return { ...operand, value: -(operand.value as number), col: t.col };
    }
    return { kind: "neg", operand, col: t.col };
  }

  function parseAtom(): ExprNode {
    const t = advance();
    switch (t.kind) {
      case "int":
        return { kind: "literal", literalType: "i64", value: t.value, col: t.col };
      case "float":
        return { kind: "literal", literalType: "f64", value: t.value, col: t.col };
      case "string":
        return { kind: "literal", literalType: "str", value: t.value, col: t.col };
      case "keyword":
        if (t.text === "true" || t.text === "false") return { kind: "literal", literalType: "bool", value: t.text === "true", col: t.col };
        if (t.text === "null") return { kind: "literal", literalType: "null", value: null, col: t.col };
        return fail(t.col, `unexpected ${describe(t)}`);
      case "ident":
        if (peek().kind !== "(") return { kind: "field", name: t.text, col: t.col };
        advance();
        return nested(t.col, () => parseCall(t.text, t.col));
      case "(": {
        const inner = nested(t.col, parseOr);
        expect(")", "')'");
        return inner;
      }
      default:
        return fail(t.col, `unexpected ${describe(t)}`);
    }
  }

  /** After `name(`; consumes the closing parenthesis. */
  function parseCall(name: string, col: number): ExprNode {
    const fn = name.toLowerCase();
    if (fn === "cast") return parseCast(col);
    const def = lookupFunction(fn);
    if (def === undefined) fail(col, `unknown function '${name}'`, { function: name });
    const args: ExprNode[] = [];
    if (peek().kind !== ")") {
      args.push(parseOr());
      while (peek().kind === ",") {
        advance();
        args.push(parseOr());
      }
    }
    expect(")", "',' or ')'");
    if (args.length < def.minArgs || args.length > def.maxArgs) {
      fail(col, `${fn} takes ${arityText(def.minArgs, def.maxArgs)}, got ${args.length}`, { function: fn });
    }
    return { kind: "call", fn, args, col };
  }

  function parseCast(col: number): ExprNode {
    const operand = parseOr();
    expect(",", "',' and a type name");
    const t = advance();
    const target = t.kind === "ident" ? CAST_TARGETS.get(t.text.toLowerCase()) : undefined;
    if (target === undefined) fail(t.col, `bad cast target ${describe(t)}: expected str, int, float or bool`);
    expect(")", "')'");
    return { kind: "cast", operand, target, col };
  }

  const root = parseOr();
  const rest = peek();
  if (rest.kind !== "eof") fail(rest.col, `unexpected ${describe(rest)}`);
  checkHeight(root, fail);
  return root;
}

function comparison(op: CompareOp, left: ExprNode, right: ExprNode, col: number): ExprNode {
  if (op === "==" || op === "!=") {
    const subject = isNullLiteral(right) ? left : isNullLiteral(left) ? right : undefined;
    if (subject !== undefined) {
      const test: ExprNode = { kind: "call", fn: "isnull", args: [subject], col };
      return op === "==" ? test : { kind: "not", operand: test, col };
    }
  }
  return { kind: "compare", op, left, right, col };
}

const isNullLiteral = (n: ExprNode): boolean => n.kind === "literal" && n.literalType === "null";

/** Operator chains (`a + b + ... `) grow the tree without nesting, so the height is checked separately. */
function checkHeight(root: ExprNode, fail: Fail): void {
  const stack: [ExprNode, number][] = [[root, 0]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [node, height] = item;
    if (height > MAX_DEPTH) fail(node.col, `expression nesting depth exceeds ${MAX_DEPTH}`);
    for (const child of childrenOf(node)) stack.push([child, height + 1]);
  }
}

function arityText(min: number, max: number): string {
  const n = (k: number): string => `${k} argument${k === 1 ? "" : "s"}`;
  if (min === max) return n(min);
  return max === Infinity ? `at least ${n(min)}` : `${min} to ${max} arguments`;
}

function describe(t: Token): string {
  switch (t.kind) {
    case "eof":
      return "end of expression";
    case "int":
    case "float":
      return `number ${t.text}`;
    case "string":
      return `string ${JSON.stringify(t.value)}`;
    case "ident":
      return `name '${t.text}'`;
    case "keyword":
      return `'${t.text}'`;
    case "op":
      return `'${t.text}'`;
    default:
      return `'${t.kind}'`;
  }
}
