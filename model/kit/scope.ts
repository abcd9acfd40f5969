/**
 * What the model leaves out, and why: one list that the README and the generated SPEC both show, so
 * that a reader knows what a verdict does not cover.
 */
export interface LeftOut {
  what: string;
  why: string;
}

export const LEFT_OUT: readonly LeftOut[] = [
  { what: 'The real sizes (454 entries, 1362 ready-queue slots, 4000 PAUSEs, 5000 polls, 18 kernel threads)', why: 'exploration needs small instances; every bound is a named configuration field and each verdict states the configuration it holds for' },
  { what: 'The data area, argument copying and 4 MB chunking', why: 'a call carries one argument word and returns its result in it; copying is sequential code of one thread and has no interleaving of its own' },
  { what: 'More than one service domain in the dispatch model alone', why: 'the dispatch protocol is per process and per service domain; one service domain shows all of its interleavings, and the composed system runs an instance per domain' },
  { what: 'The vCPU-count condition on worker polling and the scheduler hook that wakes a sleeping worker when a running one blocks', why: 'spawning keeps an idle worker available, which is what liveness needs; the hook only improves latency' },
  { what: 'Spinning on an unchanged value (an empty free stack, an idle worker without the wake path)', why: 'modelled as blocking until the value changes, as the SPIN anchor does; it adds no new states' },
  { what: "The kernel's own wait-queue races (prepare_to_wait, schedule)", why: 'a registered kernel thread is a pending bit that a wake-up sets and the sleeper consumes, which loses no wake-up, as in Linux' },
  { what: 'Signals, select/poll, fork/exec, descriptor tables, file-system and socket semantics in the dispatch model alone', why: 'the dispatch model is the transport; the POSIX layer models them, and the composed system carries its calls over the dispatch machines' },
  { what: "One ready queue per process shared by both service domains (the released code's layout)", why: 'the composed system gives each domain its own queue per process: the shared page lets a compromised network domain forge storage completions (the shared-ready-queue variant shows it)' },
  { what: 'Memory ordering weaker than sequential consistency', why: 'x86-64 (the platform of VirtuOS) is TSO and the protocol uses locked instructions (CAS, XCHG) at every point where order matters; the model steps are sequentially consistent' },
];
