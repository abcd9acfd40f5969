/**
 * Confinement (non-interference of the compromised network domain; a property of pairs of runs).
 *
 * Whatever the adversary does, what the primary domain and the storage domain observe is the same as
 * in a run without the adversary, except the state of processes registered with the compromised
 * domain. Checked as an observation equivalence over paired runs of the same schedule, in lockstep: the run
 * as executed (with the adversary), and a second run that takes the same steps with every adversary
 * step skipped (each other step is taken again if the same actor can take the same event, else skipped
 * too); after every step the two observations must be equal.
 *
 * The observation, explicitly (`observedWords`):
 * - the dispatch protocol's state of every process not registered with the network domain: its
 *   request area, ready queue, shadow process, user threads, kernel threads and workers; and, when no
 *   process is registered with the network domain, the storage domain's shared wake page, notify ring,
 *   both dispatch channels and the frontend's and backend's threads;
 * - the frames of the primary's and the storage domain's reservations (owner and content), except the
 *   content of ready queues granted to the network domain;
 * - the storage domain's grant table, mappings, ports and rendezvous, the primary's grants, mappings
 *   and ports that serve the storage domain, the storage domain's lifecycle, boot and connect actors,
 *   and the SATA controller (registers and IOMMU context).
 * Not observed: the network domain's own state, the primary's connection to it (its mappings of network
 * pages, its network ports and notify thread, its ready-queue grants to network), and ghost variables.
 * In the composed system (a program that uses both domains) not the dispatch protocol or the POSIX
 * state either: what a program does after a network call may depend on the answer, so there only the
 * hypervisor-level state of the primary and storage domains is observed, and the storage-unforged
 * property checks that every storage call returns what the storage domain produced. Even that state
 * follows the program's course: when the primary may tear down a crashed storage domain depends on
 * which storage calls the program has in flight, which may depend on a network answer. So there, from
 * the first step the run without the adversary cannot take whose effect on the observation is nil (a
 * program's step: from then on the two runs are different programs' runs), only the primary domain's
 * own frames are still compared, owner and content, which no program's course may change (found by
 * the composed search: a forged network answer changed when a crashed storage domain's grants were
 * unmapped); not the content of a registered process's ready queues, which the compromised domain may
 * write whether or not the runs have parted.
 *
 * The exception is wider than "the ready queues and notifications of processes registered with the
 * compromised domain": such a process's ready queue is shared with the storage domain too, so a
 * corrupted queue changes which thread runs and what the process submits to storage, and through the
 * storage domain's shared wake page the timing of other processes' calls. The property therefore
 * treats a process registered with the network domain as within the adversary's reach as a whole
 * (with such processes present, the storage domain's shared words are not observed either). The
 * default configuration registers no process with the network domain, so there the whole dispatch
 * protocol must be unaffected.
 *
 * VIRTUOS.md: "Memory and isolation" (a bad service domain can corrupt at most its own process's ready
 * queue and send bogus notifications, which are ignored), "Failure and recovery".
 */
import { isAdversary } from '../../model/isolation/adversary.ts';
import { regionMap } from '../../model/kit/footprint.ts';
import { NETWORK, PRIMARY, SATA, STORAGE, SYSID_STORAGE } from '../../model/isolation/layout.ts';
import { COMPONENTS, fastStepper, label, perShape, type System } from '../../model/kit/system.ts';
import type { Branch } from '../../model/kit/kit.ts';
import type { Property } from '../property.ts';
import { wordName } from './lib.ts';

/** The words the primary and the storage domain observe (see the header). */
export function observedWords(sys: System): number[] {
  const { L, cfg } = sys;
  const I = L.iso!;
  const victim = (p: number) => p >= 0 && I.registered(NETWORK, p);
  const anyVictim = cfg.networkProcesses > 0;
  const regions = regionMap(sys);
  const actorProcess = new Map<string, number>();
  sys.actors.forEach((a) => {
    const c = COMPONENTS[a.comp].spec.prefix;
    if (c === 'T') actorProcess.set(a.name, Math.floor(a.me / cfg.threads));
    else if (c === 'K') actorProcess.set(a.name, Math.floor(a.me / cfg.kernelThreads));
    else if (c === 'W') actorProcess.set(a.name, Math.floor(a.me / cfg.workers));
  });
  const out = new Set<number>();
  // In the composed system a program connects the domains: what it does after a network call (and so
  // what the storage domain sees of it) may legitimately depend on what the network domain answered.
  // There the observation is what no program decides: the storage domain's and the primary's
  // hypervisor-level state below; the storage calls' own results are the storage-unforged property's.
  const programVisible = cfg.system === true;
  regions.forEach((r, w) => {
    if (programVisible && !(r.kind === 'actor' && (r.actor === 'XS' || r.actor === 'S' || r.actor === 'PS'))) return;
    switch (r.kind) {
      case 'request-area':
      case 'ready-queue':
      case 'shadow-process':
        if (!victim(r.proc)) out.add(w);
        break;
      case 'wake-page':
      case 'notify-ring':
      case 'event-channel':
        if (!anyVictim) out.add(w);
        break;
      case 'actor': {
        const p = actorProcess.get(r.actor);
        if (p !== undefined) {
          if (!victim(p)) out.add(w);
        } else if (r.actor === 'F' || r.actor === 'B') {
          if (!anyVictim) out.add(w);
        } else if (r.actor === 'XS' || r.actor === 'S' || r.actor === 'PS') out.add(w);
        break;
      }
      default:
        break;
    }
  });
  for (const f of I.frames) {
    if (f.home === NETWORK) continue;
    out.add(f.owner);
    if (!(f.kind === 'ready-queue' && victim(f.proc))) out.add(f.content);
  }
  for (let p = 0; p < cfg.processes; p++) {
    const e = I.grants[PRIMARY][I.ref.rqTo(STORAGE, p)];
    for (const w of [e.frame, e.grantee, e.perm, e.maps]) out.add(w);
  }
  for (const e of I.grants[STORAGE]) for (const w of [e.frame, e.grantee, e.perm, e.maps]) out.add(w);
  const primaryMapsOfStorage = [I.map.ring(STORAGE)];
  for (let p = 0; p < cfg.processes; p++) primaryMapsOfStorage.push(I.map.req(STORAGE, p), I.map.data(STORAGE, p), I.map.wakeUser(STORAGE, p), I.map.wakeKernel(STORAGE, p));
  for (const m of primaryMapsOfStorage.map((i) => I.mappings[PRIMARY][i]).concat(I.mappings[STORAGE])) for (const w of [m.frame, m.granter, m.ref, m.perm]) out.add(w);
  for (const p of [...I.ports[STORAGE], I.ports[PRIMARY][I.port.primaryWake(STORAGE)], I.ports[PRIMARY][I.port.primaryNotify(STORAGE)]]) {
    for (const w of [p.state, p.remote, p.rport]) out.add(w);
    if (!anyVictim) out.add(p.pending);
  }
  out.add(I.rvState[SYSID_STORAGE]);
  out.add(I.rvDomid[SYSID_STORAGE]);
  const d = I.devices[SATA];
  for (const w of [d.owner, d.ctx, d.reqFrame, d.reqVal, d.dmaFrame, d.dmaVal, d.irq, d.pc]) out.add(w);
  out.add(I.gen[STORAGE]);
  return [...out].sort((a, b) => a - b);
}

/**
 * The primary domain's frames, owner and content: what is still compared once the runs have parted
 * (composed system). Not the content of a ready queue of a process registered with the network
 * domain, as in `observedWords`: the compromised domain may write it (found by `npm run verify`, seed
 * 371452930: the adversary's writes to P1's network ready queue, compared after the runs parted).
 */
function primaryFrameWords(sys: System): Int32Array {
  const I = sys.L.iso!;
  const victim = (p: number) => p >= 0 && I.registered(NETWORK, p);
  return Int32Array.from(I.frames.filter((f) => f.home === PRIMARY).flatMap((f) => (f.kind === 'ready-queue' && victim(f.proc) ? [f.owner] : [f.owner, f.content])));
}

const observed = perShape((sys) => Int32Array.from(observedWords(sys)));

/** The first observed word on which two states differ, or -1. */
function firstDifference(words: Int32Array, a: Int32Array, b: Int32Array): number {
  for (let i = 0; i < words.length; i++) if (a[words[i]] !== b[words[i]]) return words[i];
  return -1;
}

export const confinement: Property = {
  name: 'confinement',
  group: 'isolation',
  kind: 'hyperproperty',
  section: 'Memory and isolation',
  description:
    'Whatever the compromised network domain does, the primary and storage domains observe the same as in the run without it, except processes registered with the network domain (paired runs of the same schedule).',
  clauses: {
    'primary-and-storage-unaffected': 'after every step, the observation of the run with the adversary equals that of the same schedule without the adversary',
  },
  applies: (cfg) => cfg.isolation && cfg.adversary,
  monitor(sys) {
    const words = observed(sys);
    const adversarial = COMPONENTS.map((c) => isAdversary(c));
    // until the adversary's first step both runs are the same run, so the second starts there
    let clean: Int32Array | null = null;
    // the clean run's previous state, reused for its next (nothing else holds it)
    let spare: Int32Array | null = null;
    let lastAttack = '';
    // the composed system: the runs went separate ways at a program's step (see the header)
    let parted = false;
    const st = fastStepper(sys);
    const brs: Branch[] = new Array(st.maxEnabled);
    const afterParting = sys.cfg.system ? primaryFrameWords(sys) : words;
    return (before, choice, after) => {
      const actor = sys.actors[choice.actor];
      let skipped = false;
      if (adversarial[actor.comp]) {
        // a copy: the run reuses its state arrays
        clean ??= before.slice();
        lastAttack = label(sys, before, choice);
      } else if (clean === null) return null;
      else {
        // the same actor takes the same event in the run without the adversary, if it can
        const n = st.actorEnabledInto(clean, choice.actor, brs);
        skipped = true;
        for (let i = 0; i < n; i++)
          if (st.choice(clean, choice.actor, brs[i]).event === choice.event) {
            const next = spare !== null && spare.length === clean.length ? spare : new Int32Array(clean.length);
            st.stepInto(clean, choice.actor, brs[i], next);
            spare = clean;
            clean = next;
            skipped = false;
            break;
          }
      }
      const w = firstDifference(parted ? afterParting : words, after, clean);
      if (w < 0) {
        if (skipped && sys.cfg.system) parted = true;
        return null;
      }
      return {
        clause: 'primary-and-storage-unaffected',
        message: `after ${label(sys, before, choice)}, ${wordName(sys, w)} is ${after[w]} with the adversary and ${clean[w]} without it (the adversary's last step so far: ${lastAttack})`,
      };
    };
  },
};
