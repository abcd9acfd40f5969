/**
 * Where VirtuOS and one kernel legitimately differ: each difference has a name, says what it is and
 * where it comes from, and how the compatibility check treats it. Nothing else is excused.
 *
 * - `op`: a single call may return what VirtuOS documents instead of what one kernel returns; the
 *   reference accepts that result as a call without effect.
 * - `cut`: the difference changes what later calls can observe; the history is checked up to the
 *   point where it happened (calls invoked later are dropped, calls in flight become pending), and
 *   the verifier counts how many runs were cut by it.
 * - `relax`: a call overlapping the difference is accepted under either of two states.
 * - `unchecked`: part of a result is not compared; another property checks it.
 * - `liveness`: only timing differs (a call waits where one kernel would not); nothing is excluded.
 * - `generator`: programs are generated so that it cannot occur; stated so a reader knows.
 */
export interface Difference {
  name: string;
  treatment: 'op' | 'cut' | 'relax' | 'unchecked' | 'liveness' | 'generator';
  description: string;
  /** documented in VIRTUOS.md / the released code, or found by this model */
  source: string;
}

export const DIFFERENCES: readonly Difference[] = [
  {
    name: 'cross-domain-rename-link',
    treatment: 'op',
    description: 'rename/link whose two paths are in different domains returns EINVAL (one kernel would rename or link)',
    source: 'VIRTUOS.md "Routing of system calls"; uclibc.patch SCLIB_PATH_CALL2',
  },
  {
    name: 'mmap-remote-descriptor',
    treatment: 'op',
    description: 'mmap of a descriptor owned by a service domain fails (the model returns EINVAL, as for unsupported remote calls)',
    source: 'VIRTUOS.md "Routing of system calls"',
  },
  {
    name: 'close-deferred-while-in-use',
    treatment: 'cut',
    description:
      'close of a descriptor that another thread of the process is using returns 0 at once, but the number stays valid and in use until that call drops its reference, and the real close runs then (one kernel frees the number at once). ' +
      "Found by this model: the entry then reads as ready with no user, so a second close of the number succeeds and the in-flight call's release takes the counter below 0 (later allocations of the number spin for ever), " +
      "and a dup2 onto the number closes the in-flight call's remote descriptor under it, after which that call's release closes the duplicate's entry and orphans its remote descriptor. " +
      'The history is checked up to the close, and the checks of table consistency (no-leak: no-orphan-descriptor; compatibility: no-call-stuck) are not applied after it; such runs are counted',
    source: 'VIRTUOS.md "close runs remotely when the last reference drops"; uclibc.patch sclib_putref_fd, sclib_replace_lock_fd',
  },
  {
    name: 'service-domain-failed',
    treatment: 'cut',
    description:
      'composed system: once the frontend takes the failure of a service domain (a crash, or the administrator\'s stop), calls follow the recovery semantics (model/recovery/semantics.ts: EIO or ECONNRESET for a call pending in it, EBADF on its descriptors, ENXIO or ENETDOWN when opening while it is down), which one kernel never produces; ' +
      'the history is checked up to that point, and the cross-layer properties (properties/system/) judge what follows',
    source: 'VIRTUOS.md "Failure and recovery" (the released code does not say what programs see; model/recovery/semantics.ts decides)',
  },
  {
    name: 'network-domain-compromised',
    treatment: 'cut',
    description:
      'composed system with the adversary: once the compromised network domain has done anything the hypervisor or hardware accepts, what its own service returns is whatever it makes it (network calls may be answered wrongly, late or never); ' +
      'the history is checked up to that point, the network service is not judged after it, and the cross-layer and isolation properties check that nothing else changes',
    source: 'VIRTUOS.md "Memory and isolation" (a bad service domain can corrupt at most its own process\'s ready queue)',
  },
  {
    name: 'close-frees-number-after-remote-close',
    treatment: 'relax',
    description:
      "close makes the number unusable at once (EBADF) but free only after the descriptor has been closed in its domain, so a concurrent open may get a higher number although the closed one already fails; the reference's close is split the same way (the number is invalid, then free, both within the close)",
    source: "VIRTUOS.md (the 'closing' entry state); uclibc.patch sclib_putref_fd closes remotely before it frees the bit",
  },
  {
    name: 'dup2-in-three-steps',
    treatment: 'relax',
    description:
      "dup2 takes its source (a reference, then a dup in the source's domain), later locks its target (calls on it fail with EBADF, allocation skips it) while the target's old descriptor is closed in its domain, and then installs the duplicate; POSIX and one kernel replace the target atomically, so for instance two threads' dup2(1, 0) and dup2(0, 1) can swap the two descriptors on VirtuOS but not on one kernel. The reference's dup2 is split the same way (take the source, lock the target, install, each within the dup2)",
    source: 'found by this model (uclibc.patch dup2.c: sclib_file_getid and the remote dup before sclib_file_replace, which locks, closes, then installs)',
  },
  {
    name: 'allocation-claims-number-found-earlier',
    treatment: 'relax',
    description:
      'open, socket and dup find the lowest free number in the bitmap, then claim it with a CAS of its counter from 0; if in between another thread took the number and released it again, the CAS still succeeds, and the number claimed need not be the lowest free one any more (a lower one may have been freed meanwhile), which one kernel, reserving under its table lock, never returns. ' +
      "Such a call (the model flags it when the number it claims is not the lowest free one at the claim) is accepted by the reference as reserving the number it got, provided that number is free",
    source: 'found by this model (uclibc.patch sclib_file_add: the bitmap search and the counter CAS are separate steps)',
  },
  {
    name: 'setuid-reaches-domains-one-by-one',
    treatment: 'relax',
    description:
      "setuid is executed by each domain in turn: while it is in progress another thread's open may see the new uid in one domain and the old in another. " +
      "An open overlapping a setuid of its process is accepted under the reference's uid, that setuid's uid, or (in P1) the uid before the setuids it overlaps, which a domain they have not reached still holds even when other calls place the setuid before the open (stop 31)",
    source: 'found by this model (uclibc.patch SCLIB_ALL_SIMPLE_CALL sends it to the domains asynchronously)',
  },
  {
    name: 'poll-readiness-sampled-per-domain',
    treatment: 'unchecked',
    description: "poll/select readiness is sampled by each domain at its own time and merged, as Linux samples each descriptor in turn: the ready set is checked by poll-correctness, not against one instant of the reference",
    source: 'VIRTUOS.md "select/poll"; uclibc.patch poll.c',
  },
  {
    name: 'dup2-waits-for-target-in-use',
    treatment: 'liveness',
    description: 'dup2 onto a descriptor another thread is using waits until that call ends (one kernel replaces it at once); a target held by a recv that never completes makes dup2 wait for ever',
    source: 'found by this model (uclibc.patch sclib_replace_lock_fd spins while the counter is not 0 or 3)',
  },
  {
    name: 'fork-in-multithreaded-process',
    treatment: 'generator',
    description:
      "fork is generated only in a single-threaded process: libc copies the translation table with the process memory, so a fork racing another thread's call would give the child the transient reference counts of that call",
    source: 'found by this model (uclibc.patch __internal_sys_fork copies sclib_file with the address space)',
  },
  {
    name: 'dup2-same-descriptor',
    treatment: 'op',
    description: 'dup2(fd, fd) returns fd without checking that it is open (one kernel returns EBADF for a closed fd); the generator does not write it literally, but a descriptor taken from an earlier result can produce it',
    source: 'uclibc.patch dup2.c',
  },
];

export const differenceByName = (name: string) => DIFFERENCES.find((d) => d.name === name);
