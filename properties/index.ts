/** Every property, in the order they are listed and checked. */
import { entrySafety } from './entry-safety.ts';
import { exactlyOnce } from './exactly-once.ts';
import { linearizable } from './linearizable.ts';
import { noLostWakeup } from './no-lost-wakeup.ts';
import type { Config } from '../model/config.ts';
import type { Property } from './property.ts';
import { rightThread } from './right-thread.ts';
import { ISOLATION_PROPERTIES } from './isolation/index.ts';
import { RECOVERY_PROPERTIES } from './recovery/index.ts';

export const PROPERTIES: readonly Property[] = [exactlyOnce, rightThread, linearizable, noLostWakeup, entrySafety, ...ISOLATION_PROPERTIES, ...RECOVERY_PROPERTIES];

export function propertyByName(name: string): Property | undefined {
  return PROPERTIES.find((p) => p.name === name);
}

/** The properties that say something about a configuration (a layer's properties only when it is on). */
export function propertiesFor(cfg: Config): Property[] {
  // with the recovery layer on the dispatch protocol's actors are held (system.ts): only the recovery group speaks
  if (cfg.recovery) return PROPERTIES.filter((p) => p.group === 'recovery');
  return PROPERTIES.filter((p) => !p.applies || p.applies(cfg));
}
