/**
 * ClientToken idempotency (Alibaba's idempotency guide): within the memory window, the same token with the
 * same parameters answers the first request's result again and creates nothing; the same token with
 * different parameters answers `IdempotentParameterMismatch`.
 *
 * ASSUMED (undocumented): tokens are scoped per (action, account); only successful, non-DryRun requests
 * are remembered (a failed request may be retried with the same token and is evaluated afresh); the memory
 * lasts until the emulator stops unless `clientTokenTtlMs` is given; the compared parameters are all
 * business parameters except ClientToken and DryRun.
 */
import { apiError } from './errors.js';

interface Remembered {
  readonly fingerprint: string;
  /** The success body without RequestId (a replay gets its own RequestId). */
  readonly body: Readonly<Record<string, unknown>>;
  readonly atMs: number;
}

const NOT_COMPARED = new Set(['ClientToken', 'DryRun']);

/** A canonical text of the parameters that must match for a replay. */
export function fingerprintParams(params: Readonly<Record<string, string>>): string {
  return JSON.stringify(
    Object.keys(params)
      .filter((k) => !NOT_COMPARED.has(k))
      .sort()
      .map((k) => [k, params[k]]),
  );
}

export class ClientTokenMemory {
  private readonly entries = new Map<string, Remembered>();

  constructor(private readonly ttlMs: number = Number.POSITIVE_INFINITY) {}

  private key(action: string, accountId: string, token: string): string {
    return `${action}\u0000${accountId}\u0000${token}`;
  }

  /**
   * The remembered body for this token when the parameters match; undefined when the token is new (or
   * expired); throws IdempotentParameterMismatch when the parameters differ.
   */
  replay(
    action: string,
    accountId: string,
    token: string,
    params: Readonly<Record<string, string>>,
    nowMs: number,
  ): Readonly<Record<string, unknown>> | undefined {
    const k = this.key(action, accountId, token);
    const hit = this.entries.get(k);
    if (!hit) return undefined;
    if (nowMs - hit.atMs > this.ttlMs) {
      this.entries.delete(k);
      return undefined;
    }
    if (hit.fingerprint !== fingerprintParams(params)) {
      throw apiError('IdempotentParameterMismatch', `ClientToken ${token} was used with other parameters.`);
    }
    return hit.body;
  }

  remember(
    action: string,
    accountId: string,
    token: string,
    params: Readonly<Record<string, string>>,
    body: Readonly<Record<string, unknown>>,
    nowMs: number,
  ): void {
    const { RequestId: _omit, ...rest } = body;
    this.entries.set(this.key(action, accountId, token), { fingerprint: fingerprintParams(params), body: rest, atMs: nowMs });
  }
}
