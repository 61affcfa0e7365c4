import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACCEPTED_EVENT_NAMES } from '../../../shared/events/event-names.js';
import { parseEvents } from '../../../shared/events/parse-events.js';
import { cloudEvent, mnsBatch, nativeEnvelope, objectCreatedEvent, toPayload, type OssEventElement } from '../../support/event-factories.js';

const IGNORED_NAMES = ['ObjectRemoved:DeleteObject', 'ObjectModified:UpdateObjectMeta', 'ObjectCreated:UploadPart'];

describe('parseEvents properties', () => {
  it('never throws, and always returns the four lists, on arbitrary JSON values', () => {
    fc.assert(fc.property(fc.jsonValue(), fc.constantFrom('raw', 'url') as fc.Arbitrary<'raw' | 'url'>, (value, keyEncoding) => {
      const parsed = parseEvents(value, { keyEncoding });
      return Array.isArray(parsed.records) && Array.isArray(parsed.malformed) && Array.isArray(parsed.ignored) && Array.isArray(parsed.duplicates);
    }), { numRuns: 200 });
  });

  it('never throws on arbitrary bytes or text', () => {
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b)), fc.string(), fc.base64String(), fc.json()), (payload) => {
      const parsed = parseEvents(payload, { keyEncoding: 'url' });
      return parsed.records.length + parsed.malformed.length + parsed.ignored.length + parsed.duplicates.length >= 0;
    }), { numRuns: 200 });
  });

  it('never throws on arbitrary values planted inside a valid envelope', () => {
    fc.assert(fc.property(fc.anything(), fc.constantFrom('events', 'oss', 'object', 'messageBody', 'data'), (junk, where) => {
      const element = objectCreatedEvent({ key: 'k' });
      const candidates: unknown[] = [
        { events: [element, junk] },
        { ...element, oss: where === 'oss' ? junk : { ...element.oss, object: junk } },
        [{ specversion: '1.0', source: 'acs.oss', data: junk }],
        [{ specversion: '1.0', source: 'MNS-f-t', data: { messageBody: junk } }],
      ];
      for (const candidate of candidates) parseEvents(candidate, { keyEncoding: 'raw' });
      return true;
    }), { numRuns: 200 });
  });

  // A generated batch: distinct objects, each maybe redelivered, mixed with ignored events, in any envelope.
  const objectKey = fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).filter((k) => !k.endsWith('/'));
  const object = fc.record({
    key: objectKey,
    eTag: fc.stringMatching(/^[0-9A-F]{32}$/),
    size: fc.nat({ max: 2 ** 40 }),
    eventName: fc.constantFrom(...ACCEPTED_EVENT_NAMES),
  });
  const envelope = fc.constantFrom('native', 'cloud-events', 'mns-0', 'mns-1', 'mns-2', 'mns-topic-json', 'mns-topic-xml', 'mns-grouped');

  function wrap(elements: OssEventElement[], kind: string): unknown {
    switch (kind) {
      case 'native': return toPayload(nativeEnvelope(elements));
      case 'cloud-events': return toPayload(elements.map(cloudEvent));
      case 'mns-0': return toPayload(mnsBatch(elements, { base64Layers: 0 }));
      case 'mns-1': return toPayload(mnsBatch(elements, { base64Layers: 1 }));
      case 'mns-2': return toPayload(mnsBatch(elements, { base64Layers: 2 }));
      case 'mns-topic-json': return toPayload(mnsBatch(elements, { topicEnvelope: 'json' }));
      case 'mns-topic-xml': return toPayload(mnsBatch(elements, { topicEnvelope: 'xml' }));
      default: return toPayload(mnsBatch(elements, { eventsPerMessage: 3 }));
    }
  }

  it('every valid record appears exactly once, in first-seen order, whatever the envelope and key encoding', () => {
    fc.assert(fc.property(
      fc.uniqueArray(object, { selector: (o) => o.key, minLength: 1, maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      fc.array(fc.tuple(objectKey, fc.constantFrom(...IGNORED_NAMES)), { maxLength: 4 }),
      envelope,
      fc.boolean(),
      (objects, repeats, ignoredEvents, kind, urlEncoded) => {
        const keyOf = (key: string) => (urlEncoded ? encodeURIComponent(key) : key);
        const elements = objects.map((o) => objectCreatedEvent({ ...o, key: keyOf(o.key) }));
        const sequence: OssEventElement[] = [...elements];
        // Redeliveries go after the original so that "first seen" is the original's position.
        for (const r of repeats) sequence.push(elements[r % elements.length]!);
        for (const [key, eventName] of ignoredEvents) sequence.splice(key.length % (sequence.length + 1), 0, objectCreatedEvent({ key: keyOf(key), eventName }));

        const parsed = parseEvents(wrap(sequence, kind), { keyEncoding: urlEncoded ? 'url' : 'raw' });

        expect(parsed.malformed).toEqual([]);
        expect(parsed.records.map((r) => [r.key, r.eTag, r.size, r.eventName])).toEqual(objects.map((o) => [o.key, o.eTag, o.size, o.eventName]));
        expect(parsed.duplicates).toHaveLength(repeats.length);
        expect(parsed.ignored.map((i) => i.key)).toEqual(expect.arrayContaining(ignoredEvents.map(([key]) => key)));
        expect(parsed.ignored).toHaveLength(ignoredEvents.length);
      },
    ), { numRuns: 100 });
  });

  it('de-duplicates exactly on (bucket, key, eTag), or (bucket, key, size) without an eTag (the rule, as identity strings)', () => {
    // The rule written the plain way: one length-prefixed identity string per record.
    const identity = (r: { bucket: string; key: string; eTag?: string; size?: number }) =>
      r.eTag !== undefined ? `e${r.bucket.length}:${r.bucket}${r.key.length}:${r.key}${r.eTag}` : `s${r.bucket.length}:${r.bucket}${r.key.length}:${r.key}${r.size ?? '-'}`;
    const version = fc.record({
      bucket: fc.constantFrom('b1', 'b2'),
      key: fc.constantFrom('k/a', 'k/b', 'k/a1'),
      eTag: fc.constantFrom(null, 'AA', '"AA"', 'BB'),
      size: fc.constantFrom(null, 0, 7, '7'),
    });
    fc.assert(fc.property(fc.array(version, { maxLength: 20 }), (versions) => {
      const elements = versions.map((v) => objectCreatedEvent({ key: v.key, bucket: v.bucket, eTag: v.eTag, size: v.size as number | null })); // '7': digits as text, read as 7
      const parsed = parseEvents(JSON.stringify(nativeEnvelope(elements)), { keyEncoding: 'raw' });
      expect(parsed.malformed).toEqual([]);
      const seen = new Set<string>();
      const expected: string[] = [];
      let duplicates = 0;
      for (const v of versions) {
        const eTag = v.eTag === null ? undefined : v.eTag.replace(/^"(.*)"$/, '$1');
        const size = v.size === null ? undefined : Number(v.size);
        const id = identity({ bucket: v.bucket, key: v.key, ...(eTag !== undefined && { eTag }), ...(size !== undefined && { size }) });
        if (seen.has(id)) duplicates += 1;
        else {
          seen.add(id);
          expected.push(id);
        }
      }
      expect(parsed.records.map(identity)).toEqual(expected);
      expect(parsed.duplicates).toHaveLength(duplicates);
    }), { numRuns: 500 });
  });
});
