/**
 * What a property is. A property is stated informally first (one paragraph a person can check
 * against VIRTUOS.md), then split into named clauses so that a violation names the clause that broke.
 * It is checked in up to three places:
 * - `invariant`: on every state a run reaches (safety);
 * - `final`: on the last state of a run, after the fair drain (bounded liveness: see the drain bound
 *   in scripts/lib/explore.ts);
 * - `history`: over the operation history the run recorded (linearizability).
 * A check returns null when the property holds, or the clause that broke with a message.
 */
import type { HistEvent } from '../model/kit.ts';
import type { System } from '../model/system.ts';

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
  kind: 'safety' | 'liveness' | 'history';
  /** the informal statement */
  description: string;
  /** the section of VIRTUOS.md it checks */
  section: string;
  clauses: Record<string, string>;
  invariant?: (sys: System, s: Int32Array) => Broken | null;
  final?: (sys: System, s: Int32Array, end: RunEnd) => Broken | null;
  /** 'unknown' when the check ran out of budget: neither holds nor broken, and counted as such */
  history?: (sys: System, events: TimedEvent[]) => Broken | null | 'unknown';
}
