/**
 * Swarm testing (Groce, Zhang, Eide, Chen, Regehr, ISSTA 2012): instead of every run exercising
 * every feature a little, each run switches a random part of them off, so that combinations the
 * full configuration makes rare (one thread racing a worker with nobody else around, one call in
 * flight with the wake path idle) come up often.
 *
 * A run draws a sub-configuration within the user's: every bounded field (threads, calls, entries,
 * workers, polls, crashes, adversary steps...) of a layer that is on keeps its value half the time and
 * otherwise takes any value from its lower bound up to the user's; `blockingPair` and `adversary` may
 * be switched off.
 * `stampModulus` is left alone: a smaller one is not a smaller system but a weaker stamp. A draw the
 * cross-field rules refuse is repaired by giving back the fields they blame (or, when they blame a
 * field that was not narrowed, the narrowed ones in a fixed order). Then it draws a subset of the
 * actors that the schedule's picks go to; the others move only in the drain. The POSIX layer keeps
 * its configuration (its program generator already varies threads and calls per run) and gets the
 * subset only. The sub-configuration is the run's configuration, so a trace records it and replays
 * without the generator.
 */
import fc from 'fast-check';
import { BOUNDS, checkConsistent, ConfigError, type Config } from '../../../../model/kit/config.ts';
import type { System } from '../../../../model/kit/system.ts';
import { picksDriver, type Driver, type Pick } from '../../explore.ts';

type Bounded = keyof typeof BOUNDS;
/** Fields a run may narrow, in a fixed order. */
const NUMERIC = (Object.keys(BOUNDS) as Bounded[]).filter((k) => k !== 'stampModulus');
const SWITCHES = ['blockingPair', 'adversary'] as const;
/** Fields that mean something only with a layer on: narrowing them otherwise would change nothing but the recorded configuration. */
const LAYER_OF: Partial<Record<Bounded, (c: Config) => boolean>> = {
  adversarySteps: (c) => c.adversary,
  networkProcesses: (c) => c.isolation,
  networkRestarts: (c) => c.isolation,
  crashes: (c) => c.recovery,
  chunks: (c) => c.recovery,
  adminStops: (c) => c.recovery,
};

export interface SwarmInput {
  kind: 'swarm';
  /** one draw per field of NUMERIC then SWITCHES */
  narrow: number[];
  /** favoured actors of the run's system (by index; none favoured means all) */
  favour: boolean[];
  picks: Pick[];
}

export function swarmArb(actors: number, maxPicks: number): fc.Arbitrary<SwarmInput> {
  return fc.record({
    kind: fc.constant('swarm' as const),
    narrow: fc.array(fc.nat(1 << 16), { minLength: NUMERIC.length + SWITCHES.length, maxLength: NUMERIC.length + SWITCHES.length }),
    favour: fc.array(fc.boolean(), { minLength: actors, maxLength: actors }),
    picks: fc.array(fc.tuple(fc.nat(actors * 4 - 1), fc.nat(11)), { maxLength: maxPicks, size: 'max' }),
  });
}

/** The run's configuration: the user's, narrowed by the draws, repaired to satisfy the cross-field rules. */
export function swarmConfig(user: Config, narrow: readonly number[]): Config {
  if (user.posix) return user;
  const cfg: Config = { ...user };
  const changed: (keyof Config)[] = [];
  NUMERIC.forEach((k, i) => {
    const lo = BOUNDS[k][0];
    const hi = user[k];
    const span = hi - lo + 1;
    if (span <= 1 || LAYER_OF[k]?.(user) === false) return;
    const c = narrow[i] % (2 * span);
    if (c < span && lo + c !== hi) {
      cfg[k] = lo + c;
      changed.push(k);
    }
  });
  SWITCHES.forEach((k, i) => {
    if (user[k] && narrow[NUMERIC.length + i] % 4 === 0) {
      cfg[k] = false;
      changed.push(k);
    }
  });
  for (;;) {
    // nothing narrowed: the user's configuration itself (its system, its state count)
    if (changed.length === 0) return user;
    try {
      checkConsistent(cfg);
      return cfg;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      const blamed = e.field as keyof Config;
      const back = changed.includes(blamed) ? blamed : changed[0];
      (cfg as unknown as Record<string, unknown>)[back] = user[back];
      changed.splice(changed.indexOf(back), 1);
    }
  }
}

/** The fields a run's configuration narrowed, with their values. */
export function narrowed(user: Config, cfg: Config): Partial<Config> {
  const out: Record<string, unknown> = {};
  for (const k of [...NUMERIC, ...SWITCHES]) if (cfg[k] !== user[k]) out[k] = cfg[k];
  return out as Partial<Config>;
}

function favoured(sys: System, favour: readonly boolean[]): number[] {
  const f = sys.actors.map((_, i) => i).filter((i) => favour[i % favour.length]);
  return f.length ? f : sys.actors.map((_, i) => i);
}

/** The picks, each sent to a favoured actor of the run's system. */
export function swarmDriver(sys: System, input: SwarmInput): Driver {
  const f = favoured(sys, input.favour);
  const n = sys.actors.length;
  return picksDriver(
    input.picks.map(([pick, burst]) => [f[pick % f.length] + n * Math.floor(pick / f.length), burst] as const),
    n,
  );
}

export function swarmMeta(user: Config, sys: System, input: SwarmInput): Record<string, unknown> {
  return { narrowed: narrowed(user, sys.cfg), favoured: favoured(sys, input.favour).map((a) => sys.actors[a].name), picks: input.picks.length };
}
