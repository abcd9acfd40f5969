/** Named scenarios: scripted runs that replay a story from the paper. Filled in by the recovery work. */
export interface Scenario {
  name: string;
  description: string;
}

import { SCRIPTED_SCENARIOS } from './scenarios.ts';

export const SCENARIOS: readonly Scenario[] = SCRIPTED_SCENARIOS;
