import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseEvents } from '../../../shared/events/parse-events.js';
import { cloudEvent, mnsBatch, objectCreatedEvent, toPayload } from '../../support/event-factories.js';

// A Buffer holding a top-level JSON array is parsed element by element (issue 11, peak memory); a string,
// or bytes that are not such an array, take the whole-payload path. Both must decide the same wherever
// the payload is valid JSON, and only where it is not may the element path keep the good elements.
const raw = { keyEncoding: 'raw' } as const;
const events = (keys: readonly string[]) => keys.map((key) => objectCreatedEvent({ key }));

describe('parseEvents — a top-level JSON array in bytes, element by element', () => {
  it('gives what the whole-payload path gives for a valid MNS batch (paths and depths included)', () => {
    const batch = mnsBatch(events(['a/1.bin', 'a/2.bin', 'a/1.bin', 'b/']), { eventsPerMessage: 2 });
    const viaBytes = parseEvents(toPayload(batch), raw);
    expect(viaBytes).toEqual(parseEvents(JSON.stringify(batch), raw));
    expect(viaBytes.records.map((r) => r.key)).toEqual(['a/1.bin', 'a/2.bin']);
    expect(viaBytes.duplicates.map((d) => d.path)).toEqual(['$[1].data.messageBody(base64)(json).events[0]']);
  });

  it('one element that is not valid JSON is one malformed entry; the others are still records', () => {
    const good = mnsBatch(events(['x/1', 'x/2']));
    const text = `[${JSON.stringify(good[0])},{"data": nope},${JSON.stringify(good[1])}]`;
    const parsed = parseEvents(Buffer.from(text), raw);
    expect(parsed.records.map((r) => r.key)).toEqual(['x/1', 'x/2']);
    expect(parsed.malformed).toEqual([{ path: '$[1]', reason: 'is not valid JSON' }]);
    // As text the payload is still judged whole (it is not valid JSON): nothing is taken from it.
    expect(parseEvents(text, raw)).toMatchObject({ records: [], malformed: [{ path: '$', reason: 'is not valid JSON' }] });
  });

  it('one element that is not UTF-8 is one malformed entry', () => {
    const [first, second] = mnsBatch(events(['u/1', 'u/2'])).map((e) => Buffer.from(JSON.stringify(e)));
    const bad = Buffer.from([0x22, 0xff, 0xfe, 0x22]); // "\xff\xfe"
    const payload = Buffer.concat([Buffer.from('[\n'), first as Buffer, Buffer.from(' , '), bad, Buffer.from(','), second as Buffer, Buffer.from(']\r\n')]);
    const parsed = parseEvents(payload, raw);
    expect(parsed.records.map((r) => r.key)).toEqual(['u/1', 'u/2']);
    expect(parsed.malformed).toEqual([{ path: '$[1]', reason: 'is not UTF-8 text' }]);
  });

  it('ASCII, UTF-8 and partly invalid batches decode each element to the same text (a BOM before an element dropped, as before)', () => {
    const [ascii, utf8] = mnsBatch(events(['e/plain', 'e/数据'])).map((e) => Buffer.from(JSON.stringify(e)));
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const bad = Buffer.from([0x22, 0xff, 0x22]);
    const join = (...parts: Buffer[]) => Buffer.concat([Buffer.from('['), ...parts.flatMap((p, i) => (i === 0 ? [p] : [Buffer.from(','), p])), Buffer.from(']')]);
    // Whole payload ASCII; whole payload UTF-8 with a BOM-led element; one element not UTF-8 (each checked alone).
    expect(parseEvents(join(ascii as Buffer), raw).records.map((r) => r.key)).toEqual(['e/plain']);
    const valid = parseEvents(join(ascii as Buffer, Buffer.concat([bom, utf8 as Buffer])), raw);
    expect(valid.records.map((r) => r.key)).toEqual(['e/plain', 'e/数据']);
    expect(valid.malformed).toEqual([]);
    const partly = parseEvents(join(ascii as Buffer, Buffer.concat([bom, utf8 as Buffer]), bad), raw);
    expect(partly.records).toEqual(valid.records);
    expect(partly.malformed).toEqual([{ path: '$[2]', reason: 'is not UTF-8 text' }]);
  });

  it('an empty array is reported as an empty batch, with a BOM and white space around', () => {
    expect(parseEvents(Buffer.from('\uFEFF \n[ \t]\n'), raw)).toEqual({ records: [], ignored: [], duplicates: [], malformed: [], empty: [{ path: '$' }] });
  });

  it('brackets, commas and escaped quotes inside strings do not split elements', () => {
    const keys = ['q/"],[{', 'q/\\', 'q/\\"x', 'q/,,]'];
    const batch = keys.map((key) => cloudEvent(objectCreatedEvent({ key })));
    const parsed = parseEvents(toPayload(batch), raw);
    expect(parsed.records.map((r) => r.key)).toEqual(keys);
    expect(parsed.malformed).toEqual([]);
  });

  it('bytes that are not a plain array fall back to the whole-payload path and its verdict', () => {
    for (const text of ['[1,]', '[,]', '[{"a":1}', '[{"a":1}}]', '[] x', '["unterminated]', '{"events":[]}', '\u00a0[]']) {
      expect(parseEvents(Buffer.from(text), raw), text).toEqual(parseEvents(text, raw));
    }
  });

  it('any JSON array: bytes and text give the same result', () => {
    const element = fc.oneof(
      fc.constantFrom('k/a', 'k/"b"', 'k/[c]', 'k/\\d', 'k/数据').map((key) => cloudEvent(objectCreatedEvent({ key }))),
      fc.jsonValue(),
    );
    fc.assert(fc.property(fc.array(element, { maxLength: 6 }), fc.constantFrom('', ' ', '\n\t'), (array, space) => {
      const text = JSON.stringify(array, null, space === '' ? undefined : space);
      expect(parseEvents(Buffer.from(text), raw)).toEqual(parseEvents(text, raw));
    }), { numRuns: 200 });
  });
});
