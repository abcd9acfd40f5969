/**
 * The shared objects as they stand in one decoded state, drawn as HTML for the viewer page: the
 * request entries with their call-id bits, the free and alloc stacks walked from their stamped tops,
 * the ready queue, the wake word's counts and bits, the event-channel bits and the notify ring; with
 * the isolation layer on, the domains, grant tables, mappings, event-channel ports and devices; with
 * the recovery layer on, its words grouped by owner; the POSIX layer's tables, requests and kernels.
 *
 * Everything is read from the state `model/kit/view.ts` decodes, never from the words. Every value that
 * a step can change carries `data-path`, the key `flatten` gives it, so the page can highlight the
 * words a step changed by the same paths replay prints. A damaged state still draws: a stack whose
 * links loop is drawn up to the loop and marked.
 */
import { flatten, type Plain } from '../../model/kit/view.ts';

type Rec = { [k: string]: Plain };

/** One object of the picture; `title` names it for people and for the tests. */
export interface Drawn {
  title: string;
  html: string;
}

export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A value as replay prints it: `{index, stamp}` pairs as `{i, s}` with nil, short arrays inline. */
const shown = (v: Plain): string => flatten(v).get('') ?? JSON.stringify(v);

function word(path: string, v: Plain, cls = 'w'): string {
  return `<span class="${cls}" data-path="${esc(path)}">${esc(shown(v))}</span>`;
}

function card(title: string, body: string): Drawn {
  return { title, html: `<section class="obj" data-object="${esc(title)}"><h3>${esc(title)}</h3>${body}</section>` };
}

/** Every leaf of a record, one row each, keyed relative to the record. */
function rows(value: Plain, prefix: string): string {
  const leaves = [...flatten(value, prefix)];
  if (leaves.length === 0) return '<p class="none">none</p>';
  return `<table class="kv">${leaves.map(([k, v]) => `<tr><th>${esc(k.slice(prefix.length).replace(/^\./, '') || k)}</th><td><span class="w" data-path="${esc(k)}">${esc(v)}</span></td></tr>`).join('')}</table>`;
}

const kv = (title: string, value: Plain, prefix: string): Drawn => card(title, rows(value, prefix));

const NIL = -1;

/** The entries on a stack, from its top along `next`; `loop` when the links come back to an entry already walked. */
function walk(top: Rec, entries: Rec[]): { chain: number[]; loop: boolean } {
  const chain: number[] = [];
  let e = top.index as number;
  while (e !== NIL && e >= 0 && e < entries.length) {
    if (chain.includes(e)) return { chain, loop: true };
    chain.push(e);
    e = entries[e].next as number;
  }
  return { chain, loop: false };
}

function stack(name: string, at: string, top: Rec, entries: Rec[]): string {
  const { chain, loop } = walk(top, entries);
  const boxes = chain.map((e) => `<div class="box">entry ${e}<small>next ${word(`${at}.entries[${e}].next`, entries[e].next)}</small></div>`);
  if (loop) boxes.push('<div class="box broken">links loop</div>');
  if (chain.length === 0) boxes.push('<div class="box empty">empty</div>');
  return `<div class="stack"><div class="top">${name} ${word(`${at}.${name}`, top)}</div>${boxes.join('')}</div>`;
}

/** The call id with its bits apart: the call, RQUEUE, DONE, or EMPTY. */
function callId(path: string, id: string): string {
  const [call, ...bits] = id.split('|');
  const badges = bits.map((b) => `<b class="bit on">${esc(b)}</b>`).join('');
  const cls = call === 'DONE' ? 'w done' : call === 'EMPTY' ? 'w empty' : 'w';
  return `<span class="${cls}" data-path="${esc(path)}">${esc(call)}${badges}</span>`;
}

function processObjects(p: Rec, i: number, many: boolean): Drawn[] {
  const at = `processes[${i}]`;
  const of = many ? ` of P${i + 1}` : '';
  const entries = p.entries as Rec[];
  const onFree = new Set(walk(p.free_top as Rec, entries).chain);
  const onAlloc = new Set(walk(p.alloc_top as Rec, entries).chain);
  const head = '<tr><th>entry</th><th>call id</th><th>next</th><th>seq</th><th>arg</th><th>handle</th><th>on</th></tr>';
  const body = entries.map((e, k) => {
    const f = (name: string) => `<td>${word(`${at}.entries[${k}].${name}`, e[name])}</td>`;
    const where = onFree.has(k) ? 'free' : onAlloc.has(k) ? 'alloc' : '—';
    return `<tr><th>${k}</th><td>${callId(`${at}.entries[${k}].id`, e.id as string)}</td>${f('next')}${f('seq')}${f('arg')}${f('handle')}<td>${where}</td></tr>`;
  });
  const out: Drawn[] = [
    card(`request entries${of}`, `<table class="grid">${head}${body.join('')}</table>`),
    card(`free and alloc stacks${of}`, `<div class="stacks">${stack('free_top', at, p.free_top as Rec, entries)}${stack('alloc_top', at, p.alloc_top as Rec, entries)}</div>`),
  ];
  const q = p.ready_queue as Rec;
  const handles = (q.handles as string[]).map((h) => `<div class="box">${esc(h)}</div>`).join('') || '<div class="box empty">empty</div>';
  let rq = `<div class="queue" data-path="${esc(`${at}.ready_queue.handles`)}">${handles}</div>`;
  rq += `<p>waiters ${word(`${at}.ready_queue.waiters`, q.waiters)}`;
  for (const k of ['head', 'tail', 'pool_top']) if (k in q) rq += ` · ${k} ${word(`${at}.ready_queue.${k}`, q[k])}`;
  if ('broken' in q) rq += ` · <span class="w broken" data-path="${esc(`${at}.ready_queue.broken`)}">${esc(String(q.broken))}</span>`;
  rq += '</p>';
  if (Array.isArray(q.nodes)) {
    const nodes = (q.nodes as Rec[]).map((n, k) => `<tr><th>${k}</th><td>${word(`${at}.ready_queue.nodes[${k}].value`, n.value)}</td><td>${word(`${at}.ready_queue.nodes[${k}].next`, n.next)}</td><td>${word(`${at}.ready_queue.nodes[${k}].pool_next`, n.pool_next)}</td></tr>`);
    rq += `<table class="grid"><tr><th>node</th><th>value</th><th>next</th><th>pool_next</th></tr>${nodes.join('')}</table>`;
  }
  out.push(card(`ready queue${of}`, rq), kv(`shadow process${of}`, p.shadow, `${at}.shadow`));
  return out;
}

function bit(path: string, name: string, on: boolean): string {
  return `<b class="bit ${on ? 'on' : 'off'}" data-path="${esc(path)}">${esc(name)}</b>`;
}

function serviceDomain(d: Rec): Drawn[] {
  const w = d.wake as Rec;
  const wake =
    `<p>running ${word('service_domain.wake.running', w.running)} · sleeping ${word('service_domain.wake.sleeping', w.sleeping)}</p>` +
    `<p>${bit('service_domain.wake.WAKE_REQUESTED', 'WAKE_REQUESTED', w.WAKE_REQUESTED === true)} ${bit('service_domain.wake.WAKE_IN_PROGRESS', 'WAKE_IN_PROGRESS', w.WAKE_IN_PROGRESS === true)}</p>`;
  const events = `<p>${bit('service_domain.event_to_service', 'to service', d.event_to_service === true)} ${bit('service_domain.event_to_primary', 'to primary', d.event_to_primary === true)}</p>`;
  const ring = (d.notify_ring as number[]).map((r) => `<div class="box">${r}</div>`).join('') || '<div class="box empty">empty</div>';
  return [card('wake word', wake), card('event channels', events), card('notify ring', `<div class="queue" data-path="service_domain.notify_ring">${ring}</div>`)];
}

function isolationObjects(iso: Rec): Drawn[] {
  const out: Drawn[] = [
    card('domains', rows(iso.domains, 'isolation.domains') + rows(iso.rendezvous, 'isolation.rendezvous') + rows(iso.connected_to, 'isolation.connected_to')),
  ];
  for (const [key, title] of [['grants', 'grant tables'], ['ports', 'event channels (ports)'], ['mappings', 'mappings']] as const) {
    const byDomain = iso[key] as Rec;
    out.push(card(title, Object.keys(byDomain).map((d) => `<h4>${esc(d)}</h4>${rows(byDomain[d], `isolation.${key}.${d}`)}`).join('')));
  }
  out.push(kv('devices', iso.devices, 'isolation.devices'), kv('frames', iso.frames, 'isolation.frames'));
  out.push(card('network notify ring', rows(iso.network_notify_ring, 'isolation.network_notify_ring') + `<p>notify thread ${word('isolation.network_notify_thread', iso.network_notify_thread)}</p>`));
  if (iso.adversary) out.push(kv('adversary', iso.adversary, 'isolation.adversary'));
  return out;
}

/** The recovery layer's words, one card per owner (`storage.refs` belongs to storage). */
function recoveryObjects(rec: Rec): Drawn[] {
  const groups = new Map<string, Rec>();
  for (const [k, v] of Object.entries(rec)) {
    const owner = k.slice(0, k.indexOf('.'));
    groups.set(owner, { ...(groups.get(owner) ?? {}), [k]: v });
  }
  return [...groups].map(([owner, words]) => kv(`recovery: ${owner}`, words, 'recovery'));
}

/** The shared objects of one decoded state, in the order the page stacks them. */
export function drawObjects(state: Rec): Drawn[] {
  if ('kernels' in state) {
    const out: Drawn[] = (state.processes as Rec[]).map((p, i) => kv(`process P${i + 1}`, p, `processes[${i}]`));
    out.push(kv('requests', state.requests, 'requests'));
    for (const k of Object.keys(state.kernels as Rec)) out.push(kv(`${k} kernel`, (state.kernels as Rec)[k], `kernels.${k}`));
    out.push(kv('threads', state.threads, 'threads'), kv('history', state.history, 'history'));
    return out;
  }
  // a layer's own objects first: its seeded bugs are about them
  const out: Drawn[] = [];
  if (state.recovery) out.push(...recoveryObjects(state.recovery as Rec));
  if (state.isolation) out.push(...isolationObjects(state.isolation as Rec));
  const procs = state.processes as Rec[];
  out.push(...procs.flatMap((p, i) => processObjects(p, i, procs.length > 1)));
  out.push(...serviceDomain(state.service_domain as Rec));
  for (const k of ['threads', 'kernel_threads', 'workers', 'frontend', 'backend']) out.push(kv(`${k.replace('_', ' ')} (registers)`, state[k], k));
  out.push(kv('ghost (read by the properties only)', state.ghost, 'ghost'));
  return out;
}
