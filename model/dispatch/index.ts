/**
 * The dispatch layer: how a remote system call travels from a user thread in the primary domain to a
 * worker of the shadow process in a service domain and back, through shared memory instead of a trap
 * (VIRTUOS.md, "The dispatch protocol" and "Components"). libc-sclib's caller side (`sclib.ts`), the
 * primary kernel's threads and `rqueue_wait` (`primary-kernel.ts`), the shadow process's worker pool
 * (`worker-pool.ts`), the syscall-frontend's notify thread (`frontend.ts`) and the backend's wake
 * handler (`backend.ts`), over the shared objects of a process's request area: the two Treiber stacks
 * (`request-stack.ts`), the lock-free ready queue and its wake word (`ready-queue.ts`). `state.ts` lays
 * out the words of one dispatch instance before any call. Every step of these machines is one atomic
 * memory operation (load, CAS, store, exchange).
 */
import type { Component } from '../kit/kit.ts';
import { backend } from './backend.ts';
import { frontend } from './frontend.ts';
import { primaryKernel } from './primary-kernel.ts';
import { sclib } from './sclib.ts';
import { workerPool } from './worker-pool.ts';

/** The dispatch protocol's components; with `isolation` on they run only once the storage domain is connected. */
export const DISPATCH_COMPONENTS: readonly Component[] = [sclib, primaryKernel, workerPool, frontend, backend];
