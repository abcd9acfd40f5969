/**
 * The recorder thread (footprint-thread.ts has the protocol): it builds the systems it is given and
 * measures footprints on them, one question at a time, blocking on the shared buffer in between.
 */
import { workerData } from 'node:worker_threads';
import type { Branch, Ctx } from '../../../model/kit/kit.ts';
import { actorContexts, BRANCHES } from '../../../model/kit/stepper.ts';
import { makeSystem, type System } from '../../../model/kit/system.ts';
import { DEFINE, DONE, FAILED, IDLE, MEASURE } from './footprint-thread.ts';
import { bitWords, measureOn } from './footprints.ts';

const io = new Int32Array((workerData as { sab: SharedArrayBuffer }).sab);
const systems: { sys: System; ctxs: Ctx[]; mw: number }[] = [];

function answer(): void {
  const op = io[0];
  if (op === DEFINE) {
    let json = '';
    for (let i = 0; i < io[4]; i++) json += String.fromCharCode(io[5 + i]);
    const sys = makeSystem(JSON.parse(json));
    systems[io[1]] = { sys, ctxs: actorContexts(sys), mw: bitWords(sys) };
    return;
  }
  const { sys, ctxs, mw } = systems[io[1]];
  const a = io[2];
  const br: Branch | null = io[3] < 0 ? null : BRANCHES.branches[io[3]];
  const s = io.slice(5, 5 + io[4]);
  const R = new Int32Array(mw);
  const W = new Int32Array(mw);
  const keys: number[] = [];
  const vals: number[] = [];
  measureOn(sys, ctxs[a], s, a, br, R, W, 0, keys, vals);
  const nk = keys.length;
  if (5 + 2 * nk + 2 * mw > io.length) throw new Error('footprints: a footprint too large for the recorder thread');
  io[4] = nk;
  for (let k = 0; k < nk; k++) {
    io[5 + k] = keys[k];
    io[5 + nk + k] = vals[k];
  }
  io.set(R, 5 + 2 * nk);
  io.set(W, 5 + 2 * nk + mw);
}

Atomics.store(io, 0, IDLE);
Atomics.notify(io, 0);
for (;;) {
  let op: number;
  while ((op = Atomics.load(io, 0)) !== MEASURE && op !== DEFINE) Atomics.wait(io, 0, op);
  try {
    answer();
    Atomics.store(io, 0, DONE);
  } catch (e) {
    const msg = String((e as Error).message ?? e).slice(0, 4000);
    io[4] = msg.length;
    for (let i = 0; i < msg.length; i++) io[5 + i] = msg.charCodeAt(i);
    Atomics.store(io, 0, FAILED);
  }
  Atomics.notify(io, 0);
}
