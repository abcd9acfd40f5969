/**
 * The state with names: what a trace stores and what replay shows. `decode` is total (it never
 * fails on a corrupted state, which is exactly when a person needs to read one); nil pointers are -1.
 * Actor registers appear only while they differ from their initial value.
 */
import { ID_DONE, ID_RQUEUE, NIL, WAKE_IN_PROGRESS, WAKE_REQUESTED, wakeRunning, wakeSleeping } from './layout.ts';
import { queueContents } from '../dispatch/ready-queue.ts';
import { callName } from '../dispatch/sclib.ts';
import { COMPONENTS, pcName, type System } from './system.ts';
import { decodePosix, POSIX_VARS } from '../posix/view.ts';
import type { Plain } from './plain.ts';
import { decodeIsolation } from '../isolation/view.ts';
import { recoveryWords } from '../recovery/layout.ts';

export type { Plain };

export function callIdName(id: number): string {
  if (id === 0) return 'EMPTY';
  if (id === ID_DONE) return 'DONE';
  return callName(id & ~ID_RQUEUE) + (id & ID_RQUEUE ? '|RQUEUE' : '');
}

const top = (s: Int32Array, at: number) => ({ index: s[at], stamp: s[at + 1] });

/** The ITF state variables, in order. */
export const VARS = ['processes', 'service_domain', 'threads', 'kernel_threads', 'workers', 'frontend', 'backend', 'ghost'] as const;

/** The state variables of a system: the dispatch model's (followed by `isolation` or `recovery` when that layer is on), or the POSIX layer's when it is on. */
export function varsOf(sys: System): string[] {
  if (sys.L.posix) return [...POSIX_VARS];
  return [...VARS, ...(sys.L.iso ? ['isolation'] : []), ...(sys.L.rec ? ['recovery'] : [])];
}

export function decode(sys: System, s: Int32Array): Record<string, Plain> {
  if (sys.L.posix) return decodePosix(sys, s);
  const { L, cfg } = sys;
  const actorIndex = new Map(sys.actors.map((a, i) => [`${a.comp}:${a.me}`, i]));
  const pcOf = (comp: number, me: number) => {
    const i = actorIndex.get(`${comp}:${me}`);
    return i === undefined ? 'absent' : pcName(sys, s, i);
  };
  const processes = L.proc.map((p) => {
    const entries = [];
    for (let e = 0; e < cfg.entries; e++)
      entries.push({ id: callIdName(s[p.id + e]), next: s[p.next + e], seq: s[p.seq + e], arg: s[p.arg + e], handle: s[p.owner + e] });
    const q = queueContents(s, p, L.nodes, cfg.readyQueue === 'atomic');
    const ready: Record<string, Plain> = { handles: q.items.map((h) => `T${h + 1}`), waiters: s[p.waiters] };
    if (q.broken) ready.broken = q.broken;
    if (cfg.readyQueue === 'lockfree') {
      ready.head = top(s, p.head);
      ready.tail = top(s, p.tail);
      ready.nodes = Array.from({ length: L.nodes }, (_, n) => ({ value: s[p.nodeValue + n], next: top(s, p.nodeNext + 2 * n), pool_next: s[p.poolNext + n] }));
      ready.pool_top = top(s, p.poolTop);
    }
    return {
      free_top: top(s, p.freeTop),
      alloc_top: top(s, p.allocTop),
      entries,
      ready_queue: ready,
      shadow: { workers: s[p.liveWorkers], idle: s[p.idleWorkers], socket_tokens: s[p.tokens] },
    };
  });
  const w = s[L.wake];
  const service_domain = {
    wake: { running: wakeRunning(w), sleeping: wakeSleeping(w), WAKE_REQUESTED: (w & WAKE_REQUESTED) !== 0, WAKE_IN_PROGRESS: (w & WAKE_IN_PROGRESS) !== 0 },
    event_to_service: s[L.evtToService] !== 0,
    event_to_primary: s[L.evtToPrimary] !== 0,
    notify_ring: Array.from({ length: s[L.ringLen] }, (_, i) => s[L.ring + i]),
  };
  // Registers are shown only while they differ from their initial value (a cleared temporary is
  // noise in a story), so a record reads like "pc spin, on K1, e 0, k 1".
  const regs = (o: Record<string, number>, skip: string[]) => {
    const out: Record<string, number> = {};
    for (const [k, at] of Object.entries(o)) if (!skip.includes(k) && s[at] !== sys.init[at]) out[k] = s[at];
    return out;
  };
  const threads = L.thread.map((t, i) => ({ pc: pcOf(0, i), on: s[t.att] === NIL ? '-' : `K${s[t.att] + 1}`, ...regs(t as never, ['pc', 'att']) }));
  const kernel_threads = L.kernel.map((k, i) => ({ pc: pcOf(1, i), runs: s[k.cur] === NIL ? '-' : `T${s[k.cur] + 1}`, ...regs(k as never, ['pc', 'cur']) }));
  const workers = L.worker.map((wk, i) => ({ pc: pcOf(2, i), ...regs(wk as never, ['pc']) }));
  const frontend = { pc: COMPONENTS[3].spec.count(L) ? pcOf(3, 0) : 'absent', record: s[L.frontend.rec] };
  const backend = { pc: COMPONENTS[4].spec.count(L) ? pcOf(4, 0) : 'absent', loaded: s[L.backend.wl] };
  const ghost = {
    executions: Array.from({ length: L.requests }, (_, r) => s[L.execd + r]),
    results_read: Array.from({ length: L.requests }, (_, r) => s[L.seen + r]),
    bad_handle_dequeued: s[L.fault] !== 0,
  };
  const out: Record<string, Plain> = { processes, service_domain, threads, kernel_threads, workers, frontend, backend, ghost };
  if (L.iso) out.isolation = decodeIsolation(sys, s);
  if (L.rec) {
    const rec: Record<string, Plain> = {};
    for (const w of recoveryWords(L.rec, cfg)) rec[w.field] = s[w.at];
    out.recovery = rec;
  }
  return out;
}

/** Flatten to path -> printed value, for "what changed". */
export function flatten(v: Plain, path = '', out: Map<string, string> = new Map()): Map<string, string> {
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x !== 'object')) out.set(path, `[${v.join(', ')}]`);
    else v.forEach((x, i) => flatten(x, `${path}[${i}]`, out));
  } else if (typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 2 && 'index' in v && 'stamp' in v) out.set(path, `{${v.index === NIL ? 'nil' : v.index}, ${v.stamp}}`);
    else for (const k of keys) flatten(v[k], path ? `${path}.${k}` : k, out);
  } else out.set(path, String(v));
  return out;
}

/** Lines "path: old -> new" for every field that differs; "(initial)" stands for a register at its initial value. */
export function changes(before: Record<string, Plain>, after: Record<string, Plain>): string[] {
  const a = flatten(before);
  const b = flatten(after);
  const out: string[] = [];
  for (const [k, v] of b) {
    const old = a.get(k);
    if (old !== v) out.push(`${k}: ${old ?? '(initial)'} -> ${v}`);
  }
  for (const [k, old] of a) if (!b.has(k)) out.push(`${k}: ${old} -> (initial)`);
  return out;
}
