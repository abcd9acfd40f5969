import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HashSet53 } from '../scripts/verifier/random/hash-set.ts';
import { clockWords } from '../scripts/verifier/random/posix-stats.ts';
import { differingWords, SignatureMasks, StepCoverage, zobristHash } from '../scripts/verifier/random/search/coverage.ts';
import { runSchedule, type Pick } from '../scripts/verifier/explore.ts';
import { defaultMaxPicks, scheduleArb, stateHash } from '../scripts/verifier/random/verify.ts';
import { layerConfig, LAYERS } from '../properties/index.ts';
import { DEFAULT_CONFIG, SYSTEM_POSIX } from '../model/kit/config.ts';
import { makeSystem } from '../model/kit/system.ts';

describe('the distinct-state count', () => {
  it('SignatureMasks holds what a Map of signatures to masks holds, in the order first added, across its growth', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 0x3fffffff }) }, fc.nat(50), fc.constantFrom(0, 4096, 8192, 0x3fffffff)), fc.integer({ min: 0, max: 7 })), { minLength: 5000, maxLength: 9000 }), (adds) => {
        const mine = new SignatureMasks();
        const ref = new Map<number, number>();
        for (const [sig, k] of adds) {
          const bit = 1 << k;
          const at = mine.find(sig);
          expect(mine.maskAt(at)).toBe(ref.get(sig) ?? 0);
          if (mine.maskAt(at) === 0) mine.insert(at, sig, bit);
          else mine.orAt(at, bit);
          ref.set(sig, (ref.get(sig) ?? 0) | bit);
        }
        expect(mine.size).toBe(ref.size);
        expect([...mine.entries()]).toEqual([...ref.entries()]);
        for (const [sig] of adds.slice(0, 50)) expect(mine.get(sig + 1)).toBe(ref.get(sig + 1));
      }),
      // at least 4,000 distinct signatures: the table (4,096 slots at first) grows at least once
      { seed: 7, numRuns: 8, endOnFailure: true },
    );
  });

  it('HashSet53 holds what a Set holds, across its growth, for hashes over the whole 53-bit range', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.maxSafeNat(), fc.nat(40), fc.constantFrom(0, 2 ** 53 - 1, 2 ** 32, 2 ** 32 - 1)), { maxLength: 3000 }), (hs) => {
        const mine = new HashSet53(16);
        const ref = new Set<number>();
        for (const h of hs) {
          const x = h % 2 ** 53;
          expect(mine.add(x)).toBe(!ref.has(x));
          ref.add(x);
        }
        expect(mine.size).toBe(ref.size);
        expect(mine.values().sort((a, b) => a - b)).toEqual([...ref].sort((a, b) => a - b));
        for (const h of hs.slice(0, 50)) expect(mine.has((h + 1) % 2 ** 53)).toBe(ref.has((h + 1) % 2 ** 53));
      }),
      { seed: 5, numRuns: 60 },
    );
  });

  it('adding batches (addAll) gives the set adding one by one gives, stopping at the cap as one by one would', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.maxSafeNat(), fc.nat(60)), { maxLength: 2000 }), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 1500 }), (hs, batch, cap) => {
        const one = new HashSet53(16);
        for (const h of hs) if (one.size < cap) one.add(h % 2 ** 53);
        const many = new HashSet53(16);
        const buf = new Float64Array(batch);
        for (let i = 0; i < hs.length; i += batch) {
          const n = Math.min(batch, hs.length - i);
          for (let k = 0; k < n; k++) buf[k] = hs[i + k] % 2 ** 53;
          many.addAll(buf, n, cap);
        }
        expect(many.size).toBe(one.size);
        expect(many.values().sort((a, b) => a - b)).toEqual(one.values().sort((a, b) => a - b));
      }),
      { seed: 6, numRuns: 60 },
    );
  });

  it('stateHash is in [0, 2^53) and changes with any one word', () => {
    const s = makeSystem(DEFAULT_CONFIG).init.slice();
    const h0 = stateHash(s);
    expect(Number.isSafeInteger(h0) && h0 >= 0).toBe(true);
    for (let i = 0; i < s.length; i++) {
      const t = s.slice();
      t[i] ^= 1 << i % 31;
      expect(stateHash(t)).not.toBe(h0);
    }
  });

  it('the distinct-state hash ignores the POSIX history clock and nothing else', () => {
    const sys = makeSystem({ ...DEFAULT_CONFIG, posix: SYSTEM_POSIX });
    const s = sys.init.slice();
    const clock = new Set(clockWords(sys.L.posix!));
    expect(clock.size).toBeGreaterThan(1);
    for (let i = 0; i < s.length; i++) {
      const t = s.slice();
      t[i] += 7;
      if (clock.has(i)) expect(zobristHash(sys, t)).toBe(zobristHash(sys, s));
      else expect(zobristHash(sys, t)).not.toBe(zobristHash(sys, s));
    }
  });

  it('differingWords finds exactly the words that differ, two at a time or one at a time, of any length and alignment', () => {
    const naive = (a: Int32Array, b: Int32Array) => Array.from(a.keys()).filter((i) => a[i] !== b[i]);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.tuple(fc.nat(), fc.oneof(fc.integer(), fc.constantFrom(0, -1, 1, -2147483648, 2147483647))), { maxLength: 12 }),
        fc.array(fc.integer(), { minLength: 44, maxLength: 44 }),
        (n, off, changes, init) => {
          // states placed at word `off` of their buffers: aligned on 8 bytes only for even offsets
          const bb = new Int32Array(n + 4);
          const ab = new Int32Array(n + 4);
          const before = bb.subarray(off, off + n);
          const after = ab.subarray(off, off + n);
          for (let i = 0; i < n; i++) before[i] = after[i] = init[i];
          for (const [at, v] of changes) if (n > 0) after[at % n] = v;
          const wide = (a: Int32Array) => (a.byteOffset % 8 === 0 ? new BigInt64Array(a.buffer, a.byteOffset, a.length >> 1) : null);
          const want = naive(before, after);
          for (const views of [[wide(before), wide(after)], [null, null]] as const) {
            const diff = new Int32Array(n);
            const k = differingWords(before, after, views[0], views[1], diff);
            expect(Array.from(diff.subarray(0, k))).toEqual(want);
          }
        },
      ),
      { seed: 9, numRuns: 400 },
    );
  });

  it('the hash coverage keeps up to date step by step is the hash of the state, on runs of every layer', () => {
    for (const layer of LAYERS) {
      const sys = makeSystem(layerConfig({ ...DEFAULT_CONFIG }, layer));
      const cover = new StepCoverage(1, 1000);
      const shifted = new StepCoverage(1, 1000);
      const n = sys.init.length;
      const odd = { b: new Int32Array(n + 1).subarray(1), a: new Int32Array(n + 1).subarray(1) };
      let checked = 0;
      for (const sched of fc.sample(scheduleArb(sys.actors.length, defaultMaxPicks(sys.cfg)), { seed: 4, numRuns: 6 }) as Pick[][]) {
        cover.startRun(sys, 0, sys.init);
        shifted.startRun(sys, 0, sys.init);
        expect(cover.stateHash()).toBe(zobristHash(sys, sys.init));
        runSchedule(sys, sched, {
          props: [],
          onTake: (_a, branch, _c, before, after) => {
            const sig = cover.step(branch, before, after);
            expect(cover.stateHash()).toBe(zobristHash(sys, after));
            // the same step given as states that do not start on 8 bytes (compared a word at a time)
            odd.b.set(before);
            odd.a.set(after);
            expect(shifted.step(branch, odd.b, odd.a)).toBe(sig);
            expect(shifted.stateHash()).toBe(cover.stateHash());
            checked++;
          },
        });
      }
      expect(checked, layer).toBeGreaterThan(20);
    }
  });
});
