/**
 * The CEL subset the KFP compiler emits in `triggerPolicy.condition` (PIPELINE-SPEC.md §3.3,
 * EXECUTION.md): `inputs.parameter_values['k']` (also `.k` and nested `[...]` indexing), `int()`,
 * `double()`, `string()`, `bool()`, `== != < <= > >=`, `!`, `&&`, `||`, parentheses and
 * string/int/double/bool/null literals. A small tokenizer, a recursive-descent parser and an
 * evaluator over plain JSON values — never `eval`. Errors are `CelError` with a message naming the
 * problem and its position, as the driver fails a task whose condition does not evaluate to a bool.
 */

export class CelError extends Error {
  override name = "CelError";
}

type Tok =
  | { k: "num"; v: number; int: boolean; at: number }
  | { k: "str"; v: string; at: number }
  | { k: "id"; v: string; at: number }
  | { k: "op"; v: string; at: number }
  | { k: "end"; at: number };

const OPS = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", "[", "]", ".", ",", "-"];

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      const q = c;
      const at = i;
      let s = "";
      i++;
      for (;;) {
        if (i >= src.length) throw new CelError(`unterminated string literal at ${at}`);
        const d = src[i]!;
        if (d === q) break;
        if (d === "\\") {
          const e = src[i + 1];
          const map: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"' };
          if (e === undefined || !(e in map)) throw new CelError(`unsupported escape at ${i}`);
          s += map[e];
          i += 2;
          continue;
        }
        s += d;
        i++;
      }
      i++;
      out.push({ k: "str", v: s, at });
      continue;
    }
    const num = /^(\d+\.\d*(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+)(u?)/.exec(src.slice(i));
    if (num) {
      const text = num[1]!;
      out.push({ k: "num", v: Number(text), int: /^\d+$/.test(text), at: i });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      out.push({ k: "id", v: id[0], at: i });
      i += id[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new CelError(`unexpected character ${JSON.stringify(c)} at ${i}`);
    out.push({ k: "op", v: op, at: i });
    i += op.length;
  }
  out.push({ k: "end", at: src.length });
  return out;
}

/** A parsed expression (a tree of closures over the evaluation context). */
type Node = (vars: Record<string, unknown>) => unknown;

class Parser {
  private pos = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok {
    return this.toks[this.pos]!;
  }

  private isOp(v: string): boolean {
    const t = this.peek();
    return t.k === "op" && t.v === v;
  }

  private expect(v: string): void {
    const t = this.peek();
    if (t.k !== "op" || t.v !== v) throw new CelError(`expected "${v}" at ${t.at}`);
    this.pos++;
  }

  parse(): Node {
    const n = this.or();
    const t = this.peek();
    if (t.k !== "end") throw new CelError(`unexpected token at ${t.at}`);
    return n;
  }

  private or(): Node {
    let left = this.and();
    while (this.isOp("||")) {
      this.pos++;
      const l = left;
      const r = this.and();
      left = (v) => truth(l(v), "||") || truth(r(v), "||");
    }
    return left;
  }

  private and(): Node {
    let left = this.cmp();
    while (this.isOp("&&")) {
      this.pos++;
      const l = left;
      const r = this.cmp();
      left = (v) => truth(l(v), "&&") && truth(r(v), "&&");
    }
    return left;
  }

  private cmp(): Node {
    const left = this.unary();
    const t = this.peek();
    if (t.k === "op" && ["==", "!=", "<", "<=", ">", ">="].includes(t.v)) {
      this.pos++;
      const right = this.unary();
      const op = t.v;
      return (v) => compare(op, left(v), right(v));
    }
    return left;
  }

  private unary(): Node {
    if (this.isOp("!")) {
      this.pos++;
      const inner = this.unary();
      return (v) => !truth(inner(v), "!");
    }
    if (this.isOp("-")) {
      this.pos++;
      const inner = this.unary();
      return (v) => {
        const x = inner(v);
        if (typeof x !== "number") throw new CelError(`no such overload: -${typeName(x)}`);
        return -x;
      };
    }
    return this.postfix();
  }

  private postfix(): Node {
    let node = this.primary();
    for (;;) {
      if (this.isOp("[")) {
        this.pos++;
        const key = this.or();
        this.expect("]");
        const base = node;
        node = (v) => index(base(v), key(v));
      } else if (this.isOp(".")) {
        this.pos++;
        const t = this.peek();
        if (t.k !== "id") throw new CelError(`expected a field name at ${t.at}`);
        this.pos++;
        const base = node;
        node = (v) => index(base(v), t.v);
      } else return node;
    }
  }

  private primary(): Node {
    const t = this.peek();
    this.pos++;
    if (t.k === "num") {
      const val = t.v;
      return () => val;
    }
    if (t.k === "str") {
      const val = t.v;
      return () => val;
    }
    if (t.k === "op" && t.v === "(") {
      const inner = this.or();
      this.expect(")");
      return inner;
    }
    if (t.k === "id") {
      if (t.v === "true") return () => true;
      if (t.v === "false") return () => false;
      if (t.v === "null") return () => null;
      if (this.isOp("(")) {
        this.pos++;
        const arg = this.or();
        this.expect(")");
        const fn = FUNCS[t.v];
        if (!fn) throw new CelError(`undeclared reference to function '${t.v}' at ${t.at}`);
        return (v) => fn(arg(v));
      }
      const name = t.v;
      return (v) => {
        if (!Object.hasOwn(v, name)) throw new CelError(`undeclared reference to '${name}'`);
        return v[name];
      };
    }
    throw new CelError(`unexpected token at ${t.at}`);
  }
}

function typeName(x: unknown): string {
  if (x === null || x === undefined) return "null_type";
  if (typeof x === "number") return Number.isInteger(x) ? "int" : "double";
  if (typeof x === "string") return "string";
  if (typeof x === "boolean") return "bool";
  return Array.isArray(x) ? "list" : "map";
}

function truth(x: unknown, op: string): boolean {
  if (typeof x !== "boolean") throw new CelError(`no such overload: ${op} on ${typeName(x)}`);
  return x;
}

function index(base: unknown, key: unknown): unknown {
  if (Array.isArray(base) && typeof key === "number") {
    if (!Number.isInteger(key) || key < 0 || key >= base.length)
      throw new CelError(`index out of range: ${key}`);
    return base[key];
  }
  if (base && typeof base === "object" && !Array.isArray(base) && typeof key === "string") {
    if (!Object.hasOwn(base, key)) throw new CelError(`no such key: ${key}`);
    return (base as Record<string, unknown>)[key];
  }
  throw new CelError(`cannot index ${typeName(base)} with ${typeName(key)}`);
}

function compare(op: string, a: unknown, b: unknown): boolean {
  if (op === "==" || op === "!=") {
    const eq = deepEqual(a, b);
    return op === "==" ? eq : !eq;
  }
  const ok =
    (typeof a === "number" && typeof b === "number") || (typeof a === "string" && typeof b === "string");
  if (!ok) throw new CelError(`no such overload: ${typeName(a)} ${op} ${typeName(b)}`);
  const x = a as number | string;
  const y = b as number | string;
  switch (op) {
    case "<":
      return x < y;
    case "<=":
      return x <= y;
    case ">":
      return x > y;
    default:
      return x >= y;
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b) {
    if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
    throw new CelError(`no such overload: ${typeName(a)} == ${typeName(b)}`);
  }
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return (
      ka.length === kb.length &&
      ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return false;
}

const FUNCS: Record<string, (x: unknown) => unknown> = {
  int(x) {
    if (typeof x === "number") {
      if (!Number.isFinite(x)) throw new CelError(`int() of ${x}`);
      return Math.trunc(x);
    }
    if (typeof x === "string" && /^\s*[+-]?\d+\s*$/.test(x)) return Number.parseInt(x, 10);
    if (typeof x === "boolean") throw new CelError("no such overload: int(bool)");
    throw new CelError(`int() cannot convert ${JSON.stringify(x)}`);
  },
  double(x) {
    if (typeof x === "number") return x;
    if (typeof x === "string" && x.trim() !== "" && Number.isFinite(Number(x))) return Number(x);
    throw new CelError(`double() cannot convert ${JSON.stringify(x)}`);
  },
  string(x) {
    if (typeof x === "string") return x;
    if (typeof x === "number" || typeof x === "boolean") return String(x);
    throw new CelError(`string() cannot convert ${typeName(x)}`);
  },
  bool(x) {
    if (typeof x === "boolean") return x;
    if (x === "true") return true;
    if (x === "false") return false;
    throw new CelError(`bool() cannot convert ${JSON.stringify(x)}`);
  },
};

/** Parse a CEL expression (throws `CelError`). */
export function parseCel(src: string): Node {
  if (src.length > 10_000) throw new CelError("expression longer than 10000 characters");
  return new Parser(tokenize(src)).parse();
}

/**
 * Evaluate a `triggerPolicy.condition` over a task's resolved input parameters: the result must be a
 * bool (else `CelError`, as the driver fails).
 */
export function evaluateCondition(expr: string, parameterValues: Record<string, unknown>): boolean {
  const value = parseCel(expr)({ inputs: { parameter_values: parameterValues } });
  if (typeof value !== "boolean") {
    throw new CelError(`condition ${JSON.stringify(expr)} evaluated to ${typeName(value)}, not bool`);
  }
  return value;
}
