/**
 * Restoration: after a restart new calls to the domain succeed, and nothing of the old incarnation
 * ever reaches a call of the new one.
 *
 * - no-stale-delivery: a call that got a result from a backend got it from the incarnation it was
 *   submitted to (never a late completion or stale notify record of an older one);
 * - transfers-finish: at the end of the run every process has finished its transfer (after the
 *   restart its reopened descriptor works), and the network peer received the whole stream on the
 *   last connection; with the adversary on, only the storage client (a compromised network domain
 *   can deny its own service).
 *
 * VIRTUOS.md: "Failure and recovery" (the client reconnects and finishes).
 */
import { CALL_DONE, CLIENTS, domainOfClient, DOMAIN_NAMES, domidAt, NET } from '../../model/recovery/layout.ts';
import type { Property } from '../property.ts';
import { clientPc, promisedAtEnd, recoveryOn } from './lib.ts';

export const restoration: Property = {
  name: 'restoration',
  group: 'recovery',
  kind: 'liveness',
  section: 'Failure and recovery',
  description: 'After a restart, new calls to the domain succeed and every transfer finishes; no completion of an old incarnation reaches a call of the new one.',
  clauses: {
    'no-stale-delivery': 'a result produced by a backend comes from the incarnation the call was submitted to',
    'transfers-finish': 'at the end every process has finished, and the network peer has the whole stream',
  },
  applies: recoveryOn,
  invariant: (sys, s) => {
    const R = sys.L.rec!;
    for (let p = 0; p < CLIENTS; p++) {
      const c = R.client[p];
      if (s[c.status] === CALL_DONE && s[c.resEp] >= 0 && s[c.resEp] !== s[c.reqEp]) {
        const d = domainOfClient(p);
        return { clause: 'no-stale-delivery', message: `C${p + 1}'s call to dom${domidAt(d, s[c.reqEp])} got a result of dom${domidAt(d, s[c.resEp])}, an older ${DOMAIN_NAMES[d]} incarnation` };
      }
    }
    return null;
  },
  final: (sys, s, end) => {
    const R = sys.L.rec!;
    const donePc = clientPc('done');
    for (let p = 0; p < CLIENTS; p++) {
      if (!promisedAtEnd(sys.cfg, domainOfClient(p))) continue;
      if (s[R.client[p].pc] !== donePc) return { clause: 'transfers-finish', message: `C${p + 1} has not finished its transfer at the end of the run (${end.quiescent ? 'nothing else can move' : `fair drain bound ${end.bound} reached`})` };
      if (domainOfClient(p) === NET && s[R.client[p].peer] !== sys.cfg.chunks) return { clause: 'transfers-finish', message: `the network peer received ${s[R.client[p].peer]} of ${sys.cfg.chunks} chunks on the last connection` };
    }
    return null;
  },
};
