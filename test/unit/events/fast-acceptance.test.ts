import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { acceptOss, ElementOss, parseEvents } from '../../../shared/events/parse-events.js';
import { nativeEnvelope, objectCreatedEvent } from '../../support/event-factories.js';

// parse-events accepts the usual `oss` by hand and asks the zod schema only when that check declines
// (issue 11). The schema is the rule: the hand check must never accept what it rejects, must give the same
// data when both accept, and must take the common shapes so that the schema is not on the usual path.
const field = (...values: unknown[]) => fc.constantFrom(...values);
const size = fc.oneof(
  field(undefined, 0, 1, 1024, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, -1, -0, 1.5, Number.NaN, Infinity, null, true, '0', '42', '123456789012345', '1234567890123456', '-1', '1.0', ' 1', '', '0x10', [], {}),
  fc.integer({ min: 0 }),
  fc.nat().map(String),
);
const text = fc.oneof(field(undefined, null, '', 'a', 'ABC', '"q"', 7, [], {}), fc.string());
const objectLike = (shape: fc.Arbitrary<Record<string, unknown>>) => fc.oneof({ weight: 8, arbitrary: shape }, { weight: 1, arbitrary: field(undefined, null, 'x', 3, []) });
const oss = objectLike(fc.record({
  bucket: objectLike(fc.record({ name: text, arn: text }, { requiredKeys: [] })),
  object: objectLike(fc.record({ key: text, size, eTag: text, deltaSize: size }, { requiredKeys: [] })),
  ossSchemaVersion: text,
}, { requiredKeys: [] }));

describe('parse-events: the hand-written acceptance of `oss` against the schema', () => {
  it('accepts only what the schema accepts, with the same data', () => {
    fc.assert(fc.property(oss, (value) => {
      const fast = acceptOss(value);
      const schema = ElementOss.safeParse(value);
      if (fast !== undefined) {
        expect(schema.success).toBe(true);
        if (schema.success) {
          const size = schema.data.object.size;
          // The schema checks the size; the record holds it as a number (digits are read as theirs).
          expect(fast).toEqual({ bucket: schema.data.bucket.name, key: schema.data.object.key, size: typeof size === 'string' ? Number(size) : size, eTag: schema.data.object.eTag });
        }
      } else if (schema.success) {
        // Declining would be safe (the schema then decides) but would put zod back on the usual path.
        throw new Error(`the hand check declined an oss the schema accepts: ${JSON.stringify(value)}`);
      }
    }), { numRuns: 3000 });
  });

  it('the usual element is accepted by hand; a broken one is still reported with the schema\'s reason', () => {
    const element = objectCreatedEvent({ key: 'k/a.bin', size: 12 });
    expect(acceptOss(element.oss)).toMatchObject({ bucket: element.oss.bucket.name, key: 'k/a.bin', size: 12 });
    const broken = { ...element, oss: { ...element.oss, object: { ...element.oss.object, size: '1.5', eTag: 3 } } };
    const parsed = parseEvents(nativeEnvelope([broken]), { keyEncoding: 'raw' });
    expect(parsed.malformed).toEqual([{
      path: '$.events[0]', reason: 'oss.object.size must be a non-negative integer; oss.object.eTag must be a string', key: 'k/a.bin', bucket: element.oss.bucket.name,
    }]);
  });
});
