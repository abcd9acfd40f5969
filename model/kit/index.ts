/**
 * The kit every layer is built with, and the composition (VIRTUOS.md, "Components"). `kit.ts` is how
 * a component is written as an xstate machine and compiled into a fast step table; `layout.ts` places
 * every word of the one flat Int32Array state (the shared memory it models); `components.ts` lists
 * every layer's components and says what a system is; `system.ts` composes them into the one pure
 * step semantics, `enabled(sys, s)` and `step(sys, s, choice)`, that the verifiers, replay, the SPEC
 * generator and the cost model all run on; `stepper.ts` is the same stepping without allocation, for
 * the verifiers, and `compiled.ts` generates it as straight-line code; `config.ts` is the validated
 * configuration; `view.ts` names the state's words for traces; `footprint.ts` says which words a
 * step reads and writes; `scope.ts` what the model leaves out.
 */
export { enabled, findChoice, makeSystem, step, type Choice, type System } from './system.ts';
export { DEFAULT_CONFIG, type Config } from './config.ts';
