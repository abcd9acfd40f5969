/**
 * A worker thread of the pool in parallel.ts. It builds, from plain data sent once, the exhaustive
 * search's expander, then answers tasks: chunks of states. Everything it computes is a pure function
 * of the task, which is why the results do not depend on which worker ran what.
 */
import { parentPort } from 'node:worker_threads';
import { propertyByName } from '../../properties/index.ts';
import { expandChunk, Expander, type ExpanderSpec } from './exhaustive.ts';

export type WorkerInit = { kind: 'exhaustive'; spec: ExpanderSpec };

export type WorkerTask = { id: number; states: Int32Array; expandIt: Uint8Array; checkSelf: boolean };

const port = parentPort!;
let expander: Expander | null = null;

port.on('message', (msg: { init?: WorkerInit; task?: WorkerTask }) => {
  try {
    if (msg.init) {
      expander = new Expander(msg.init.spec, (n) => propertyByName(n)!);
      port.postMessage({ ready: true });
      return;
    }
    const task = msg.task!;
    const r = expandChunk(expander!, task.states, task.expandIt, task.checkSelf);
    port.postMessage({ id: task.id, result: r }, [r.succ.buffer, r.actors.buffer, r.n.buffer, r.m.buffer] as ArrayBuffer[]);
  } catch (e) {
    port.postMessage({ id: msg.task?.id ?? -1, error: (e as Error).stack ?? String(e) });
  }
});
