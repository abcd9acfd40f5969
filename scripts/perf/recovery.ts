/**
 * The failure-recovery timeline of the seed's experiment: two transfers run, one through the storage
 * domain and one through the network domain; the network domain is killed, restarted, and the remote
 * client starts its transfer again, while the storage transfer goes on.
 *
 * The recovery protocol itself (disconnect, RUNNING bit, shadow processes destroyed, re-registration)
 * is being modelled separately and is not part of the model this command runs. So the timeline is
 * driven by a scenario described here (when the domain is killed, how long the restart and the
 * client's retry take, all assumed), and the two transfer rates come from timed runs of the model with
 * the cost table: a reader copying a file from /storage in 64 KB chunks, and a sender streaming 64 KB
 * chunks to a remote client (limited by the link). Nothing in the model couples the two transfers:
 * the storage domain has its own vCPUs, so the storage transfer is flat through the outage by
 * construction, which is what the seed reports.
 */
import type { Costs } from './costs.ts';
import type { Runs } from './runs.ts';
import { TRANSFER_CHUNK, type TransferName } from './jobs.ts';

export const SCENARIO = {
  /** length of the timeline, seconds */
  seconds: 30,
  /** resolution of the plot, seconds */
  step: 0.5,
  /** the network domain is killed (assumed) */
  crashAt: 8,
  /** the administrator restarts it (assumed) */
  restartAt: 12,
  /** the restarted domain boots, registers with the hypervisor and reconnects (assumed) */
  bootSeconds: 5,
  /** the remote client notices and starts the transfer again (assumed) */
  retrySeconds: 2,
  /** transfer chunk, bytes */
  chunk: TRANSFER_CHUNK,
  /** chunks each transfer's timed run moves */
  chunks: 96,
};

export interface RecoveryReport {
  type: 'recovery';
  note: string;
  scenario: typeof SCENARIO;
  /** MB/s of each transfer while it runs, from timed runs of the model */
  rates: { storage: number; network: number };
  events: { t: number; label: string }[];
  series: { transfer: 'storage' | 'network'; points: { t: number; mbps: number }[] }[];
}

/** Ask for the two transfers' timed runs; the returned function builds the timeline from them. */
export function planRecovery(runs: Runs, costs: Costs): () => RecoveryReport {
  const s = SCENARIO;
  const job = (workload: TransferName) => runs.want({ system: 'virtuos', workload, size: s.chunk, threads: 1, perThread: s.chunks, seed: 0, costs });
  const keys = { storage: job('storage-transfer'), network: job('network-transfer') };
  return () => timeline({ storage: runs.get(keys.storage).bytesPerSec / 1e6, network: runs.get(keys.network).bytesPerSec / 1e6 });
}

function timeline(rates: RecoveryReport['rates']): RecoveryReport {
  const s = SCENARIO;
  const up = s.restartAt + s.bootSeconds;
  const resume = up + s.retrySeconds;
  const events = [
    { t: s.crashAt, label: 'network domain killed' },
    { t: s.restartAt, label: 'restart' },
    { t: up, label: 'network domain up' },
    { t: resume, label: 'client restarts transfer' },
  ];
  const ts: number[] = [];
  for (let t = 0; t <= s.seconds + 1e-9; t += s.step) ts.push(Number(t.toFixed(3)));
  // MB/s over each step: the share of it during which the transfer ran.
  const share = (t: number, from: number, to: number) => Math.max(0, Math.min(t + s.step, to) - Math.max(t, from)) / s.step;
  const series: RecoveryReport['series'] = [
    { transfer: 'storage', points: ts.map((t) => ({ t, mbps: rates.storage })) },
    { transfer: 'network', points: ts.map((t) => ({ t, mbps: rates.network * (share(t, 0, s.crashAt) + share(t, resume, Infinity)) })) },
  ];
  return {
    type: 'recovery',
    note: 'scenario-driven: the crash, restart and retry times are assumed; the two rates come from timed runs of the model; the recovery protocol is not modelled here',
    scenario: s,
    rates,
    events,
    series,
  };
}
