/**
 * Footprints: which words of the state a step reads and writes, and what each word is.
 *
 * A step's footprint is measured, not declared: its guard and actions are run once on an array that
 * records every index touched. This is what lets other layers reason about steps without a second
 * description of the protocol: the isolation model attributes every shared-memory access to a domain
 * and a page, and a partial-order reduction needs to know which steps are independent.
 *
 * `regionOf` names the region a word belongs to: a process's request area, its ready queue, its shadow
 * process, the service domain's wake page, event channels and notify ring, an actor's private
 * registers (control state included), or a ghost variable of the properties.
 */
import type { Ctx } from './kit.ts';
import { dispatchActorName, SERVICE_STORAGE, type Layout } from './layout.ts';
import { isolationWords, type IsolationRegionKind } from '../isolation/layout.ts';
import { COMPONENTS, type Choice, type System } from './system.ts';
import { recoveryWords } from '../recovery/layout.ts';
import type { PosixLayout } from '../posix/layout.ts';

export interface Footprint {
  reads: Set<number>;
  writes: Set<number>;
}

/**
 * A view of `target` that reports every word read (`onRead`) and written (`onWrite`; null: a write
 * is an error) before doing it. A write of a negative index (a register the configuration does not
 * lay out, ABSENT in layout.ts) writes nothing; a read of one is an error.
 */
export function recordingView(target: Int32Array, onRead: (i: number) => void, onWrite: ((i: number) => void) | null): Int32Array {
  return new Proxy(target, {
    get(t, key) {
      if (typeof key === 'string') {
        const i = Number(key);
        if (Number.isInteger(i)) {
          if (i < 0) throw new Error(`footprint: a read of a word the configuration does not lay out (index ${i})`);
          onRead(i);
          return t[i];
        }
      }
      const v = Reflect.get(t, key, t);
      return typeof v === 'function' ? v.bind(t) : v;
    },
    set(t, key, value) {
      const i = Number(key);
      if (onWrite === null || !Number.isInteger(i)) throw new Error(`footprint: unexpected write to ${String(key)}`);
      if (i < 0) return true;
      onWrite(i);
      t[i] = value;
      return true;
    },
  });
}

const recorder = (base: Int32Array, fp: Footprint, writable: boolean): Int32Array =>
  recordingView(base, (i) => fp.reads.add(i), writable ? (i) => fp.writes.add(i) : null);

/**
 * The words a step reads (its guards on the state before it, its actions on the copy) and writes,
 * the actor's own control word included. Guards of earlier branches that did not hold count as reads:
 * they are part of deciding the step.
 */
export function footprint(sys: System, s: Int32Array, ch: Choice): Footprint {
  const fp: Footprint = { reads: new Set(), writes: new Set() };
  const actor = sys.actors[ch.actor];
  const comp = COMPONENTS[actor.comp];
  const guardView = recorder(s, fp, false);
  const gctx: Ctx = { s: guardView, me: actor.me, L: sys.L, emit: () => {} };
  comp.spec.runnable?.(gctx);
  fp.reads.add(actor.pcAt);
  for (const br of ch.event.branches) {
    if (br.guard) br.guard(gctx);
    if (br === ch.branch) break;
  }
  const copy = s.slice();
  const actx: Ctx = { s: recorder(copy, fp, true), me: actor.me, L: sys.L, emit: () => {} };
  for (const act of ch.branch.actions) act(actx);
  fp.writes.add(actor.pcAt);
  return fp;
}

export type RegionKind =
  | 'request-area' | 'ready-queue' | 'shadow-process' | 'wake-page' | 'event-channel' | 'notify-ring' | 'actor' | 'ghost'
  // the POSIX layer: a process's libc translation table (process memory, primary domain), a thread's
  // request slot to a service domain, and a kernel's state (field names start with the domain)
  | 'translation-table' | 'request-slot' | 'domain-kernel'
  | IsolationRegionKind
  // the failure-and-recovery layer's words (recovery-layout.ts)
  | 'recovery';

export interface Region {
  kind: RegionKind;
  /** process index for per-process regions, actor name for 'actor', else -1 / '' */
  proc: number;
  actor: string;
  /** the field's name, e.g. "free_top", "next[2]", "T1.pc" */
  field: string;
}

/** A map from every word offset to its region; computed once per layout. */
export function regionMap(sys: System): Region[] {
  const L: Layout = sys.L;
  const out: Region[] = new Array(L.size);
  const put = (at: number, n: number, kind: RegionKind, proc: number, actor: string, field: string) => {
    // a field the configuration does not lay out (the lock-free queue's words with the atomic queue)
    if (at < 0) return;
    for (let i = 0; i < n; i++) out[at + i] = { kind, proc, actor, field: n > 1 ? `${field}[${i}]` : field };
  };
  const { cfg } = L;
  L.proc.forEach((p, pi) => {
    put(p.freeTop, 2, 'request-area', pi, '', 'free_top');
    put(p.allocTop, 2, 'request-area', pi, '', 'alloc_top');
    for (const f of ['next', 'id', 'seq', 'arg', 'owner'] as const) put(p[f], cfg.entries, 'request-area', pi, '', f);
    put(p.waiters, 1, 'ready-queue', pi, '', 'waiters');
    put(p.head, 2, 'ready-queue', pi, '', 'head');
    put(p.tail, 2, 'ready-queue', pi, '', 'tail');
    put(p.nodeValue, L.nodes, 'ready-queue', pi, '', 'node_value');
    put(p.nodeNext, 2 * L.nodes, 'ready-queue', pi, '', 'node_next');
    put(p.poolTop, 2, 'ready-queue', pi, '', 'pool_top');
    put(p.poolNext, L.nodes, 'ready-queue', pi, '', 'pool_next');
    put(p.rqLen, 1, 'ready-queue', pi, '', 'rq_len');
    put(p.rq, cfg.threads + 1, 'ready-queue', pi, '', 'rq');
    put(p.tokens, 1, 'shadow-process', pi, '', 'socket_tokens');
    put(p.liveWorkers, 1, 'shadow-process', pi, '', 'live_workers');
    put(p.idleWorkers, 1, 'shadow-process', pi, '', 'idle_workers');
  });
  L.dd.forEach((d, di) => {
    // one instance keeps the dispatch model's names; with two, each word says its domain (/S, /N)
    const dom = L.dd.length === 1 ? '' : d.service === SERVICE_STORAGE ? '/S' : '/N';
    put(d.wake, 1, 'wake-page', -1 - di, '', `wake${dom}`);
    put(d.evtToService, 1, 'event-channel', -1 - di, '', `to_service${dom}`);
    put(d.evtToPrimary, 1, 'event-channel', -1 - di, '', `to_primary${dom}`);
    put(d.ringLen, 1, 'notify-ring', -1 - di, '', `ring_len${dom}`);
    put(d.ring, cfg.ringCapacity, 'notify-ring', -1 - di, '', `ring${dom}`);
    if (d.epoch >= 0) put(d.epoch, 1, 'shadow-process', -1 - di, '', `incarnation${dom}`);
  });
  put(L.execd, L.requests, 'ghost', -1, '', 'executions');
  put(L.seen, L.requests, 'ghost', -1, '', 'results_read');
  put(L.fault, 1, 'ghost', -1, '', 'fault');
  const actorBlock = (name: string, o: Record<string, number>) => {
    for (const [k, at] of Object.entries(o)) if (at >= 0) out[at] = { kind: 'actor', proc: -1, actor: name, field: `${name}.${k}` };
  };
  L.thread.forEach((t, i) => actorBlock(dispatchActorName(L, 'T', i), t as never));
  L.kernel.forEach((k, i) => actorBlock(dispatchActorName(L, 'K', i), k as never));
  L.worker.forEach((w, i) => actorBlock(dispatchActorName(L, 'W', i), w as never));
  L.dd.forEach((d, i) => {
    actorBlock(dispatchActorName(L, 'F', i), d.frontend);
    actorBlock(dispatchActorName(L, 'B', i), d.backend);
  });
  if (L.posix) posixRegions(L.posix, put, actorBlock);
  if (L.iso) for (const w of isolationWords(L.iso)) out[w.at] = { kind: w.kind, proc: -1, actor: w.actor, field: w.field };
  // the recovery layer's words: its actors' control words are registers, the rest is the layer's shared state
  if (L.rec)
    for (const w of recoveryWords(L.rec, L.cfg)) out[w.at] = w.field.endsWith('.pc') ? { kind: 'actor', proc: -1, actor: w.field.slice(0, -3), field: w.field } : { kind: 'recovery', proc: -1, actor: '', field: w.field };
  for (let i = 0; i < L.size; i++) if (!out[i]) throw new Error(`regionMap: word ${i} has no region`);
  return out;
}

type Put = (at: number, n: number, kind: RegionKind, proc: number, actor: string, field: string) => void;

/** Regions of the POSIX layer's words (model/posix/layout.ts). */
function posixRegions(PL: PosixLayout, put: Put, actorBlock: (name: string, o: Record<string, number>) => void): void {
  const D = PL.cfg.descriptors;
  PL.libc.forEach((lc, p) => {
    for (const f of ['cnt', 'dfd', 'dom', 'flags'] as const) put(lc[f], D, 'translation-table', p, '', f);
    put(lc.bitmap, 1, 'translation-table', p, '', 'bitmap');
    put(lc.pstate, 1, 'translation-table', p, '', 'process_state');
    put(lc.live, 1, 'translation-table', p, '', 'live_threads');
    if (lc.ep >= 0) put(lc.ep, D, 'translation-table', p, '', 'incarnation');
    if (lc.gep >= 0) put(lc.gep, D, 'ghost', p, '', `P${p + 1}.descriptor_incarnation`);
  });
  PL.thread.forEach((th, t) => actorBlock(`T${t + 1}`, th as never));
  PL.rpc.forEach((row, t) =>
    row.forEach((q, d) => {
      const dom = d === 0 ? 'network' : 'storage';
      for (const [k, at] of Object.entries(q)) {
        if (at < 0) continue; // a word of the composed system only
        if (k === 'wpc') put(at, 1, 'actor', -1, `${d === 0 ? 'N' : 'S'}${t + 1}`, `${d === 0 ? 'N' : 'S'}${t + 1}.pc`);
        else put(at, 1, 'request-slot', t < PL.cfg.threads ? 0 : 1 + t - PL.cfg.threads, `T${t + 1}`, `${dom}.${k}`);
      }
    }),
  );
  PL.rec.forEach((row, t) => row.forEach((r, k) => Object.entries(r).forEach(([f, at]) => put(at, 1, 'ghost', -1, '', `T${t + 1}.call[${k}].${f}`))));
  put(PL.tick, 1, 'ghost', -1, '', 'history_clock');
  put(PL.cut, 1, 'ghost', -1, '', 'history_cut');
  put(PL.cutWhy, 1, 'ghost', -1, '', 'history_cut_why');
  put(PL.underflow, 1, 'ghost', -1, '', 'counter_underflow');
  for (const K of PL.kernel) for (let i = 0; i < K.size; i++) put(K.base + i, 1, 'domain-kernel', -1, '', `${K.shape.name}[${i}]`);
}
