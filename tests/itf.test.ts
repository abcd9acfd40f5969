import { describe, test, expect, afterEach } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  TraceFormatError,
  decodeValue,
  encodeValue,
  metaArray,
  metaInt,
  metaObject,
  metaString,
  parseItf,
  writeFileAtomic,
  writeItf,
  type ItfTrace,
  type Plain,
} from '../scripts/traces/itf.ts';

const FILE = 'traces/x.itf.json';

/** Runs `fn`, requires a TraceFormatError, and returns it for exact checks. */
function traceError(fn: () => unknown): TraceFormatError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TraceFormatError);
    const e = err as TraceFormatError;
    expect(e.message).toBe(`${e.where}: ${e.problem}`);
    return e;
  }
  throw new Error('expected a TraceFormatError, but nothing was thrown');
}

function parseError(text: string): TraceFormatError {
  return traceError(() => parseItf(text, FILE));
}

/** A well-formed trace document with `states` spliced in as raw ITF JSON. */
function doc(states: unknown[], vars: unknown = ['x', 'y']): string {
  return JSON.stringify({ '#meta': { format: 'ITF' }, vars, states }, null, 2);
}

const big = (n: number | string) => ({ '#bigint': String(n) });

function sampleTrace(): ItfTrace {
  return {
    meta: { format: 'ITF', source: 'model/dispatch.ts', seed: 7, config: { threads: 2, slots: [1, 2] } },
    vars: ['queue', 'threads', 'done'],
    states: [
      { queue: [], threads: [{ pc: 'idle', slot: -1 }, { pc: 'idle', slot: -1 }], done: false },
      { queue: [3, 1, 2], threads: [{ pc: 'wait', slot: 0 }, { pc: 'idle', slot: -1 }], done: false },
      { done: true, queue: [1, 2], threads: [{ pc: 'done', slot: 0 }, { pc: 'wait', slot: 1 }] },
    ],
  };
}

describe('encodeValue / decodeValue', () => {
  test('nested values round trip', () => {
    const values: Plain[] = [
      0,
      -12,
      Number.MAX_SAFE_INTEGER,
      -Number.MAX_SAFE_INTEGER,
      true,
      '',
      'with "quotes" and \n newline',
      [],
      {},
      [1, [2, [3, []]], 'a', false],
      { threads: [{ pc: 'wait', args: [1, 2, 3], regs: { r0: -1 } }], 'mbt::action': 'init', '': 0 },
    ];
    for (const v of values) expect(decodeValue(encodeValue(v), 'v')).toEqual(v);
  });

  test('integers become #bigint, records stay JSON objects', () => {
    expect(encodeValue({ a: [1, -2], b: 'x', c: true })).toEqual({ a: [big(1), big(-2)], b: 'x', c: true });
    expect(encodeValue(-0)).toEqual(big(0));
  });

  test('plain JSON integers, tuples, sets and maps are accepted on reading', () => {
    expect(decodeValue(5, 'v')).toBe(5);
    expect(Object.is(decodeValue(-0, 'v'), 0)).toBe(true);
    expect(decodeValue({ '#tup': [big(1), 'a'] }, 'v')).toEqual([1, 'a']);
    expect(decodeValue({ '#set': [big(2), big(1)] }, 'v')).toEqual([2, 1]);
    expect(decodeValue({ '#map': [[big(1), { '#set': [] }], ['k', 'v']] }, 'v')).toEqual([[1, []], ['k', 'v']]);
    expect(decodeValue({ '#bigint': '-9007199254740991' }, 'v')).toBe(-9007199254740991);
  });

  test('a field named __proto__ stays a field', () => {
    const decoded = decodeValue(JSON.parse('{"__proto__": {"#bigint": "1"}}'), 'v') as Record<string, Plain>;
    expect(Object.keys(decoded)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
  });

  test('encoding refuses what ITF cannot hold, naming the path', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ a: [1, 1.5] }, 'v.a[1]', /1\.5 is not an integer/],
      [{ a: NaN }, 'v.a', /NaN is not an integer/],
      [[Infinity], 'v[0]', /Infinity is not an integer/],
      [{ n: 2 ** 60 }, 'v.n', /outside the safe integer range/],
      [{ a: null }, 'v.a', /cannot encode null/],
      [{ a: undefined }, 'v.a', /cannot encode undefined/],
      [{ a: new Map() }, 'v.a', /cannot encode an object/],
      [{ '#set': [] }, 'v.#set', /must not start with '#'/],
    ];
    for (const [value, where, problem] of cases) {
      const e = traceError(() => encodeValue(value as Plain, 'v'));
      expect(e.where).toBe(where);
      expect(e.problem).toMatch(problem);
    }
    const cyclic: Record<string, Plain> = {};
    cyclic.self = cyclic;
    expect(traceError(() => encodeValue(cyclic, 'v')).where).toBe('v.self');
  });

  test('decoding errors name the exact path', () => {
    const cases: [unknown, string, RegExp][] = [
      [[1, 2.5], 'p[1]', /2\.5 is not an integer/],
      [{ a: null }, 'p.a', /null is not an ITF value/],
      [2 ** 60, 'p', /write it as \{"#bigint"/],
      [{ '#bigint': '12a' }, 'p.#bigint', /"12a" is not a decimal integer/],
      [{ '#bigint': 12 }, 'p.#bigint', /expected a string of decimal digits, got 12/],
      [{ '#bigint': '9007199254740992' }, 'p.#bigint', /outside the integer range/],
      [{ '#bigint': '1', x: 1 }, 'p', /exactly one field/],
      [{ '#foo': [] }, 'p', /unknown ITF tag "#foo"/],
      [{ '#unserializable': 'Nat' }, 'p', /could not serialise/],
      [{ '#tup': {} }, 'p.#tup', /expected an array/],
      [{ '#set': [big(1), 1] }, 'p.#set[1]', /duplicate set element \(same as \[0\]\)/],
      [{ '#set': [{ b: 1, a: 2 }, { a: 2, b: 1 }] }, 'p.#set[1]', /duplicate set element/],
      [{ '#map': [['k', 1], ['k', 2]] }, 'p.#map[1][0]', /duplicate map key/],
      [{ '#map': [['k']] }, 'p.#map[0]', /expected a \[key, value\] pair, got an array of length 1/],
      [{ '#map': [[1, { x: [true, 0.5] }]] }, 'p.#map[0][1].x[1]', /0\.5 is not an integer/],
      [{ 'a.b': 0.5 }, 'p["a.b"]', /not an integer/],
    ];
    for (const [value, where, problem] of cases) {
      const e = traceError(() => decodeValue(value, 'p'));
      expect(e.where).toBe(where);
      expect(e.problem).toMatch(problem);
    }
  });
});

describe('writeItf', () => {
  test('output is byte-stable and reads back equal', () => {
    const text = writeItf(sampleTrace());
    expect(writeItf(sampleTrace())).toBe(text);
    expect(text.endsWith('}\n')).toBe(true);

    const back = parseItf(text, FILE);
    expect(back.meta).toEqual(sampleTrace().meta);
    expect(back.vars).toEqual(sampleTrace().vars);
    expect(back.states).toEqual(sampleTrace().states);
    expect(writeItf(back)).toBe(text);
  });

  test('layout: header first, one block per state, keys in vars order, leaf arrays on one line', () => {
    const long = Array.from({ length: 20 }, (_, k) => k);
    const text = writeItf({
      meta: { source: 'm' },
      vars: ['b', 'a'],
      states: [{ a: long, b: { pc: 'idle' } }],
    });
    expect(text).toBe(
      [
        '{',
        '  "#meta": { "source": "m" },',
        '  "vars": ["b", "a"],',
        '  "states": [',
        '    {',
        '      "#meta": { "index": 0 },',
        '      "b": { "pc": "idle" },',
        `      "a": [${long.map((n) => `{ "#bigint": "${n}" }`).join(', ')}]`,
        '    }',
        '  ]',
        '}',
        '',
      ].join('\n'),
    );
  });

  test('shallow records stay on one line however wide; deeper values are broken up with 2-space indentation', () => {
    const text = writeItf({
      meta: {},
      vars: ['threads'],
      states: [{ threads: [{ pc: 'waiting-for-the-storage-domain', slot: 12, args: [1, 2] }, { pc: 'x', nested: { deeper: { deepest: [3] } } }] }],
    });
    expect(text).toContain(
      [
        '      "threads": [',
        '        { "pc": "waiting-for-the-storage-domain", "slot": { "#bigint": "12" }, "args": [{ "#bigint": "1" }, { "#bigint": "2" }] },',
        '        {',
        '          "pc": "x",',
        '          "nested": { "deeper": { "deepest": [{ "#bigint": "3" }] } }',
        '        }',
        '      ]',
      ].join('\n'),
    );
    expect(JSON.parse(text)).toBeTruthy();
  });

  test('refuses traces the reader would reject', () => {
    const base = sampleTrace();
    const cases: [ItfTrace, string, RegExp][] = [
      [{ ...base, states: [] }, 'states', /at least one state/],
      [{ ...base, vars: ['queue', 'queue'] }, 'vars[1]', /duplicate variable "queue" \(also vars\[0\]\)/],
      [{ ...base, states: [{ queue: [], done: true }] as ItfTrace['states'] }, 'states[0].threads', /missing/],
      [{ ...base, states: [{ ...base.states[0], extra: 1 }] }, 'states[0].extra', /"extra" is not declared in vars/],
      [{ ...base, states: [{ ...base.states[0], done: 0.5 }] }, 'states[0].done', /not an integer/],
      [{ ...base, meta: { when: undefined } }, '#meta.when', /cannot be written as JSON/],
    ];
    for (const [trace, where, problem] of cases) {
      const e = traceError(() => writeItf(trace));
      expect(e.where).toBe(where);
      expect(e.problem).toMatch(problem);
    }
  });
});

describe('parseItf rejects malformed traces, naming file and path', () => {
  test('truncated JSON reports line:column of the end of input', () => {
    const e = parseError('{\n  "vars": ["x"],\n  "states": [');
    expect(e.where).toBe(`${FILE}:3:14`);
    expect(e.message).toBe(`${FILE}:3:14: expected a JSON value but found end of input`);
  });

  test('other syntax errors point at the offending character', () => {
    const cases: [string, string, RegExp][] = [
      ['{"a": 1,}', `${FILE}:1:9`, /expected a string key but found '}'/],
      ['{"a": 1 "b": 2}', `${FILE}:1:9`, /expected ',' or '}' but found '"'/],
      ['{"a": 1, "a": 2}', `${FILE}:1:10`, /duplicate key "a"/],
      ['[01]', `${FILE}:1:3`, /leading zeros/],
      ['{"a": "x\ny"}', `${FILE}:1:9`, /control character U\+000A/],
      ['{"a": "\\q"}', `${FILE}:1:8`, /invalid escape sequence \\q/],
      ['{"a": tru}', `${FILE}:1:10`, /expected true but found '}'/],
      ['{}\n\n  x', `${FILE}:3:3`, /unexpected 'x' after the end/],
      ['', `${FILE}:1:1`, /end of input/],
    ];
    for (const [text, where, problem] of cases) {
      const e = parseError(text);
      expect(e.where).toBe(where);
      expect(e.problem).toMatch(problem);
    }
  });

  test('missing "states"', () => {
    const e = parseError(JSON.stringify({ '#meta': {}, vars: ['x'] }));
    expect(e.message).toBe(`${FILE}: states: missing required field`);
  });

  test('a state missing a variable', () => {
    const e = parseError(doc([{ x: big(1), y: big(2) }, { x: big(1) }]));
    expect(e.where).toBe(`${FILE}: states[1].y`);
    expect(e.problem).toMatch(/missing/);
  });

  test('a variable not declared in vars', () => {
    const e = parseError(doc([{ x: big(1), y: big(2), z: big(3) }]));
    expect(e.message).toBe(`${FILE}: states[0].z: "z" is not declared in vars`);
  });

  test('a non-integer number', () => {
    const e = parseError(doc([{ x: big(1), y: { threads: [{ pc: 'idle' }, { pc: 1.5 }] } }]));
    expect(e.message).toBe(`${FILE}: states[0].y.threads[1].pc: 1.5 is not an integer`);
  });

  test('#bigint with a non-numeric string', () => {
    const e = parseError(doc([{ x: { '#set': [big(1), big('ten')] }, y: 0 }]));
    expect(e.message).toBe(`${FILE}: states[0].x.#set[1].#bigint: "ten" is not a decimal integer`);
  });

  test('an unknown # tag', () => {
    const e = parseError(doc([{ x: 0, y: { '#record': {} } }]));
    expect(e.where).toBe(`${FILE}: states[0].y`);
    expect(e.problem).toMatch(/unknown ITF tag "#record"/);
  });

  test('an empty states array', () => {
    const e = parseError(doc([]));
    expect(e.message).toBe(`${FILE}: states: a trace needs at least one state`);
  });

  test('other structural errors', () => {
    const cases: [string, string, RegExp][] = [
      ['[]', FILE, /must be a JSON object, got an array/],
      [JSON.stringify({ vars: [], states: [{}] }), `${FILE}: #meta`, /missing required field/],
      [JSON.stringify({ '#meta': [], vars: [], states: [{}] }), `${FILE}: #meta`, /expected an object, got an array/],
      [JSON.stringify({ '#meta': {}, vars: 'x', states: [{}] }), `${FILE}: vars`, /expected an array/],
      [doc([{ x: 0, y: 0 }], ['x', 'y', 'x']), `${FILE}: vars[2]`, /duplicate variable "x" \(also vars\[0\]\)/],
      [doc([{ x: 0 }], ['x', 3]), `${FILE}: vars[1]`, /expected a variable name, got 3/],
      [doc([{ x: 0 }], ['x', '#y']), `${FILE}: vars[1]`, /must not start with '#'/],
      [doc([{ x: 0, y: 0 }, 'state']), `${FILE}: states[1]`, /expected a state object, got "state"/],
      [doc([{ x: 0, y: 0, '#meta': 3 }]), `${FILE}: states[0].#meta`, /expected an object, got 3/],
      [doc([{ x: 0, y: 0, '#info': {} }]), `${FILE}: states[0].#info`, /unknown state metadata field/],
      [doc([{ x: 0, y: null }]), `${FILE}: states[0].y`, /null is not an ITF value/],
      [doc([{ x: 0, y: { '#unserializable': 'Int' } }]), `${FILE}: states[0].y`, /could not serialise/],
      [JSON.stringify({ '#meta': {}, vars: [], states: [{}], loop: 0 }), `${FILE}: loop`, /not supported/],
      [JSON.stringify({ '#meta': {}, vars: [], states: [{}], extra: 0 }), `${FILE}: extra`, /unknown top-level field/],
    ];
    for (const [text, where, problem] of cases) {
      const e = parseError(text);
      expect(e.where).toBe(where);
      expect(e.problem).toMatch(problem);
    }
  });

  test('accepts state #meta, plain integers and any key order', () => {
    const text = '{"states": [{"y": 2, "#meta": {"index": 0}, "x": -1}], "vars": ["x", "y"], "#meta": {}}';
    const t = parseItf(text, FILE);
    expect(t.states).toEqual([{ x: -1, y: 2 }]);
    expect(Object.keys(t.states[0])).toEqual(['x', 'y']);
  });
});

describe('#meta accessors', () => {
  const t: ItfTrace = {
    meta: { source: 'm.ts', seed: 42, config: { n: 1 }, steps: ['a'], 'format-description': 'x' },
    vars: [],
    states: [{}],
  };

  test('return typed values', () => {
    expect(metaString(t, FILE, 'source')).toBe('m.ts');
    expect(metaString(t, FILE, 'format-description')).toBe('x');
    expect(metaInt(t, FILE, 'seed', 0, 100)).toBe(42);
    expect(metaObject(t, FILE, 'config')).toEqual({ n: 1 });
    expect(metaArray(t, FILE, 'steps')).toEqual(['a']);
  });

  test('errors name file and #meta field', () => {
    const cases: [() => unknown, string][] = [
      [() => metaString(t, FILE, 'missing'), `${FILE}: #meta.missing: missing required field`],
      [() => metaString(t, FILE, 'seed'), `${FILE}: #meta.seed: expected a string, got 42`],
      [() => metaInt(t, FILE, 'source'), `${FILE}: #meta.source: expected an integer, got "m.ts"`],
      [() => metaInt(t, FILE, 'seed', 0, 10), `${FILE}: #meta.seed: 42 is out of range: must be between 0 and 10`],
      [() => metaInt(t, FILE, 'seed', 50), `${FILE}: #meta.seed: 42 is out of range: must be at least 50`],
      [() => metaInt(t, FILE, 'seed', undefined, 5), `${FILE}: #meta.seed: 42 is out of range: must be at most 5`],
      [() => metaObject(t, FILE, 'steps'), `${FILE}: #meta.steps: expected an object, got an array`],
      [() => metaArray(t, FILE, 'config'), `${FILE}: #meta.config: expected an array, got an object`],
      [() => metaString(t, FILE, 'toString'), `${FILE}: #meta.toString: missing required field`],
    ];
    for (const [fn, message] of cases) expect(traceError(fn).message).toBe(message);
  });
});

describe('writeFileAtomic', () => {
  let dir: string | undefined;
  const scratch = (): string => (dir = mkdtempSync(join(tmpdir(), 'itf-test-')));
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  test('creates parent directories and replaces an existing file', () => {
    const target = join(scratch(), 'a', 'b', 'trace.itf.json');
    writeFileAtomic(target, 'first\n');
    writeFileAtomic(target, 'second\n');
    expect(readFileSync(target, 'utf8')).toBe('second\n');
    expect(readdirSync(join(dir!, 'a', 'b'))).toEqual(['trace.itf.json']);
  });

  test('leaves no temp file behind when the rename fails', () => {
    const target = join(scratch(), 'trace.itf.json');
    mkdirSync(target);
    expect(() => writeFileAtomic(target, 'text')).toThrow();
    expect(readdirSync(dir!)).toEqual(['trace.itf.json']);
    expect(readdirSync(target)).toEqual([]);
  });

  test('fails cleanly when the parent is a file', () => {
    const parent = join(scratch(), 'not-a-dir');
    writeFileSync(parent, '');
    expect(() => writeFileAtomic(join(parent, 'trace.itf.json'), 'text')).toThrow();
    expect(readdirSync(dir!)).toEqual(['not-a-dir']);
  });
});
