/** The isolation group: what the hypervisor, the domains and the devices must guarantee against a compromised service domain. */
import { confinement } from './confinement.ts';
import { deviceIsolation } from './device-isolation.ts';
import { eventChannelIsolation } from './event-channel-isolation.ts';
import { grantDiscipline } from './grant-discipline.ts';
import { memoryIsolation } from './memory-isolation.ts';
import type { Property } from '../property.ts';

export const ISOLATION_PROPERTIES: readonly Property[] = [memoryIsolation, deviceIsolation, grantDiscipline, eventChannelIsolation, confinement];
