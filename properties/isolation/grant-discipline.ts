/**
 * Grant discipline (safety, checked on every state).
 *
 * No mapping outlives its grant: every page-table mapping of another domain's frame is backed by a
 * grant entry that still grants that frame to the mapping domain with at least the mapping's
 * permission. A page leaves its domain (returns to the free pool, or to another domain) only after
 * every mapping of it is gone: a mapped frame is still owned by the domain that granted it, even when
 * that domain has died. Together these say that ending access, freeing memory and destroying a domain
 * cannot leave another domain holding a window onto a page that is no longer shared with it.
 *
 * VIRTUOS.md: "Memory and isolation" (grants; no grant operation per call), "Failure and recovery".
 */
import { currentDomid, SLOT_NAMES, slotOfDomid } from '../../model/isolation/layout.ts';
import type { Property } from '../property.ts';
import { isolationOn, liveGrant } from './lib.ts';

export const grantDiscipline: Property = {
  name: 'grant-discipline',
  group: 'isolation',
  kind: 'safety',
  section: 'Memory and isolation',
  description: 'No mapping outlives its grant; a page returns to the free pool or to another domain only after every mapping of it is gone.',
  clauses: {
    'mapping-has-live-grant': 'every mapping is backed by a grant entry that still grants that frame to the mapper with enough permission',
    'mapped-page-stays-with-granter': 'a mapped frame is still owned by the domain that granted it (not freed, not reassigned)',
  },
  applies: isolationOn,
  invariant(sys, s) {
    const I = sys.L.iso;
    if (!I) return null;
    for (let slot = 0; slot < I.mappings.length; slot++) {
      const mapper = currentDomid(s, I, slot);
      for (const m of I.mappings[slot]) {
        const f = s[m.frame];
        if (f < 0) continue;
        const frame = I.frames[f];
        const granter = s[m.granter];
        if (s[frame.owner] !== granter)
          return {
            clause: 'mapped-page-stays-with-granter',
            message: `the ${SLOT_NAMES[slot]} domain still maps ${frame.name} (${m.role}) from dom${granter}, but the frame now ${s[frame.owner] < 0 ? 'is in the free pool' : `belongs to dom${s[frame.owner]}`}`,
          };
        if (!liveGrant(s, I, m, mapper)) {
          const e = I.grants[slotOfDomid(granter)][s[m.ref]];
          const now = e === undefined || s[e.frame] < 0 ? 'no longer grants anything' : `now grants ${I.frames[s[e.frame]]?.name ?? s[e.frame]} to dom${s[e.grantee]}`;
          return { clause: 'mapping-has-live-grant', message: `the ${SLOT_NAMES[slot]} domain maps ${frame.name} (${m.role}) through dom${granter}'s reference ${s[m.ref]}, which ${now}` };
        }
      }
    }
    return null;
  },
};
