/**
 * The POSIX layer's counters for the verifier's summary: how often each call and each routing
 * target occurred in the runs made, how many programs were run, and how often each documented
 * difference was applied or cut a history (so that an exclusion is never silent).
 */
import { CALLS } from '../../../model/posix/program.ts';
import { EINTR } from '../../../model/posix/kernel.ts';
import { REC_DEFERRED, REC_SIG_WAITING, REC_TIMEDOUT } from '../../../model/posix/layout.ts';
import { ROUTE_NAMES, routeName } from '../../../model/posix/routing.ts';
import type { System } from '../../../model/kit/system.ts';
import type { PosixLayout } from '../../../model/posix/layout.ts';
import { compatInconclusive } from '../../../properties/posix/compatibility.ts';
import { callRecords, posixHistory } from '../../../properties/posix/lib/history.ts';

export interface PosixSummary {
  /** runs (each with its own program when programs are generated) */
  runs: number;
  /** calls invoked, by call */
  calls: Record<string, number>;
  /** calls invoked, by routing target */
  routes: Record<string, number>;
  /** histories cut at a documented difference, by name */
  cut: Record<string, number>;
  /** calls a documented difference was applied to, by name */
  applied: Record<string, number>;
  /** runs whose reference search ran out of budget (neither holds nor violated) */
  inconclusive: number;
  /** how often the situations the properties talk about were reached (evidence that they are not vacuous) */
  reached: Record<string, number>;
}

/** The counters of several parts (batches or shards), summed. */
export function sumPosixSummaries(parts: PosixSummary[]): PosixSummary {
  const p: PosixSummary = { runs: 0, calls: {}, routes: {}, cut: {}, applied: {}, inconclusive: 0, reached: {} };
  for (const x of parts) {
    p.runs += x.runs;
    p.inconclusive += x.inconclusive;
    for (const k of ['calls', 'routes', 'cut', 'applied', 'reached'] as const) for (const [name, n] of Object.entries(x[k])) p[k][name] = (p[k][name] ?? 0) + n;
  }
  return p;
}

/** The situations counted in `reached`, each with how to see it in a run's final state. */
const SITUATIONS = [
  'signal taken while waiting',
  'EINTR returned',
  'poll/select split over domains',
  'poll/select returned ready',
  'poll/select timed out',
  'close deferred (descriptor in use)',
  'dup2 installed a duplicate',
  'child registered',
  'exec returned',
  'process exited',
] as const;

export function posixRunStats() {
  const sum: PosixSummary = {
    runs: 0,
    calls: Object.fromEntries(CALLS.map((c) => [c, 0])),
    routes: Object.fromEntries(ROUTE_NAMES.map((r) => [r, 0])),
    cut: {},
    applied: {},
    inconclusive: 0,
    reached: Object.fromEntries(SITUATIONS.map((x) => [x, 0])),
  };
  const reach = (x: (typeof SITUATIONS)[number]) => sum.reached[x]++;
  return {
    add(sys: System, final: Int32Array): void {
      const PL = sys.L.posix;
      if (!PL) return;
      sum.runs++;
      for (const r of callRecords(sys, final)) {
        const call = PL.code[r.slot][r.index].call;
        const route = routeName(call, r.route);
        sum.calls[call]++;
        sum.routes[route]++;
        const returned = r.ret >= 0;
        if (r.flags & REC_SIG_WAITING) reach('signal taken while waiting');
        if (returned && r.err === EINTR) reach('EINTR returned');
        if ((call === 'poll' || call === 'select') && route === 'split') reach('poll/select split over domains');
        if ((call === 'poll' || call === 'select') && returned && r.res > 0) reach('poll/select returned ready');
        if (r.flags & REC_TIMEDOUT) reach('poll/select timed out');
        if (r.flags & REC_DEFERRED) reach('close deferred (descriptor in use)');
        if (call === 'dup2' && returned && r.err === 0 && r.a0 !== r.a1) reach('dup2 installed a duplicate');
        if (call === 'exec' && returned) reach('exec returned');
      }
      for (let p = 1; p < PL.procs; p++) if (final[PL.libc[p].pstate] >= 2) reach('child registered');
      for (let p = 0; p < PL.procs; p++) if (final[PL.libc[p].pstate] === 4) reach('process exited');
      const h = posixHistory(sys, final);
      if (h.cut) sum.cut[h.cut.name] = (sum.cut[h.cut.name] ?? 0) + 1;
      for (const [k, v] of Object.entries(h.applied)) sum.applied[k] = (sum.applied[k] ?? 0) + v;
      if (compatInconclusive.has(final)) sum.inconclusive++;
    },
    summary: (): PosixSummary => sum,
  };
}

/**
 * The words of a POSIX state that hold its history clock (the tick and the times recorded in the call
 * records), which changes at every call and would make every state distinct: the distinct-state hash
 * (search/coverage.ts) leaves them out, so the count is of states that differ in what the system
 * holds, not in when it got there.
 */
export function clockWords(PL: PosixLayout): number[] {
  return [PL.tick, ...PL.rec.flatMap((row) => row.flatMap((r) => [r.inv, r.ret, r.rt, r.gt]))];
}
