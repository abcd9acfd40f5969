/**
 * A worker thread of the pool in parallel.ts. It builds, from plain data sent once, either the
 * random verifier's batch runner (batches.ts), the exhaustive search's expander, or one part of a
 * partitioned exhaustive search (partitioned.ts), then answers tasks: a batch number, a chunk of
 * states, or a command of the partitioned search. Everything it computes is a pure function of the task,
 * which is why the results do not depend on which worker ran what.
 */
import { parentPort } from 'node:worker_threads';
import { SymmetryError } from '../exhaustive/symmetry.ts';
import { propertyByName } from '../../../properties/index.ts';
import { runBatch, type BatchSpec } from '../random/batches.ts';
import { expandChunk, Expander, type ExpanderSpec } from '../exhaustive/exhaustive.ts';
import { PartitionWorker, type PartitionCommand, type PartitionInit } from '../exhaustive/partitioned.ts';
import { SharedWorker, type SharedCommand, type SharedInit } from '../exhaustive/shared.ts';

export type WorkerInit = { kind: 'exhaustive'; spec: ExpanderSpec } | { kind: 'random'; spec: BatchSpec } | { kind: 'partition'; spec: PartitionInit } | { kind: 'shared'; spec: SharedInit };

export type WorkerTask = { id: number; states: Int32Array; expandIt: Uint8Array; checkSelf: boolean } | { id: number; batch: number } | { id: number; part: PartitionCommand | SharedCommand };

const port = parentPort!;
let expander: Expander | null = null;
let batchSpec: BatchSpec | null = null;
let part: PartitionWorker | SharedWorker | null = null;

port.on('message', (msg: { init?: WorkerInit; task?: WorkerTask; reset?: boolean }) => {
  try {
    // the pool keeps this worker for a later one (pool.ts): drop what this search built
    if (msg.reset) {
      expander = null;
      batchSpec = null;
      part = null;
      return;
    }
    if (msg.init) {
      const init = msg.init;
      if (init.kind === 'random') batchSpec = init.spec;
      else if (init.kind === 'partition') part = new PartitionWorker(init.spec, (n) => propertyByName(n)!);
      else if (init.kind === 'shared') part = new SharedWorker(init.spec, (n) => propertyByName(n)!);
      else expander = new Expander(init.spec, (n) => propertyByName(n)!);
      port.postMessage({ ready: true });
      return;
    }
    const task = msg.task!;
    if ('part' in task) {
      port.postMessage({ id: task.id, result: (part as { answer(c: unknown): unknown }).answer(task.part) });
      return;
    }
    if ('batch' in task) {
      port.postMessage({ id: task.id, result: runBatch(batchSpec!, task.batch) });
      return;
    }
    const r = expandChunk(expander!, task.states, task.expandIt, task.checkSelf);
    port.postMessage({ id: task.id, result: r }, [r.succ.buffer, r.actors.buffer, r.n.buffer, r.m.buffer] as ArrayBuffer[]);
  } catch (e) {
    // a refused reduction keeps its kind, so that the command line reports it as bad usage
    port.postMessage({ id: msg.task?.id ?? -1, error: (e as Error).stack ?? String(e), symmetry: e instanceof SymmetryError ? e.message : undefined });
  }
});
