/**
 * The POSIX layer's counters for the verifier's summary: how often each call and each routing
 * target occurred in the runs made, how many programs were run, and how often each documented
 * difference was applied or cut a history (so that an exclusion is never silent).
 */
import { CALLS } from '../../model/posix/program.ts';
import { ROUTE_NAMES, routeName } from '../../model/posix/routing.ts';
import type { System } from '../../model/system.ts';
import { compatInconclusive } from '../../properties/posix/compatibility.ts';
import { callRecords, posixHistory } from '../../properties/posix/lib/history.ts';

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
}

export function posixRunStats() {
  const sum: PosixSummary = {
    runs: 0,
    calls: Object.fromEntries(CALLS.map((c) => [c, 0])),
    routes: Object.fromEntries(ROUTE_NAMES.map((r) => [r, 0])),
    cut: {},
    applied: {},
    inconclusive: 0,
  };
  return {
    add(sys: System, final: Int32Array): void {
      const PL = sys.L.posix;
      if (!PL) return;
      sum.runs++;
      for (const r of callRecords(sys, final)) {
        const call = PL.code[r.slot][r.index].call;
        sum.calls[call]++;
        sum.routes[routeName(call, r.route)]++;
      }
      const h = posixHistory(sys, final);
      if (h.cut) sum.cut[h.cut.name] = (sum.cut[h.cut.name] ?? 0) + 1;
      for (const [k, v] of Object.entries(h.applied)) sum.applied[k] = (sum.applied[k] ?? 0) + v;
      if (compatInconclusive.has(final)) sum.inconclusive++;
    },
    summary: (): PosixSummary => sum,
  };
}
