/**
 * Reading and writing counterexample traces in ITF, the Informal Trace Format
 * of Apalache ADR-015 (https://apalache-mc.org/docs/adr/015adr-trace.html).
 *
 * An ITF trace is a JSON object naming the state variables and listing the
 * states of one execution, each state giving a value to every variable.
 * Integers are written as {"#bigint": "..."}; tuples, sets and maps carry
 * "#tup", "#set" and "#map" tags; lists and records are plain JSON. We write
 * counterexamples in this format, not one of our own, so that existing tools
 * (Apalache, Quint, the ITF trace viewer) can read and display them.
 *
 * The reader is strict on purpose: a trace is evidence, so a damaged or
 * hand-edited file must fail loudly rather than be half understood. JSON
 * syntax errors name file:line:column; every other error names the file and
 * the JSON path of the offending field. Decoding loses one distinction: the
 * model works on plain JS values, so lists, tuples and sets all become arrays
 * and maps become arrays of [key, value] pairs. The writer emits arrays as
 * lists, so an Apalache trace read and written back loses those tags.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** Plain JS values the model uses in decoded states: numbers (integers only), booleans, strings, arrays, plain objects (string keys), null is NOT allowed (encode absence as a string or -1 in the model). */
export type Plain = number | boolean | string | Plain[] | { [k: string]: Plain };

export interface ItfTrace {
  meta: Record<string, unknown>;
  vars: string[];
  states: Record<string, Plain>[];
}

/** Error with a location: `where` is e.g. "traces/x.itf.json: states[3].threads[1].pc" or "traces/x.itf.json:12:5" for JSON syntax errors. */
export class TraceFormatError extends Error {
  constructor(
    public where: string,
    public problem: string,
  ) {
    super(`${where}: ${problem}`);
    this.name = 'TraceFormatError';
  }
}

// ---------------------------------------------------------------------------
// Paths and descriptions used in error messages

/** `.key`, or `["key"]` when dots, brackets, quotes or spaces would make the path ambiguous. */
function field(path: string, key: string): string {
  return key === '' || /[.[\]"\s]/.test(key) ? `${path}[${JSON.stringify(key)}]` : `${path}.${key}`;
}

/** A field of the trace itself, where there is no parent to put a dot after. */
function topField(file: string | undefined, key: string): string {
  return located(file, field('', key).replace(/^\./, ''));
}

function located(file: string | undefined, path: string): string {
  return file === undefined ? path : `${file}: ${path}`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'string':
      return v.length > 40 ? `${JSON.stringify(v.slice(0, 40))}...` : JSON.stringify(v);
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(v);
    case 'object':
      return 'an object';
    default:
      return typeof v;
  }
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Plain assignment to "__proto__" would replace the prototype instead of adding a field. */
function setOwn(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

// ---------------------------------------------------------------------------
// JSON with positions: JSON.parse in Node 20 reports neither line nor column
// and silently keeps the last of duplicate keys, so we parse it ourselves.

const MAX_DEPTH = 1000;

function parseJson(text: string, file: string): unknown {
  let i = 0;

  const fail = (problem: string, at = i): never => {
    let line = 1;
    let lineStart = 0;
    for (let k = 0; k < at; k++) {
      if (text.charCodeAt(k) === 10) {
        line++;
        lineStart = k + 1;
      }
    }
    throw new TraceFormatError(`${file}:${line}:${at - lineStart + 1}`, problem);
  };
  const found = (): string => {
    if (i >= text.length) return 'end of input';
    const c = text.charCodeAt(i);
    return c > 0x20 && c < 0x7f
      ? `'${text[i]}'`
      : `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
  };
  const skipSpace = (): void => {
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    }
  };
  const expect = (ch: string, what: string): void => {
    skipSpace();
    if (text[i] !== ch) fail(`expected ${what} but found ${found()}`);
    i++;
  };

  const value = (depth: number): unknown => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH} levels`);
    skipSpace();
    const c = text[i];
    if (c === '{') return object(depth);
    if (c === '[') return array(depth);
    if (c === '"') return string();
    if (c === 't') return literal('true', true);
    if (c === 'f') return literal('false', false);
    if (c === 'n') return literal('null', null);
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    return fail(`expected a JSON value but found ${found()}`);
  };

  const object = (depth: number): Record<string, unknown> => {
    const result: Record<string, unknown> = {};
    i++;
    skipSpace();
    if (text[i] === '}') {
      i++;
      return result;
    }
    for (;;) {
      skipSpace();
      if (text[i] !== '"') fail(`expected a string key but found ${found()}`);
      const keyAt = i;
      const key = string();
      if (hasOwn(result, key)) fail(`duplicate key ${JSON.stringify(key)}`, keyAt);
      expect(':', `':' after key ${JSON.stringify(key)}`);
      setOwn(result, key, value(depth + 1));
      skipSpace();
      if (text[i] === ',') {
        i++;
        continue;
      }
      expect('}', `',' or '}'`);
      return result;
    }
  };

  const array = (depth: number): unknown[] => {
    const result: unknown[] = [];
    i++;
    skipSpace();
    if (text[i] === ']') {
      i++;
      return result;
    }
    for (;;) {
      result.push(value(depth + 1));
      skipSpace();
      if (text[i] === ',') {
        i++;
        continue;
      }
      expect(']', `',' or ']'`);
      return result;
    }
  };

  const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
  const string = (): string => {
    let out = '';
    let chunk = ++i;
    for (;;) {
      if (i >= text.length) fail('unexpected end of input inside a string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(chunk, i++);
        return out;
      }
      if (c < 0x20) fail(`control character ${found()} inside a string must be escaped`);
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(chunk, i);
      const e = text[i + 1];
      if (e === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('invalid \\u escape: expected four hex digits');
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
      } else if (e !== undefined && hasOwn(ESCAPES, e)) {
        out += ESCAPES[e];
        i += 2;
      } else {
        fail(`invalid escape sequence \\${e ?? ''}`);
      }
      chunk = i;
    }
  };

  const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  const number = (): number => {
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m === null) return fail('invalid number');
    i += m[0].length;
    if (/^-?0$/.test(m[0]) && /[0-9]/.test(text[i] ?? '')) fail('numbers must not have leading zeros');
    if (/[.eE]/.test(text[i] ?? '')) fail('invalid number');
    return Number(m[0]);
  };

  const literal = <T>(word: string, v: T): T => {
    for (const ch of word) {
      if (text[i] !== ch) fail(`expected ${word} but found ${found()}`);
      i++;
    }
    return v;
  };

  const result = value(0);
  skipSpace();
  if (i < text.length) fail(`unexpected ${found()} after the end of the JSON value`);
  return result;
}

// ---------------------------------------------------------------------------
// Values

/** Integers beyond this lose precision as JS numbers, so they are refused rather than rounded. */
const MAX_INT = BigInt(Number.MAX_SAFE_INTEGER);

function isScalarItf(v: unknown): boolean {
  return typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number' || v === null
    || (isPlainObject(v) && Object.keys(v).length === 1 && hasOwn(v, '#bigint'));
}

/** Plain -> ITF JSON value. `path` only labels errors (e.g. "states[2].x"). */
export function encodeValue(v: Plain, path = 'value'): unknown {
  return encode(v, path, new Set());
}

function encode(v: unknown, path: string, ancestors: Set<object>): unknown {
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new TraceFormatError(path, `${v} is not an integer`);
    if (!Number.isSafeInteger(v)) {
      throw new TraceFormatError(path, `${v} is outside the safe integer range, so its exact value is already lost`);
    }
    return { '#bigint': String(v) };
  }
  if (typeof v !== 'object' || v === null || !(Array.isArray(v) || isPlainObject(v))) {
    throw new TraceFormatError(path, `cannot encode ${describe(v)}: only integers, booleans, strings, arrays and plain objects are allowed`);
  }
  if (ancestors.has(v)) throw new TraceFormatError(path, 'circular reference');
  ancestors.add(v);
  let out: unknown;
  if (Array.isArray(v)) {
    out = v.map((x, k) => encode(x, `${path}[${k}]`, ancestors));
  } else {
    const rec: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      // A '#' key would be read back as an ITF tag, not as a field.
      if (k.startsWith('#')) throw new TraceFormatError(field(path, k), "record field names must not start with '#'");
      setOwn(rec, k, encode(x, field(path, k), ancestors));
    }
    out = rec;
  }
  ancestors.delete(v);
  return out;
}

/** ITF JSON value -> Plain. `path` is the full location used in errors, e.g. "traces/x.itf.json: states[3].x". */
export function decodeValue(v: unknown, path: string): Plain {
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return decodeInt(v, path);
  if (v === null) throw new TraceFormatError(path, 'null is not an ITF value');
  if (Array.isArray(v)) return v.map((x, k) => decodeValue(x, `${path}[${k}]`));
  if (!isPlainObject(v)) throw new TraceFormatError(path, `${describe(v)} is not a JSON value`);

  const keys = Object.keys(v);
  const tag = keys.find((k) => k.startsWith('#'));
  if (tag === undefined) {
    const rec: Record<string, Plain> = {};
    for (const k of keys) setOwn(rec, k, decodeValue(v[k], field(path, k)));
    return rec;
  }
  if (keys.length !== 1) {
    const other = keys.find((k) => k !== tag) as string;
    throw new TraceFormatError(path, `a tagged value must have exactly one field, but ${tag} comes with ${JSON.stringify(other)}`);
  }
  const body = v[tag];
  const at = field(path, tag);
  switch (tag) {
    case '#bigint':
      return decodeBigint(body, at);
    case '#tup':
      return elements(body, at, 'tuple');
    case '#set':
      return decodeSet(body, at);
    case '#map':
      return decodeMap(body, at);
    case '#unserializable':
      throw new TraceFormatError(path, `the tool that wrote this trace could not serialise this value (${describe(body)})`);
    default:
      throw new TraceFormatError(path, `unknown ITF tag ${JSON.stringify(tag)} (expected #bigint, #tup, #set or #map)`);
  }
}

function decodeInt(v: number, path: string): number {
  if (!Number.isInteger(v)) throw new TraceFormatError(path, `${v} is not an integer`);
  if (!Number.isSafeInteger(v)) {
    throw new TraceFormatError(path, `${v} is too large for a plain JSON integer; write it as {"#bigint": "..."}`);
  }
  return v === 0 ? 0 : v; // folds -0 into 0
}

function decodeBigint(body: unknown, path: string): number {
  if (typeof body !== 'string') throw new TraceFormatError(path, `expected a string of decimal digits, got ${describe(body)}`);
  if (!/^-?[0-9]+$/.test(body)) throw new TraceFormatError(path, `${describe(body)} is not a decimal integer`);
  const n = BigInt(body);
  if (n > MAX_INT || n < -MAX_INT) {
    throw new TraceFormatError(path, `${body} is outside the integer range the model supports (±(2^53 - 1))`);
  }
  return Number(n);
}

function elements(body: unknown, path: string, what: string): Plain[] {
  if (!Array.isArray(body)) throw new TraceFormatError(path, `expected an array of ${what} elements, got ${describe(body)}`);
  return body.map((x, k) => decodeValue(x, `${path}[${k}]`));
}

function decodeSet(body: unknown, path: string): Plain[] {
  const items = elements(body, path, 'set');
  const seen = new Map<string, number>();
  items.forEach((x, k) => {
    const key = canonical(x);
    const first = seen.get(key);
    if (first !== undefined) throw new TraceFormatError(`${path}[${k}]`, `duplicate set element (same as [${first}])`);
    seen.set(key, k);
  });
  return items;
}

function decodeMap(body: unknown, path: string): Plain[] {
  if (!Array.isArray(body)) throw new TraceFormatError(path, `expected an array of [key, value] pairs, got ${describe(body)}`);
  const seen = new Map<string, number>();
  return body.map((pair, k) => {
    const at = `${path}[${k}]`;
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new TraceFormatError(at, `expected a [key, value] pair, got ${Array.isArray(pair) ? `an array of length ${pair.length}` : describe(pair)}`);
    }
    const key = decodeValue(pair[0], `${at}[0]`);
    const id = canonical(key);
    const first = seen.get(id);
    if (first !== undefined) throw new TraceFormatError(`${at}[0]`, `duplicate map key (same as [${first}][0])`);
    seen.set(id, k);
    return [key, decodeValue(pair[1], `${at}[1]`)];
  });
}

/** Equal values give equal strings whatever the order of record fields. */
function canonical(v: Plain): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

// ---------------------------------------------------------------------------
// Trace structure, shared by the reader and the writer so that anything
// writeItf accepts, parseItf reads back.

function checkVars(vars: unknown, file: string | undefined): string[] {
  const at = topField(file, 'vars');
  if (!Array.isArray(vars)) throw new TraceFormatError(at, `expected an array of variable names, got ${describe(vars)}`);
  const first = new Map<string, number>();
  vars.forEach((name, k) => {
    const here = `${at}[${k}]`;
    if (typeof name !== 'string') throw new TraceFormatError(here, `expected a variable name, got ${describe(name)}`);
    if (name === '') throw new TraceFormatError(here, 'variable name is empty');
    // State keys starting with '#' are metadata, so such a variable could never be given a value.
    if (name.startsWith('#')) throw new TraceFormatError(here, `variable name ${JSON.stringify(name)} must not start with '#'`);
    const prev = first.get(name);
    if (prev !== undefined) throw new TraceFormatError(here, `duplicate variable ${JSON.stringify(name)} (also vars[${prev}])`);
    first.set(name, k);
  });
  return vars as string[];
}

function checkStateKeys(state: Record<string, unknown>, vars: string[], at: string, reading: boolean): void {
  for (const name of vars) {
    if (!hasOwn(state, name)) throw new TraceFormatError(field(at, name), 'missing: every variable in vars needs a value in every state');
  }
  const declared = new Set(vars);
  for (const key of Object.keys(state)) {
    if (declared.has(key)) continue;
    if (key === '#meta' && reading) {
      if (!isPlainObject(state[key])) throw new TraceFormatError(field(at, key), `expected an object, got ${describe(state[key])}`);
      continue;
    }
    const problem = !key.startsWith('#')
      ? `${JSON.stringify(key)} is not declared in vars`
      : reading
        ? `unknown state metadata field ${JSON.stringify(key)} (only #meta is allowed)`
        : `keys starting with '#' are reserved; the writer adds the state's #meta itself`;
    throw new TraceFormatError(field(at, key), problem);
  }
}

function checkStates(states: unknown, file: string | undefined): unknown[] {
  const at = topField(file, 'states');
  if (!Array.isArray(states)) throw new TraceFormatError(at, `expected an array of states, got ${describe(states)}`);
  if (states.length === 0) throw new TraceFormatError(at, 'a trace needs at least one state');
  return states;
}

/** Parse and validate: JSON syntax errors report file:line:column; then structure: top-level must be an object with "vars" (array of unique strings), "states" (non-empty array of objects, each with exactly the keys in vars plus an optional "#meta"), "#meta" (object). Every error names the file and the JSON path of the offending field. */
export function parseItf(text: string, file: string): ItfTrace {
  const root = parseJson(text, file);
  if (!isPlainObject(root)) throw new TraceFormatError(file, `an ITF trace must be a JSON object, got ${describe(root)}`);

  for (const key of Object.keys(root)) {
    if (key === '#meta' || key === 'vars' || key === 'states') continue;
    const problem = key === 'params' || key === 'loop'
      ? `the optional ITF field ${JSON.stringify(key)} is not supported: our traces are finite and carry no parameters`
      : `unknown top-level field ${JSON.stringify(key)} (expected "#meta", "vars" and "states")`;
    throw new TraceFormatError(topField(file, key), problem);
  }
  for (const key of ['#meta', 'vars', 'states']) {
    if (!hasOwn(root, key)) throw new TraceFormatError(topField(file, key), 'missing required field');
  }
  const meta = root['#meta'];
  if (!isPlainObject(meta)) throw new TraceFormatError(topField(file, '#meta'), `expected an object, got ${describe(meta)}`);
  const vars = checkVars(root.vars, file);

  const states = checkStates(root.states, file).map((raw, k) => {
    const at = `${topField(file, 'states')}[${k}]`;
    if (!isPlainObject(raw)) throw new TraceFormatError(at, `expected a state object, got ${describe(raw)}`);
    checkStateKeys(raw, vars, at, true);
    const state: Record<string, Plain> = {};
    for (const name of vars) setOwn(state, name, decodeValue(raw[name], field(at, name)));
    return state;
  });
  return { meta, vars, states };
}

// ---------------------------------------------------------------------------
// Writing

/** Lines longer than this are broken up, except leaf arrays, which stay whole. */
const WIDTH = 80;

function checkJson(v: unknown, path: string): void {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TraceFormatError(path, `${v} cannot be written as JSON`);
    return;
  }
  if (Array.isArray(v)) return v.forEach((x, k) => checkJson(x, `${path}[${k}]`));
  if (!isPlainObject(v)) throw new TraceFormatError(path, `${describe(v)} cannot be written as JSON`);
  for (const [k, x] of Object.entries(v)) checkJson(x, field(path, k));
}

function inline(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(inline).join(', ')}]`;
  if (typeof v === 'object' && v !== null) {
    const entries = Object.entries(v);
    return entries.length === 0 ? '{}' : `{ ${entries.map(([k, x]) => `${JSON.stringify(k)}: ${inline(x)}`).join(', ')} }`;
  }
  return JSON.stringify(v);
}

/** Levels of nesting below a value: 0 for a scalar, 1 for a record or list of scalars, ... */
function depth(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  let d = 0;
  for (const x of Array.isArray(v) ? v : Object.values(v)) d = Math.max(d, depth(x));
  return d + 1;
}

/** Records this shallow (an actor's registers, a request entry, a node with its stamped pointer, a trace step) stay on one line whatever their width, so that a state reads one thing per line; a list of such records gets one line per record. */
const INLINE_DEPTH = 3;

/** `lead` is how many characters already sit on the current line. */
function render(v: unknown, indent: string, lead: number): string {
  const flat = inline(v);
  const leafArray = Array.isArray(v) && v.every(isScalarItf);
  const shallow = depth(v) <= INLINE_DEPTH && (!Array.isArray(v) || v.length <= 1);
  if (typeof v !== 'object' || v === null || leafArray || lead + flat.length + 1 <= WIDTH || shallow) return flat;
  return block(Array.isArray(v) ? v.map((x) => [undefined, x] as const) : Object.entries(v), Array.isArray(v), indent);
}

function block(entries: ReadonlyArray<readonly [string | undefined, unknown]>, isArray: boolean, indent: string): string {
  const inner = `${indent}  `;
  const lines = entries.map(([k, x]) => {
    const head = `${inner}${k === undefined ? '' : `${JSON.stringify(k)}: `}`;
    return head + render(x, inner, head.length);
  });
  return `${isArray ? '[' : '{'}\n${lines.join(',\n')}\n${indent}${isArray ? ']' : '}'}`;
}

/** Serialise deterministically: "#meta" first, then "vars", then "states"; inside records keys in the order given by `vars` for states and insertion order elsewhere; 2-space indentation, BUT each state's value on as few lines as is readable: put every state on its own block, and keep leaf arrays of numbers on one line. Must be byte-identical for equal input. Ends with a newline. */
export function writeItf(trace: ItfTrace): string {
  if (!isPlainObject(trace.meta)) throw new TraceFormatError('#meta', `expected an object, got ${describe(trace.meta)}`);
  checkJson(trace.meta, '#meta');
  const vars = checkVars(trace.vars, undefined);
  const states = checkStates(trace.states, undefined).map((state, k) => {
    const at = `states[${k}]`;
    if (!isPlainObject(state)) throw new TraceFormatError(at, `expected a state object, got ${describe(state)}`);
    checkStateKeys(state, vars, at, false);
    const encoded: [string, unknown][] = [['#meta', { index: k }]];
    for (const name of vars) encoded.push([name, encodeValue(state[name] as Plain, field(at, name))]);
    // Every state gets its own block, however small, so traces diff state by state.
    return block(encoded, false, '    ');
  });
  const fields = [
    `  "#meta": ${render(trace.meta, '  ', '  "#meta": '.length)}`,
    `  "vars": ${render(vars, '  ', '  "vars": '.length)}`,
    `  "states": [\n    ${states.join(',\n    ')}\n  ]`,
  ];
  return `{\n${fields.join(',\n')}\n}\n`;
}

// ---------------------------------------------------------------------------
// Typed #meta accessors

function metaField(t: ItfTrace, file: string, name: string): { value: unknown; at: string } {
  const at = field(`${file}: #meta`, name);
  if (!hasOwn(t.meta, name)) throw new TraceFormatError(at, 'missing required field');
  return { value: t.meta[name], at };
}

export function metaString(t: ItfTrace, file: string, name: string): string {
  const { value, at } = metaField(t, file, name);
  if (typeof value !== 'string') throw new TraceFormatError(at, `expected a string, got ${describe(value)}`);
  return value;
}

export function metaInt(t: ItfTrace, file: string, name: string, min?: number, max?: number): number {
  const { value, at } = metaField(t, file, name);
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new TraceFormatError(at, `expected an integer, got ${describe(value)}`);
  }
  if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
    const range = min === undefined ? `at most ${max}` : max === undefined ? `at least ${min}` : `between ${min} and ${max}`;
    throw new TraceFormatError(at, `${value} is out of range: must be ${range}`);
  }
  return value;
}

export function metaObject(t: ItfTrace, file: string, name: string): Record<string, unknown> {
  const { value, at } = metaField(t, file, name);
  if (!isPlainObject(value)) throw new TraceFormatError(at, `expected an object, got ${describe(value)}`);
  return value;
}

export function metaArray(t: ItfTrace, file: string, name: string): unknown[] {
  const { value, at } = metaField(t, file, name);
  if (!Array.isArray(value)) throw new TraceFormatError(at, `expected an array, got ${describe(value)}`);
  return value;
}

// ---------------------------------------------------------------------------
// Files

/** Write via a temp file in the same directory and a rename, so readers never see half a trace. */
export function writeFileAtomic(path: string, text: string): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  // Same directory so the rename never crosses file systems; random so concurrent writers never share one.
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(tmp, 'wx');
    try {
      writeFileSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // The original error is the one worth reporting.
    }
    throw err;
  }
}
