/**
 * No leak (safety, with one end-of-run clause): nothing of a failed incarnation survives the clean-up.
 *
 * - teardown-complete: once the frontend has no connection to a domain, it maps none of the domain's
 *   pages, has no event channel bound to it, and no notify record, request entry or ready-queue handle
 *   of the domain is left;
 * - clean-complete: once the administrator has cleaned a crashed domain, its grant-table entries,
 *   ports and shadow processes are gone and its rendezvous is UNREGISTERED;
 * - only-current-incarnation: every grant, mapping, event channel, request entry, shadow process,
 *   ready-queue handle and notify record of a domain belongs to its current incarnation;
 * - torn-down: at the end of the run no domain is left crashed or cleaned but not restarted (a frontend
 *   whose reference count never reaches zero never lets the domain be cleaned).
 *
 * VIRTUOS.md: "Failure and recovery" (teardown when the count reaches zero; clean).
 */
import { clientsOf, DOMAIN_NAMES, DOMAINS, domidAt, LIFE_CRASHED, LIFE_DOWN, LIFE_NAMES, RV_UNREGISTERED } from '../../model/recovery-layout.ts';
import type { Property } from '../property.ts';
import { recoveryOn } from './lib.ts';

export const noLeak: Property = {
  name: 'no-leak-after-crash',
  group: 'recovery',
  kind: 'safety',
  section: 'Failure and recovery',
  description:
    'No grant, mapping, event channel, request entry, shadow process, ready-queue handle or notify record of a failed incarnation survives its teardown and clean-up, and every failed incarnation is torn down and cleaned.',
  clauses: {
    'teardown-complete': 'with no connection to a domain the frontend holds no mapping, channel, record, request entry or ready-queue handle of it',
    'clean-complete': 'a cleaned domain has no grant, port or shadow process left and its rendezvous is UNREGISTERED',
    'only-current-incarnation': "every resource of a domain belongs to its current incarnation",
    'torn-down': 'at the end of the run every failed incarnation has been torn down, cleaned and replaced',
  },
  applies: recoveryOn,
  invariant: (sys, s) => {
    const R = sys.L.rec!;
    for (let d = 0; d < DOMAINS; d++) {
      const w = R.dom[d];
      const name = DOMAIN_NAMES[d];
      const ep = s[w.epoch];
      const old = (x: number) => x >= 0 && x !== ep;
      if (s[w.fe] < 0) {
        if (s[w.map] >= 0 || s[w.chan] >= 0 || s[w.ringLen] > 0) return { clause: 'teardown-complete', message: `the frontend has no ${name} connection but still ${s[w.map] >= 0 ? 'maps its pages' : s[w.chan] >= 0 ? 'has a channel bound' : 'has notify records'}` };
        for (const p of clientsOf(d)) if (s[R.client[p].entry] >= 0 || s[R.client[p].rq] >= 0) return { clause: 'teardown-complete', message: `C${p + 1} still has a request entry or ready-queue handle of the disconnected ${name} domain` };
      }
      if (s[w.life] === LIFE_DOWN) {
        if (s[w.grant] >= 0 || s[w.port] >= 0 || s[w.rv] !== RV_UNREGISTERED) return { clause: 'clean-complete', message: `the cleaned ${name} domain still has ${s[w.grant] >= 0 ? 'grant entries' : s[w.port] >= 0 ? 'ports' : 'a registration'}` };
        for (const p of clientsOf(d)) if (s[R.client[p].shadow] >= 0) return { clause: 'clean-complete', message: `C${p + 1}'s shadow process survives the clean-up of the ${name} domain` };
      }
      const words: [string, number][] = [
        ['mapping', s[w.map]],
        ['event channel', s[w.chan]],
        ['grant', s[w.grant]],
        ['port', s[w.port]],
      ];
      for (let i = 0; i < s[w.ringLen]; i++) words.push(['notify record', s[w.ringEp + i]]);
      for (const p of clientsOf(d)) words.push([`C${p + 1}'s request entry`, s[R.client[p].entry]], [`C${p + 1}'s ready-queue handle`, s[R.client[p].rq]], [`C${p + 1}'s shadow process`, s[R.client[p].shadow]]);
      for (const [what, x] of words) if (old(x)) return { clause: 'only-current-incarnation', message: `${what} of dom${domidAt(d, x)} survives into dom${domidAt(d, ep)}` };
    }
    return null;
  },
  final: (sys, s) => {
    const R = sys.L.rec!;
    for (let d = 0; d < DOMAINS; d++) {
      const life = s[R.dom[d].life];
      if (life === LIFE_CRASHED || life === LIFE_DOWN)
        return { clause: 'torn-down', message: `the ${DOMAIN_NAMES[d]} domain dom${domidAt(d, s[R.dom[d].epoch])} is still ${LIFE_NAMES[life]} at the end (frontend references: ${s[R.dom[d].refs]})` };
    }
    return null;
  },
};
