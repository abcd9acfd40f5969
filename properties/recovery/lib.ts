/**
 * Definitions the recovery properties share: which actors belong to a service domain (or decide its
 * fate), and the derived run that asks "what if this domain never came back?".
 *
 * The derived run starts from a state the real run reached and continues it with a fair round-robin
 * scheduler while the crashed domain's own actors (its backend), the administrator and the fault
 * injector are held: nothing of the domain runs again, nothing restarts, nothing else crashes. It is
 * stepped by the model's own `enabled`/`step`, so it is a run of the same model, only scheduled so
 * that the domain stays dead.
 */
import type { Config } from '../../model/kit/config.ts';
import { adminTool } from '../../model/recovery/admin-tool.ts';
import { faultInjector } from '../../model/recovery/fault-injector.ts';
import { recoveryBackend } from '../../model/recovery/backend.ts';
import { recoveryClient } from '../../model/recovery/client.ts';
import { COMPONENTS, fastStepper, type System } from '../../model/kit/system.ts';
import type { Branch } from '../../model/kit/kit.ts';
import { LIFE } from '../../model/isolation/layout.ts';
import { frontendConnected } from '../../model/isolation/primary-domain.ts';
import { epochOf, lifeOfDomain, NET, slotOf } from '../../model/recovery/layout.ts';

/** Only for configurations with the recovery layer on. */
export const recoveryOn = (cfg: Config) => cfg.recovery;

/**
 * Is domain d promised to the end of a run (to be connected, to serve, to answer)? Not the network
 * domain when the adversary is on: a compromised domain may refuse all three.
 */
export const promisedAtEnd = (cfg: Config, d: number) => !(d === NET && cfg.adversary);

const compIndex = (c: unknown) => COMPONENTS.indexOf(c as never);

/** Actors held in a derived run after a crash of domain d. */
export function heldAfterCrash(sys: System, d: number): Set<number> {
  const held = new Set<number>();
  const comps = new Set([compIndex(recoveryBackend[d]), compIndex(adminTool), compIndex(faultInjector)]);
  sys.actors.forEach((a, i) => {
    if (comps.has(a.comp)) held.add(i);
  });
  return held;
}

/** Actor index of client p. */
export function clientActor(sys: System, p: number): number {
  const ci = compIndex(recoveryClient);
  return sys.actors.findIndex((a) => a.comp === ci && a.me === p);
}

export const clientPc = (name: string) => recoveryClient.stateIndex.get(name)!;

/**
 * Continue from `s` with the actors in `held` never scheduled, fairly (round-robin), for at most
 * `bound` steps or until `until(s)` holds. Returns the state reached and the steps taken.
 */
export function derivedRun(sys: System, s: Int32Array, held: Set<number>, bound: number, until: (s: Int32Array) => boolean): { s: Int32Array; steps: number; reached: boolean } {
  // `enabled` and `step` without their Choice objects and copies: the allocation-free stepper they
  // are built on (a crash step runs this once per monitor)
  const st = fastStepper(sys);
  const brs: Branch[] = new Array(st.maxEnabled);
  const free = (a: number) => !held.has(a) && st.actorEnabledInto(s, a, brs) > 0;
  let last = -1;
  for (let n = 0; n <= bound; n++) {
    if (until(s)) return { s, steps: n, reached: true };
    if (n === bound) break;
    // the first actor after the last mover that is not held and can move, else the first from 0;
    // it takes its first enabled step
    let a = -1;
    for (let i = last + 1; i < sys.actors.length && a < 0; i++) if (free(i)) a = i;
    for (let i = 0; i <= last && a < 0; i++) if (free(i)) a = i;
    if (a < 0) break;
    last = a;
    const next = new Int32Array(s.length);
    st.stepInto(s, a, brs[0], next);
    s = next;
  }
  return { s, steps: bound, reached: until(s) };
}

/**
 * Has domain d never failed or been stopped in this run so far? Its first incarnation runs, no stop was
 * asked for, and the frontend's connection to it is up.
 */
export function neverFailed(sys: System, s: Int32Array, d: number): boolean {
  const I = sys.L.iso!;
  return epochOf(s, I, d) === 0 && lifeOfDomain(s, I, d) === LIFE.running && s[sys.L.rec!.dom[d].stopReq] === 0 && frontendConnected(s, sys.L, slotOf(d));
}
