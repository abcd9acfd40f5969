/**
 * Device isolation (safety, checked on every step).
 *
 * Every DMA lands in pages of the device owner's domain: whatever the device's registers tell it
 * (and a compromised driver may tell it anything), a transfer that reaches memory writes only frames
 * owned by the domain the device is assigned to, and only frames of the domain whose request it is
 * (the owner when the device took the request), so that a transfer left in flight across a
 * reassignment cannot land in the next owner's memory. That is what the IOMMU context must guarantee
 * across PCI passthrough assignments, domain destruction and restarts.
 *
 * VIRTUOS.md: "Memory and isolation" (devices passed through with the IOMMU), "Components".
 */
import { DEVICE_NAMES } from '../../model/isolation/layout.ts';
import { deviceOfMmio, isMmio, memoryMap } from '../../model/isolation/memory-map.ts';
import { label } from '../../model/kit/system.ts';
import type { Property } from '../property.ts';
import { isolationOn, stepFootprint, wordName } from './lib.ts';

export const deviceIsolation: Property = {
  name: 'device-isolation',
  group: 'isolation',
  kind: 'safety',
  section: 'Memory and isolation',
  description: "Every DMA lands in pages of the device owner's domain.",
  clauses: {
    'dma-in-owner-pages': 'every frame a device writes is owned by the domain the device is assigned to',
    'dma-in-requester-pages': 'every frame a device writes is owned by the domain that owned the device when it took the request',
  },
  applies: isolationOn,
  transition(sys, before, ch, after) {
    const map = memoryMap(sys);
    const acc = map.accessor[ch.actor];
    if (!isMmio(acc)) return null;
    const I = sys.L.iso!;
    const dev = deviceOfMmio(acc);
    const owner = before[I.devices[dev].owner];
    const issuer = before[I.devices[dev].issuer];
    for (const w of stepFootprint(sys, before, ch, after).writes) {
      const f = map.home[w];
      if (f < 0) continue;
      const landed = before[I.frames[f].owner];
      if (landed !== owner)
        return { clause: 'dma-in-owner-pages', message: `${label(sys, before, ch)}: the ${DEVICE_NAMES[dev]} (assigned to dom${owner}) writes ${wordName(sys, w)} in ${I.frames[f].name}, owned by dom${landed}` };
      if (landed !== issuer)
        return {
          clause: 'dma-in-requester-pages',
          message: `${label(sys, before, ch)}: the ${DEVICE_NAMES[dev]} writes ${wordName(sys, w)} in ${I.frames[f].name} (dom${landed}) for a request taken while dom${issuer} owned it`,
        };
    }
    return null;
  },
};
