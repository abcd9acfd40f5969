/** Definitions the cross-layer properties share. */
import type { Config } from '../../model/kit/config.ts';
import { NETWORK, STORAGE } from '../../model/isolation/layout.ts';
import { STO } from '../../model/posix/kernel.ts';
import type { System } from '../../model/kit/system.ts';

/** Only for the composed system (every layer on). */
export const systemOn = (cfg: Config) => !!cfg.system;

/** Has service domain d (network 0, storage 1) failed in this run so far: restarted, or not RUNNING now? */
export function hasFailed(sys: System, s: Int32Array, d: number): boolean {
  return s[sys.L.iso!.gen[d === STO ? STORAGE : NETWORK]] > 0 || s[sys.L.rec!.dom[d].running] === 0;
}
