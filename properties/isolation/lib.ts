/**
 * Definitions the isolation properties share, stated independently of the model's mechanisms: what a
 * live grant is, and the footprint of a step measured once for all the properties that look at it.
 */
import { regionMap } from '../../model/kit/footprint.ts';
import { StepMeter, type StepWords } from '../../model/kit/recorder.ts';
import { currentDomid, PERM_RW, slotOfDomid, type IsolationLayout, type MappingSlot } from '../../model/isolation/layout.ts';
import { perShape, type Choice, type System } from '../../model/kit/system.ts';

/** Only for configurations with the isolation layer on. */
export const isolationOn = (cfg: { isolation: boolean }) => cfg.isolation;

const meters = new WeakMap<System, StepMeter>();
// the last step measured: the properties that look at a step ask for it one after another
let lastChoice: Choice | null = null;
let lastBefore: Int32Array | null = null;
let lastWords: StepWords | null = null;

/**
 * The footprint of a step (what `footprint()` of model/kit/footprint.ts measures, with one recorder
 * per system), measured once for all the properties that look at it. A run reuses its state arrays,
 * but every step's Choice is a new object: it keys the step, with the state before it (in case a
 * caller passes one Choice for two states).
 */
export function stepFootprint(sys: System, before: Int32Array, ch: Choice, _after: Int32Array): StepWords {
  if (ch === lastChoice && before === lastBefore) return lastWords!;
  let meter = meters.get(sys);
  if (!meter) meters.set(sys, (meter = new StepMeter(sys)));
  lastWords = meter.of(before, ch);
  lastChoice = ch;
  lastBefore = before;
  return lastWords;
}

const regions = perShape(regionMap);
/** The name of a word, e.g. "free_top[0]", "K1.pend", "storage wake page.content". */
export function wordName(sys: System, w: number): string {
  const reg = regions(sys)[w];
  return reg.proc >= 0 ? `P${reg.proc + 1} ${reg.field}` : reg.field;
}

/**
 * A mapping is live when the grant it was made from still grants that frame to the mapping domain
 * with at least the mapping's permission, and the granter still owns the frame.
 */
export function liveGrant(s: Int32Array, I: IsolationLayout, m: MappingSlot, mapper: number): boolean {
  const frame = s[m.frame];
  const granter = s[m.granter];
  if (frame < 0 || granter < 0) return false;
  const e = I.grants[slotOfDomid(granter)][s[m.ref]];
  return e !== undefined && s[e.frame] === frame && s[e.grantee] === mapper && s[e.perm] >= s[m.perm] && s[I.frames[frame].owner] === granter;
}

/** May domain slot `slot` access `frame`: it owns it, or maps it through a live grant with enough permission? */
export function mayAccess(s: Int32Array, I: IsolationLayout, slot: number, frame: number, write: boolean): boolean {
  const domid = currentDomid(s, I, slot);
  if (s[I.frames[frame].owner] === domid) return true;
  for (const m of I.mappings[slot]) if (s[m.frame] === frame && (!write || s[m.perm] === PERM_RW) && liveGrant(s, I, m, domid)) return true;
  return false;
}
