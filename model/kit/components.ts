/**
 * What a composed system is made of: every layer's components, in the order their actors are listed,
 * and the System record (its actors, layout, initial state and gate) that `makeSystem` builds in
 * system.ts. Kept apart from system.ts so that the steppers (stepper.ts, compiled.ts), which
 * system.ts itself runs, can read a system without importing the composition.
 */
import type { Config } from './config.ts';
import type { Component } from './kit.ts';
import type { Layout } from './layout.ts';
import { DISPATCH_COMPONENTS } from '../dispatch/index.ts';
import { POSIX_COMPONENTS } from '../posix/index.ts';
import { ISOLATION_COMPONENTS } from '../isolation/index.ts';
import { RECOVERY_COMPONENTS } from '../recovery/index.ts';

export { DISPATCH_COMPONENTS, POSIX_COMPONENTS, ISOLATION_COMPONENTS, RECOVERY_COMPONENTS };

/** The components, in the order their actors are listed. */
export const COMPONENTS: readonly Component[] = [...DISPATCH_COMPONENTS, ...POSIX_COMPONENTS, ...ISOLATION_COMPONENTS, ...RECOVERY_COMPONENTS];

export interface Actor {
  comp: number;
  me: number;
  name: string;
  pcAt: number;
}

export interface System {
  cfg: Config;
  L: Layout;
  /**
   * The configuration without the POSIX program: systems with the same shape have the same layout,
   * actors and boot, and differ only in the programs their threads run (tables derived from the
   * layout are cached by it; the random verifier builds a system per generated program).
   */
  shape: string;
  actors: Actor[];
  init: Int32Array;
  /** when not null: the actors from `heldFrom` on (the dispatch protocol's) are held while `gate` is false */
  gate: ((s: Int32Array) => boolean) | null;
  heldFrom: number;
}
