import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_BASE64_LAYERS, parseEvents } from '../../../shared/events/parse-events.js';
import type { KeyEncoding } from '../../../shared/events/key-encoding.js';
import {
  base64Layers,
  cloudEvent,
  DEFAULT_BUCKET,
  defaultETag,
  mnsBatch,
  mnsTopicJsonEnvelope,
  mnsTopicXmlEnvelope,
  nativeEnvelope,
  objectCreatedEvent,
  toPayload,
} from '../../support/event-factories.js';

const raw = { keyEncoding: 'raw' } as const;
const fixture = (name: string): Buffer => readFileSync(new URL(`../../fixtures/events/${name}`, import.meta.url));
const keysOf = (payload: unknown, keyEncoding: KeyEncoding = 'raw') => parseEvents(payload, { keyEncoding }).records.map((r) => r.key);

describe('parseEvents — fixtures of every documented envelope', () => {
  it('native OSS trigger, one event (the documented FC sample)', () => {
    const parsed = parseEvents(fixture('native-single.json'), raw);
    expect(parsed).toEqual({
      records: [{
        bucket: 'training-data', key: 'source/a.png', size: 122539, eTag: '688A7BF4F233DC9C88A80BF985AB1234',
        eventName: 'ObjectCreated:PutObject', eventTime: '2022-08-13T06:45:43.000Z', region: 'cn-hangzhou',
      }],
      ignored: [], duplicates: [], malformed: [], empty: [],
    });
  });

  it('native OSS trigger, several events with a redelivery', () => {
    const parsed = parseEvents(fixture('native-multi.json'), raw);
    expect(parsed.records.map((r) => [r.key, r.eventName, r.size])).toEqual([
      ['datasets/imagenet/train/n01440764/0001.JPEG', 'ObjectCreated:PutObject', 140375],
      ['datasets/数据/文件.txt', 'ObjectCreated:CompleteMultipartUpload', 314572800],
      ['datasets/checkpoints/step 1000+final.ckpt', 'ObjectCreated:CopyObject', 52428800],
    ]);
    expect(parsed.duplicates).toEqual([{
      bucket: 'training-data', key: 'datasets/imagenet/train/n01440764/0001.JPEG', eTag: '7C3A2E1F0D9B8A7C6E5D4C3B2A190807', path: '$.events[3]',
    }]);
    expect(parsed.malformed).toEqual([]);
  });

  it('EventBridge OSS trigger: one CloudEvent', () => {
    const parsed = parseEvents(fixture('cloudevent-single.json'), raw);
    expect(parsed.records).toEqual([{
      bucket: 'training-data', key: 'incoming/2024/05/01/🚀.bin', size: 2048, eTag: 'D41D8CD98F00B204E9800998ECF8427E',
      eventName: 'ObjectCreated:PutObject', eventTime: '2024-05-01T08:15:02.000Z', region: 'cn-hangzhou',
    }]);
    expect(parsed.malformed).toEqual([]);
  });

  it('an array of CloudEvents', () => {
    const parsed = parseEvents(fixture('cloudevent-array.json'), raw);
    expect(parsed.records.map((r) => [r.key, r.eventName])).toEqual([
      ['incoming/2024/05/01/🚀.bin', 'ObjectCreated:PutObject'],
      ['incoming/forms/upload 01.csv', 'ObjectCreated:PostObject'],
    ]);
    expect(parsed.malformed).toEqual([]);
  });

  it('an MNS event-streaming batch: base64 bodies, one already decoded, one redelivered', () => {
    const parsed = parseEvents(fixture('mns-base64-batch.json'), raw);
    expect(parsed.records.map((r) => [r.key, r.size, r.eTag])).toEqual([
      ['landing/run-17/part-00000.parquet', 8388608, '9E107D9D372BB6826BD81D3542A419D6'],
      ['landing/run-17/part-00001.parquet', 134217728, 'E4D909C290D0FB1CA068FFADDF22CBD0-16'],
      ['landing/run-17/_SUCCESS', 0, 'D41D8CD98F00B204E9800998ECF8427E'],
    ]);
    expect(parsed.duplicates).toEqual([{
      bucket: 'training-data', key: 'landing/run-17/part-00000.parquet', eTag: '9E107D9D372BB6826BD81D3542A419D6',
      path: '$[3].data.messageBody(base64)(json).events[0]',
    }]);
    expect(parsed.malformed).toEqual([]);
  });

  it('an MNS message holding a topic JSON envelope around base64', () => {
    const parsed = parseEvents(fixture('mns-topic-json-envelope.json'), raw);
    expect(parsed.records.map((r) => r.key)).toEqual(['exports/report 2024%.csv']);
    expect(parsed.malformed).toEqual([]);
  });

  it('a raw MNS topic XML notification (entities unescaped exactly once)', () => {
    const parsed = parseEvents(fixture('mns-topic-xml-envelope.xml'), raw);
    expect(parsed.records.map((r) => r.key)).toEqual(['exports/<tag>&"quoted".txt']);
    expect(parsed.malformed).toEqual([]);
  });

  it('ObjectRemoved is ignored with its reason, name and key', () => {
    expect(parseEvents(fixture('object-removed.json'), raw)).toEqual({
      records: [],
      ignored: [{ reason: 'object-removed', eventName: 'ObjectRemoved:DeleteObject', key: 'source/old.png', path: '$.events[0]' }],
      duplicates: [],
      malformed: [],
      empty: [],
    });
  });

  it('a folder marker is ignored', () => {
    const parsed = parseEvents(fixture('folder-marker.json'), raw);
    expect(parsed.records).toEqual([]);
    expect(parsed.ignored).toEqual([{ reason: 'folder-marker', eventName: 'ObjectCreated:PutObject', key: 'datasets/new-folder/', path: '$.events[0]' }]);
  });

  it('malformed parts are reported one by one and never sink the good record', () => {
    const parsed = parseEvents(fixture('malformed.json'), raw);
    expect(parsed.records.map((r) => r.key)).toEqual(['landing/run-18/ok.bin']);
    expect(parsed.malformed).toEqual([
      { path: '$[1].data.messageBody', reason: 'is neither JSON, an MNS XML envelope, nor base64 of them' },
      { path: '$[2].data.messageBody(base64)(json).events[0]', reason: 'oss.bucket.name must be a non-empty string', key: expect.any(String) },
      { path: '$[3].data.messageBody', reason: 'is not valid JSON' },
      { path: '$[4]', reason: expect.stringContaining('is not an OSS notification') },
    ]);
  });
});

describe('parseEvents — envelopes built by the factories', () => {
  const elements = ['a/1.bin', 'a/2.bin', 'a/3.bin'].map((key) => objectCreatedEvent({ key }));
  const expectedKeys = ['a/1.bin', 'a/2.bin', 'a/3.bin'];

  it.each([
    ['native envelope as Buffer', toPayload(nativeEnvelope(elements))],
    ['native envelope as string', JSON.stringify(nativeEnvelope(elements))],
    ['native envelope already parsed', nativeEnvelope(elements)],
    ['CloudEvent array', elements.map(cloudEvent)],
    ['MNS batch, 0 base64 layers', mnsBatch(elements, { base64Layers: 0 })],
    ['MNS batch, 1 base64 layer', mnsBatch(elements, { base64Layers: 1 })],
    ['MNS batch, 2 base64 layers', mnsBatch(elements, { base64Layers: 2 })],
    ['MNS batch, several events per message', mnsBatch(elements, { eventsPerMessage: 2 })],
    ['MNS batch, topic JSON envelope', mnsBatch(elements, { topicEnvelope: 'json' })],
    ['MNS batch, topic XML envelope', mnsBatch(elements, { topicEnvelope: 'xml' })],
    ['MNS batch, topic XML envelope without base64', mnsBatch(elements, { topicEnvelope: 'xml', base64Layers: 0 })],
    ['older sample: a single MNS CloudEvent object', mnsBatch(elements, { eventsPerMessage: 3 })[0]],
    ['mns_topic trigger, JSON format', mnsTopicJsonEnvelope(base64Layers(JSON.stringify(nativeEnvelope(elements)), 1))],
    ['mns_topic trigger, STREAM format (raw base64 body)', toPayload(base64Layers(JSON.stringify(nativeEnvelope(elements)), 1))],
    ['MNS source named acs:mns', mnsBatch(elements, { source: 'acs:mns' })],
  ])('%s', (_name, payload) => {
    const parsed = parseEvents(payload, raw);
    expect(parsed.malformed).toEqual([]);
    expect(parsed.records.map((r) => r.key)).toEqual(expectedKeys);
    expect(parsed.records[0]).toEqual({
      bucket: DEFAULT_BUCKET, key: 'a/1.bin', size: 1024, eTag: defaultETag(DEFAULT_BUCKET, 'a/1.bin', 1024),
      eventName: 'ObjectCreated:PutObject', eventTime: '2024-05-01T08:00:00.000Z', region: 'cn-hangzhou',
    });
  });

  it('a CloudEvent whose data lacks eventName takes the name from its type (prefix stripped)', () => {
    const { eventName: _dropped, ...element } = objectCreatedEvent({ key: 'k', eventName: 'ObjectCreated:CopyObject' });
    const event = { ...cloudEvent(objectCreatedEvent({ key: 'k', eventName: 'ObjectCreated:CopyObject' })), data: element };
    expect(parseEvents(event, raw).records.map((r) => r.eventName)).toEqual(['ObjectCreated:CopyObject']);
  });

  it('strips an oss: prefix from event names', () => {
    const parsed = parseEvents(nativeEnvelope([objectCreatedEvent({ key: 'k', eventName: 'oss:ObjectCreated:PutObject' })]), raw);
    expect(parsed.records[0]?.eventName).toBe('ObjectCreated:PutObject');
  });

  it(`stops after ${MAX_BASE64_LAYERS} base64 layers`, () => {
    const body = base64Layers(JSON.stringify(nativeEnvelope(elements)), MAX_BASE64_LAYERS + 1);
    const parsed = parseEvents(toPayload(body), raw);
    expect(parsed.records).toEqual([]);
    expect(parsed.malformed).toEqual([{ path: '$(base64)(base64)', reason: `more than ${MAX_BASE64_LAYERS} layers of base64` }]);
  });

  it('bounds nesting depth (a JSON string of a JSON string of …)', () => {
    let payload = JSON.stringify(nativeEnvelope(elements));
    // Each layer roughly doubles the escaping, so ten layers already exceed the bound.
    for (let i = 0; i < 10; i++) payload = JSON.stringify(payload);
    const parsed = parseEvents(payload, raw);
    expect(parsed.records).toEqual([]);
    expect(parsed.malformed).toHaveLength(1);
    expect(parsed.malformed[0]?.reason).toMatch(/nested more than \d+ deep/);
  });

  it('survives a deeply nested array without recursion trouble', () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const parsed = parseEvents(deep, raw);
    expect(parsed.records).toEqual([]);
    expect(parsed.malformed).toHaveLength(1);
  });
});

describe('parseEvents — event names', () => {
  it.each([
    'ObjectCreated:PutObject', 'ObjectCreated:PostObject', 'ObjectCreated:CopyObject',
    'ObjectCreated:CompleteMultipartUpload', 'ObjectCreated:AppendObject', 'ObjectCreated:PutSymlink',
  ])('%s is imported', (eventName) => {
    expect(keysOf(nativeEnvelope([objectCreatedEvent({ key: 'k', eventName })]))).toEqual(['k']);
  });

  it.each([
    ['ObjectRemoved:DeleteObject', 'object-removed'],
    ['ObjectRemoved:DeleteObjects', 'object-removed'],
    ['ObjectRemoved:AbortMultipartUpload', 'object-removed'],
    ['ObjectModified:UpdateObjectMeta', 'object-modified'],
    ['ObjectCreated:InitiateMultipartUpload', 'multipart-in-progress'],
    ['ObjectCreated:UploadPart', 'multipart-in-progress'],
    ['ObjectCreated:UploadPartCopy', 'multipart-in-progress'],
    ['ObjectDownloaded:GetObject', 'unsupported-event'],
    ['ObjectReplication:ObjectCreated', 'unsupported-event'],
    ['Something:New', 'unsupported-event'],
  ])('%s is ignored as %s', (eventName, reason) => {
    const parsed = parseEvents(nativeEnvelope([objectCreatedEvent({ key: 'k', eventName })]), raw);
    expect(parsed.records).toEqual([]);
    expect(parsed.ignored).toEqual([{ reason, eventName, key: 'k', path: '$.events[0]' }]);
  });

  it('an accepted event without oss.object (a trigger test) is ignored as no-object', () => {
    const { object: _object, ...ossWithoutObject } = objectCreatedEvent({ key: 'k' }).oss;
    const parsed = parseEvents({ events: [{ ...objectCreatedEvent({ key: 'k' }), oss: ossWithoutObject }, { eventName: 'ObjectCreated:PutObject' }] }, raw);
    expect(parsed.records).toEqual([]);
    expect(parsed.malformed).toEqual([]);
    expect(parsed.ignored.map((i) => [i.reason, i.path])).toEqual([['no-object', '$.events[0]'], ['no-object', '$.events[1]']]);
  });

  it('AppendObject: a repeated notification of the same content collapses, a later append (new eTag) is kept', () => {
    const appends = [
      objectCreatedEvent({ key: 'log.txt', eventName: 'ObjectCreated:AppendObject', size: 10, eTag: 'E1' }),
      objectCreatedEvent({ key: 'log.txt', eventName: 'ObjectCreated:AppendObject', size: 10, eTag: 'E1' }),
      objectCreatedEvent({ key: 'log.txt', eventName: 'ObjectCreated:AppendObject', size: 20, eTag: 'E2' }),
    ];
    const parsed = parseEvents(nativeEnvelope(appends), raw);
    expect(parsed.records.map((r) => [r.key, r.eTag, r.size])).toEqual([['log.txt', 'E1', 10], ['log.txt', 'E2', 20]]);
    expect(parsed.duplicates).toHaveLength(1);
  });
});

describe('parseEvents — de-duplication', () => {
  it('same bucket, key and eTag → one record even across envelopes and event names', () => {
    const put = objectCreatedEvent({ key: 'x', eTag: 'AA' });
    const copy = objectCreatedEvent({ key: 'x', eTag: 'AA', eventName: 'ObjectCreated:CopyObject' });
    const parsed = parseEvents([cloudEvent(put), ...mnsBatch([copy])], raw);
    expect(parsed.records).toHaveLength(1);
    expect(parsed.records[0]?.eventName).toBe('ObjectCreated:PutObject');
    expect(parsed.duplicates).toEqual([{ bucket: DEFAULT_BUCKET, key: 'x', eTag: 'AA', path: '$[1].data.messageBody(base64)(json).events[0]' }]);
  });

  it('a quoted eTag equals the unquoted one', () => {
    const parsed = parseEvents(nativeEnvelope([objectCreatedEvent({ key: 'x', eTag: 'AA' }), objectCreatedEvent({ key: 'x', eTag: '"AA"' })]), raw);
    expect(parsed.records).toHaveLength(1);
  });

  it('different eTag, bucket or key → separate records, in first-seen order', () => {
    const parsed = parseEvents(nativeEnvelope([
      objectCreatedEvent({ key: 'x', eTag: 'AA' }),
      objectCreatedEvent({ key: 'x', eTag: 'BB' }),
      objectCreatedEvent({ key: 'x', eTag: 'AA', bucket: 'other' }),
      objectCreatedEvent({ key: 'y', eTag: 'AA' }),
    ]), raw);
    expect(parsed.records.map((r) => `${r.bucket}/${r.key}@${r.eTag}`)).toEqual([
      `${DEFAULT_BUCKET}/x@AA`, `${DEFAULT_BUCKET}/x@BB`, 'other/x@AA', `${DEFAULT_BUCKET}/y@AA`,
    ]);
    expect(parsed.duplicates).toEqual([]);
  });

  it('without eTag, (bucket, key, size) decides', () => {
    const parsed = parseEvents(nativeEnvelope([
      objectCreatedEvent({ key: 'x', eTag: null, size: 5 }),
      objectCreatedEvent({ key: 'x', eTag: null, size: 5 }),
      objectCreatedEvent({ key: 'x', eTag: null, size: 6 }),
      objectCreatedEvent({ key: 'x', eTag: null, size: null }),
      objectCreatedEvent({ key: 'x', eTag: null, size: null }),
    ]), raw);
    expect(parsed.records.map((r) => r.size)).toEqual([5, 6, undefined]);
    expect(parsed.records[2]).not.toHaveProperty('size');
    expect(parsed.records[0]).not.toHaveProperty('eTag');
    expect(parsed.duplicates).toEqual([{ bucket: DEFAULT_BUCKET, key: 'x', path: '$.events[1]' }, { bucket: DEFAULT_BUCKET, key: 'x', path: '$.events[4]' }]);
  });

  it('url mode de-duplicates on the decoded key', () => {
    const parsed = parseEvents(nativeEnvelope([objectCreatedEvent({ key: 'a%20b', eTag: 'AA' }), objectCreatedEvent({ key: 'a b', eTag: 'AA' })]), { keyEncoding: 'url' });
    expect(parsed.records.map((r) => r.key)).toEqual(['a b']);
  });
});

describe('parseEvents — keys in both encodings', () => {
  const keys = ['with space.txt', 'a+b.txt', '100%.csv', 'x%2By', '数据/文件.txt', '🚀.bin'];

  it('raw mode keeps every key byte for byte', () => {
    expect(keysOf(nativeEnvelope(keys.map((key) => objectCreatedEvent({ key }))), 'raw')).toEqual(keys);
  });

  it('url mode decodes encoded keys exactly once (+ stays +)', () => {
    const encoded = keys.map((key) => objectCreatedEvent({ key: encodeURIComponent(key) }));
    expect(keysOf(mnsBatch(encoded), 'url')).toEqual(keys);
    expect(keysOf(nativeEnvelope([objectCreatedEvent({ key: 'a+b%2Bc' })]), 'url')).toEqual(['a+b+c']);
  });

  it('url mode turns an invalid escape into a malformed entry and keeps the rest', () => {
    const parsed = parseEvents(nativeEnvelope([objectCreatedEvent({ key: '100%.csv' }), objectCreatedEvent({ key: 'ok%20.csv' })]), { keyEncoding: 'url' });
    expect(parsed.records.map((r) => r.key)).toEqual(['ok .csv']);
    expect(parsed.malformed).toEqual([{ path: '$.events[0].oss.object.key', reason: expect.stringContaining('percent-encoding') }]);
  });
});

describe('parseEvents — bad input never throws', () => {
  it.each([
    ['bytes that are not UTF-8', Buffer.from([0xff, 0xfe, 0x00, 0x80]), 'is not UTF-8 text'],
    ['text that is not JSON', Buffer.from('hello world'), 'is neither JSON, an MNS XML envelope, nor base64 of them'],
    ['truncated JSON', '{"events":[', 'is not valid JSON'],
    ['an empty buffer', Buffer.alloc(0), 'is empty'],
    ['null', null, 'expected an event envelope (object, array or text), got null'],
    ['a number', 42, 'expected an event envelope (object, array or text), got number'],
    ['XML without Message', '<Notification><TopicName>t</TopicName></Notification>', expect.stringContaining('<Message>')],
    ['the FC console default test event', { key1: 'value1', key2: 'value2' }, expect.stringContaining('is not an OSS notification')],
    ['events that is not an array', { events: 'nope' }, 'must be an array'],
  ])('%s → one malformed entry', (_name, payload, reason) => {
    const parsed = parseEvents(payload, raw);
    expect(parsed.records).toEqual([]);
    expect(parsed.malformed).toEqual([{ path: expect.stringMatching(/^\$/), reason }]);
  });

  it.each([
    ['size is negative', { size: -1 }, 'oss.object.size must be a non-negative integer', 'bad'],
    ['size is fractional', { size: 1.5 }, 'oss.object.size must be a non-negative integer', 'bad'],
    ['eTag is null', { eTag: null }, 'oss.object.eTag must be a string', 'bad'],
    ['key is empty', { key: '' }, 'oss.object.key must be a non-empty string', undefined],
    ['key is a number', { key: 7 }, 'oss.object.key must be a non-empty string', undefined],
    ['eTag is a number', { eTag: 7 }, 'oss.object.eTag must be a string', 'bad'],
  ])('an element whose %s is malformed, with its key when readable; its neighbour is kept', (_name, patch, reason, key) => {
    const bad = objectCreatedEvent({ key: 'bad' });
    const element = { ...bad, oss: { ...bad.oss, object: { ...bad.oss.object, ...patch } } };
    const parsed = parseEvents(nativeEnvelope([element, objectCreatedEvent({ key: 'good' })]), raw);
    expect(parsed.records.map((r) => r.key)).toEqual(['good']);
    expect(parsed.malformed).toEqual([{ path: '$.events[0]', reason, ...(key !== undefined ? { key, bucket: bad.oss.bucket.name } : { bucket: bad.oss.bucket.name }) }]);
  });

  it.each([
    ['a CloudEvent with data: []', { specversion: '1.0', source: 'acs:oss', type: 'oss:ObjectCreated:PutObject', data: [] }, '$.data'],
    ['an MNS message whose body is []', { specversion: '1.0', source: 'acs:mns', type: 'mns:Queue:SendMessage', data: { messageBody: '[]' } }, '$.data.messageBody'],
    ['a native envelope with events: []', { events: [] }, '$.events'],
    ['an empty batch', [], '$'],
  ])('%s is reported as an empty batch, not silence', (_name, payload, path) => {
    const parsed = parseEvents(payload, raw);
    expect(parsed).toMatchObject({ records: [], malformed: [], ignored: [] });
    expect(parsed.empty).toEqual([{ path: expect.stringContaining(path) }]);
  });

  it('accepts a size written as a digit string', () => {
    const base = objectCreatedEvent({ key: 'k' });
    const element = { ...base, oss: { ...base.oss, object: { ...base.oss.object, size: '2048' } } };
    expect(parseEvents(nativeEnvelope([element]), raw).records[0]?.size).toBe(2048);
  });

  it('an element that is not an object, or lacks eventName, is malformed', () => {
    const parsed = parseEvents({ events: ['x', { oss: {} }] }, raw);
    expect(parsed.malformed).toEqual([
      { path: '$.events[0]', reason: 'an event must be an object' },
      { path: '$.events[1].eventName', reason: 'must be a non-empty string' },
    ]);
  });

  it('a CloudEvent without data is malformed', () => {
    expect(parseEvents({ specversion: '1.0', source: 'acs.oss', type: 'oss:ObjectCreated:PutObject' }, raw).malformed).toEqual([
      { path: '$.data', reason: 'a CloudEvent must carry data' },
    ]);
  });

  it('malformed reasons never quote the payload', () => {
    const secretish = 'do-not-echo-this-value';
    const parsed = parseEvents(`{"events":[{"eventName":"${secretish}`, raw);
    expect(JSON.stringify(parsed)).not.toContain(secretish);
  });
});
