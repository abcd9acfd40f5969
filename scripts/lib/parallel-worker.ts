/**
 * A worker thread of the pool in parallel.ts. It builds, from plain data sent once, either the
 * random verifier's batch runner or the exhaustive search's expander, then answers tasks: a batch
 * number (random mode) or a chunk of states (exhaustive mode). Everything it computes is a pure
 * function of the task, which is why the results do not depend on which worker ran what.
 */
import { parentPort } from 'node:worker_threads';
import type { Config } from '../../model/config.ts';
import { propertyByName } from '../../properties/index.ts';
import { expandChunk, Expander, type ExpanderSpec } from './exhaustive.ts';
import { runBatch, type BatchSpec } from './verify.ts';

export type WorkerInit =
  | { kind: 'random'; cfg: Config; props: string[]; seed: number; maxPicks: number; deadlineEpoch: number | null }
  | { kind: 'exhaustive'; spec: ExpanderSpec };

export type WorkerTask = { id: number; batch: number; runs: number } | { id: number; states: Int32Array; expandIt: Uint8Array; checkSelf: boolean };

const port = parentPort!;
let batchSpec: BatchSpec | null = null;
let expander: Expander | null = null;

port.on('message', (msg: { init?: WorkerInit; task?: WorkerTask }) => {
  try {
    if (msg.init) {
      const init = msg.init;
      if (init.kind === 'random') {
        const deadline = init.deadlineEpoch === null ? Infinity : performance.now() + (init.deadlineEpoch - Date.now());
        batchSpec = { cfg: init.cfg, props: init.props.map((n) => propertyByName(n)!), seed: init.seed, maxPicks: init.maxPicks, deadline };
      } else expander = new Expander(init.spec, (n) => propertyByName(n)!);
      port.postMessage({ ready: true });
      return;
    }
    const task = msg.task!;
    if ('batch' in task) {
      port.postMessage({ id: task.id, result: runBatch(batchSpec!, task.batch, task.runs) });
    } else {
      const r = expandChunk(expander!, task.states, task.expandIt, task.checkSelf);
      port.postMessage({ id: task.id, result: r }, [r.succ.buffer, r.actors.buffer, r.n.buffer, r.m.buffer] as ArrayBuffer[]);
    }
  } catch (e) {
    port.postMessage({ id: msg.task?.id ?? -1, error: (e as Error).stack ?? String(e) });
  }
});
