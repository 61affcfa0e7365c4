/** One object-created notification, normalised from whichever envelope delivered it. */
export interface ObjectCreated {
  readonly bucket: string;
  /** The object key, decoded exactly once (see shared/events/key-encoding.ts). */
  readonly key: string;
  /** Object size in bytes, when the event carries it. */
  readonly size?: number;
  readonly eTag?: string;
  /** Without the `oss:` prefix, e.g. `ObjectCreated:PutObject`. */
  readonly eventName: string;
  /** ISO-8601 time of the event, when known. */
  readonly eventTime?: string;
  readonly region?: string;
}
