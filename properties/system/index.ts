/** The system group: cross-layer properties that only the composed system (every layer on) can state. */
import type { Property } from '../property.ts';
import { crashContainment } from './crash-containment.ts';
import { restartDescriptors } from './restart-descriptors.ts';
import { storageUnforged } from './storage-unforged.ts';

export const SYSTEM_PROPERTIES: readonly Property[] = [crashContainment, restartDescriptors, storageUnforged];
