/**
 * Routing of system calls in libc-sclib: which kernel executes a call.
 *
 * - Paths are absolute (the model's programs only use absolute paths); a path under `/storage` goes
 *   to the storage domain with the prefix removed, every other path stays local (sclib_get_path).
 * - `socket()` goes to the network domain unless the family is AF_UNIX, which stays local.
 * - A call on a descriptor goes to the domain that owns the descriptor (its translation-table entry).
 * - Credential changes (setuid) are sent to every domain (SCLIB_ALL_SIMPLE_CALL).
 * - Documented refusals: `rename`/`link` across domains return EINVAL (SCLIB_PATH_CALL2); `mmap` of a
 *   remote descriptor fails (the model returns EINVAL, as for every unsupported remote call).
 *
 * A call's route is recorded as a set of domain bits plus refusal bits, for the verifier's summary.
 *
 * VIRTUOS.md: "Routing of system calls".
 */
import { LOC, NET, STO } from './kernel.ts';
import { PATHS, type CallName } from './program.ts';

export const STORAGE_PREFIX = '/storage';

export function pathDomain(path: number): number {
  const p: string = PATHS[path];
  return p === STORAGE_PREFIX || p.startsWith(`${STORAGE_PREFIX}/`) ? STO : LOC;
}

/** The path as the executing kernel sees it (the storage domain gets it without the prefix). */
export function domainPath(path: number): string {
  const p = PATHS[path];
  return pathDomain(path) === STO ? p.slice(STORAGE_PREFIX.length) || '/' : p;
}

export const socketDomain = (family: 'inet' | 'unix') => (family === 'unix' ? LOC : NET);

/** Route bits of a call record. */
export const ROUTE_NET = 1 << NET;
export const ROUTE_STO = 1 << STO;
export const ROUTE_LOC = 1 << LOC;
export const ROUTE_REFUSED_CROSS = 8;
export const ROUTE_REFUSED_MMAP = 16;

export const ROUTE_NAMES = ['network', 'storage', 'local', 'all-domains', 'split', 'refused-cross-domain', 'refused-mmap-remote', 'libc-only'] as const;
export type RouteName = (typeof ROUTE_NAMES)[number];

/** Name of a recorded route: one domain, every domain (credentials, process life cycle), a poll split over several, a refusal, or decided in the library alone (EBADF, EMFILE, kill). */
export function routeName(call: CallName | '-', bits: number): RouteName {
  if (bits & ROUTE_REFUSED_CROSS) return 'refused-cross-domain';
  if (bits & ROUTE_REFUSED_MMAP) return 'refused-mmap-remote';
  const doms = bits & 7;
  if (doms === 0) return 'libc-only';
  if (doms === ROUTE_NET) return 'network';
  if (doms === ROUTE_STO) return 'storage';
  if (doms === ROUTE_LOC) return 'local';
  return call === 'poll' || call === 'select' ? 'split' : 'all-domains';
}
