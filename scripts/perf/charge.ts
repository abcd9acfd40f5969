/**
 * Where cycles go: the kinds of cost a step or a burst of work is charged, and a charge (cycles by
 * kind). Every cycle a vCPU is busy in a timed run is charged to exactly one kind of exactly one step
 * or burst, so the totals by kind add up to the busy time.
 */
export const KINDS = [
  'compute', // application work in user mode
  'work', // a system call's own kernel work
  'copy', // copying call data
  'trap', // system call trap, direct cost
  'indirect', // cache and TLB pollution after a trap, or the residue on a service core
  'memory', // loads and stores that hit the local cache
  'transfer', // cache lines moved between cores
  'atomic', // locked CAS, XCHG, atomic add
  'spin', // a caller's PAUSE loop waiting for DONE
  'poll', // an idle worker's poll loop
  'hypercall', // hypercalls (event-channel sends)
  'event', // taking an event-channel notification (virtual interrupt)
  'switch', // kernel context switches
  'wakeup', // waking sleeping kernel threads
  'mn-switch', // user-level thread switches
  'spawn', // creating worker threads
  'backend', // split-driver backend work (driver-domain baseline)
  'grant', // grant copies (driver-domain baseline)
] as const;

export type Kind = (typeof KINDS)[number];

const INDEX = new Map<Kind, number>(KINDS.map((k, i) => [k, i]));

export class Charge {
  readonly by: number[] = new Array(KINDS.length).fill(0);

  add(kind: Kind, cycles: number): this {
    if (cycles !== 0) this.by[INDEX.get(kind)!] += cycles;
    return this;
  }

  addAll(other: Charge): this {
    for (let i = 0; i < this.by.length; i++) this.by[i] += other.by[i];
    return this;
  }

  get(kind: Kind): number {
    return this.by[INDEX.get(kind)!];
  }

  total(): number {
    let t = 0;
    for (let i = 0; i < this.by.length; i++) t += this.by[i];
    return t;
  }

  /** cycles by kind, the non-zero ones */
  toRecord(): Partial<Record<Kind, number>> {
    const out: Partial<Record<Kind, number>> = {};
    KINDS.forEach((k, i) => {
      if (this.by[i] !== 0) out[k] = this.by[i];
    });
    return out;
  }
}
