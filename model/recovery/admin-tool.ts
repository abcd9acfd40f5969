/**
 * The administrator's tool (syscall-utils in VirtuOS: `start | stop | restart | clean` per domain), one
 * actor AT in dom0. It acts through the hypervisor's toolstack: each command is a request the
 * domain's lifecycle machine (hypervisor.ts) carries out in a step of its own. After a crash or a stop
 * the model's administrator runs `restart`, which is `clean` then `start`:
 *
 * - clean: refused (EBUSY) while the frontend still holds a connection to the domain, that is until the
 *   last call in flight has returned and the frontend has DISCONNECTed, unmapped and closed its
 *   channels; then the toolstack destroys the domain (its mappings released, its ports closed, its
 *   grant table and frames gone, and with its memory its backend, notify ring and shadow processes),
 *   and the frontend CLEANs UP the rendezvous so that a new incarnation may register.
 * - start: once the domain is destroyed, the toolstack creates the next incarnation under a new domain
 *   id, with fresh frames, grant table and ports; its backend grants, allocates ports and registers
 *   (service-domain.ts), and the frontend connects (primary-domain.ts).
 * - stop (at most `adminStops` per run; none by default): an orderly stop of a running, connected
 *   domain. The frontend takes it like a disconnect (RUNNING cleared, waiters failed, DISCONNECT once
 *   no reference is left); the backend then syncs (storage), destroys its shadow processes and
 *   UNREGISTERs, and asks to be shut down; the hypervisor halts the domain; then clean and start as
 *   after a crash.
 *
 * Simplifications: a stopped or crashed domain is always started again (restart), so every run ends
 * with both domains running (the no-leak and restoration properties rely on it).
 *
 * VIRTUOS.md: "Failure and recovery".
 */
import { LIFE } from '../isolation/layout.ts';
import { defineComponent, type Ctx } from '../kit/kit.ts';
import { frontendConnected, frontendLetGo } from '../isolation/primary-domain.ts';
import { DOMAIN_NAMES, domidAt, epochOf, lifeOfDomain, NET, REQ_CLEAN, REQ_NONE, REQ_START, slotOf, STO, type RecoveryLayout } from './layout.ts';

const R = (c: Ctx): RecoveryLayout => c.L.rec!;
const w = (c: Ctx, d: number) => R(c).dom[d];

const mayStop = (d: number) => (c: Ctx) =>
  lifeOfDomain(c.s, c.L.iso!, d) === LIFE.running && frontendConnected(c.s, c.L, slotOf(d)) && c.s[w(c, d).stopReq] === 0 && c.s[R(c).stopsLeft] > 0;
const mayClean = (d: number) => (c: Ctx) => {
  const life = lifeOfDomain(c.s, c.L.iso!, d);
  return (life === LIFE.crashed || life === LIFE.halted) && frontendLetGo(c.s, c.L, slotOf(d)) && c.s[w(c, d).adminReq] === REQ_NONE;
};
const mayStart = (d: number) => (c: Ctx) => lifeOfDomain(c.s, c.L.iso!, d) === LIFE.destroyed && c.s[w(c, d).adminReq] === REQ_NONE;

export const adminTool = defineComponent({
  id: 'admin-tool',
  prefix: 'AT',
  section: 'Failure and recovery',
  description:
    "The administrator's tool: `restart` of a crashed or stopped service domain, that is `clean` (once the frontend has let go of it: the toolstack destroys it) and then `start` (the toolstack creates a new incarnation under a new domain id); and, when the configuration allows, an orderly `stop` of a running one.",
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
        AdminStartsNetwork: { guard: 'networkDestroyed', target: 'idle', actions: 'startNetwork' },
        AdminCleansStorage: { guard: 'storageCleanable', target: 'idle', actions: 'cleanStorage' },
        AdminStartsStorage: { guard: 'storageDestroyed', target: 'idle', actions: 'startStorage' },
      },
    },
  },
  guards: { networkStoppable: mayStop(NET), storageStoppable: mayStop(STO), networkCleanable: mayClean(NET), networkDestroyed: mayStart(NET), storageCleanable: mayClean(STO), storageDestroyed: mayStart(STO) },
  guardDocs: {
    networkStoppable: 'the network domain runs, the frontend is connected to it, no stop is under way and the run has administrator stops left',
    storageStoppable: 'the storage domain runs, the frontend is connected to it, no stop is under way and the run has administrator stops left',
    networkCleanable: 'the network domain has crashed or halted and the frontend has let go of it (otherwise clean is refused, EBUSY)',
    networkDestroyed: 'the network domain has been destroyed and not started again',
    storageCleanable: 'the storage domain has crashed or halted and the frontend has let go of it',
    storageDestroyed: 'the storage domain has been destroyed and not started again',
  },
  actions: {
    stopNetwork: (c) => stop(c, NET),
    stopStorage: (c) => stop(c, STO),
    cleanNetwork: (c) => {
      c.s[w(c, NET).adminReq] = REQ_CLEAN;
    },
    startNetwork: (c) => {
      c.s[w(c, NET).adminReq] = REQ_START;
    },
    cleanStorage: (c) => {
      c.s[w(c, STO).adminReq] = REQ_CLEAN;
    },
    startStorage: (c) => {
      c.s[w(c, STO).adminReq] = REQ_START;
    },
  },
  events: Object.fromEntries(
    [NET, STO].flatMap((d) => {
      const n = DOMAIN_NAMES[d];
      const N = n[0].toUpperCase() + n.slice(1);
      const dom = (c: Ctx) => `dom${domidAt(d, epochOf(c.s, c.L.iso!, d))}`;
      return [
        [
          `AdminStops${N}`,
          {
            from: 'administrator (stop)',
            to: `frontend, ${n} domain's backend`,
            description: `ask for an orderly stop of the running ${n} domain: the frontend disconnects, then the backend ${d === STO ? 'syncs, ' : ''}unregisters and shuts the domain down`,
            label: (c: Ctx) => `stop ${n}: asks ${dom(c)} to stop`,
          },
        ],
        [
          `AdminCleans${N}`,
          {
            from: 'administrator (restart: clean)',
            to: 'dom0 toolstack',
            description: `ask the toolstack to destroy the crashed or stopped ${n} domain`,
            label: (c: Ctx) => `restart ${n}: clean ${dom(c)} (the frontend has let go)`,
          },
        ],
        [
          `AdminStarts${N}`,
          {
            from: 'administrator (restart: start)',
            to: 'dom0 toolstack',
            description: `ask the toolstack to start a new incarnation of the ${n} domain under a new domain id`,
            label: (c: Ctx) => `restart ${n}: start dom${domidAt(d, epochOf(c.s, c.L.iso!, d) + 1)}`,
          },
        ],
      ];
    }),
  ),
});

function stop(c: Ctx, d: number): void {
  c.s[w(c, d).stopReq] = 1;
  c.s[R(c).stopsLeft]--;
}
