/**
 * Memory isolation (safety, checked on every step and every state).
 *
 * No domain reads or writes a page it neither owns nor maps through a live grant that allows the
 * access: every word a step touches is in a frame of the acting domain, or in a frame its page tables
 * map from a grant that still grants that frame to it (read-write for a write). A domain's private
 * registers are touched only by that domain's code, and a device's registers only by its owner. No
 * process can write a wake page: process code never writes one, and every mapping of a wake page into
 * a process is read-only (the frontend's kernel mapping is read-write: it CAS-sets WAKE_IN_PROGRESS).
 * Every shared-memory access of the dispatch protocol is checked, through the step's measured
 * footprint (model/kit/footprint.ts) and the memory map (model/isolation/memory-map.ts); so are the boot, connect,
 * notify and adversary actors' accesses. The hypervisor's own state (grant tables, ports, ownership)
 * is not memory of any domain here; the other isolation properties watch it.
 *
 * VIRTUOS.md: "Memory and isolation".
 */
import { currentDomid, KERNEL_SPACE, PERM_RW, PRIMARY, SLOT_NAMES } from '../../model/isolation/layout.ts';
import { deviceOfMmio, isMmio, isProcessCode, isRegister, memoryMap, slotOfRegister } from '../../model/isolation/memory-map.ts';
import { label } from '../../model/kit/system.ts';
import type { Property } from '../property.ts';
import { isolationOn, mayAccess, stepFootprint, wordName } from './lib.ts';

export const memoryIsolation: Property = {
  name: 'memory-isolation',
  group: 'isolation',
  kind: 'safety',
  section: 'Memory and isolation',
  description:
    'No domain reads or writes a page it neither owns nor maps through a live grant with sufficient permission; private registers stay private to their domain, device registers to the device owner; no process can write the wake page.',
  clauses: {
    'access-through-ownership-or-live-grant': 'every word a step touches is in a page its domain owns, or maps through a live grant allowing the access (or is its own register)',
    'no-process-writes-wake-page': 'process code (a user thread outside the frontend trap) never writes a wake page',
    'wake-page-read-only-in-processes': 'every mapping of a wake page into a process is read-only',
  },
  applies: isolationOn,
  transition(sys, before, ch, after) {
    const map = memoryMap(sys);
    const slot = map.accessor[ch.actor];
    if (slot < 0) return null;
    const I = sys.L.iso!;
    const fp = stepFootprint(sys, before, ch, after);
    const domid = currentDomid(before, I, slot);
    const who = () => `${label(sys, before, ch)} [${SLOT_NAMES[slot]}, dom${domid}]`;
    const processCode = isProcessCode(sys, ch);
    for (const [words, write] of [
      [fp.writes, true],
      [fp.reads, false],
    ] as const) {
      for (const w of words) {
        if (write === false && fp.writes.includes(w)) continue;
        const home = map.home[w];
        if (home >= 0) {
          const frame = I.frames[home];
          if (write && processCode && frame.kind === 'wake') return { clause: 'no-process-writes-wake-page', message: `${who()}: process code writes ${wordName(sys, w)} in ${frame.name}` };
          if (!mayAccess(before, I, slot, home, write))
            return {
              clause: 'access-through-ownership-or-live-grant',
              message: `${who()}: ${write ? 'writes' : 'reads'} ${wordName(sys, w)} in ${frame.name} (owner dom${before[frame.owner]}), which dom${domid} neither owns nor maps through a live grant${write ? ' allowing writes' : ''}`,
            };
        } else if (isRegister(home) && slotOfRegister(home) !== slot) {
          return { clause: 'access-through-ownership-or-live-grant', message: `${who()}: ${write ? 'writes' : 'reads'} ${wordName(sys, w)}, a register of the ${SLOT_NAMES[slotOfRegister(home)]} domain` };
        } else if (isMmio(home) && before[I.devices[deviceOfMmio(home)].owner] !== domid) {
          return { clause: 'access-through-ownership-or-live-grant', message: `${who()}: ${write ? 'writes' : 'reads'} ${wordName(sys, w)}, a register of a device assigned to dom${before[I.devices[deviceOfMmio(home)].owner]}` };
        }
      }
    }
    return null;
  },
  invariant(sys, s) {
    const I = sys.L.iso!;
    for (const m of I.mappings[PRIMARY]) {
      const f = s[m.frame];
      if (f >= 0 && m.space !== KERNEL_SPACE && I.frames[f].kind === 'wake' && s[m.perm] === PERM_RW)
        return { clause: 'wake-page-read-only-in-processes', message: `the ${I.frames[f].name} is mapped read-write into process ${m.space + 1} (${m.role})` };
    }
    return null;
  },
};
