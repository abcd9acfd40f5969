/**
 * What a property is. A property is stated informally first (one paragraph a person can check
 * against VIRTUOS.md), then split into named clauses so that a violation names the clause that broke.
 * It is checked in up to five places:
 * - `invariant`: on every state a run reaches (safety);
 * - `transition`: on every step, given the states before and after it (safety of what a step does,
 *   such as which memory it touches);
 * - `final`: on the last state of a run, after the fair drain (bounded liveness: see the drain bound
 *   in scripts/verifier/explore.ts);
 * - `history`: over the operation history the run recorded (linearizability);
 * - `monitor`: a checker made fresh for each run and told every step, for properties of the run so
 *   far rather than of one state or step (non-interference against a second, derived run).
 * A check returns null when the property holds, or the clause that broke with a message.
 *
 * An invariant may also say which words of the state it reads (`reads`). A random run then checks it
 * again only after a step that changed one of them (scripts/verifier/explore.ts): the invariant is a
 * function of those words, it held on the state before the step, so it still holds. The declaration is
 * tested, not trusted: tests/incremental-checks.test.ts runs every invariant that has one on states of
 * every layer, recording each word it reads, and fails on a word the declaration leaves out.
 */
import type { Config } from '../model/kit/config.ts';
import type { HistEvent } from '../model/kit/kit.ts';
import { COMPONENTS, enabled, type Choice, type System } from '../model/kit/system.ts';
import type { Component } from '../model/kit/kit.ts';
import { actsForUnjudged } from '../model/system/instance.ts';
import { sclib } from '../model/dispatch/sclib.ts';
import { primaryKernel } from '../model/dispatch/primary-kernel.ts';
import { workerPool } from '../model/dispatch/worker-pool.ts';
import { frontend } from '../model/dispatch/frontend.ts';
import { backend } from '../model/dispatch/backend.ts';
import { networkDomain } from '../model/isolation/service-domain.ts';
import { networkFrontend } from '../model/isolation/network-frontend.ts';
import { networkWorker } from '../model/posix/domain-worker.ts';
import { ADVERSARY_COMPONENTS } from '../model/isolation/adversary.ts';

const DISPATCH_KINDS = new Map<Component, 'T' | 'K' | 'W' | 'F' | 'B'>([
  [sclib, 'T'],
  [primaryKernel, 'K'],
  [workerPool, 'W'],
  [frontend, 'F'],
  [backend, 'B'],
]);
/** The network domain's own machines (its boot actor, its POSIX workers, the adversary) and the primary's notify thread for it. */
const NETWORK_DOMAIN_COMPONENTS = new Set<Component>([networkDomain, networkWorker, networkFrontend, ...ADVERSARY_COMPONENTS]);

export interface Broken {
  clause: string;
  message: string;
}

/** A history event stamped with the step that produced it and the actor that took that step. */
export interface TimedEvent extends HistEvent {
  time: number;
  actor: number;
}

export interface RunEnd {
  /** no step is enabled in the final state */
  quiescent: boolean;
  /** the fair drain stopped at its bound while steps were still enabled */
  hitBound: boolean;
  /** the bound of fair steps the drain had */
  bound: number;
}

export interface Property {
  name: string;
  group: string;
  kind: 'safety' | 'liveness' | 'history' | 'hyperproperty';
  /** the informal statement */
  description: string;
  /** the section of VIRTUOS.md it checks */
  section: string;
  clauses: Record<string, string>;
  invariant?: (sys: System, s: Int32Array) => Broken | null;
  /**
   * every word of the state `invariant` may read, whatever the state (a superset is sound, only
   * slower); a function of the layout, the same for every POSIX program of a configuration (it is
   * cached per System.shape)
   */
  reads?: (sys: System) => Iterable<number>;
  final?: (sys: System, s: Int32Array, end: RunEnd) => Broken | null;
  /** 'unknown' when the check ran out of budget: neither holds nor broken, and counted as such */
  history?: (sys: System, events: TimedEvent[]) => Broken | null | 'unknown';
  /**
   * judge one step; `before` and `after` are valid during the call only (a run computes its states
   * in two alternating buffers), and `choice` is a new object for every step
   */
  transition?: (sys: System, before: Int32Array, choice: Choice, after: Int32Array) => Broken | null;
  /**
   * make the checker of one run; it is called after every step, in order, from the initial state,
   * and must copy any state it keeps past the call (as for `transition`, the arrays are reused)
   */
  monitor?: (sys: System) => (before: Int32Array, choice: Choice, after: Int32Array) => Broken | null;
  /** the configurations it says something about (absent: all); a layer's property is not run while its layer is off */
  applies?: (cfg: Config) => boolean;
}

/**
 * Did the drain hit its bound only because of actors working for a service no longer judged (the
 * compromised network domain, and the primary's machines of its dispatch instance: a kernel thread
 * may spin for ever in rqueue_wait on a ready queue that domain corrupted)? Then the bound says
 * nothing about the judged part of the system.
 */
export function boundHitByUnjudged(sys: System, s: Int32Array, end: RunEnd): boolean {
  if (!end.hitBound || !sys.cfg.system) return false;
  return enabled(sys, s).every((ch) => {
    const a = sys.actors[ch.actor];
    const comp = COMPONENTS[a.comp];
    const kind = DISPATCH_KINDS.get(comp) ?? null;
    return actsForUnjudged(s, sys.L, kind, a.me, NETWORK_DOMAIN_COMPONENTS.has(comp));
  });
}
