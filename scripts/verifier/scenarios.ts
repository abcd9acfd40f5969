/**
 * Named scenarios: a story from the paper as a fixed program (the two clients of the recovery layer)
 * run by a deterministic scheduler, phase by phase. Each phase says which actors may move, runs them
 * round-robin (lowest actor first after the one that moved last) until its goal holds, then checks
 * what the paper says should be true at that point. The steps taken are the scenario's trace; it is
 * written like any counterexample (ITF, with the phases in `#meta.phases`) and replays with
 * `virtuos replay`, which re-checks the recovery properties on every step.
 *
 * paper-recovery, the seed's recovery experiment: two processes transfer data, C1 a file through the
 * storage domain, C2 a stream through the network domain; the network domain is killed in the middle
 * of C2's transfer; the storage transfer goes on and finishes; the administrator restarts the network
 * domain (a new domain id); C2 reconnects and sends its stream again to the end.
 */
import { DEFAULT_CONFIG, type Config } from '../../model/kit/config.ts';
import { CALL_PENDING, epochOf, lifeOfDomain, NET, OP_XFER, slotOf, STO } from '../../model/recovery/layout.ts';
import { currentDomid, LIFE, PORT_INTERDOMAIN, PRIMARY } from '../../model/isolation/layout.ts';
import { frontendMaps, primaryPorts } from '../../model/isolation/primary-domain.ts';
import { enabled, findChoice, step, type Choice, type System } from '../../model/kit/system.ts';
import { clientPc } from '../../properties/recovery/lib.ts';
import { propertiesFor } from '../../properties/index.ts';
import { checkEnd, checkStep, startMonitors, type Executed, type Violation } from './explore.ts';
import type { RunEnd } from '../../properties/property.ts';

/** A named scenario: a scripted run that replays a story from the paper. */
export interface Scenario {
  name: string;
  description: string;
}

export interface Phase {
  name: string;
  /** actors (by name) that may not move in this phase */
  hold: string[];
  /** a fixed step instead of the scheduler: actor and event */
  fixed?: { actor: string; event: string };
  /** the scheduler stops when this holds */
  goal?: (sys: System, s: Int32Array) => boolean;
  /** what must hold at the end of the phase: null, or what is wrong */
  check: (sys: System, s: Int32Array) => string | null;
  /** what the check says, for the report */
  expect: string;
}

export interface ScriptedScenario extends Scenario {
  config: Config;
  phases: Phase[];
}

export interface PhaseResult {
  name: string;
  expect: string;
  /** first and last step of the phase (1-based; last < first when it took no step) */
  from: number;
  to: number;
  problem: string | null;
}

export interface ScenarioRun {
  scenario: ScriptedScenario;
  sys: System;
  executed: Executed[];
  final: Int32Array;
  phases: PhaseResult[];
  violation: Violation | null;
  end: RunEnd;
  ok: boolean;
}

/** Most steps one phase may take before it is reported as stuck. */
export const PHASE_BOUND = 500;

const C = (sys: System) => sys.L.rec!.client;
const D = (sys: System) => sys.L.rec!.dom;
const done = clientPc('done');

export const paperRecovery: ScriptedScenario = {
  name: 'paper-recovery',
  description: 'the seed\'s recovery experiment: a storage and a network transfer; the network domain is killed mid-transfer; storage goes on; the network domain is restarted; the network client reconnects and finishes',
  config: { ...DEFAULT_CONFIG, isolation: true, recovery: true, crashes: 1, chunks: 3 },
  phases: [
    {
      name: 'both transfers under way',
      hold: ['FI', 'AT'],
      goal: (sys, s) => s[C(sys)[0].k] >= 1 && s[C(sys)[1].k] >= 1 && s[C(sys)[1].status] === CALL_PENDING && s[C(sys)[1].op] === OP_XFER,
      check: (sys, s) => (s[C(sys)[0].errs] + s[C(sys)[1].errs] === 0 ? null : 'a client saw an error before any crash'),
      expect: 'C1 has written a chunk, C2 has sent a chunk and has its next send pending in the network domain; no errors',
    },
    {
      name: 'network domain killed',
      hold: [],
      fixed: { actor: 'FI', event: 'FaultCrashesNetworkDomain' },
      check: (sys, s) => (lifeOfDomain(s, sys.L.iso!, NET) === LIFE.crashed && s[C(sys)[1].status] === CALL_PENDING ? null : 'the network domain is not crashed with C2 pending in it'),
      expect: "the network domain has crashed with C2's send pending in it",
    },
    {
      name: 'storage transfer goes on; network calls fail',
      hold: ['FI', 'AT'],
      goal: (sys, s) => s[C(sys)[0].pc] === done && s[C(sys)[1].pc] === clientPc('backoff'),
      check: (sys, s) => {
        if (s[C(sys)[0].errs] !== 0) return 'C1 saw an error';
        for (let i = 0; i < sys.cfg.chunks; i++) if (s[sys.L.rec!.disk + i] !== i + 1) return `storage chunk ${i} is not on disk`;
        if (s[C(sys)[1].errs] < 2) return 'C2 did not see ECONNRESET and then ENETDOWN';
        if (s[D(sys)[NET].running] !== 0) return "the frontend's network RUNNING bit is still set";
        return null;
      },
      expect: 'C1 finished its file (all chunks on disk) without an error; C2 got ECONNRESET, closed locally, got ENETDOWN on reconnect and backs off; RUNNING clear',
    },
    {
      name: 'network domain restarted',
      hold: ['FI'],
      goal: (sys, s) => s[D(sys)[NET].fe] === 1 && s[D(sys)[NET].running] === 1,
      check: (sys, s) => {
        const I = sys.L.iso!;
        const slot = slotOf(NET);
        const dom = currentDomid(s, I, slot);
        if (dom !== 4) return `the network domain is dom${dom}, not dom4`;
        for (const [m, g] of frontendMaps(I, slot, sys.cfg.processes, false))
          if (s[I.mappings[PRIMARY][m].granter] !== dom || s[I.grants[slot][g.ref].grantee] !== 0) return `the primary's ${I.mappings[PRIMARY][m].role} is not mapped from a fresh grant of dom4`;
        for (const q of primaryPorts(I, slot))
          if (s[I.ports[PRIMARY][q].state] !== PORT_INTERDOMAIN || s[I.ports[PRIMARY][q].remote] !== dom) return `the primary's ${I.ports[PRIMARY][q].role} port is not bound to dom4`;
        return epochOf(s, I, STO) === 0 ? null : 'the storage domain was restarted too';
      },
      expect: "the administrator cleaned dom2 (the toolstack destroyed it) and started dom4; dom4 granted fresh pages, allocated fresh ports and registered; the frontend mapped and bound them and set RUNNING; storage untouched",
    },
    {
      name: 'network client reconnects and finishes',
      hold: ['FI'],
      goal: (sys, s) => s[C(sys)[1].pc] === done,
      check: (sys, s) => (s[C(sys)[1].peer] === sys.cfg.chunks ? null : `the peer has ${s[C(sys)[1].peer]} of ${sys.cfg.chunks} chunks on the new connection`),
      expect: 'C2 reconnected to dom4 and sent the whole stream again; the peer has every chunk',
    },
  ],
};

/** Run a scenario with its deterministic scheduler, checking the recovery properties on every step. */
export function runScenario(sys: System, sc: ScriptedScenario): ScenarioRun {
  const props = propertiesFor(sys.cfg);
  const monitors = startMonitors(sys, props);
  const executed: Executed[] = [];
  const phases: PhaseResult[] = [];
  let s = sys.init;
  let last = -1;
  let violation: Violation | null = null;
  const take = (ch: Choice) => {
    executed.push({ choice: ch, before: s, phase: 'schedule' });
    const before = s;
    s = step(sys, s, ch);
    last = ch.actor;
    violation ??= checkStep(sys, before, ch, s, props, executed.length, monitors);
  };
  for (const ph of sc.phases) {
    const from = executed.length + 1;
    let problem: string | null = null;
    if (ph.fixed) {
      const ch = findChoice(sys, s, ph.fixed.actor, ph.fixed.event);
      if (ch) take(ch);
      else problem = `${ph.fixed.actor} ${ph.fixed.event} is not enabled`;
    } else {
      const held = new Set(sys.actors.flatMap((a, i) => (ph.hold.includes(a.name) ? [i] : [])));
      for (let n = 0; n < PHASE_BOUND && !(ph.goal?.(sys, s) ?? true); n++) {
        const en = enabled(sys, s).filter((c) => !held.has(c.actor));
        if (en.length === 0) break;
        take(en.find((c) => c.actor > last) ?? en[0]);
      }
      if (ph.goal && !ph.goal(sys, s)) problem = `the phase's goal was not reached within ${PHASE_BOUND} steps`;
    }
    problem ??= ph.check(sys, s);
    phases.push({ name: ph.name, expect: ph.expect, from, to: executed.length, problem });
    if (problem) break;
  }
  const quiescent = enabled(sys, s).length === 0;
  const end: RunEnd = { quiescent, hitBound: false, bound: PHASE_BOUND };
  if (!violation && quiescent) violation = checkEnd(sys, s, end, [], props, executed.length, []);
  const complete = phases.length === sc.phases.length && phases.every((p) => p.problem === null);
  return { scenario: sc, sys, executed, final: s, phases, violation, end, ok: complete && violation === null && quiescent };
}

export const SCRIPTED_SCENARIOS: readonly ScriptedScenario[] = [paperRecovery];

/** Every named scenario (`virtuos list`, SPEC.md). */
export const SCENARIOS: readonly Scenario[] = SCRIPTED_SCENARIOS;

export function scenarioByName(name: string): ScriptedScenario | undefined {
  return SCRIPTED_SCENARIOS.find((s) => s.name === name);
}
