/**
 * The POSIX layer's model: configuration and program validation, the composition with the dispatch
 * model, the step semantics against xstate, the reference kernel on ok/bad history pairs, and
 * scripted stories of the races the issue names (each run with a pinned schedule).
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { ConfigError, DEFAULT_CONFIG, parseConfig, type Config } from '../model/kit/config.ts';
import { regionMap } from '../model/kit/footprint.ts';
import { DEFAULT_POSIX } from '../model/posix/config.ts';
import type { Program } from '../model/posix/program.ts';
import { referenceSpec, type RefInput, type RefOutput } from '../model/posix/reference-kernel.ts';
import { enabled, label, makeSystem, step, stepViaXstate, type System } from '../model/kit/system.ts';
import { decode, varsOf } from '../model/kit/view.ts';
import { checkLinearizable, type Operation } from '../properties/lib/linearizability.ts';
import { callRecords } from '../properties/posix/lib/history.ts';
import { PROPERTIES } from '../properties/index.ts';
import { runSchedule } from '../scripts/verifier/explore.ts';
import { programArb } from '../scripts/verifier/random/posix-programs.ts';

const POSIX_PROPS = PROPERTIES.filter((p) => p.group === 'posix');
const withProgram = (program: unknown, extra: Partial<Config> = {}): Config => parseConfig({ ...DEFAULT_CONFIG, ...extra, posix: { ...DEFAULT_POSIX, program } });

/** Run a program (a schedule of [actor, burst] picks, then the drain: lowest-numbered actor first) and return the labels and call results. */
function drain(cfg: Config, schedule: [number, number][] = []) {
  const sys = makeSystem(cfg);
  const r = runSchedule(sys, schedule, { props: POSIX_PROPS, record: true });
  const labels = r.trace.map((x) => `${label(sys, x.before, x.choice)}`);
  const results = callRecords(sys, r.final).map((c) => ({ thread: `T${c.slot + 1}`, call: c.index + 1, res: c.res, err: c.err, data: c.data }));
  return { sys, r, labels, results };
}

describe('configuration', () => {
  test('the layer is off by default and the dispatch model is unchanged', () => {
    expect(DEFAULT_CONFIG.posix).toBeUndefined();
    const sys = makeSystem(DEFAULT_CONFIG);
    expect(sys.actors.map((a) => a.name)).toEqual(['T1', 'T2', 'T3', 'K1', 'K2', 'W1', 'W2', 'F', 'B']);
    expect(sys.L.posix).toBeNull();
    expect(varsOf(sys)).toEqual(['processes', 'service_domain', 'threads', 'kernel_threads', 'workers', 'frontend', 'backend', 'ghost']);
  });

  test('with the layer on, the actors are the program threads and the two domains\' workers', () => {
    const sys = makeSystem(parseConfig({ ...DEFAULT_CONFIG, posix: DEFAULT_POSIX }));
    expect(sys.actors.map((a) => a.name)).toEqual(['T1', 'T2', 'T3', 'S1', 'S2', 'S3', 'N1', 'N2', 'N3']);
    expect(Object.keys(decode(sys, sys.init))).toEqual(varsOf(sys));
    const regions = regionMap(sys);
    expect(regions).toHaveLength(sys.L.size);
    expect(regions[sys.L.posix!.libc[0].bitmap]).toEqual({ kind: 'translation-table', proc: 0, actor: '', field: 'bitmap' });
  });

  test('a bad posix field or program argument is one error naming its place', () => {
    const err = (raw: unknown) => {
      try {
        parseConfig({ posix: raw });
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).message;
      }
      throw new Error('no error');
    };
    expect(err({ threads: 9 })).toBe("config field 'posix.threads': 9 is out of range 1..3");
    expect(err({ colour: 1 })).toMatch(/^config field 'posix.colour': unknown field/);
    expect(err({ program: { restart: false, threads: [[{ call: 'read', fd: 7, n: 1 }]] } })).toBe("config field 'posix.program.threads[0][0].fd': must be a descriptor 0..3, got 7");
    expect(err({ program: { restart: false, threads: [[{ call: 'read', fd: { ret: 0 }, n: 1 }]] } })).toMatch(/'posix.program.threads\[0\]\[0\].fd'/);
    expect(err({ program: { restart: false, threads: [[{ call: 'exec' }]] } })).toBe("config field 'posix.program.threads[0][0]': exec is only made by a child process");
    expect(err({ program: { restart: false, threads: [[{ call: 'fork', child: [] }], [{ call: 'close', fd: 1 }]] } })).toBe("config field 'posix.program.threads': fork is only made by a single-threaded P1");
    expect(err({ program: { restart: false, threads: [[{ call: 'kill', thread: 0 }]] } })).toBe("config field 'posix.program.threads[0][0]': kill is only made in a multi-threaded P1");
  });

  test('generated programs are valid and use every call', () => {
    const seen = new Set<string>();
    const walk = (list: { call: string; child?: unknown[] }[]) => list.forEach((i) => (seen.add(i.call), i.child && walk(i.child as never)));
    for (const p of fc.sample(programArb(DEFAULT_POSIX), { numRuns: 400, seed: 11 })) {
      expect(() => withProgram(p)).not.toThrow();
      p.threads.forEach((t) => walk(t as never));
    }
    expect([...seen].sort()).toEqual(['close', 'connect', 'dup', 'dup2', 'exec', 'exit', 'fork', 'kill', 'link', 'mmap', 'open', 'poll', 'read', 'recv', 'rename', 'select', 'send', 'setuid', 'socket', 'write']);
  });
});

describe('step semantics', () => {
  test('the compiled step and xstate\'s own transition agree on random POSIX runs', () => {
    const programs = fc.sample(programArb(DEFAULT_POSIX), { numRuns: 25, seed: 5 });
    let steps = 0;
    programs.forEach((p, k) => {
      const sys = makeSystem(withProgram(p));
      let s = sys.init;
      for (let i = 0; i < 80; i++) {
        const en = enabled(sys, s);
        if (en.length === 0) break;
        const ch = en[(i * 7 + k) % en.length];
        const a = step(sys, s, ch);
        expect(Array.from(stepViaXstate(sys, s, ch).s)).toEqual(Array.from(a));
        s = a;
        steps++;
      }
    });
    expect(steps).toBeGreaterThan(500);
  });
});

/** A history for the reference kernel, written compactly: [client, call, args, phase, output, call time, return time]. */
function history(ops: [number, RefInput['instr'], Partial<RefInput>, RefInput['phase'], RefOutput | null, number, number | null][]): Operation<RefInput, RefOutput>[] {
  return ops.map(([client, instr, args, phase, output, call, ret], id) => ({
    id,
    client,
    input: { client, proc: 0, instr, phase, fd: -1, fd2: -1, rsv: -1, tag: 1, child: -1, altUid: -1, oldUid: -1, late: false, ...args },
    output: output ?? undefined,
    call,
    ret,
  }));
}

describe('reference kernel (ok/bad pairs)', () => {
  const spec = referenceSpec({ ...DEFAULT_POSIX, descriptors: 5 });
  const open = { call: 'open' as const, path: 1, creat: true, cloexec: false };
  const read1 = { call: 'read' as const, fd: 1, n: 2 };
  const ok = (res: number, data = 0) => ({ res, err: 0, data });

  test('ok: open takes the lowest free descriptor, read returns the file\'s bytes', () => {
    const h = history([
      [0, open, {}, 'reserve', ok(3), 0, 1],
      [0, open, { rsv: 3 }, 'openfile', ok(0), 2, 3],
      [0, open, { rsv: 3 }, 'complete', ok(3), 4, 5],
      [0, read1, { fd: 1 }, 'whole', ok(2, 50 + 51 * 64), 6, 7],
    ]);
    expect(checkLinearizable(spec, h).verdict).toBe('ok');
  });

  test('bad: a sequential open that skips the lowest free descriptor', () => {
    const h = history([
      [0, open, {}, 'reserve', ok(4), 0, 1],
      [0, open, { rsv: 4 }, 'openfile', ok(0), 2, 3],
      [0, open, { rsv: 4 }, 'complete', ok(4), 4, 5],
    ]);
    expect(checkLinearizable(spec, h).verdict).toBe('illegal');
  });

  test('ok: a concurrent open that fails may have held the lowest number (two-phase allocation, as in Linux)', () => {
    const absent = { call: 'open' as const, path: 3, creat: false, cloexec: false };
    const h = history([
      [0, absent, {}, 'reserve', ok(3), 0, 2],
      [0, absent, { rsv: 3 }, 'openfile', { res: -1, err: 2, data: 0 }, 3, 8],
      [0, absent, { rsv: 3 }, 'complete', { res: -1, err: 2, data: 0 }, 9, 10],
      [1, open, {}, 'reserve', ok(4), 1, 4],
      [1, open, { rsv: 4 }, 'openfile', ok(0), 5, 6],
      [1, open, { rsv: 4 }, 'complete', ok(4), 7, 7],
    ]);
    expect(checkLinearizable(spec, h).verdict).toBe('ok');
  });

  test('documented: a late claim (allocation-claims-number-found-earlier) may reserve a free number that is not the lowest, but not a taken one', () => {
    const seq = (late: boolean, rsv: number) =>
      history([
        [0, open, { late }, 'reserve', ok(rsv), 0, 1],
        [0, open, { rsv }, 'openfile', ok(0), 2, 3],
        [0, open, { rsv }, 'complete', ok(rsv), 4, 5],
      ]);
    // 3 is the lowest free number: 4 only as a late claim; 1 (taken by the initial files) never
    expect(checkLinearizable(spec, seq(false, 4)).verdict).toBe('illegal');
    expect(checkLinearizable(spec, seq(true, 4)).verdict).toBe('ok');
    expect(checkLinearizable(spec, seq(true, 3)).verdict).toBe('ok');
    expect(checkLinearizable(spec, seq(true, 1)).verdict).toBe('illegal');
  });

  test('bad: the same number skipped when the failing open was over before', () => {
    const absent = { call: 'open' as const, path: 3, creat: false, cloexec: false };
    const h = history([
      [0, absent, {}, 'reserve', ok(3), 0, 1],
      [0, absent, { rsv: 3 }, 'openfile', { res: -1, err: 2, data: 0 }, 2, 3],
      [0, absent, { rsv: 3 }, 'complete', { res: -1, err: 2, data: 0 }, 4, 5],
      [1, open, {}, 'reserve', ok(4), 6, 7],
      [1, open, { rsv: 4 }, 'openfile', ok(0), 8, 9],
      [1, open, { rsv: 4 }, 'complete', ok(4), 10, 11],
    ]);
    expect(checkLinearizable(spec, h).verdict).toBe('illegal');
  });

  test('documented: a cross-domain rename refused with EINVAL is a call without effect; a same-domain one is not', () => {
    const cross = { call: 'rename' as const, path: 0, to: 2 };
    expect(checkLinearizable(spec, history([[0, cross, {}, 'whole', { res: -1, err: 22, data: 0 }, 0, 1]])).verdict).toBe('ok');
    const same = { call: 'rename' as const, path: 0, to: 1 };
    expect(checkLinearizable(spec, history([[0, same, {}, 'whole', { res: -1, err: 22, data: 0 }, 0, 1]])).verdict).toBe('illegal');
  });

  test('EINTR is accepted for a recv that would block, not for a write', () => {
    const recv = { call: 'recv' as const, fd: 0, n: 1 };
    const h = history([
      [0, recv, { fd: 0 }, 'whole', ok(1, 40), 0, 1],
      [0, recv, { fd: 0 }, 'whole', { res: -1, err: 4, data: 0 }, 2, 3],
    ]);
    expect(checkLinearizable(spec, h).verdict).toBe('ok');
    const write = { call: 'write' as const, fd: 1, n: 1 };
    expect(checkLinearizable(spec, history([[0, write, { fd: 1 }, 'whole', { res: -1, err: 4, data: 0 }, 0, 1]])).verdict).toBe('illegal');
  });
});

describe('scripted stories (fair drain, lowest-numbered thread first)', () => {
  const P = (threads: unknown[][], restart = false): Program => ({ restart, threads }) as Program;

  test('close racing a read on the same descriptor: close returns at once, the reader closes it (deferred)', () => {
    // T1 blocks in a second recv on the network socket (the peer's byte is consumed by the first); T2 closes it meanwhile.
    const { labels, results, r } = drain(withProgram(P([[{ call: 'recv', fd: 0, n: 1 }, { call: 'recv', fd: 0, n: 1 }], [{ call: 'close', fd: 0 }, { call: 'send', fd: 0, n: 1 }]])));
    expect(labels).toContain('T2 close: drops descriptor 0\'s references (counter 5 -> 3); another thread still uses it, so the real close is left to it; returns 0');
    // The deferred close keeps the number usable: T2's send succeeds and wakes T1's recv with its own byte.
    expect(results).toEqual([
      { thread: 'T1', call: 1, res: 1, err: 0, data: 40 },
      { thread: 'T1', call: 2, res: 1, err: 0, data: 6 },
      { thread: 'T2', call: 1, res: 0, err: 0, data: 0 },
      { thread: 'T2', call: 2, res: 1, err: 0, data: 0 },
    ]);
    expect(labels.some((l) => /T1 drops its reference on descriptor 0 \(counter 3 -> 2\): the last reference, closes it/.test(l))).toBe(true);
    expect(r.violation).toBeNull();
  });

  test('poll across two domains: split, one service poll, local part, kick, merge', () => {
    const { labels, results } = drain(withProgram(P([[{ call: 'recv', fd: 2, n: 1 }, { call: 'poll', fds: [0, 2], timeout: false }]])));
    expect(labels).toContain('T1 splits the watched descriptors: 0 -> network, 2 -> primary');
    expect(labels).toContain('T1 submits service poll(dfd 0, its eventfd) to the network domain');
    expect(labels.some((l) => l.startsWith('T1 polls locally: nothing ready, blocks') || l.startsWith('T1 polls locally: the local eventfd was kicked'))).toBe(true);
    // The network socket holds the peer's byte: position 1 ready, the drained local socket not.
    expect(results[1]).toEqual({ thread: 'T1', call: 2, res: 1, err: 0, data: 1 });
  });

  test('fork: the child shares the parent\'s offset on an inherited remote descriptor; exec closes close-on-exec ones remotely', () => {
    const { labels, results, r } = drain(
      withProgram(P([[{ call: 'open', path: 1, creat: true, cloexec: true }, { call: 'fork', child: [{ call: 'read', fd: 1, n: 1 }, { call: 'exec' }, { call: 'read', fd: 3, n: 1 }] }, { call: 'read', fd: 1, n: 1 }]])),
    );
    expect(labels).toContain('S3 (storage worker for T3) executes REGISTER of P2 (copying P1\'s shadow descriptor table) in P2\'s shadow process: done');
    expect(labels).toContain('T3 descriptor 3 is close-on-exec: submits close(dfd 1) to the storage domain');
    const byCall = Object.fromEntries(results.map((x) => [`${x.thread}.${x.call}`, x]));
    expect(byCall['T1.2'].res).toBe(2); // fork returns the child's pid
    expect([byCall['T1.3'].data, byCall['T3.1'].data].sort()).toEqual([50, 51]); // one offset, shared
    expect(byCall['T3.3'].err).toBe(9); // EBADF: closed at exec
    expect(r.violation).toBeNull();
  });

  test('a signal interrupts a blocked remote recv without SA_RESTART (EINTR), not with it', () => {
    const prog = (restart: boolean) => P([[{ call: 'recv', fd: 0, n: 1 }, { call: 'recv', fd: 0, n: 1 }], [{ call: 'kill', thread: 0 }]], restart);
    // T1 (actor 0) submits its first recv, N1 (actor 6) serves it, T1 makes its second, N1 blocks on it, then T2 (actor 1) signals T1.
    const schedule: [number, number][] = [[0, 11], [6, 0], [0, 11], [6, 0], [1, 11]];
    const without = drain(withProgram(prog(false)), schedule);
    expect(without.labels).toContain('T1 takes the signal: marks its network request and sends a signal record');
    expect(without.labels).toContain('N1 (network worker for T1) is interrupted by the signal record: recv(dfd 0, 1) returns EINTR');
    expect(without.results.find((x) => x.thread === 'T1' && x.call === 2)).toEqual({ thread: 'T1', call: 2, res: -1, err: 4, data: 0 });
    expect(without.r.violation).toBeNull();
    const withRestart = drain(withProgram(prog(true)), schedule);
    expect(withRestart.labels).toContain('T1 takes the signal: the handler runs and the wait restarts (SA_RESTART)');
    // With SA_RESTART the recv keeps waiting (nobody sends): the call is still in flight at the end.
    expect(withRestart.results.find((x) => x.thread === 'T1' && x.call === 2)?.res).toBe(0);
    expect(withRestart.r.end.quiescent).toBe(true);
    expect(withRestart.r.violation).toBeNull();
  });

  test('exit: REMOVE leaves nothing of the process in any domain', () => {
    const { sys, r } = drain(withProgram(P([[{ call: 'socket', family: 'inet' }, { call: 'fork', child: [{ call: 'open', path: 0, creat: false, cloexec: false }, { call: 'exit' }] }]])));
    const PL = (sys as System).L.posix!;
    expect(PL.libc.map((lc) => r.final[lc.pstate])).toEqual([4, 4]);
    for (const K of PL.kernel) for (let p = 0; p < PL.procs; p++) expect(r.final[K.live(p)]).toBe(0);
    expect(r.violation).toBeNull();
  });
});
