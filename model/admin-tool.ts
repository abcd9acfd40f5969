/**
 * The administrator's tool (syscall-utils in VirtuOS: `start | stop | restart | clean` per domain), one
 * actor AT. After a crash the model's administrator runs `restart`, which is `clean` then `start`:
 *
 * - clean: refused (EBUSY) while the frontend is still connected to the crashed incarnation, that is
 *   until the last call in flight has returned and the frontend has torn down; then the toolstack
 *   destroys the crashed domain (its grant table and ports go, and with them its shadow processes) and
 *   CLEANs UP the rendezvous so that a new incarnation may register. The backend's actor is reset.
 * - start: creates the next incarnation under a new domain id and runs it; its backend makes fresh
 *   grants and ports and registers (recovery-backend.ts), and the frontend connects (recovery-frontend.ts).
 *
 * - stop (at most `adminStops` per run; none by default): an orderly stop of a running domain. The
 *   storage domain first syncs its page cache to the disk; the backend unregisters and the domain
 *   halts, and the frontend gets the disconnect notification, after which everything runs as after a
 *   crash (RUNNING cleared, waiters fail, teardown, then clean and start).
 *
 * Simplifications: the backend's unregistering and the halt are one step; a stopped domain is always
 * started again (restart), so every run ends with both domains running (the no-leak and restoration
 * properties rely on it).
 *
 * VIRTUOS.md: "Failure and recovery".
 */
import { defineComponent, type Ctx } from './kit.ts';
import { clientsOf, DOMAIN_NAMES, domidAt, LIFE_CRASHED, LIFE_DOWN, LIFE_RUNNING, NET, RV_UNREGISTERED, STO, type RecoveryLayout } from './recovery-layout.ts';
import { recoveryBackend } from './recovery-backend.ts';

const R = (c: Ctx): RecoveryLayout => c.L.rec!;
const backendOff = recoveryBackend[0].stateIndex.get('off')!;

function clean(c: Ctx, d: number): void {
  const w = R(c).dom[d];
  c.s[w.grant] = -1;
  c.s[w.port] = -1;
  for (const p of clientsOf(d)) c.s[R(c).client[p].shadow] = -1;
  c.s[w.rv] = RV_UNREGISTERED;
  c.s[w.disc] = 0;
  c.s[w.life] = LIFE_DOWN;
  c.s[w.b] = backendOff;
  c.s[w.bCur] = -1;
}

function start(c: Ctx, d: number): void {
  const w = R(c).dom[d];
  c.s[w.epoch]++;
  c.s[w.life] = LIFE_RUNNING;
}

/** An orderly stop: sync (storage), unregister, halt; the frontend is told as after a crash. */
function stop(c: Ctx, d: number): void {
  const r = R(c);
  const w = r.dom[d];
  if (d === STO) for (let i = 0; i < c.L.cfg.chunks; i++) c.s[r.disk + i] = c.s[r.cache + i];
  c.s[w.life] = LIFE_CRASHED;
  c.s[w.disc] = 1;
  c.s[r.stopsLeft]--;
}

const mayStop = (d: number) => (c: Ctx) => c.s[R(c).dom[d].life] === LIFE_RUNNING && c.s[R(c).stopsLeft] > 0;
const mayClean = (d: number) => (c: Ctx) => c.s[R(c).dom[d].life] === LIFE_CRASHED && c.s[R(c).dom[d].fe] < 0;
const mayStart = (d: number) => (c: Ctx) => c.s[R(c).dom[d].life] === LIFE_DOWN;

export const adminTool = defineComponent({
  id: 'admin-tool',
  prefix: 'AT',
  section: 'Failure and recovery',
  description:
    "The administrator's tool: `restart` of a crashed or stopped service domain, that is `clean` (once the frontend has let go of it: destroy it, CLEANUP the rendezvous) and then `start` (a new incarnation under a new domain id); and, when the configuration allows, an orderly `stop` of a running one.",
  initial: 'idle',
  count: (L) => (L.rec ? 1 : 0),
  pc: (L) => L.rec!.at,
  states: {
    idle: {
      description: 'runs clean and start on crashed or stopped domains, and may stop a running one',
      on: {
        AdminStopsNetwork: { guard: 'networkStoppable', target: 'idle', actions: 'stopNetwork' },
        AdminStopsStorage: { guard: 'storageStoppable', target: 'idle', actions: 'stopStorage' },
        AdminCleansNetwork: { guard: 'networkCleanable', target: 'idle', actions: 'cleanNetwork' },
        AdminStartsNetwork: { guard: 'networkDown', target: 'idle', actions: 'startNetwork' },
        AdminCleansStorage: { guard: 'storageCleanable', target: 'idle', actions: 'cleanStorage' },
        AdminStartsStorage: { guard: 'storageDown', target: 'idle', actions: 'startStorage' },
      },
    },
  },
  guards: { networkStoppable: mayStop(NET), storageStoppable: mayStop(STO), networkCleanable: mayClean(NET), networkDown: mayStart(NET), storageCleanable: mayClean(STO), storageDown: mayStart(STO) },
  guardDocs: {
    networkStoppable: 'the network domain runs and the run has administrator stops left',
    storageStoppable: 'the storage domain runs and the run has administrator stops left',
    networkCleanable: 'the network domain has crashed and the frontend has torn its connection down (otherwise clean is refused, EBUSY)',
    networkDown: 'the network domain has been cleaned and not started again',
    storageCleanable: 'the storage domain has crashed and the frontend has torn its connection down',
    storageDown: 'the storage domain has been cleaned and not started again',
  },
  actions: { stopNetwork: (c) => stop(c, NET), stopStorage: (c) => stop(c, STO), cleanNetwork: (c) => clean(c, NET), startNetwork: (c) => start(c, NET), cleanStorage: (c) => clean(c, STO), startStorage: (c) => start(c, STO) },
  events: Object.fromEntries(
    [NET, STO].flatMap((d) => {
      const n = DOMAIN_NAMES[d];
      const N = n[0].toUpperCase() + n.slice(1);
      return [
        [
          `AdminStops${N}`,
          {
            from: 'administrator (stop)',
            to: `${n} domain (backend: unregister), frontend`,
            description: `stop the running ${n} domain in order: ${d === STO ? 'sync its page cache, ' : ''}unregister its backend, halt it; the frontend gets the disconnect notification`,
            label: (c: Ctx) => `stop ${n}: ${d === STO ? 'syncs the page cache, ' : ''}unregisters and halts dom${domidAt(d, c.s[R(c).dom[d].epoch])}`,
          },
        ],
        [
          `AdminCleans${N}`,
          {
            from: 'administrator (restart: clean)',
            to: `hypervisor, rendezvous (${n})`,
            description: `destroy the crashed or stopped ${n} domain (grant table, ports, shadow processes) and CLEANUP its rendezvous`,
            label: (c: Ctx) => `restart ${n}: cleans up dom${domidAt(d, c.s[R(c).dom[d].epoch])} (grants, ports, shadow processes gone; rendezvous UNREGISTERED)`,
          },
        ],
        [
          `AdminStarts${N}`,
          {
            from: 'administrator (restart: start)',
            to: 'hypervisor',
            description: `start a new incarnation of the ${n} domain under a new domain id`,
            label: (c: Ctx) => `restart ${n}: starts the ${n} domain as dom${domidAt(d, c.s[R(c).dom[d].epoch] + 1)}`,
          },
        ],
      ];
    }),
  ),
});
