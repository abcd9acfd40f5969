/**
 * Containment (hyperproperty): a crash of service domain D changes nothing observable for a process
 * that holds no state in D, and the primary domain keeps making progress without D.
 *
 * - no-foreign-error: a process whose own domain has never failed never sees an error;
 * - progress-without-D: at every crash of D, the run continued with D never coming back (its backend,
 *   the administrator and the fault injector held; recovery/lib.ts) lets every process of another,
 *   running domain finish its transfer within CONTAIN_BOUND fair steps, and without an error.
 *
 * The second clause is what a storage call that waits on something of the network domain breaks: in
 * the real run the network domain comes back and the call finishes late; in the derived run it never
 * finishes.
 *
 * VIRTUOS.md: "Failure and recovery" (a crash must not take down processes that do not use the domain).
 */
import { crashOf } from '../../model/recovery/fault-injector.ts';
import { CLIENTS, domainOfClient, DOMAIN_NAMES } from '../../model/recovery/layout.ts';
import type { Property } from '../property.ts';
import { clientPc, derivedRun, heldAfterCrash, neverFailed, recoveryOn } from './lib.ts';

/** Fair steps the other domains' processes get to finish in the derived run. */
export const CONTAIN_BOUND = 600;

export const containment: Property = {
  name: 'containment',
  group: 'recovery',
  kind: 'hyperproperty',
  section: 'Failure and recovery',
  description:
    'A crash of a service domain changes nothing observable for processes with no state in it: they see no error, and they finish their work even if the crashed domain never comes back; the primary domain never blocks on it.',
  clauses: {
    'no-foreign-error': 'a process whose domain has never failed has seen no error',
    'progress-without-D': `after a crash of D, with D never restarted, every process of another domain that has never failed finishes within ${CONTAIN_BOUND} fair steps without an error`,
  },
  applies: recoveryOn,
  invariant: (sys, s) => {
    const R = sys.L.rec!;
    for (let p = 0; p < CLIENTS; p++) {
      if (neverFailed(sys, s, domainOfClient(p)) && s[R.client[p].errs] > 0)
        return { clause: 'no-foreign-error', message: `C${p + 1} saw an error although the ${DOMAIN_NAMES[domainOfClient(p)]} domain it uses never failed` };
    }
    return null;
  },
  monitor: (sys) => (_before, ch, after) => {
    const d = crashOf(ch.event.name);
    if (d < 0 || !sys.L.rec) return null;
    const R = sys.L.rec;
    // the processes of other domains that have never failed or been stopped (epoch 0): an earlier
    // outage of their own domain may legitimately still fail their calls (stale descriptors)
    const others = [...Array(CLIENTS).keys()].filter((p) => domainOfClient(p) !== d && neverFailed(sys, after, domainOfClient(p)));
    if (others.length === 0) return null;
    const donePc = clientPc('done');
    const errs = others.map((p) => after[R.client[p].errs]);
    const r = derivedRun(sys, after, heldAfterCrash(sys, d), CONTAIN_BOUND, (s) => others.every((p) => s[R.client[p].pc] === donePc));
    for (const [i, p] of others.entries()) {
      if (r.s[R.client[p].errs] !== errs[i]) return { clause: 'progress-without-D', message: `with the ${DOMAIN_NAMES[d]} domain dead, C${p + 1} (no state in it) got an error` };
      if (r.s[R.client[p].pc] !== donePc)
        return { clause: 'progress-without-D', message: `with the ${DOMAIN_NAMES[d]} domain dead, C${p + 1} (no state in it) did not finish within ${CONTAIN_BOUND} fair steps: it waits on the dead domain` };
    }
    return null;
  },
};
