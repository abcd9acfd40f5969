/** The runs the perf experiments ask for, each executed once (in worker threads) and read by every report that wants it. */
import { jobKey, type RunJob, type RunSummary } from './jobs.ts';
import { runJobs } from './pool.ts';

/** The runs the experiments need, each once. */
export class Runs {
  private readonly jobs = new Map<string, RunJob>();
  private readonly done = new Map<string, RunSummary>();

  want(job: RunJob): string {
    const k = jobKey(job);
    if (!this.jobs.has(k)) this.jobs.set(k, job);
    return k;
  }

  /** A run executed already (here, in this thread). */
  put(key: string, summary: RunSummary): void {
    this.done.set(key, summary);
  }

  get(key: string): RunSummary {
    const r = this.done.get(key);
    if (!r) throw new Error('a run was read before it was executed');
    return r;
  }

  /** Execute every run asked for and not yet done. */
  async execute(workers: number): Promise<void> {
    const todo = [...this.jobs].filter(([k]) => !this.done.has(k));
    const out = await runJobs(
      todo.map(([, j]) => j),
      workers,
    );
    todo.forEach(([k], i) => this.done.set(k, out[i]));
  }

  get size(): number {
    return this.jobs.size;
  }
}
