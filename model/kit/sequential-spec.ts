/**
 * Concurrent histories and sequential specifications, the two types the Wing-Gong linearizability
 * checker (properties/lib/linearizability.ts) works on. They live in the model because the POSIX
 * layer's reference kernel (model/posix/reference-kernel.ts) is written as such a specification; the
 * model imports nothing from properties/.
 */

/** One operation in a concurrent history. Times are integers on one global clock (the model's step index). */
export interface Operation<I, O> {
  id: number;
  client: number;
  input: I;
  output: O | undefined;
  call: number;
  ret: number | null;
}

/** A sequential specification: the model as a record of pure functions (porcupine style). */
export interface SequentialSpec<S, I, O> {
  name: string;
  init(): S;
  /** Next state if `output` is a legal result for `input` in state `s`, else null.
      For a pending operation (output undefined) the next state for SOME legal output. */
  step(s: S, input: I, output: O | undefined): S | null;
  /** Canonical key of a spec state, for memoization. */
  key(s: S): string;
  /** Human-readable form of an operation, e.g. "push(3)" or "pop() -> 2". */
  describe(input: I, output: O | undefined): string;
}
