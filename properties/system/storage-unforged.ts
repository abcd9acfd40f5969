/**
 * Storage results are the storage domain's (safety; composed system).
 *
 * Whatever the compromised network domain writes into the memory it can reach (its own request areas,
 * the ready queues the primary grants it, its notify ring), every storage call returns the answer the
 * storage domain's kernel produced for it, or, if the storage domain failed, the frontend's failure
 * answer: never a stale or absent answer because a thread was resumed by something the network domain
 * forged. Only the composed system can state this: it needs storage calls (POSIX) carried by the
 * dispatch machines, whose wake-ups a shared structure could expose, and the adversary (isolation).
 * Who wrote a request's answer is a ghost the model keeps beside the request slot.
 *
 * - storage-answer-from-storage: a storage call returns only once the storage domain (or the frontend
 *   after its failure) has answered that very request.
 *
 * VIRTUOS.md: "Memory and isolation" (a bad service domain can corrupt at most its own process's ready
 * queue and send bogus notifications, which are ignored).
 */
import { STO } from '../../model/posix/kernel.ts';
import { SRC_NONE } from '../../model/posix/layout.ts';
import { requestText, RPC_DONE } from '../../model/posix/service.ts';
import type { Ctx } from '../../model/kit/kit.ts';
import type { Property } from '../property.ts';
import { systemOn } from './lib.ts';

export const storageUnforged: Property = {
  name: 'storage-unforged',
  group: 'system',
  kind: 'safety',
  section: 'Memory and isolation',
  description:
    'Whatever the compromised network domain writes, every storage call returns the answer the storage domain produced for it (or the frontend\'s failure answer after a storage crash), never one it did not produce.',
  clauses: {
    'storage-answer-from-storage': 'a storage call returns only once the storage domain, or the frontend after its failure, has answered that request',
  },
  applies: systemOn,
  invariant(sys, s) {
    const PL = sys.L.posix!;
    for (let t = 0; t < PL.slots; t++) {
      const q = PL.rpc[t][STO];
      if (s[q.st] === RPC_DONE && s[q.src] === SRC_NONE) {
        const c: Ctx = { s, me: 0, L: sys.L, emit: () => {} };
        return { clause: 'storage-answer-from-storage', message: `T${t + 1}'s storage call ${requestText(c, { d: STO, slot: t })} returned, but the storage domain never answered it` };
      }
    }
    return null;
  },
};
