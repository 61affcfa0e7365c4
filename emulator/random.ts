/**
 * A small seeded PRNG (mulberry32) so that ids, request ids and fault injection are reproducible for a
 * given seed. Not for cryptography.
 */

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** `n` lowercase hex digits. */
  hex(n: number): string;
  /** `n` characters of [0-9a-z]. */
  alnum(n: number): string;
  /** A request id shaped like Alibaba's: `8-4-4-4-12` uppercase hex. */
  requestId(): string;
}

const ALNUM = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Creates a PRNG from a 32-bit seed. */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = (alphabet: string, n: number): string => {
    let out = '';
    for (let i = 0; i < n; i++) out += alphabet[Math.floor(next() * alphabet.length)];
    return out;
  };
  return {
    next,
    hex: (n) => pick('0123456789abcdef', n),
    alnum: (n) => pick(ALNUM, n),
    requestId: () => {
      const h = pick('0123456789ABCDEF', 32);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    },
  };
}
