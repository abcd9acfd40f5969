/**
 * The recovery semantics the model chooses. The released VirtuOS code says what the frontend does on a
 * disconnect (clears RUNNING, wakes waiters with an error, tears down when the reference count drops to
 * zero) but not what a program sees; these are the model's answers, each with its reason. The machines
 * that implement them are recovery-frontend.ts and primary-domain.ts (RUNNING bit, references, failing
 * waiters, teardown), recovery-client.ts (the library's side: errors, stale descriptors, local close),
 * recovery-backend.ts (serving one incarnation, unregistering on a stop), hypervisor.ts and
 * service-domain.ts (incarnations: destroy, new domain id, fresh grants and ports, registration),
 * fault-injector.ts and admin-tool.ts; the properties in
 * properties/recovery/ check them. `RECOVERY_SEMANTICS` is rendered into the SPEC.
 */
import { NET, STO } from './layout.ts';

/** Errno values, negated as the kernel returns them. */
export const EBADF = -9;
export const EIO = -5;
export const ENXIO = -6;
export const ENETDOWN = -100;
export const ECONNRESET = -104;

export const ERRNO_NAMES: Record<number, string> = { [EBADF]: 'EBADF', [EIO]: 'EIO', [ENXIO]: 'ENXIO', [ENETDOWN]: 'ENETDOWN', [ECONNRESET]: 'ECONNRESET' };
export const resultText = (r: number) => (r < 0 ? (ERRNO_NAMES[r] ?? `errno ${-r}`) : String(r));

/** What a call pending in domain d returns when d fails: storage EIO, network ECONNRESET. */
export const pendingError = (d: number) => (d === STO ? EIO : ECONNRESET);
/** What opening a new descriptor returns while domain d is not running: storage ENXIO, network ENETDOWN. */
export const downError = (d: number) => (d === NET ? ENETDOWN : ENXIO);

/** Fair steps within which every call pending at a crash must have returned (no-hang); see properties/recovery/no-hang.ts. */
export const NO_HANG_BOUND = 40;

export const RECOVERY_SEMANTICS: { situation: string; outcome: string }[] = [
  {
    situation: 'a call is pending in a service domain when that domain (or its device) crashes',
    outcome:
      'it returns EIO if the domain is the storage domain and ECONNRESET if it is the network domain, as soon as the frontend has taken the disconnect notification; ' +
      'EIO is what a file system call returns when the device under it fails (the program must assume the write may not have happened), ECONNRESET is what a socket call returns when the peer state is lost (programs already reconnect on it). ' +
      'A completion the domain had already pushed before the crash may still be delivered if the frontend gets to it first: the call did complete.',
  },
  {
    situation: 'a later operation on a descriptor opened in an incarnation that has failed',
    outcome:
      'EBADF, decided by the frontend without contacting any domain, for every call but close, until the program closes it: the open file description lived in the shadow process, which died with the domain, ' +
      'and a restarted domain has no such descriptor (its new shadow process starts empty), so the number must not silently start referring to something else.',
  },
  {
    situation: 'close of such a descriptor',
    outcome: 'returns 0 and frees the translation-table entry locally: releasing a number whose file is gone must always be possible, and no domain holds anything to release.',
  },
  {
    situation: 'opening a new descriptor (open under /storage, socket) while the domain is not running',
    outcome: 'fails at once, without taking a reference or touching shared memory: ENXIO for the storage domain, ENETDOWN for the network domain (the RUNNING bit is clear).',
  },
  {
    situation: 'processes with no state in the crashed domain',
    outcome:
      'are unaffected: no call of theirs returns an error or waits because of it, and their results are those of a run without the crash; the primary domain never blocks on the crashed domain ' +
      '(the frontend holds its lock over the domain table only while it clears RUNNING and fails the waiters, never while it waits for references to drop or for the domain to come back).',
  },
  {
    situation: 'the frontend takes the disconnect notification',
    outcome:
      'it clears the RUNNING bit, fails every call pending in that incarnation, drops its connection reference; when the last call in flight has returned and dropped its reference (count zero) ' +
      "it DISCONNECTs, unmaps the domain's pages, closes its event-channel ends and drops the request entries and queued ready-queue handles of that incarnation (its notify records die with the domain's memory).",
  },
  {
    situation: 'the administrator restarts the domain (clean, then start)',
    outcome:
      'clean is refused while the frontend still holds a connection to the domain; then the toolstack destroys it (its mappings released, ports closed, frames back in the free pool unless another domain still maps them, its memory with the backend, notify ring and shadow processes gone) ' +
      'and the frontend CLEANs UP the rendezvous if the registration is still the dead domain\'s. start creates a new incarnation under a new domain id, with fresh frames, grant table and ports; its backend grants, allocates ports and registers; the frontend connects to it and sets RUNNING.',
  },
  {
    situation: 'the administrator stops a running domain (stop)',
    outcome:
      'the frontend takes it like a disconnect (RUNNING cleared, pending calls failed, DISCONNECT once no call is in flight); then the backend writes the page cache back (storage), destroys its shadow processes and UNREGISTERs, ' +
      'asks to be shut down, and the hypervisor halts the domain; a completion the backend finishes after the DISCONNECT is dropped. Then clean and start as after a crash.',
  },
  {
    situation: 'a completion or notify record of the old incarnation arrives after the restart',
    outcome:
      'it is dropped: every record and request carries its incarnation, and the frontend delivers a record only to a call pending in the same incarnation it is connected to.',
  },
  {
    situation: 'data written through the storage domain',
    outcome:
      'a crash of the network domain changes nothing in it; a crash of the storage domain loses the page cache, so what a completed fsync acknowledged is on disk and at most what was written after the last fsync is lost. ' +
      'The storage client resumes after its last synced chunk; the network client reconnects and sends its stream again from the start (the peer saw the old connection reset).',
  },
];
