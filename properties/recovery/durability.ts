/**
 * Durability (safety): data written and synced through the storage domain survives any crash; a crash
 * of the network domain changes nothing in the storage domain; a crash of the storage domain loses at
 * most what was written after the last completed fsync.
 *
 * - synced-intact: every chunk a completed fsync acknowledged to C1 is on the disk with its data;
 * - network-crash-spares-storage: a crash of the network domain (or its NIC) changes neither the
 *   storage page cache nor the disk;
 * - file-complete: when C1 has finished, the disk holds the whole file.
 *
 * VIRTUOS.md: "Failure and recovery" (the storage transfer continues unaffected).
 */
import { crashOf } from '../../model/recovery/fault-injector.ts';
import { NET } from '../../model/recovery/layout.ts';
import type { Property } from '../property.ts';
import { clientPc, recoveryOn } from './lib.ts';

export const durability: Property = {
  name: 'durability',
  group: 'recovery',
  kind: 'safety',
  section: 'Failure and recovery',
  description: 'Data synced through the storage domain is on disk whatever crashes; a network crash changes nothing in the storage domain; a storage crash loses at most what was not synced.',
  clauses: {
    'synced-intact': 'every chunk a completed fsync acknowledged is on the disk',
    'network-crash-spares-storage': 'a crash of the network domain changes no storage page-cache or disk word',
    'file-complete': 'when the storage client has finished, the disk holds the whole file',
  },
  applies: recoveryOn,
  invariant: (sys, s) => {
    const R = sys.L.rec!;
    const c = R.client[0];
    for (let i = 0; i < s[c.synced]; i++) if (s[R.disk + i] !== i + 1) return { clause: 'synced-intact', message: `chunk ${i} was acknowledged by fsync but the disk holds ${s[R.disk + i] === 0 ? 'nothing' : `chunk ${s[R.disk + i] - 1}`} there` };
    if (s[c.pc] === clientPc('done')) for (let i = 0; i < sys.cfg.chunks; i++) if (s[R.disk + i] !== i + 1) return { clause: 'file-complete', message: `C1 has finished but chunk ${i} is not on the disk` };
    return null;
  },
  transition: (sys, before, ch, after) => {
    if (crashOf(ch.event.name) !== NET) return null;
    const R = sys.L.rec!;
    for (let i = 0; i < sys.cfg.chunks; i++)
      if (before[R.cache + i] !== after[R.cache + i] || before[R.disk + i] !== after[R.disk + i]) return { clause: 'network-crash-spares-storage', message: `the network crash changed storage chunk ${i}` };
    return null;
  },
};
