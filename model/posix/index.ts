/**
 * The POSIX layer: user processes running ordinary POSIX programs (open, read, write, dup2, fork,
 * exec, poll, select, signals, ...) whose calls libc-sclib routes to the primary kernel, the storage
 * domain or the network domain (VIRTUOS.md, "Routing of system calls" and "Descriptors, fork, exec,
 * polling, signals"). `thread.ts` is a user thread running its program (`program.ts`), `routing.ts`
 * libc-sclib's routing table, `fd-table.ts` and `kernel.ts` the descriptor tables and one kernel's
 * objects, `domain-worker.ts` a service domain's side when a call is carried as one atomic RPC, and
 * `carry.ts`, `service.ts`, `execute.ts` the same service when the call travels over the dispatch
 * machines (the composed system). `reference-kernel.ts` is one Linux kernel as a sequential
 * specification: what the compatibility property compares against; `differences.ts` lists where
 * VirtuOS may differ from it, each with its source.
 */
import type { Component } from '../kit/kit.ts';
import { networkWorker, storageWorker } from './domain-worker.ts';
import { posixThread } from './thread.ts';

/** The POSIX layer's components: their actors exist when `posix` is configured. */
export const POSIX_COMPONENTS: ReadonlySet<Component> = new Set([posixThread, storageWorker, networkWorker]);
