/** The posix group: what a program sees of its POSIX calls, against one Linux kernel and the documented differences. */
import type { Property } from '../property.ts';
import { compatibility } from './compatibility.ts';
import { forkExecInheritance } from './fork-exec-inheritance.ts';
import { noLeak } from './no-leak.ts';
import { pollCorrectness } from './poll-correctness.ts';
import { signalSemantics } from './signal-semantics.ts';

export const POSIX_PROPERTIES: readonly Property[] = [compatibility, noLeak, pollCorrectness, signalSemantics, forkExecInheritance];
