/**
 * Factories for OSS notifications in every envelope Function Compute delivers (docs/platform.md §3). Shared by
 * every test that needs events: keep signatures stable; add options rather than change defaults.
 *
 * Every default is deterministic (no clock, no randomness): the same input gives the same JSON, so tests
 * can compare outputs and ClientTokens derived from them.
 */
import { createHash } from 'node:crypto';

/** One element of a native `{"events":[…]}` notification, as OSS writes it. */
export interface OssEventElement {
  eventName: string;
  eventSource: string;
  eventTime: string;
  eventVersion: string;
  region: string;
  oss: {
    bucket: { arn: string; name: string; ownerIdentity: string };
    object: { deltaSize?: number; eTag?: string; key: string; size?: number };
    ossSchemaVersion: string;
    ruleId: string;
  };
  requestParameters: { sourceIPAddress: string };
  responseElements: { requestId: string };
  userIdentity: { principalId: string };
}

export interface ObjectCreatedEventInput {
  /** The key exactly as it should appear in the event (encode it yourself to test `url` mode). */
  key: string;
  /** Bytes; default 1024. `null` leaves `size` (and `deltaSize`) out of the event. */
  size?: number | null;
  /** Default: a stable 32-hex-digit MD5 of bucket, key and size. `null` leaves `eTag` out. */
  eTag?: string | null;
  /** With or without `oss:`; default `ObjectCreated:PutObject`. */
  eventName?: string;
  /** Default `ingest-bucket`. */
  bucket?: string;
  /** Default `cn-hangzhou`. */
  region?: string;
  /** Default `2024-05-01T08:00:00.000Z`. */
  eventTime?: string;
}

export const DEFAULT_BUCKET = 'ingest-bucket';
export const DEFAULT_REGION = 'cn-hangzhou';
export const DEFAULT_EVENT_TIME = '2024-05-01T08:00:00.000Z';
export const DEFAULT_SIZE = 1024;
const ACCOUNT_ID = '1234567890123456';

function hex(text: string): string {
  return createHash('md5').update(text).digest('hex').toUpperCase();
}

/** The eTag `objectCreatedEvent` gives an object when none is passed. */
export function defaultETag(bucket: string, key: string, size: number | null): string {
  return hex(`${bucket}\n${key}\n${size ?? ''}`);
}

/** A native OSS event element (the documented FC sample shape) for an object-created notification. */
export function objectCreatedEvent(input: ObjectCreatedEventInput): OssEventElement {
  const bucket = input.bucket ?? DEFAULT_BUCKET;
  const region = input.region ?? DEFAULT_REGION;
  const size = input.size === undefined ? DEFAULT_SIZE : input.size;
  const eTag = input.eTag === undefined ? defaultETag(bucket, input.key, size) : input.eTag;
  const requestHash = hex(`${bucket}/${input.key}/${eTag ?? ''}`);
  return {
    eventName: input.eventName ?? 'ObjectCreated:PutObject',
    eventSource: 'acs:oss',
    eventTime: input.eventTime ?? DEFAULT_EVENT_TIME,
    eventVersion: '1.0',
    region,
    oss: {
      bucket: { arn: `acs:oss:${region}:${ACCOUNT_ID}:${bucket}`, name: bucket, ownerIdentity: ACCOUNT_ID },
      object: {
        ...(size !== null && { deltaSize: size }),
        ...(eTag !== null && { eTag }),
        key: input.key,
        ...(size !== null && { size }),
      },
      ossSchemaVersion: '1.0',
      ruleId: requestHash.toLowerCase(),
    },
    requestParameters: { sourceIPAddress: '140.205.1.1' },
    responseElements: { requestId: requestHash.slice(0, 24) },
    userIdentity: { principalId: ACCOUNT_ID },
  };
}

/** The native OSS trigger payload: `{"events": [...]}`. */
export function nativeEnvelope(events: readonly unknown[]): { events: unknown[] } {
  return { events: [...events] };
}

/** An EventBridge-based OSS trigger payload: one CloudEvent whose `data` is the element. */
export function cloudEvent(element: OssEventElement): Record<string, unknown> {
  const bucket = element.oss.bucket.name;
  const key = element.oss.object.key;
  return {
    specversion: '1.0',
    id: hex(`ce/${bucket}/${key}/${element.oss.object.eTag ?? ''}`).toLowerCase(),
    source: 'acs.oss',
    type: element.eventName.startsWith('oss:') ? element.eventName : `oss:${element.eventName}`,
    subject: `acs:oss:${element.region}:${ACCOUNT_ID}:${bucket}/${key}`,
    datacontenttype: 'application/json;charset=utf-8',
    time: element.eventTime,
    aliyunaccountid: ACCOUNT_ID,
    aliyunpublishtime: element.eventTime,
    aliyuneventbusname: 'default',
    aliyunregionid: element.region,
    data: element,
  };
}

export interface MnsBatchOptions {
  /**
   * Base64 layers around the notification JSON (inside the topic envelope, if any): 1 is what OSS writes
   * into MNS, 0 what EventBridge delivers with `IsBase64Decode` on, 2 a doubly-encoded body. Default 1.
   */
  base64Layers?: 0 | 1 | 2;
  /** Elements per MNS message (OSS writes one); default 1. */
  eventsPerMessage?: number;
  /** Wrap the (encoded) notification in an MNS topic envelope first; default none. */
  topicEnvelope?: 'json' | 'xml';
  /** Default `MNS-cpfs-ingest-queue-trigger` (FC names it `MNS-<function>-<trigger>`). */
  source?: string;
}

/** Encodes `text` as base64 `layers` times. */
export function base64Layers(text: string, layers: number): string {
  let out = text;
  for (let i = 0; i < layers; i++) out = Buffer.from(out, 'utf8').toString('base64');
  return out;
}

/** The JSON format of an MNS topic notification around `message`. */
export function mnsTopicJsonEnvelope(message: string): Record<string, string> {
  const md5 = hex(message);
  return {
    TopicOwner: ACCOUNT_ID,
    Message: message,
    Subscriber: ACCOUNT_ID,
    PublishTime: '1714550400000',
    SubscriptionName: 'oss-events-to-queue',
    MessageMD5: md5,
    TopicName: 'oss-events',
    MessageId: `${md5.slice(0, 16)}-1-18F3A2B4C5D-200000001`,
  };
}

/** The XML format of an MNS topic notification around `message` (escaped as XML text). */
export function mnsTopicXmlEnvelope(message: string): string {
  const escaped = message.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const md5 = hex(message);
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<Notification xmlns="http://mns.aliyuncs.com/doc/v1/">',
    `<TopicOwner>${ACCOUNT_ID}</TopicOwner>`,
    '<TopicName>oss-events</TopicName>',
    `<Subscriber>${ACCOUNT_ID}</Subscriber>`,
    '<SubscriptionName>oss-events-to-queue</SubscriptionName>',
    `<MessageId>${md5.slice(0, 16)}-1-18F3A2B4C5D-200000001</MessageId>`,
    `<Message>${escaped}</Message>`,
    `<MessageMD5>${md5}</MessageMD5>`,
    '<PublishTime>1714550400000</PublishTime>',
    '</Notification>',
  ].join('\n');
}

/**
 * The message body OSS would put in MNS for `events`: the notification JSON under `base64Layers` layers of
 * base64, then (with `topicEnvelope`) inside an MNS topic envelope delivered as text.
 */
export function mnsMessageBody(events: readonly unknown[], options: Pick<MnsBatchOptions, 'base64Layers' | 'topicEnvelope'> = {}): string {
  const encoded = base64Layers(JSON.stringify(nativeEnvelope(events)), options.base64Layers ?? 1);
  if (options.topicEnvelope === undefined) return encoded;
  return options.topicEnvelope === 'json' ? JSON.stringify(mnsTopicJsonEnvelope(encoded)) : mnsTopicXmlEnvelope(encoded);
}

/**
 * An event-streaming batch from an MNS queue trigger: a JSON array of CloudEvents, each carrying one MNS
 * message whose body holds OSS's notification.
 */
export function mnsBatch(elements: readonly OssEventElement[], options: MnsBatchOptions = {}): Record<string, unknown>[] {
  const perMessage = Math.max(1, options.eventsPerMessage ?? 1);
  const batch: Record<string, unknown>[] = [];
  for (let start = 0; start < elements.length; start += perMessage) {
    const chunk = elements.slice(start, start + perMessage);
    const messageId = hex(`msg/${start}/${chunk.map((e) => e.oss.object.key).join('\n')}`);
    batch.push({
      id: `${messageId.slice(0, 8).toLowerCase()}-${messageId.slice(8, 12).toLowerCase()}-4c1e-9a5b-${messageId.slice(12, 24).toLowerCase()}`,
      source: options.source ?? 'MNS-cpfs-ingest-queue-trigger',
      specversion: '1.0',
      type: 'mns:Queue:SendMessage',
      datacontenttype: 'application/json; charset=utf-8',
      subject: `acs:mns:${DEFAULT_REGION}:${ACCOUNT_ID}:queues/oss-events`,
      time: chunk[0]?.eventTime ?? DEFAULT_EVENT_TIME,
      aliyunaccountid: ACCOUNT_ID,
      aliyunpublishtime: chunk[0]?.eventTime ?? DEFAULT_EVENT_TIME,
      aliyuneventbusname: 'MNS-cpfs-ingest-queue-trigger',
      aliyunregionid: DEFAULT_REGION,
      data: {
        requestId: messageId.slice(0, 24),
        messageId,
        messageBody: mnsMessageBody(chunk, options),
      },
    });
  }
  return batch;
}

/** The bytes the FC handler receives for `value` (a Buffer of its JSON, or of the string itself). */
export function toPayload(value: unknown): Buffer {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');
}
