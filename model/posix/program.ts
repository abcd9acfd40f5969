/**
 * A POSIX program: what the threads of the initial process P1 call, in order, and what each child
 * process created by `fork` calls. A program is data (JSON), part of the configuration, so that a
 * trace carries it and replay needs no random generator; fast-check generates programs
 * (scripts/verifier/random/posix-programs.ts) and this file validates and prints them.
 *
 * Descriptor arguments are either a literal number (so threads can race on one descriptor, as real
 * programs with shared descriptors do) or `{ret: k}`, the descriptor returned by the same thread's
 * call number k (0-based), resolved when the call is made; a failed call leaves -1, which is EBADF.
 *
 * P1 starts with three descriptors, the model's stand-in for stdin/stdout/stderr spread over the
 * three kernels: 0 a TCP socket connected to a remote client (network domain), 1 "/storage/a"
 * (storage domain), 2 an AF_UNIX socket connected to a local peer (primary domain). Both peers echo
 * what they are sent, so a send makes data available to a later recv or poll.
 *
 * Shape rules, each a simplification stated in docs/posix.md:
 * - `fork` is only made by a single-threaded P1 (a fork racing another thread's descriptor call
 *   would copy the translation table's transient reference counts; see the issue note), at most
 *   `forks` times, and children do not fork;
 * - `exec` and `exit` are only made by children (single-threaded, so exec kills no other thread);
 * - `kill` is only made in multi-threaded programs and names another thread of P1; all threads
 *   share one handler, installed with or without SA_RESTART (`restart`);
 * - `dup2(fd, fd2)` has fd2 != fd given literally (the released libc returns fd2 for dup2(x, x)
 *   without checking that x is open).
 */

export const CALLS = [
  'open', 'read', 'write', 'close', 'dup', 'dup2', 'socket', 'connect', 'send', 'recv',
  'rename', 'link', 'mmap', 'fork', 'exec', 'exit', 'poll', 'select', 'setuid', 'kill',
] as const;
export type CallName = (typeof CALLS)[number];

/** Call codes stored in the state (index in CALLS plus one; 0 = none). */
export const callCode = (c: CallName): number => CALLS.indexOf(c) + 1;
export const callOfCode = (k: number): CallName | '-' => (k >= 1 && k <= CALLS.length ? CALLS[k - 1] : '-');

/** The path names of the model's file namespace; those under /storage live in the storage domain. */
export const PATHS = ['/storage/a', '/storage/b', '/tmp/c', '/tmp/d'] as const;
/** Paths that exist at the start, with their contents (bytes). */
export const INITIAL_FILES: readonly { path: number; bytes: number[] }[] = [
  { path: 0, bytes: [50, 51] },
  { path: 2, bytes: [52] },
];

export type FdArg = number | { ret: number };

export interface Instr {
  call: CallName;
  /** open: path index; rename/link: source path index */
  path?: number;
  /** rename/link: target path index */
  to?: number;
  creat?: boolean;
  cloexec?: boolean;
  fd?: FdArg;
  /** dup2 target (literal) */
  fd2?: number;
  /** bytes to read, write, send or receive */
  n?: number;
  family?: 'inet' | 'unix';
  /** poll/select: the watched descriptors (readable), one or two */
  fds?: FdArg[];
  /** poll/select: a finite timeout (it may expire at any time) instead of waiting for ever */
  timeout?: boolean;
  uid?: number;
  /** kill: the target thread's index in P1 */
  thread?: number;
  /** fork: the child's program */
  child?: Instr[];
}

export interface Program {
  /** the signal handler is installed with SA_RESTART */
  restart: boolean;
  /** one instruction list per thread of P1 */
  threads: Instr[][];
}

/** The bounds a program must respect (from the posix configuration). */
export interface ProgramBounds {
  threads: number;
  forks: number;
  calls: number;
  descriptors: number;
  fileBytes: number;
}

export class ProgramError extends Error {
  constructor(readonly field: string, readonly problem: string) {
    super(`${field}: ${problem}`);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const FIELDS: Record<CallName, readonly string[]> = {
  open: ['path', 'creat', 'cloexec'],
  read: ['fd', 'n'],
  write: ['fd', 'n'],
  close: ['fd'],
  dup: ['fd'],
  dup2: ['fd', 'fd2'],
  socket: ['family'],
  connect: ['fd'],
  send: ['fd', 'n'],
  recv: ['fd', 'n'],
  rename: ['path', 'to'],
  link: ['path', 'to'],
  mmap: ['fd'],
  fork: ['child'],
  exec: [],
  exit: [],
  poll: ['fds', 'timeout'],
  select: ['fds', 'timeout'],
  setuid: ['uid'],
  kill: ['thread'],
};

/** Validate an untrusted program (from a --config file or a trace); the error names the field. */
export function checkProgram(raw: unknown, b: ProgramBounds, at = 'posix.program'): Program {
  if (!isObj(raw)) throw new ProgramError(at, 'must be an object {restart, threads}');
  for (const k of Object.keys(raw)) if (k !== 'restart' && k !== 'threads') throw new ProgramError(`${at}.${k}`, 'unknown field (known: restart, threads)');
  if (typeof raw.restart !== 'boolean') throw new ProgramError(`${at}.restart`, `must be true or false, got ${JSON.stringify(raw.restart)}`);
  if (!Array.isArray(raw.threads) || raw.threads.length < 1 || raw.threads.length > b.threads)
    throw new ProgramError(`${at}.threads`, `must be an array of 1..${b.threads} instruction lists`);
  const nThreads = raw.threads.length;
  let forks = 0;
  const threads = raw.threads.map((list, t) => {
    const where = `${at}.threads[${t}]`;
    const code = checkList(list, b, where, { child: false, nThreads, self: t });
    forks += code.filter((i) => i.call === 'fork').length;
    return code;
  });
  if (forks > 0 && nThreads > 1) throw new ProgramError(`${at}.threads`, 'fork is only made by a single-threaded P1');
  if (forks > b.forks) throw new ProgramError(`${at}.threads[0]`, `${forks} forks exceed the bound forks=${b.forks}`);
  return { restart: raw.restart, threads };
}

function checkList(list: unknown, b: ProgramBounds, where: string, ctx: { child: boolean; nThreads: number; self: number }): Instr[] {
  if (!Array.isArray(list)) throw new ProgramError(where, 'must be an array of instructions');
  if (list.length > b.calls) throw new ProgramError(where, `${list.length} calls exceed the bound calls=${b.calls}`);
  return list.map((raw, i) => checkInstr(raw, b, `${where}[${i}]`, i, ctx));
}

function checkInstr(raw: unknown, b: ProgramBounds, at: string, index: number, ctx: { child: boolean; nThreads: number; self: number }): Instr {
  if (!isObj(raw)) throw new ProgramError(at, 'must be an object {call, ...}');
  const call = raw.call;
  if (typeof call !== 'string' || !(CALLS as readonly string[]).includes(call)) throw new ProgramError(`${at}.call`, `must be one of ${CALLS.join(', ')}, got ${JSON.stringify(call)}`);
  const c = call as CallName;
  const allowed = FIELDS[c];
  for (const k of Object.keys(raw)) if (k !== 'call' && !allowed.includes(k)) throw new ProgramError(`${at}.${k}`, `not an argument of ${c} (its arguments: ${allowed.join(', ') || 'none'})`);
  const int = (k: string, lo: number, hi: number): number => {
    const v = raw[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw new ProgramError(`${at}.${k}`, `must be an integer in ${lo}..${hi}, got ${JSON.stringify(v)}`);
    return v;
  };
  const bool = (k: string): boolean => {
    const v = raw[k];
    if (typeof v !== 'boolean') throw new ProgramError(`${at}.${k}`, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  };
  const fdArg = (v: unknown, path: string): FdArg => {
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < b.descriptors) return v;
    if (isObj(v) && Object.keys(v).length === 1 && typeof v.ret === 'number' && Number.isInteger(v.ret) && v.ret >= 0 && v.ret < index) return { ret: v.ret };
    const refs = index > 0 ? ` or {ret: k} naming an earlier call of the same thread (k < ${index})` : '';
    throw new ProgramError(path, `must be a descriptor 0..${b.descriptors - 1}${refs}, got ${JSON.stringify(v)}`);
  };
  const out: Instr = { call: c };
  switch (c) {
    case 'open':
      out.path = int('path', 0, PATHS.length - 1);
      out.creat = bool('creat');
      out.cloexec = bool('cloexec');
      break;
    case 'read':
    case 'write':
    case 'send':
    case 'recv':
      out.fd = fdArg(raw.fd, `${at}.fd`);
      out.n = int('n', 1, b.fileBytes);
      break;
    case 'close':
    case 'dup':
    case 'connect':
    case 'mmap':
      out.fd = fdArg(raw.fd, `${at}.fd`);
      break;
    case 'dup2':
      out.fd = fdArg(raw.fd, `${at}.fd`);
      out.fd2 = int('fd2', 0, b.descriptors - 1);
      if (out.fd === out.fd2) throw new ProgramError(`${at}.fd2`, 'dup2 onto the same literal descriptor is not modelled');
      break;
    case 'socket': {
      const f = raw.family;
      if (f !== 'inet' && f !== 'unix') throw new ProgramError(`${at}.family`, `must be "inet" or "unix", got ${JSON.stringify(f)}`);
      out.family = f;
      break;
    }
    case 'rename':
    case 'link':
      out.path = int('path', 0, PATHS.length - 1);
      out.to = int('to', 0, PATHS.length - 1);
      break;
    case 'fork':
      if (ctx.child) throw new ProgramError(at, 'a child does not fork');
      out.child = checkList(raw.child, b, `${at}.child`, { child: true, nThreads: 1, self: 0 });
      break;
    case 'exec':
    case 'exit':
      if (!ctx.child) throw new ProgramError(at, `${c} is only made by a child process`);
      break;
    case 'poll':
    case 'select': {
      const fds = raw.fds;
      if (!Array.isArray(fds) || fds.length < 1 || fds.length > 2) throw new ProgramError(`${at}.fds`, 'must list one or two descriptors');
      out.fds = fds.map((f, k) => fdArg(f, `${at}.fds[${k}]`));
      out.timeout = bool('timeout');
      break;
    }
    case 'setuid':
      out.uid = int('uid', 0, 1);
      break;
    case 'kill':
      if (ctx.child || ctx.nThreads < 2) throw new ProgramError(at, 'kill is only made in a multi-threaded P1');
      out.thread = int('thread', 0, ctx.nThreads - 1);
      if (out.thread === ctx.self) throw new ProgramError(`${at}.thread`, 'kill names another thread');
      break;
  }
  return out;
}

/** Thread slots: P1's threads (padded to the bound), then one per child process. */
export function slotCode(p: Program | null, threads: number, forks: number): Instr[][] {
  const code: Instr[][] = [];
  for (let t = 0; t < threads; t++) code.push(p?.threads[t] ?? []);
  const children = (p?.threads[0] ?? []).filter((i) => i.call === 'fork').map((i) => i.child ?? []);
  for (let k = 0; k < forks; k++) code.push(p && p.threads.length === 1 ? children[k] ?? [] : []);
  return code;
}

export const ERRNO: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 4: 'EINTR', 5: 'EIO', 6: 'ENXIO', 9: 'EBADF', 11: 'EAGAIN', 13: 'EACCES', 16: 'EBUSY', 17: 'EEXIST', 19: 'ENODEV',
  22: 'EINVAL', 24: 'EMFILE', 27: 'EFBIG', 88: 'ENOTSOCK', 100: 'ENETDOWN', 104: 'ECONNRESET', 106: 'EISCONN', 107: 'ENOTCONN',
};
export const errName = (e: number) => ERRNO[e] ?? `errno ${e}`;

export const fmtFdArg = (f: FdArg | undefined) => (f === undefined ? '?' : typeof f === 'number' ? String(f) : `$${f.ret + 1}`);

/** One instruction in C-like words: `open("/storage/a", O_CREAT|O_CLOEXEC)`, `read($1, 2)`. */
export function instrText(i: Instr): string {
  switch (i.call) {
    case 'open': {
      const fl = ['O_RDWR', ...(i.creat ? ['O_CREAT'] : []), ...(i.cloexec ? ['O_CLOEXEC'] : [])].join('|');
      return `open("${PATHS[i.path!]}", ${fl})`;
    }
    case 'read':
    case 'write':
    case 'send':
    case 'recv':
      return `${i.call}(${fmtFdArg(i.fd)}, ${i.n})`;
    case 'close':
    case 'dup':
    case 'connect':
    case 'mmap':
      return `${i.call}(${fmtFdArg(i.fd)})`;
    case 'dup2':
      return `dup2(${fmtFdArg(i.fd)}, ${i.fd2})`;
    case 'socket':
      return `socket(${i.family === 'inet' ? 'AF_INET' : 'AF_UNIX'})`;
    case 'rename':
    case 'link':
      return `${i.call}("${PATHS[i.path!]}", "${PATHS[i.to!]}")`;
    case 'fork':
      return 'fork()';
    case 'exec':
      return 'execve()';
    case 'exit':
      return '_exit()';
    case 'poll':
    case 'select':
      return `${i.call}([${i.fds!.map(fmtFdArg).join(', ')}], ${i.timeout ? 'timeout' : 'no timeout'})`;
    case 'setuid':
      return `setuid(${i.uid})`;
    case 'kill':
      return `pthread_kill(T${i.thread! + 1})`;
  }
}

/** The program as numbered lines, one thread (or child) per block: what a kept trace shows. */
export function programText(p: Program, threads: number): string[] {
  const out = [`P1's signal handler: ${p.restart ? 'SA_RESTART' : 'without SA_RESTART'}`];
  let child = 0;
  p.threads.forEach((list, t) => {
    out.push(`T${t + 1} (P1): ${list.length ? '' : '(no calls)'}`);
    list.forEach((ins, k) => {
      if (ins.call === 'fork') {
        const slot = threads + child;
        child++;
        out.push(`  ${k + 1}. fork() -> child P${child + 1}, run by T${slot + 1}:`);
        (ins.child ?? []).forEach((c, j) => out.push(`       ${j + 1}. ${instrText(c)}`));
        if ((ins.child ?? []).length === 0) out.push('       (no calls)');
      } else out.push(`  ${k + 1}. ${instrText(ins)}`);
    });
  });
  return out;
}
