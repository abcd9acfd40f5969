/**
 * Seeded-bug variants: each is the same model with one configuration flag set (see `bug` in
 * config.ts), which routes a few transitions through the broken behaviour. Each names the properties
 * it is expected to break; a test checks that the verifier catches it through one of them.
 * The first four match the flags of the independent SPIN model in shared/anchors.
 */
import { systemConfig, type Bug, type Config } from './kit/config.ts';
import { DEFAULT_POSIX } from './posix/config.ts';

export interface Variant {
  name: Bug;
  description: string;
  /** the properties it breaks */
  breaks: string[];
  /** the matching flag of the SPIN anchor, if any */
  spinFlag: string | null;
  /** configuration fields the bug needs to show (applied over the default configuration by --variant) */
  config?: Partial<Config>;
  /** why the composed system cannot show the bug at all, when it cannot (verify --system refuses it with this reason) */
  notInComposedSystem?: string;
}

export const VARIANTS: readonly Variant[] = [
  {
    name: 'nostamp',
    description:
      'top pointers compared without their stamps: a CAS succeeds on a reused index (ABA). Run on the SPIN anchor\'s 2x2 configuration, where the stack ABA takes the fewest steps; the default configuration shows it too, mostly through the ready queue, in longer traces',
    breaks: ['entry-safety', 'linearizable', 'exactly-once', 'right-thread', 'no-lost-wakeup'],
    spinFlag: 'NOSTAMP',
    config: { threads: 2, kernelThreads: 2, calls: 2, entries: 2, workers: 2, initialWorkers: 2, spins: 1, blockingPair: false, wakePath: false, notify: 'direct', readyQueue: 'atomic' },
  },
  { name: 'lostwake', description: 'the worker loads the call id and then stores DONE, instead of one atomic exchange: a caller setting RQUEUE in between is never woken', breaks: ['no-lost-wakeup'], spinFlag: 'LOSTWAKE' },
  { name: 'waiters-early', description: 'the worker reads waiters before enqueueing the handle: a caller registering in between sleeps although its handle is queued', breaks: ['no-lost-wakeup'], spinFlag: 'WAITERS_EARLY' },
  { name: 'free-early', description: 'the caller pushes its entry back on free_top before reading the result, which another thread may overwrite', breaks: ['right-thread', 'entry-safety'], spinFlag: 'FREE_EARLY' },
  { name: 'nospawn', description: 'the worker pool never spawns: a recv blocked in the only worker leaves the matching send unserved for ever', breaks: ['no-lost-wakeup'], spinFlag: null },
  {
    name: 'woken-unchecked',
    description:
      "the worker's sleep commit ignores a wake-up that reached it after it set WAKE_REQUESTED: with two processes another process's worker can recreate the wake word it loaded (the word has no stamp), its CAS to sleeping succeeds, and the request the wake-up was for is never served (the ABA the exhaustive search found)",
    breaks: ['no-lost-wakeup'],
    spinFlag: null,
    config: { processes: 2 },
  },
  // The POSIX layer's seeded bugs (model/posix/); each switches the layer on with its default bounds.
  {
    name: 'lowest-free-race',
    description:
      'libc toggles the free-descriptor bitmap with a plain load and store instead of an atomic XOR: two threads toggling bits of the same word at once lose one update, so a free descriptor stays marked in use (later calls skip the lowest free number) or a used one looks free',
    breaks: ['compatibility'],
    spinFlag: null,
    config: { posix: { ...DEFAULT_POSIX } },
  },
  { name: 'dup2-noclose', description: "dup2 installs the duplicate over an open target without closing the target's old descriptor in its domain: the old one stays open, referred to by nothing", breaks: ['no-leak', 'fork-exec-inheritance'], spinFlag: null, config: { posix: { ...DEFAULT_POSIX } } },
  {
    name: 'fork-shares-table',
    description: "on REGISTER the child's shadow process uses the parent shadow's descriptor table instead of a copy: a close in the child closes the parent's remote descriptor",
    breaks: ['compatibility', 'fork-exec-inheritance', 'no-leak'],
    spinFlag: null,
    config: { posix: { ...DEFAULT_POSIX } },
  },
  {
    name: 'lost-kick',
    description: "a service poll resets its eventfd when it arms instead of consuming the kicks when it returns: a kick sent before the worker picks the poll up is lost and the remote part never returns, although another domain's descriptor is ready",
    breaks: ['poll-correctness'],
    spinFlag: null,
    config: { posix: { ...DEFAULT_POSIX } },
  },
  { name: 'exec-leaks-cloexec', description: 'exec frees a remote close-on-exec entry in the library without closing its descriptor in the service domain', breaks: ['fork-exec-inheritance', 'no-leak'], spinFlag: null, config: { posix: { ...DEFAULT_POSIX } } },
  {
    name: 'eintr-after-effect',
    description: 'a worker that picks up a request marked by a signal executes it and then answers EINTR: the call has its effect but the caller is told it was interrupted',
    breaks: ['signal-semantics', 'compatibility', 'no-leak'],
    spinFlag: null,
    config: { posix: { ...DEFAULT_POSIX } },
  },
  // the isolation layer's (model/isolation/hypervisor.ts, grant-table.ts, primary-domain.ts, network-frontend.ts, event-channel.ts)
  {
    name: 'iommu-stale',
    description: "PCI passthrough installs the new owner's IOMMU context without removing the previous one: the NIC, passed from dom0 to the network domain, can still DMA into dom0's pages",
    breaks: ['device-isolation', 'confinement'],
    spinFlag: null,
    config: { isolation: true, adversary: true },
  },
  {
    name: 'end-access-mapped',
    description: 'the hypervisor lets a domain end access on a grant that is still mapped: the primary keeps a mapping of a page the network domain no longer grants it',
    breaks: ['grant-discipline'],
    spinFlag: null,
    config: { isolation: true, adversary: true },
  },
  {
    name: 'wake-writable',
    description: 'the frontend maps the wake page read-write into processes (GNTMAP_readonly forgotten on the process mapping)',
    breaks: ['memory-isolation'],
    spinFlag: null,
    config: { isolation: true, adversary: true },
  },
  {
    name: 'notify-unchecked',
    description: "the frontend wakes the process a notify record's pid belongs to without checking the thread group or its registration with the sending domain",
    breaks: ['confinement'],
    spinFlag: null,
    config: { isolation: true, adversary: true },
    notInComposedSystem:
      "every process is registered with the network domain there and wakes only its own network instance's kernel threads, so a record that passes the check can already name any process the bug would reach: the bug changes nothing a property could observe (--layer isolation shows it)",
  },
  {
    name: 'evtchn-foreign-send',
    description: "the hypervisor accepts a send naming a port of another domain's table: the network domain signals the storage domain's wake channel",
    breaks: ['event-channel-isolation', 'confinement'],
    spinFlag: null,
    config: { isolation: true, adversary: true },
  },
  {
    name: 'no-quarantine',
    description:
      "when the network domain is destroyed its NIC goes straight back to dom0's IOMMU context, without a reset: a DMA the dead domain left in flight lands in dom0's memory (the hazard of Xen Security Advisory 302; found by the confinement check on the model before the quarantine was added)",
    breaks: ['device-isolation', 'confinement'],
    spinFlag: null,
    config: { isolation: true, adversary: true },
  },
  // the failure-and-recovery layer's (model/recovery/frontend.ts, recovery-client.ts, recovery-backend.ts, primary-domain.ts)
  {
    name: 'no-fail-pending',
    description: 'on the disconnect notification the frontend clears RUNNING but does not fail the calls pending in the crashed domain: they wait for a completion that never comes',
    breaks: ['no-hang', 'no-leak-after-crash', 'restoration'],
    spinFlag: null,
    config: { isolation: true, recovery: true, crashes: 1 },
  },
  {
    name: 'stale-completion',
    description: "the frontend's notify thread delivers a record to whatever call of that domain is pending, without comparing incarnations: a record of the crashed incarnation, held across the restart, completes a call of the new one",
    breaks: ['restoration'],
    spinFlag: null,
    // a second crash in reach gives the held record more restarts to be carried across (seed 1 finds it in about 3,500 runs; 17,000 with one)
    config: { isolation: true, recovery: true, crashes: 2 },
  },
  {
    name: 'refcount-leak',
    description: "a call that returns an error does not drop its frontend reference: the count never reaches zero, the crashed domain is never torn down, cleaned or restarted",
    breaks: ['no-leak-after-crash', 'restoration'],
    spinFlag: null,
    config: { isolation: true, recovery: true, crashes: 1 },
  },
  {
    name: 'storage-waits-network',
    description: "the frontend keeps its domain-table lock from a domain's disconnect until that domain is connected again: a storage call, which takes the lock to submit, waits for the network domain to come back",
    breaks: ['containment'],
    spinFlag: null,
    config: { isolation: true, recovery: true, crashes: 1 },
  },
  {
    name: 'fsync-early',
    description: 'the storage backend acknowledges fsync without writing the page cache to disk (it writes back on close): a storage crash in between loses acknowledged data',
    breaks: ['durability'],
    spinFlag: null,
    config: { isolation: true, recovery: true, crashes: 1 },
  },
  {
    name: 'ring-left-mapped',
    description:
      "the frontend's teardown unmaps the request, data and wake pages but forgets the notify ring: the mapping keeps the dead domain's ring frame allocated (Xen frees a frame only at its last unmap), so the restarted domain never gets its reservation back and is never created",
    breaks: ['no-leak-after-crash', 'restoration'],
    spinFlag: null,
    config: { isolation: true, recovery: true, crashes: 1 },
  },
  // the composed system's (bugs between layers; each needs POSIX calls, the dispatch machines, the hypervisor and crashes or the adversary at once)
  {
    name: 'crash-fails-all-domains',
    description:
      "a thread carrying a call decides that its domain has failed by asking whether any service domain's RUNNING bit is clear, not its own domain's: when the network domain crashes, calls pending in the storage domain return EIO too",
    breaks: ['crash-containment'],
    spinFlag: null,
    config: systemConfig(),
  },
  {
    name: 'fork-retags-stale',
    description:
      "fork copies the translation table but tags each inherited remote descriptor with the incarnation the frontend serves now, not the parent's: after a restart a child's descriptor of the dead incarnation becomes live again and its calls reach the new shadow process, where the same number may be another file",
    breaks: ['restart-descriptors'],
    spinFlag: null,
    config: systemConfig(),
  },
  {
    name: 'shared-ready-queue',
    description:
      "each process has one ready-queue page, granted to both service domains (the released code's layout), instead of one per domain: the compromised network domain, which maps it, can put a storage caller's handle on the queue before its entry is DONE, and the caller returns a result the storage domain never produced",
    breaks: ['storage-unforged', 'right-thread'],
    spinFlag: null,
    config: systemConfig(),
  },
];

export function variantByName(name: string): Variant | undefined {
  return VARIANTS.find((v) => v.name === name);
}

/** The layer a variant's bug lives in, read from the configuration it needs. */
export function layerOf(v: Variant): 'dispatch' | 'posix' | 'isolation' | 'recovery' | 'system' {
  if (v.config?.system) return 'system';
  if (v.config?.recovery) return 'recovery';
  if (v.config?.isolation) return 'isolation';
  if (v.config?.posix) return 'posix';
  return 'dispatch';
}
