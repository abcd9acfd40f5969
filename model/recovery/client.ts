/**
 * The two programs of the paper's recovery experiment, as the C library (libc-sclib) runs them: one
 * actor per process, C1 writing a file through the storage domain and C2 sending a stream through the
 * network domain, `chunks` chunks each.
 *
 * C1: open("/storage/f"), write chunk 0..chunks-1, fsync, close. C2: socket+connect, send chunk
 * 0..chunks-1, close. Each call goes to the domain that owns the descriptor (or, for open and socket,
 * the domain the path or family routes to). The library's side of the recovery semantics
 * (model/recovery/semantics.ts) is here:
 *
 * - a call on a descriptor of an incarnation that is no longer the connected one, or while RUNNING is
 *   clear, fails with EBADF at once, without a reference or a request entry;
 * - opening while the domain is not running fails at once (ENXIO / ENETDOWN), and the program backs
 *   off until the frontend reports the service running again;
 * - otherwise the call takes the frontend lock for its one submit step, takes a frontend reference,
 *   fills a request entry tagged with the connected incarnation and waits; when a result is there it
 *   frees the entry, takes its ready-queue handle and drops its reference, on success and on error;
 * - on any error the program closes its descriptor (locally: the domain that held it is gone) and
 *   starts again: C1 reopens and rewrites from the first chunk a completed fsync did not cover, C2
 *   reconnects and sends the whole stream again (its peer saw the old connection reset).
 *
 * The `refcount-leak` seeded bug skips dropping the reference when the call returns an error.
 *
 * Simplifications: one thread per process and one call in flight; a back-off that waits for RUNNING
 * rather than a timer (a timer would retry through the same states, with more of them); the
 * sequence of a call (entry, spin, RQUEUE, sleep) is the dispatch model's and is one wait here.
 *
 * VIRTUOS.md: "Failure and recovery", "Descriptors, fork, exec, polling, signals", "Routing of system calls".
 */
import { defineComponent, type Ctx } from '../kit/kit.ts';
import { downError, EBADF, resultText } from './semantics.ts';
import {
  CALL_DONE,
  CALL_IDLE,
  CALL_PENDING,
  CLIENTS,
  domainOfClient,
  DOMAIN_NAMES,
  domidAt,
  OP_CLOSE,
  OP_DONE,
  OP_OPEN,
  OP_SYNC,
  OP_XFER,
  opName,
  STO,
  type RecoveryLayout,
} from './layout.ts';

const R = (c: Ctx): RecoveryLayout => c.L.rec!;
const me = (c: Ctx) => R(c).client[c.me];
const dom = (c: Ctx) => R(c).dom[domainOfClient(c.me)];
const op = (c: Ctx) => c.s[me(c).op];
const ok = (c: Ctx) => c.s[me(c).res] >= 0;

/** The operation after `op` succeeded, given the chunk to transfer next. */
function nextOp(c: Ctx, done: number): number {
  const sto = domainOfClient(c.me) === STO;
  const k = c.s[me(c).k];
  if (done === OP_OPEN || done === OP_XFER) return k < c.L.cfg.chunks ? OP_XFER : sto ? OP_SYNC : OP_CLOSE;
  if (done === OP_SYNC) return OP_CLOSE;
  return OP_DONE;
}

/** What the returning call leaves behind in every case: entry freed, handle taken, status idle. */
function release(c: Ctx, dropRef: boolean): void {
  const cl = me(c);
  c.s[cl.entry] = -1;
  c.s[cl.rq] = -1;
  c.s[cl.status] = CALL_IDLE;
  if (dropRef && c.s[cl.hasRef]) {
    c.s[dom(c).refs]--;
    c.s[cl.hasRef] = 0;
  }
}

export const recoveryClient = defineComponent({
  id: 'recovery-client',
  prefix: 'C',
  section: 'Failure and recovery',
  description:
    'A process of the recovery experiment (C1: file through the storage domain, C2: stream through the network domain): submit each call under a frontend reference, ' +
    'fail fast on stale descriptors or a stopped domain, close and start again after an error.',
  initial: 'ready',
  count: (L) => (L.rec ? CLIENTS : 0),
  pc: (L, i) => L.rec!.client[i].pc,
  states: {
    ready: {
      description: 'about to issue the next call of its program',
      on: {
        ClientIssuesCall: [
          { guard: 'descriptorStale', target: 'recover', actions: 'failBadf' },
          { guard: 'domainDown', target: 'backoff', actions: 'failDown' },
          { guard: 'lockFree', target: 'wait', actions: 'submit' },
        ],
      },
    },
    wait: {
      description: 'its call is submitted; waits for a result',
      on: {
        ClientReturns: [
          { guard: 'closedOk', target: 'done', actions: 'returnOk' },
          { guard: 'succeeded', target: 'ready', actions: 'returnOk' },
          { guard: 'hasResult', target: 'recover', actions: 'returnError' },
        ],
      },
    },
    recover: { description: 'a call failed: closes its descriptor locally and starts again', on: { ClientClosesStaleDescriptor: { target: 'ready', actions: 'restart' } } },
    backoff: { description: 'the domain is not running: waits until the frontend reports it running', on: { ClientRetries: { guard: 'serviceRunning', target: 'ready' } } },
    done: { description: 'its transfer is complete' },
  },
  guards: {
    descriptorStale: (c) => op(c) !== OP_OPEN && (c.s[me(c).fd] !== c.s[dom(c).fe] || c.s[dom(c).running] === 0),
    domainDown: (c) => op(c) === OP_OPEN && c.s[dom(c).running] === 0,
    lockFree: (c) => c.s[R(c).feLock] < 0,
    closedOk: (c) => c.s[me(c).status] === CALL_DONE && ok(c) && op(c) === OP_CLOSE,
    succeeded: (c) => c.s[me(c).status] === CALL_DONE && ok(c),
    hasResult: (c) => c.s[me(c).status] === CALL_DONE,
    serviceRunning: (c) => c.s[dom(c).running] === 1,
  },
  guardDocs: {
    descriptorStale: "the call needs its descriptor and the descriptor's incarnation is not the connected one, or RUNNING is clear",
    domainDown: 'the call opens a descriptor and the RUNNING bit of its domain is clear',
    lockFree: "the frontend's lock is free",
    closedOk: 'close returned success: the program is done',
    succeeded: 'the call returned a non-negative result',
    hasResult: 'the call has a result (an error here)',
    serviceRunning: 'the RUNNING bit of its domain is set again',
  },
  actions: {
    failBadf: (c) => {
      c.s[me(c).res] = EBADF;
      c.s[me(c).resEp] = -1;
      c.s[me(c).errs]++;
    },
    failDown: (c) => {
      c.s[me(c).res] = downError(domainOfClient(c.me));
      c.s[me(c).resEp] = -1;
      c.s[me(c).errs]++;
    },
    submit: (c) => {
      const cl = me(c);
      const ep = c.s[dom(c).fe];
      c.s[dom(c).refs]++;
      c.s[cl.hasRef] = 1;
      c.s[cl.entry] = ep;
      c.s[cl.reqEp] = ep;
      c.s[cl.status] = CALL_PENDING;
      c.s[cl.served] = 0;
      c.s[cl.eres] = 0;
      c.s[cl.res] = 0;
      c.s[cl.resEp] = -1;
    },
    returnOk: (c) => {
      const cl = me(c);
      const done = op(c);
      if (done === OP_OPEN) c.s[cl.fd] = c.s[cl.reqEp];
      if (done === OP_XFER) c.s[cl.k]++;
      if (done === OP_SYNC) c.s[cl.synced] = c.s[cl.k];
      if (done === OP_CLOSE) c.s[cl.fd] = -1;
      release(c, true);
      c.s[cl.op] = nextOp(c, done);
    },
    returnError: (c) => {
      c.s[me(c).errs]++;
      release(c, c.L.cfg.bug !== 'refcount-leak');
    },
    restart: (c) => {
      const cl = me(c);
      c.s[cl.fd] = -1;
      c.s[cl.op] = OP_OPEN;
      c.s[cl.k] = domainOfClient(c.me) === STO ? c.s[cl.synced] : 0;
    },
  },
  events: {
    ClientIssuesCall: {
      from: 'process (libc-sclib)',
      to: 'frontend, request entry',
      description: 'issue the next call: fail fast on a stale descriptor or a stopped domain, else submit it under a reference',
      label: (c, target) => {
        const what = `${opName(c.me, op(c))}${op(c) === OP_XFER ? ` chunk ${c.s[me(c).k]}` : ''}`;
        if (target === 'recover') return `${what}: EBADF (descriptor of a failed incarnation)`;
        if (target === 'backoff') return `${what}: ${resultText(downError(domainOfClient(c.me)))} (${DOMAIN_NAMES[domainOfClient(c.me)]} domain not running)`;
        return `submits ${what} to dom${domidAt(domainOfClient(c.me), c.s[dom(c).fe])} (reference ${c.s[dom(c).refs]} -> ${c.s[dom(c).refs] + 1})`;
      },
    },
    ClientReturns: {
      from: 'process (libc-sclib)',
      to: 'request entry, ready queue, frontend',
      description: 'take the result, free the entry, take the handle, drop the reference',
      label: (c) => `${opName(c.me, op(c))} returns ${resultText(c.s[me(c).res])}`,
    },
    ClientClosesStaleDescriptor: {
      from: 'process (libc-sclib)',
      to: 'translation table',
      description: 'close the descriptor locally (returns 0) and start the transfer again',
      label: (c) => `closes its descriptor locally and starts again from chunk ${domainOfClient(c.me) === STO ? c.s[me(c).synced] : 0}`,
    },
    ClientRetries: { from: 'process (libc-sclib)', to: 'frontend', description: 'the domain runs again: retry', label: () => 'retries: the domain is running again' },
  },
});
