/** Every property, in the order they are listed and checked. */
import { entrySafety } from './entry-safety.ts';
import { exactlyOnce } from './exactly-once.ts';
import { linearizable } from './linearizable.ts';
import { noLostWakeup } from './no-lost-wakeup.ts';
import type { Config } from '../model/config.ts';
import type { Property } from './property.ts';
import { rightThread } from './right-thread.ts';
import { compatibility } from './posix/compatibility.ts';
import { forkExecInheritance } from './posix/fork-exec-inheritance.ts';
import { noLeak } from './posix/no-leak.ts';
import { pollCorrectness } from './posix/poll-correctness.ts';
import { signalSemantics } from './posix/signal-semantics.ts';

import { ISOLATION_PROPERTIES } from './isolation/index.ts';
import { RECOVERY_PROPERTIES } from './recovery/index.ts';

export const PROPERTIES: readonly Property[] = [
  exactlyOnce, rightThread, linearizable, noLostWakeup, entrySafety,
  // group 'posix': checked when the POSIX layer is on (config field `posix`)
  compatibility, noLeak, pollCorrectness, signalSemantics, forkExecInheritance,
  // group 'isolation': checked when the isolation layer is on (config field `isolation`)
  ...ISOLATION_PROPERTIES,
  // group 'recovery': checked when the recovery layer is on (config field `recovery`)
  ...RECOVERY_PROPERTIES,
];

export function propertyByName(name: string): Property | undefined {
  return PROPERTIES.find((p) => p.name === name);
}

/** The properties that say something about a configuration (a layer's properties only when it is on). */
export function propertiesFor(cfg: Config): Property[] {
  // the POSIX layer replaces the dispatch model's actors, so its group is checked alone
  if (cfg.posix) return PROPERTIES.filter((p) => p.group === 'posix');
  // with the recovery layer on the dispatch protocol's actors are held (system.ts): the recovery group
  // speaks, and the isolation group's properties about the hypervisor it runs on
  if (cfg.recovery) return PROPERTIES.filter((p) => (p.group === 'recovery' || p.group === 'isolation') && (!p.applies || p.applies(cfg)));
  return PROPERTIES.filter((p) => p.group !== 'posix' && p.group !== 'recovery' && (!p.applies || p.applies(cfg)));
}
