/**
 * The cycle-cost parameter table of the performance model: one row per kind of cost, each with its
 * unit, its source and an uncertainty range. The table is filled by the cost model (issue: cycle-cost
 * model); until then it is empty and nothing reports costs.
 */
export interface CostParam {
  /** identifier used by the simulation, e.g. 'hypercall' */
  name: string;
  /** nominal value */
  value: number;
  unit: 'cycles' | 'cycles/byte' | 'cycles/call' | 'bytes' | 'vcpus' | 'count';
  /** a cited paper or measurement, or "assumed" */
  source: string;
  /** uncertainty range [low, high], used by the sensitivity analysis */
  range: [number, number];
  description: string;
}

export const COST_PARAMS: readonly CostParam[] = [];
