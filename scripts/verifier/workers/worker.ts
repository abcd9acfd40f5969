/**
 * A worker thread of the pool in parallel.ts. It builds, from plain data sent once, either the
 * random verifier's batch runner (batches.ts) or the exhaustive search's expander, then answers
 * tasks: a batch number, or a chunk of states. Everything it computes is a pure function of the task,
 * which is why the results do not depend on which worker ran what.
 */
import { parentPort } from 'node:worker_threads';
import { propertyByName } from '../../../properties/index.ts';
import { runBatch, type BatchSpec } from '../random/batches.ts';
import { expandChunk, Expander, type ExpanderSpec } from '../exhaustive/exhaustive.ts';

export type WorkerInit = { kind: 'exhaustive'; spec: ExpanderSpec } | { kind: 'random'; spec: BatchSpec };

export type WorkerTask = { id: number; states: Int32Array; expandIt: Uint8Array; checkSelf: boolean } | { id: number; batch: number };

const port = parentPort!;
let expander: Expander | null = null;
let batchSpec: BatchSpec | null = null;

port.on('message', (msg: { init?: WorkerInit; task?: WorkerTask }) => {
  try {
    if (msg.init) {
      const init = msg.init;
      if (init.kind === 'random') batchSpec = init.spec;
      else expander = new Expander(init.spec, (n) => propertyByName(n)!);
      port.postMessage({ ready: true });
      return;
    }
    const task = msg.task!;
    if ('batch' in task) {
      port.postMessage({ id: task.id, result: runBatch(batchSpec!, task.batch) });
      return;
    }
    const r = expandChunk(expander!, task.states, task.expandIt, task.checkSelf);
    port.postMessage({ id: task.id, result: r }, [r.succ.buffer, r.actors.buffer, r.n.buffer, r.m.buffer] as ArrayBuffer[]);
  } catch (e) {
    port.postMessage({ id: msg.task?.id ?? -1, error: (e as Error).stack ?? String(e) });
  }
});
