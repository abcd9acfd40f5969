import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HashSet53, stateHash } from '../scripts/verifier/random/hash-set.ts';
import { timelessHash } from '../scripts/verifier/random/posix-stats.ts';
import { DEFAULT_CONFIG, SYSTEM_POSIX } from '../model/kit/config.ts';
import { makeSystem } from '../model/kit/system.ts';

describe('the distinct-state count', () => {
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

  it('stateHash is in [0, 2^53), changes with any one word, and leaves out exactly the words keep zeroes', () => {
    const s = makeSystem(DEFAULT_CONFIG).init.slice();
    const h0 = stateHash(s);
    expect(Number.isSafeInteger(h0) && h0 >= 0).toBe(true);
    const keepAll = new Int32Array(s.length).fill(-1);
    expect(stateHash(s, keepAll)).toBe(h0);
    for (let i = 0; i < s.length; i++) {
      const t = s.slice();
      t[i] ^= 1 << i % 31;
      expect(stateHash(t)).not.toBe(h0);
      const keep = keepAll.slice();
      keep[i] = 0;
      expect(stateHash(t, keep)).toBe(stateHash(s, keep));
    }
  });

  it('the POSIX hash ignores the history clock and nothing else', () => {
    const sys = makeSystem({ ...DEFAULT_CONFIG, posix: SYSTEM_POSIX });
    const PL = sys.L.posix!;
    const hash = timelessHash(PL);
    const s = sys.init.slice();
    const clock = new Set([PL.tick, ...PL.rec.flatMap((row) => row.flatMap((r) => [r.inv, r.ret, r.rt, r.gt]))]);
    for (let i = 0; i < s.length; i++) {
      const t = s.slice();
      t[i] += 7;
      if (clock.has(i)) expect(hash(t)).toBe(hash(s));
      else expect(hash(t)).not.toBe(hash(s));
    }
  });
});
