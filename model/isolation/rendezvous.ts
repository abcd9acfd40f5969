/**
 * The rendezvous hypercall (syscall-xen): the hypervisor keeps one small state machine per service id
 * (network = 0, storage = 1) through which a service domain and the primary domain find each other.
 *
 * The service domain registers its ports and grant references (REGISTER: UNREGISTERED -> REGISTERED);
 * the primary prepares, reading them (PREPARE: -> CONNECTING), binds and maps, then connects
 * (CONNECT: -> CONNECTED) or gives up (CANCEL: -> REGISTERED). When the service domain goes away the
 * primary disconnects (DISCONNECT: CONNECTED -> DISCONNECTED) and cleans up (CLEANUP: -> UNREGISTERED,
 * refused while CONNECTING or CONNECTED); a registered domain may withdraw (UNREGISTER, refused while
 * CONNECTED). Only dom0 may PREPARE, CANCEL, CONNECT, DISCONNECT and CLEANUP; dom0 may not REGISTER.
 *
 * The states and transitions are an xstate machine; the hypercall looks the transition up in a table
 * read back out of it, so the table below is the only statement of the protocol.
 *
 * One deviation from the released code, deliberately: there (xen.patch, do_syscall_service_op) any
 * domain other than dom0 may REGISTER for any service id that is UNREGISTERED, so a compromised
 * network domain could register as the storage service while storage is not registered (at boot, or
 * after a storage crash has been cleaned up) and the primary would connect its storage frontend to it.
 * The model's hypervisor accepts REGISTER for a service id only from the domain the toolstack created
 * for that service, and the isolation properties are checked under that rule.
 *
 * VIRTUOS.md: "Failure and recovery" (the rendezvous states), "Components" (syscall-xen).
 */
import { setup } from 'xstate';
import { currentDomid, slotOfSysid, type IsolationLayout } from './layout.ts';

/** Operations of the hypercall, numbered as in _syscall.h. */
export const RV_OPS = ['PREPARE', 'CANCEL', 'CONNECT', 'DISCONNECT', 'CLEANUP', 'REGISTER', 'UNREGISTER'] as const;
export type RvOp = (typeof RV_OPS)[number];

export const rendezvousMachine = setup({ types: {} as { events: { type: RvOp } } }).createMachine({
  id: 'rendezvous',
  description: 'per service id: the state of the connection between a service domain and the primary domain',
  initial: 'UNREGISTERED',
  states: {
    UNREGISTERED: {
      description: 'no service domain has registered for this service id',
      on: { REGISTER: { target: 'REGISTERED', description: 'a service domain registers its ports and grant references' }, CLEANUP: { target: 'UNREGISTERED' }, UNREGISTER: { target: 'UNREGISTERED' } },
    },
    REGISTERED: {
      description: 'a service domain waits for the primary',
      on: {
        PREPARE: { target: 'CONNECTING', description: 'dom0 reads the registration and starts connecting' },
        CLEANUP: { target: 'UNREGISTERED', description: 'dom0 forgets the registration' },
        UNREGISTER: { target: 'UNREGISTERED', description: 'the registered domain withdraws' },
      },
    },
    CONNECTING: {
      description: 'dom0 binds ports and maps pages',
      on: {
        CONNECT: { target: 'CONNECTED', description: 'dom0 completes the connection' },
        CANCEL: { target: 'REGISTERED', description: 'dom0 gives up this attempt' },
        UNREGISTER: { target: 'UNREGISTERED', description: 'the registered domain withdraws' },
      },
    },
    CONNECTED: {
      description: 'system calls flow between the primary and the service domain',
      on: { DISCONNECT: { target: 'DISCONNECTED', description: 'dom0 tears the connection down (the service domain stopped)' } },
    },
    DISCONNECTED: {
      description: 'torn down; waiting for dom0 to clean up',
      on: { CLEANUP: { target: 'UNREGISTERED', description: 'dom0 cleans up; the service id can be registered again' }, UNREGISTER: { target: 'UNREGISTERED' } },
    },
  },
});

/** State names in index order: the index is what the state word holds. */
export const RV_STATES = Object.keys(rendezvousMachine.root.states);
export const RV = Object.fromEntries(RV_STATES.map((n, i) => [n, i])) as Record<'UNREGISTERED' | 'REGISTERED' | 'CONNECTING' | 'CONNECTED' | 'DISCONNECTED', number>;

/** next[state][op] = target state index, or -1 when the machine has no such transition. */
const NEXT: number[][] = RV_STATES.map((name) => {
  const node = rendezvousMachine.root.states[name];
  return RV_OPS.map((op) => {
    const t = node.transitions.get(op)?.[0];
    if (!t) return -1;
    return RV_STATES.indexOf(t.target?.[0]?.key ?? name);
  });
});

/** Does the rendezvous for `sysid` say CONNECTED, to domain `domid`? */
export const connectedTo = (s: Int32Array, I: IsolationLayout, sysid: number, domid: number) => s[I.rvState[sysid]] === RV.CONNECTED && s[I.rvDomid[sysid]] === domid;

/** Xen's error codes, for labels. */
export type RvResult = 'ok' | 'EPERM' | 'EINVAL';

/** Would the hypercall succeed? Permissions first, then the state machine. */
export function rendezvousCheck(s: Int32Array, I: IsolationLayout, caller: number, op: RvOp, sysid: number): RvResult {
  if (sysid !== 0 && sysid !== 1) return 'EINVAL';
  const dom0Only = op !== 'REGISTER' && op !== 'UNREGISTER';
  if (dom0Only && caller !== 0) return 'EPERM';
  if (op === 'REGISTER' && (caller === 0 || caller !== currentDomid(s, I, slotOfSysid(sysid)))) return 'EPERM';
  if (op === 'UNREGISTER' && caller !== s[I.rvDomid[sysid]]) return 'EPERM';
  return NEXT[s[I.rvState[sysid]]][RV_OPS.indexOf(op)] < 0 ? 'EINVAL' : 'ok';
}

/** do_syscall_service_op: REGISTER records the caller's domain id, which PREPARE hands to dom0. */
export function rendezvousOp(s: Int32Array, I: IsolationLayout, caller: number, op: RvOp, sysid: number): RvResult {
  const r = rendezvousCheck(s, I, caller, op, sysid);
  if (r !== 'ok') return r;
  s[I.rvState[sysid]] = NEXT[s[I.rvState[sysid]]][RV_OPS.indexOf(op)];
  if (op === 'REGISTER') s[I.rvDomid[sysid]] = caller;
  return 'ok';
}
