/** The dispatch group: what the request stacks, the ready queue, the wake word and the workers must guarantee for every remote call. */
import type { Property } from '../property.ts';
import { entrySafety } from './entry-safety.ts';
import { exactlyOnce } from './exactly-once.ts';
import { linearizable } from './linearizable.ts';
import { noLostWakeup } from './no-lost-wakeup.ts';
import { rightThread } from './right-thread.ts';

export const DISPATCH_PROPERTIES: readonly Property[] = [exactlyOnce, rightThread, linearizable, noLostWakeup, entrySafety];
