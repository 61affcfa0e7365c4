import { describe, expect, it } from 'vitest';
import { findResumePoint, resumeOrder } from '../../../../shared/ingest/index.js';
import { interleave } from '../../../../shared/ingest/stream/submit.js';

/** `exists` over a fixed picture of what earlier invocations sent, recording which indexes were asked. */
function picture(sent: readonly boolean[]) {
  const asked: number[] = [];
  const exists = async (index: number) => {
    asked.push(index);
    return sent[index] === true;
  };
  return { exists, asked };
}

const sentPrefix = (count: number, prefix: number) => Array.from({ length: count }, (_, i) => i < prefix);

describe('findResumePoint', () => {
  it('is 0 for an empty group and when nothing was sent', async () => {
    expect(await findResumePoint(0, picture([]).exists)).toBe(0);
    expect(await findResumePoint(100, picture(sentPrefix(100, 0)).exists)).toBe(0);
  });

  it('finds the exact frontier of a sent prefix, for every prefix length', async () => {
    for (const count of [1, 2, 3, 7, 64, 65, 200]) {
      for (let prefix = 0; prefix <= count; prefix += 1) {
        expect(await findResumePoint(count, picture(sentPrefix(count, prefix)).exists), `count ${count}, prefix ${prefix}`).toBe(prefix);
      }
    }
  });

  it('looks at far fewer items than a linear scan (galloping then binary search)', async () => {
    const { exists, asked } = picture(sentPrefix(10_000, 6_789));
    expect(await findResumePoint(10_000, exists)).toBe(6_789);
    expect(new Set(asked).size).toBeLessThan(100);
  });

  it('steps over an isolated hole (a failed call followed by sent ones) instead of stopping there', async () => {
    const sent = sentPrefix(300, 200);
    sent[40] = false; // one hole
    sent[41] = false; // two in a row: still within HOLE_TOLERANCE
    expect(await findResumePoint(300, picture(sent).exists)).toBe(200);
  });

  it('takes a gap longer than the hole tolerance as the frontier when the search lands in it', async () => {
    // Items 0..1 sent, 2..4 missing, 5.. sent: reached(1) holds (sent), reached(2) does not (2, 3 and 4 missing).
    const sent = Array.from({ length: 8 }, (_, i) => i < 2 || i >= 5);
    expect(await findResumePoint(8, picture(sent).exists)).toBe(2);
  });
});

describe('resumeOrder', () => {
  const never = () => {
    throw new Error('random must not be asked when there is nothing to rotate');
  };

  it('sends everything fresh, in order, from a frontier of 0', () => {
    expect(resumeOrder(5, 0, 2, never)).toMatchObject({ fresh: [0, 1, 2, 3, 4], again: [], start: 0 });
  });

  it('starts maxConcurrency items before the frontier (a ragged edge) and rotates the rest', () => {
    const order = resumeOrder(10, 6, 2, () => 0.5);
    expect(order.fresh).toEqual([4, 5, 6, 7, 8, 9]);
    expect(order.again).toEqual([2, 3, 0, 1]);
    expect(order.offset).toBe(2);
  });

  it('sends everything again, rotated, when all were reached', () => {
    const order = resumeOrder(4, 4, 8, () => 0.25);
    expect(order.fresh).toEqual([]);
    expect(order.again).toEqual([1, 2, 3, 0]);
  });

  it('does not ask for a random number when the frontier is within one wave', () => {
    expect(resumeOrder(10, 3, 4, never)).toMatchObject({ fresh: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], again: [] });
  });

  it('always yields a permutation of the group', () => {
    for (const frontier of [0, 1, 5, 9, 10]) {
      for (const random of [0, 0.3, 0.999]) {
        const { fresh, again } = resumeOrder(10, frontier, 3, () => random);
        expect([...fresh, ...again].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      }
    }
  });
});

describe('interleave (the groups of a pass take turns)', () => {
  it('takes one item of each group in turn, keeping each group’s own order', () => {
    expect(interleave([[5, 6, 7], [2], [9, 8]])).toEqual([[0, 5], [1, 2], [2, 9], [0, 6], [2, 8], [0, 7]]);
  });

  it('gives a short window the same share of every group (no group starves behind a long one)', () => {
    const merged = interleave([Array.from({ length: 150 }, (_, i) => i), Array.from({ length: 150 }, (_, i) => i)]);
    const window = merged.slice(0, 60);
    expect(window.filter(([group]) => group === 1)).toHaveLength(30);
    expect(merged).toHaveLength(300);
  });

  it('is empty for no groups or empty orders', () => {
    expect(interleave([])).toEqual([]);
    expect(interleave([[], []])).toEqual([]);
  });
});
