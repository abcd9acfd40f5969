/** Every property, in the order they are listed and checked. */
import { checkConsistent, DEFAULT_CONFIG, systemConfig, transportOf, type Config } from '../model/kit/config.ts';
import { DEFAULT_POSIX } from '../model/posix/config.ts';
import type { Property } from './property.ts';

import { DISPATCH_PROPERTIES } from './dispatch/index.ts';
import { POSIX_PROPERTIES } from './posix/index.ts';
import { ISOLATION_PROPERTIES } from './isolation/index.ts';
import { RECOVERY_PROPERTIES } from './recovery/index.ts';
import { SYSTEM_PROPERTIES } from './system/index.ts';

export const PROPERTIES: readonly Property[] = [
  // group 'dispatch': checked while the dispatch machines carry calls
  ...DISPATCH_PROPERTIES,
  // group 'posix': checked when the POSIX layer is on (config field `posix`)
  ...POSIX_PROPERTIES,
  // group 'isolation': checked when the isolation layer is on (config field `isolation`)
  ...ISOLATION_PROPERTIES,
  // group 'recovery': checked when the recovery layer is on (config field `recovery`)
  ...RECOVERY_PROPERTIES,
  // group 'system': cross-layer properties of the composed system (config field `system`)
  ...SYSTEM_PROPERTIES,
];

export function propertyByName(name: string): Property | undefined {
  return PROPERTIES.find((p) => p.name === name);
}

/**
 * Does a group say something about a configuration? dispatch: while its actors carry calls (the
 * dispatch model alone, or POSIX calls with the dispatch transport; the recovery layer alone holds
 * them); posix, isolation, recovery: while their layer is on.
 */
export function groupApplies(group: string, cfg: Config): boolean {
  switch (group) {
    case 'dispatch':
      return cfg.posix ? transportOf(cfg) === 'dispatch' : !cfg.recovery;
    case 'posix':
      return !!cfg.posix;
    case 'isolation':
      return cfg.isolation;
    case 'recovery':
      return cfg.recovery;
    default:
      return !!cfg.system;
  }
}

/** The properties that say something about a configuration (a layer's properties only when it is on). */
export function propertiesFor(cfg: Config): Property[] {
  return PROPERTIES.filter((p) => groupApplies(p.group, cfg) && (!p.applies || p.applies(cfg)));
}

/** The layers a run can be confined to (`verify --layer`), each with the configuration it switches on; `system` is every layer at once. */
export const LAYERS = ['system', 'dispatch', 'posix', 'isolation', 'recovery'] as const;
export type Layer = (typeof LAYERS)[number];

/** A combination of properties or layers that cannot be checked soundly in one run, with the reason. */
export class LayerError extends Error {}

/** The configuration of one layer alone (or of the composed system), over `cfg`'s bounds. */
export function layerConfig(cfg: Config, layer: Layer): Config {
  // the POSIX field is left out rather than null, as in the default configuration and its traces; the
  // composed system's derived fields go back to the dispatch model's defaults
  const { posix, system, transport, ...rest } = cfg;
  const own = system ? { ...rest, ...pick(DEFAULT_CONFIG, ['processes', 'threads', 'kernelThreads', 'calls', 'blockingPair', 'networkProcesses']) } : rest;
  if (layer === 'system') return systemConfig({ ...own, ...(posix ? { posix } : {}) });
  const off: Config = { ...own, isolation: false, adversary: false, recovery: false };
  if (layer === 'posix') return { ...off, posix: posix ?? { ...DEFAULT_POSIX } };
  if (layer === 'isolation') return { ...off, isolation: true, adversary: true };
  if (layer === 'recovery') return { ...off, isolation: true, recovery: true };
  return off;
}

const pick = <T extends object, K extends keyof T>(o: T, keys: K[]): Pick<T, K> => Object.fromEntries(keys.map((k) => [k, o[k]])) as Pick<T, K>;

/**
 * Why groups cannot share a run on `cfg`, or null. Outside the composed system (system: true, where
 * every group runs) these are the combinations the model cannot judge soundly: the POSIX layer alone
 * carries remote calls as an atomic RPC with no dispatch actors, hypervisor or crashes under it; with
 * the recovery layer alone, a remote call is one request entry above the dispatch protocol and the
 * dispatch actors are held, so a dispatch property would hold vacuously.
 */
function refusal(cfg: Config, groups: ReadonlySet<string>): string | null {
  if (cfg.system) return null;
  const others = [...groups].filter((g) => g !== 'posix');
  if (cfg.posix && others.length > 0)
    return `the ${others.join(' and ')} group${others.length > 1 ? 's' : ''} cannot be checked with the POSIX layer alone: it carries remote calls as an atomic RPC, without the dispatch actors, the hypervisor or crashes under it (--system checks every group together)`;
  if (cfg.recovery && groups.has('dispatch'))
    return 'the dispatch group cannot be checked with the recovery layer alone: a remote call is then one request entry above the dispatch protocol and its actors are held, so the dispatch properties would hold vacuously (--system checks them together)';
  return null;
}

/**
 * The configuration with the layer of every named property switched on, the same way for every
 * group (posix: the POSIX layer with its default bounds; isolation: the isolation layer with the
 * adversary, as --isolation; confinement: the adversary; recovery: the recovery layer over the
 * isolation layer's hypervisor, as --recovery; system: the composed system). The composed system has
 * every layer on already. Throws LayerError when the properties cannot be checked in one run, and
 * ConfigError when the switched configuration breaks a field rule.
 */
export function withLayersFor(cfg: Config, props: readonly Property[]): Config {
  const groups = new Set(props.map((p) => p.group));
  if (groups.has('system') && !cfg.system) return withLayersFor(layerConfig(cfg, 'system'), props);
  let out: Config = { ...cfg };
  if (!out.system) {
    if (groups.has('posix') && !out.posix) out = { ...out, posix: { ...DEFAULT_POSIX } };
    if (groups.has('isolation') && !out.isolation) out = { ...out, isolation: true, adversary: true };
    if (props.some((p) => p.name === 'confinement')) out = { ...out, isolation: true, adversary: true };
    if (groups.has('recovery')) out = { ...out, recovery: true, isolation: true };
  }
  const why = refusal(out, groups);
  if (why) throw new LayerError(why);
  checkConsistent(out);
  return out;
}
