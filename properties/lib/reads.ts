/**
 * The state words an invariant reads, by the layout's own names: the building blocks of the
 * properties' `reads` declarations (properties/property.ts). Each helper covers what one reading
 * function of the model reads on any state, so a declaration is a list of the functions it calls.
 */
import type { Layout, ProcessLayout } from '../../model/kit/layout.ts';
import { nodeNextAt } from '../../model/dispatch/ready-queue.ts';

/** `n` consecutive words from `at` */
export function* words(at: number, n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield at + i;
}

/** procJudged, serviceJudged and networkCompromised (model/system/instance.ts): the compromised flag, when there is one */
export function* judgedReads(L: Layout): Generator<number> {
  if (L.iso !== null && L.iso.compromised >= 0) yield L.iso.compromised;
}

/** walkStack (model/dispatch/request-stack.ts) over a stack of `size` entries: its top's index word and every link */
export function* stackReads(top: number, next: number, size: number): Generator<number> {
  yield top;
  yield* words(next, size);
}

/** queueContents (model/dispatch/ready-queue.ts): the atomic queue's length and slots, or the lock-free queue's head, tail and every node's value and link */
export function* queueReads(L: Layout, p: ProcessLayout, atomic: boolean): Generator<number> {
  if (atomic) {
    yield p.rqLen;
    yield* words(p.rq, L.cfg.threads + 1);
    return;
  }
  yield p.head;
  yield p.tail;
  for (let n = 0; n < L.nodes; n++) {
    yield nodeNextAt(p, n);
    yield p.nodeValue + n;
  }
}
