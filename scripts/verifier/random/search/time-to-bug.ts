/**
 * Time to the first counterexample, per search strategy, per seeded variant: the benchmark rows of
 * `virtuos bench --strategies`.
 *
 * Each measurement is what `virtuos verify --variant V --strategy S --seed N` does up to its first
 * counterexample: the variant's own configuration, every property that configuration checks, the
 * default run budget, and the time including fast-check's shrinking and the trace minimiser (a user
 * waits for both), but in this process and without writing the trace, so that process start does
 * not blur the differences. A variant not found within the budget counts as never found: medians
 * over seeds and variants rank it after every time.
 */
import { DEFAULT_CONFIG, type Config } from '../../../../model/kit/config.ts';
import { VARIANTS, type Variant } from '../../../../model/variants.ts';
import { propertiesFor } from '../../../../properties/index.ts';
import { verify } from '../verify.ts';
import type { StrategyChoice } from './strategy.ts';

export interface TimeToBug {
  variant: string;
  strategy: StrategyChoice;
  seed: number;
  found: boolean;
  /** seconds to the first counterexample (shrinking and minimising included), or to the end of the budget */
  seconds: number;
  /** runs made up to and including the one that found it */
  runs: number;
  property: string | null;
  /** the strategy whose run found it (under mix, one of its members) */
  by: string | null;
  traceSteps: number | null;
}

export function variantConfig(v: Variant): Config {
  return { ...DEFAULT_CONFIG, ...v.config, bug: v.name };
}

export function timeToBug(v: Variant, strategy: StrategyChoice, seed: number, budget: number): TimeToBug {
  const cfg = variantConfig(v);
  const t = performance.now();
  const s = verify({ cfg, variant: v.name, props: propertiesFor(cfg), seed, runs: budget, timeS: null, outDir: '', writeTraces: false, strategy, stopAtFirst: true });
  const seconds = (performance.now() - t) / 1000;
  const hit = s.results.find((r) => r.status === 'violated') ?? null;
  return { variant: v.name, strategy, seed, found: hit !== null, seconds, runs: s.runs, property: hit?.property ?? null, by: hit?.strategy ?? null, traceSteps: hit?.traceSteps ?? null };
}

/** The median with not-found as infinity (so a strategy that misses half the time has an infinite median). */
export function medianTime(xs: readonly TimeToBug[]): number {
  const t = xs.map((x) => (x.found ? x.seconds : Infinity)).sort((a, b) => a - b);
  return t.length ? t[Math.floor((t.length - 1) / 2)] : NaN;
}

export const ALL_VARIANTS: readonly string[] = VARIANTS.map((v) => v.name);
