/**
 * The fault injector: an environment machine (FI) that may crash a service domain, or fail its device,
 * at any step while the domain runs, at most `crashes` times per run. Which step it crashes at is the
 * schedule's choice, so the random search explores crash points like any other interleaving, and a
 * replayed trace crashes at the same one.
 *
 * A crash stops the domain's vCPUs at once: in the same step the hypervisor's lifecycle machine for the
 * domain (hypervisor.ts) is in `crashed`, so none of the domain's actors (its boot actor, its backend,
 * its driver) takes a further step, and what it left in memory stays there until the domain is
 * destroyed. The primary domain's frontend learns of it the way Xen tells dom0 (VIRQ_DOM_EXC): its
 * connection actor (primary-domain.ts) sees that the domain it is connected to no longer runs.
 * The storage domain's page cache dies with it: only what reached the disk survives. A device failure
 * the driver cannot handle takes the domain down the same way; it is a separate event only so that
 * traces say which it was.
 *
 * Simplifications: a crash is instantaneous (no partial writes inside one step); the device failure is
 * not modelled as a device that keeps running and DMAs (the isolation layer covers that).
 *
 * VIRTUOS.md: "Failure and recovery".
 */
import { LIFE } from '../isolation/layout.ts';
import { defineComponent, type Ctx } from '../kit/kit.ts';
import { DOMAIN_NAMES, domainRunning, domidAt, epochOf, NET, slotOf, STO, type RecoveryLayout } from './layout.ts';

const R = (c: Ctx): RecoveryLayout => c.L.rec!;

/** The crash of domain d: vCPUs stop (the hypervisor's lifecycle state is `crashed`), the page cache (storage) is lost. */
export function crashDomain(c: Ctx, d: number): void {
  const r = R(c);
  c.s[c.L.iso!.life[slotOf(d) - 1].pc] = LIFE.crashed;
  c.s[r.crashesLeft]--;
  c.s[r.crashes]++;
  if (d === STO) for (let i = 0; i < c.L.cfg.chunks; i++) c.s[r.cache + i] = c.s[r.disk + i];
}

const mayCrash = (d: number) => (c: Ctx) => domainRunning(c.s, c.L.iso!, d) && c.s[R(c).crashesLeft] > 0;

/** The fault injector's events and the domain each crashes. */
export const CRASH_EVENTS: Record<string, number> = { FaultCrashesNetworkDomain: NET, FaultCrashesStorageDomain: STO, FaultFailsNic: NET, FaultFailsSataController: STO };

export const faultInjector = defineComponent({
  id: 'fault-injector',
  prefix: 'FI',
  section: 'Failure and recovery',
  description:
    "The environment: at any step while a service domain runs, and at most `crashes` times per run, it crashes the domain or fails its device; the hypervisor's lifecycle machine for the domain is then in `crashed` (vCPUs stopped), which the frontend sees.",
  initial: 'armed',
  count: (L) => (L.rec ? 1 : 0),
  pc: (L) => L.rec!.fi,
  states: {
    armed: {
      description: 'may inject a fault into a running service domain while crashes are left',
      on: {
        FaultCrashesNetworkDomain: { guard: 'networkMayCrash', target: 'armed', actions: 'crashNetwork' },
        FaultCrashesStorageDomain: { guard: 'storageMayCrash', target: 'armed', actions: 'crashStorage' },
        FaultFailsNic: { guard: 'networkMayCrash', target: 'armed', actions: 'crashNetwork' },
        FaultFailsSataController: { guard: 'storageMayCrash', target: 'armed', actions: 'crashStorage' },
      },
    },
  },
  guards: { networkMayCrash: mayCrash(NET), storageMayCrash: mayCrash(STO) },
  guardDocs: {
    networkMayCrash: 'the network domain runs and the run has crashes left',
    storageMayCrash: 'the storage domain runs and the run has crashes left',
  },
  actions: { crashNetwork: (c) => crashDomain(c, NET), crashStorage: (c) => crashDomain(c, STO) },
  events: Object.fromEntries(
    Object.entries(CRASH_EVENTS).map(([ev, d]) => {
      const device = ev.startsWith('FaultFails');
      const what = device ? (d === NET ? 'the NIC' : 'the SATA controller') : `the ${DOMAIN_NAMES[d]} domain`;
      return [
        ev,
        {
          from: 'environment (fault injector)',
          to: `${DOMAIN_NAMES[d]} domain, hypervisor`,
          description: `${device ? `${what} fails and its driver takes the ${DOMAIN_NAMES[d]} domain down` : `${what} crashes`}: the hypervisor stops its vCPUs (lifecycle crashed)`,
          label: (c: Ctx) => `${device ? `fails ${what}, which takes down` : 'crashes'} the ${DOMAIN_NAMES[d]} domain dom${domidAt(d, epochOf(c.s, c.L.iso!, d))}`,
        },
      ];
    }),
  ),
});

/** Is this step a fault injection? Returns the domain it crashes, or -1. */
export function crashOf(eventName: string): number {
  return CRASH_EVENTS[eventName] ?? -1;
}
