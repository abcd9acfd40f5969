/**
 * The fault injector: an environment machine (FI) that may crash a service domain, or fail its device,
 * at any step while the domain runs, at most `crashes` times per run. Which step it crashes at is the
 * schedule's choice, so the random search explores crash points like any other interleaving, and a
 * replayed trace crashes at the same one.
 *
 * A crash stops the domain's vCPUs at once (its backend takes no further step; what it left in shared
 * memory stays there) and the hypervisor raises the disconnect notification to the primary domain's
 * frontend (in VirtuOS the rendezvous hypercall's DISCONNECT path, triggered by the domain's death).
 * The storage domain's page cache dies with it: only what reached the disk survives. A device failure
 * the driver cannot handle takes the domain down the same way; it is a separate event only so that
 * traces say which it was.
 *
 * Simplifications: a crash is instantaneous (no partial writes inside one step); the device failure is
 * not modelled as a device that keeps running and DMAs (the isolation layer covers that).
 *
 * VIRTUOS.md: "Failure and recovery".
 */
import { defineComponent, type Ctx } from './kit.ts';
import { DOMAIN_NAMES, domidAt, LIFE_CRASHED, LIFE_RUNNING, NET, STO, type RecoveryLayout } from './recovery-layout.ts';

const R = (c: Ctx): RecoveryLayout => c.L.rec!;

/** The crash of domain d: vCPUs stop, the page cache (storage) is lost, the frontend is notified. */
export function crashDomain(c: Ctx, d: number): void {
  const r = R(c);
  const w = r.dom[d];
  c.s[w.life] = LIFE_CRASHED;
  c.s[w.disc] = 1;
  c.s[r.crashesLeft]--;
  c.s[r.crashes]++;
  if (d === STO) for (let i = 0; i < c.L.cfg.chunks; i++) c.s[r.cache + i] = c.s[r.disk + i];
}

const mayCrash = (d: number) => (c: Ctx) => c.s[R(c).dom[d].life] === LIFE_RUNNING && c.s[R(c).crashesLeft] > 0;

/** The fault injector's events and the domain each crashes. */
export const CRASH_EVENTS: Record<string, number> = { FaultCrashesNetworkDomain: NET, FaultCrashesStorageDomain: STO, FaultFailsNic: NET, FaultFailsSataController: STO };

export const faultInjector = defineComponent({
  id: 'fault-injector',
  prefix: 'FI',
  section: 'Failure and recovery',
  description:
    'The environment: at any step while a service domain runs, and at most `crashes` times per run, it crashes the domain or fails its device; the hypervisor stops the domain and raises the disconnect notification to the frontend.',
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
          to: `${DOMAIN_NAMES[d]} domain, hypervisor, frontend`,
          description: `${device ? `${what} fails and its driver takes the ${DOMAIN_NAMES[d]} domain down` : `${what} crashes`}: its vCPUs stop and the frontend gets the disconnect notification`,
          label: (c: Ctx) => `${device ? `fails ${what}, which takes down` : 'crashes'} the ${DOMAIN_NAMES[d]} domain dom${domidAt(d, c.s[R(c).dom[d].epoch])}`,
        },
      ];
    }),
  ),
});

/** Is this step a fault injection? Returns the domain it crashes, or -1. */
export function crashOf(eventName: string): number {
  return CRASH_EVENTS[eventName] ?? -1;
}
