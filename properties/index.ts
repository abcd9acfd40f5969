/** Every property, in the order they are listed and checked. */
import { entrySafety } from './entry-safety.ts';
import { exactlyOnce } from './exactly-once.ts';
import { linearizable } from './linearizable.ts';
import { noLostWakeup } from './no-lost-wakeup.ts';
import type { Property } from './property.ts';
import { rightThread } from './right-thread.ts';

export const PROPERTIES: readonly Property[] = [exactlyOnce, rightThread, linearizable, noLostWakeup, entrySafety];

export function propertyByName(name: string): Property | undefined {
  return PROPERTIES.find((p) => p.name === name);
}
