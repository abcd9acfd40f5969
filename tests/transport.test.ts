/**
 * The two transports of a POSIX remote call agree: the request slot served atomically (`rpc`, the
 * POSIX layer's abstraction, kept for speed) and the real dispatch machines (`dispatch`: request
 * stacks, RQUEUE/DONE, ready queue, wake word, workers of the target domain, one memory operation per
 * step). On random programs, run one call at a time (whatever carries a call moves before the next
 * POSIX step), every call returns the same result, error and data under both; and the dispatch
 * transport really runs the dispatch machines (its steps are theirs).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseConfig, type Config } from '../model/kit/config.ts';
import { DEFAULT_POSIX } from '../model/posix/config.ts';
import type { Program } from '../model/posix/program.ts';
import { posixThread } from '../model/posix/thread.ts';
import { COMPONENTS, enabled, machineOf, makeSystem, step, stepViaXstate, type System } from '../model/kit/system.ts';
import { callRecords } from '../properties/posix/lib/history.ts';
import { programArb } from '../scripts/verifier/random/posix-programs.ts';

const POSIX = { ...DEFAULT_POSIX, calls: 3 };
const cfgOf = (transport: 'rpc' | 'dispatch', program: Program | null): Config => parseConfig({ posix: { ...POSIX, program }, transport });

/** Run to the end, one POSIX step at a time: any other enabled actor (the transport) moves first, lowest first. */
function callAtATime(sys: System, bound = 20_000) {
  let s = sys.init;
  const machines = new Set<string>();
  for (let n = 0; n < bound; n++) {
    const en = enabled(sys, s);
    if (en.length === 0) break;
    const ch = en.find((c) => COMPONENTS[sys.actors[c.actor].comp] !== posixThread) ?? en[0];
    machines.add(machineOf(sys, ch.actor));
    s = step(sys, s, ch);
  }
  expect(enabled(sys, s)).toHaveLength(0);
  return { results: callRecords(sys, s).map((c) => ({ thread: c.slot, call: c.index, res: c.res, err: c.err, data: c.data })), machines };
}

const programs = fc.sample(programArb(POSIX), { seed: 20261206, numRuns: 150 });

describe('the rpc and dispatch transports', () => {
  test('give every call of 150 random programs the same result, error and data', () => {
    let calls = 0;
    const dispatchMachines = new Set<string>();
    for (const program of programs) {
      const viaRpc = callAtATime(makeSystem(cfgOf('rpc', program)));
      const viaDispatch = callAtATime(makeSystem(cfgOf('dispatch', program)));
      expect(viaDispatch.results).toEqual(viaRpc.results);
      calls += viaRpc.results.length;
      for (const m of viaDispatch.machines) dispatchMachines.add(m);
      expect([...viaRpc.machines]).not.toContain('worker');
    }
    expect(calls).toBeGreaterThan(400);
    expect([...dispatchMachines]).toEqual(expect.arrayContaining(['user-thread', 'kernel-thread', 'worker', 'frontend', 'backend-wake']));
  });

  test('a seeded POSIX bug shows the same way through either transport', () => {
    // eintr-after-effect lives in the service (service.ts), which both transports share
    const program = programs.find((p) => p.threads.some((t) => t.some((i) => i.call === 'kill'))) ?? programs[0];
    const bugged = (t: 'rpc' | 'dispatch') => callAtATime(makeSystem({ ...cfgOf(t, program), bug: 'eintr-after-effect' })).results;
    expect(bugged('dispatch')).toEqual(bugged('rpc'));
  });

  test('with the dispatch transport the dispatch machines step as xstate does', () => {
    const sys = makeSystem(cfgOf('dispatch', programs[1]));
    let s = sys.init;
    for (let n = 0; n < 400; n++) {
      const en = enabled(sys, s);
      if (en.length === 0) break;
      const ch = en[(n * 7) % en.length];
      const next = step(sys, s, ch);
      expect(Array.from(stepViaXstate(sys, s, ch).s)).toEqual(Array.from(next));
      s = next;
    }
  });

  test('configuration: the dispatch shape is derived from the POSIX bounds, and a mismatching derived field is refused naming it', () => {
    const c = parseConfig({ posix: POSIX, transport: 'dispatch' });
    expect(c).toMatchObject({ processes: 2, threads: 2, kernelThreads: 2, calls: 12, blockingPair: false });
    expect(parseConfig({ ...c })).toEqual(c);
    expect(() => parseConfig({ posix: POSIX, transport: 'dispatch', threads: 3 })).toThrow(/config field 'threads': is derived from posix .* must be 2, got 3/);
    expect(() => parseConfig({ transport: 'dispatch' })).toThrow(/config field 'transport'/);
    const sys = makeSystem(c);
    expect(sys.actors.map((a) => a.name).filter((n) => n.includes('/'))).toEqual([
      'T1/S', 'T2/S', 'T3/S', 'U4/S', 'T1/N', 'T2/N', 'T3/N', 'U8/N', 'K1/S', 'K2/S', 'K3/S', 'K4/S', 'K1/N', 'K2/N', 'K3/N', 'K4/N',
      'W1/S', 'W2/S', 'W3/S', 'W4/S', 'W1/N', 'W2/N', 'W3/N', 'W4/N', 'F/S', 'F/N', 'B/S', 'B/N',
    ]);
  });
});
