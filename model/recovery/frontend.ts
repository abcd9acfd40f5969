/**
 * The syscall-frontend's recovery duties in the primary domain, per service domain: its RUNNING bit,
 * reference count and lock, and the notify thread (FRN / FRS) that turns the domain's notify records
 * into completed calls.
 *
 * The connection itself is the isolation layer's frontend actor (PS / PN in primary-domain.ts: PREPARE,
 * bind, map, grant the ready queues, CONNECT; DISCONNECT, unmap, close; CLEANUP); with the recovery
 * layer on it runs the functions below at its steps. On connecting it registers the processes that use
 * the domain (the backend creates their shadow processes), takes the connection's own reference and
 * sets RUNNING. When the domain it is connected to stops running (the hypervisor's notification of a
 * crashed or halted domain) or the administrator asks for a stop, it clears RUNNING and, holding its
 * lock over the domain table only for that, fails every call pending in that incarnation (EIO for
 * storage, ECONNRESET for network: model/recovery/semantics.ts), then drops the connection's reference. Every
 * call in flight holds a reference of its own, taken when it is submitted and dropped when the caller
 * returns; when the count reaches zero the frontend DISCONNECTs, unmaps the pages, closes its channel
 * ends and drops the request entries and queued handles of that incarnation, after which the
 * administrator's clean may destroy the domain.
 *
 * Notify thread: pops the oldest record while the primary maps the connected incarnation's notify
 * ring, and completes the call it names only if the record's incarnation is the connected one, RUNNING
 * is set and the call is pending in that same incarnation; anything else (a record of a failed
 * incarnation, popped before the teardown and held across the restart) is dropped.
 *
 * Seeded bugs: `no-fail-pending` skips failing the waiters (they hang); `stale-completion` delivers a
 * record to whatever call of that domain is pending, without comparing incarnations;
 * `storage-waits-network` keeps the frontend's lock from the disconnect until the domain is connected
 * again, so a storage call, which takes the lock to wake its domain, waits for the network domain.
 *
 * Simplifications: the lock is one word that the submit path takes and releases within its one step.
 *
 * VIRTUOS.md: "Failure and recovery" (RUNNING bit, reference count, teardown), "The dispatch protocol".
 */
import type { IsolationLayout } from '../isolation/layout.ts';
import { defineComponent, type Component, type Ctx } from '../kit/kit.ts';
import type { Layout } from '../kit/layout.ts';
import { pendingError } from './semantics.ts';
import { transportOf } from '../kit/config.ts';
import { loseShadows, setUpPrimarySide } from '../system/incarnation.ts';
import { answerFailure, isControl, requestText, RPC_BLOCKED, RPC_SUBMITTED, type Req } from '../posix/service.ts';
import { CALL_DONE, CALL_PENDING, clientsOf, domainOfClient, DOMAIN_NAMES, domidAt, epochOfDomid, NET, slotOf, STO, type RecoveryLayout } from './layout.ts';

const R = (c: Ctx): RecoveryLayout => c.L.rec!;
const iso = (c: Ctx): IsolationLayout => c.L.iso!;

/** The calls pending in the incarnation the frontend serves. */
export const pendingHere = (c: Ctx, d: number) => clientsOf(d).filter((p) => c.s[R(c).client[p].status] === CALL_PENDING && c.s[R(c).client[p].reqEp] === c.s[R(c).dom[d].fe]);

/** At CONNECT to domain id `domid`: register the processes (shadow processes made), the connection's reference, RUNNING. */
export function connectRecovery(c: Ctx, d: number, domid: number): void {
  const w = R(c).dom[d];
  const ep = epochOfDomid(d, domid);
  c.s[w.fe] = ep;
  for (const p of clientsOf(d)) c.s[R(c).client[p].shadow] = ep;
  c.s[w.refs] = 1;
  c.s[w.running] = 1;
  if (c.L.cfg.bug === 'storage-waits-network' && c.s[R(c).feLock] === d) c.s[R(c).feLock] = -1;
  setUpPrimarySide(c, d, ep);
}

/** Has the administrator asked for an orderly stop of domain d? */
export const stopRequested = (s: Int32Array, L: Layout, d: number) => s[L.rec!.dom[d].stopReq] !== 0;

/** The disconnect (or the stop) taken: RUNNING cleared under the frontend lock. */
export function takeDisconnect(c: Ctx, d: number): void {
  c.s[R(c).dom[d].running] = 0;
  c.s[R(c).feLock] = d;
  loseShadows(c, d);
}

/** Fail every call pending in the failed incarnation, then release the lock. */
export function failPending(c: Ctx, d: number): void {
  if (c.L.cfg.bug !== 'no-fail-pending') {
    for (const p of pendingHere(c, d)) {
      const cl = R(c).client[p];
      c.s[cl.status] = CALL_DONE;
      c.s[cl.res] = pendingError(d);
      c.s[cl.resEp] = -1;
    }
    // the POSIX requests the domain's request slots carry (the dispatch machines give up on theirs themselves: sclib.ts)
    for (const r of pendingSlots(c, d)) answerFailure(c, r, 'pending');
  }
  if (c.L.cfg.bug !== 'storage-waits-network') c.s[R(c).feLock] = -1;
}

/**
 * The composed system's POSIX requests pending in domain d that its request slots carry: with the rpc
 * transport all of them, with the dispatch transport the control path's (REGISTER, REMOVE).
 */
function pendingSlots(c: Ctx, d: number): Req[] {
  const PL = c.L.posix;
  if (!c.L.cfg.system || !PL) return [];
  const out: Req[] = [];
  for (let slot = 0; slot < PL.slots; slot++) {
    const q = PL.rpc[slot][d];
    const st = c.s[q.st];
    if ((st === RPC_SUBMITTED || st === RPC_BLOCKED) && c.s[q.ref] && (transportOf(c.L.cfg) === 'rpc' || isControl(c.s[q.op]))) out.push({ d, slot });
  }
  return out;
}

export function failPendingLabel(c: Ctx, d: number): string {
  const ps = pendingHere(c, d);
  const calls = [...ps.map((p) => `C${p + 1}`), ...pendingSlots(c, d).map((r) => `T${r.slot + 1}'s ${requestText(c, r)}`)];
  const what = c.L.cfg.bug === 'no-fail-pending' ? 'leaves the pending calls waiting (no-fail-pending)' : calls.length ? `fails ${calls.join(', ')} with ${d === STO ? 'EIO' : 'ECONNRESET'}` : 'finds no pending call';
  return c.L.cfg.bug === 'storage-waits-network' ? `${what}, keeps the frontend lock` : what;
}

export function dropConnectionRef(c: Ctx, d: number): void {
  c.s[R(c).dom[d].refs]--;
}

export const noReferences = (s: Int32Array, L: Layout, d: number) => s[L.rec!.dom[d].refs] === 0;

/** At the teardown: drop the request entries and queued ready-queue handles of the incarnation; no incarnation served. */
export function dropIncarnation(c: Ctx, d: number): void {
  const w = R(c).dom[d];
  const ep = c.s[w.fe];
  for (const p of clientsOf(d)) {
    const cl = R(c).client[p];
    if (c.s[cl.rq] === ep) c.s[cl.rq] = -1;
    if (c.s[cl.entry] === ep) c.s[cl.entry] = -1;
  }
  c.s[w.fe] = -1;
}

/** Is the primary's mapping of domain d's notify ring in place? */
const ringMapped = (c: Ctx, d: number) => c.s[iso(c).mappings[0][iso(c).map.ring(slotOf(d))].frame] >= 0;

function notify(d: number): Component {
  const name = DOMAIN_NAMES[d];
  const w = (c: Ctx) => R(c).dom[d];
  const deliverable = (c: Ctx) => {
    const p = c.s[w(c).frThr];
    if (p < 0 || domainOfClient(p) !== d) return false;
    const cl = R(c).client[p];
    if (c.s[cl.status] !== CALL_PENDING) return false;
    if (c.L.cfg.bug === 'stale-completion') return true;
    const ep = c.s[w(c).frEp];
    return ep === c.s[w(c).fe] && c.s[w(c).running] === 1 && c.s[cl.reqEp] === ep;
  };
  return defineComponent({
    id: `recovery-frontend-${name}-notify`,
    prefix: d === NET ? 'FRN' : 'FRS',
    section: 'Failure and recovery',
    description: `The frontend's notify thread for the ${name} domain: pop a record while the ring is mapped; complete the named call only if it is pending in the record's incarnation, the connected one.`,
    initial: 'idle',
    count: (L) => (L.rec ? 1 : 0),
    pc: (L) => L.rec!.dom[d].fr,
    states: {
      idle: { description: 'waits for a record in the mapped ring', on: { FrontendPopsRecord: { guard: 'ringMappedNonEmpty', target: 'deliver', actions: 'pop' } } },
      deliver: {
        description: 'holds a record; about to complete the call it names or drop it',
        on: {
          FrontendDeliversCompletion: [
            { guard: 'deliverable', target: 'idle', actions: 'deliver' },
            { target: 'idle', actions: 'drop' },
          ],
        },
      },
    },
    guards: {
      ringMappedNonEmpty: (c) => c.s[w(c).fe] >= 0 && ringMapped(c, d) && c.s[w(c).ringLen] > 0,
      deliverable,
    },
    guardDocs: {
      ringMappedNonEmpty: "the connected incarnation's ring is mapped and holds a record",
      deliverable: "the record's incarnation is the connected one, RUNNING is set, and the call it names is pending in that incarnation (stale-completion: any pending call of the domain)",
    },
    actions: {
      pop: (c) => {
        const n = c.s[w(c).ringLen];
        c.s[w(c).frThr] = c.s[w(c).ringThr];
        c.s[w(c).frEp] = c.s[w(c).ringEp];
        for (let i = 0; i + 1 < n; i++) {
          c.s[w(c).ringThr + i] = c.s[w(c).ringThr + i + 1];
          c.s[w(c).ringEp + i] = c.s[w(c).ringEp + i + 1];
        }
        c.s[w(c).ringThr + n - 1] = 0;
        c.s[w(c).ringEp + n - 1] = 0;
        c.s[w(c).ringLen] = n - 1;
      },
      deliver: (c) => {
        const cl = R(c).client[c.s[w(c).frThr]];
        c.s[cl.status] = CALL_DONE;
        c.s[cl.res] = c.s[cl.eres];
        c.s[cl.resEp] = c.s[w(c).frEp];
        c.s[w(c).frThr] = -1;
        c.s[w(c).frEp] = -1;
      },
      drop: (c) => {
        c.s[w(c).frThr] = -1;
        c.s[w(c).frEp] = -1;
      },
    },
    events: {
      FrontendPopsRecord: {
        from: `frontend notify thread (${name})`,
        to: 'notify ring',
        description: 'pop the oldest record',
        label: (c) => `pops the record {C${c.s[w(c).ringThr] + 1}, dom${domidAt(d, c.s[w(c).ringEp])}}`,
      },
      FrontendDeliversCompletion: {
        from: `frontend notify thread (${name})`,
        to: 'waiting caller',
        description: 'complete the named call with the result in its request entry, or drop a stale record',
        label: (c) =>
          deliverable(c) ? `completes C${c.s[w(c).frThr] + 1}'s call with the result of dom${domidAt(d, c.s[w(c).frEp])}` : `drops the stale record {C${c.s[w(c).frThr] + 1}, dom${domidAt(d, c.s[w(c).frEp])}}`,
      },
    },
  });
}

/** Frontend notify actors, indexed by domain (network = 0, storage = 1). */
export const frontendNotify: readonly Component[] = [notify(NET), notify(STO)];
