/**
 * Helpers for the client ↔ emulator contract tests (test/integration/client): a NAS client wired to an
 * emulator on ONE clock (the emulator's manual clock: the client signs, checks deadlines and sleeps its
 * backoff on it), a sender that rewrites a request after the client validated it (to provoke the error
 * codes the client's own validation never lets through), and secret scanning.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { EmulatorHandle } from '../../emulator/server.js';
import { createNasClient, type NasClient, type NasClientOptions } from '../../shared/nas/client.js';
import { staticCredentials } from '../../shared/nas/credentials.js';
import { signRequest, type SigningCredentials } from '../../shared/nas/signer.js';
import { createHttpTransport, encodeFormBody, FORM_CONTENT_TYPE, type HttpSend } from '../../shared/nas/transport.js';

/** The client's clock and sleep, both on the emulator's clock: a backoff sleep moves emulator time. */
export interface SharedClock {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Every backoff/rate-limit sleep the client asked for, in order. */
  readonly sleeps: number[];
}

/** A clock shared by the client and the emulator (which must run on a manual clock). */
export function sharedClock(emulator: EmulatorHandle): SharedClock {
  const sleeps: number[] = [];
  return {
    now: () => emulator.clock.now(),
    sleep: async (ms: number) => {
      sleeps.push(ms);
      emulator.clock.advance(Math.max(0, ms));
    },
    sleeps,
  };
}

/** Clients built by {@link clientFor}, to close after each test. */
const openClients: NasClient[] = [];

/**
 * A NAS client pointed at `emulator`, on the emulator's clock, without client-side rate limiting (the
 * contract tests are about the server's answers), with deterministic backoff (`random` = 0.5).
 */
export function clientFor(
  emulator: EmulatorHandle,
  credentials: SigningCredentials,
  overrides: Partial<NasClientOptions> = {},
): { client: NasClient; clock: SharedClock } {
  const clock = sharedClock(emulator);
  const client = createNasClient({
    endpoint: emulator.url,
    credentials: staticCredentials(credentials),
    rateLimits: false,
    maxAttempts: 4,
    now: clock.now,
    sleep: clock.sleep,
    random: () => 0.5,
    ...overrides,
  });
  openClients.push(client);
  return { client, clock };
}

/** Closes every client built by {@link clientFor} (call in afterEach/afterAll). */
export function closeClients(): void {
  for (const client of openClients.splice(0)) client.close();
}

/**
 * An `HttpSend` for the client's `send` option that changes the form parameters of a request the
 * client has already validated and signed, then signs it again (same date, fresh nonce) with
 * `credentials` and sends it over a real keep-alive transport. This is how a test provokes a server
 * error code that the client's own validation (shared/nas/schemas.ts) never lets through: the client
 * still handles the answer — parsing, classification, retries — exactly as in production.
 */
export function rewritingSend(
  credentials: SigningCredentials,
  mutate: (params: Record<string, string>) => void,
): HttpSend & { destroy(): void } {
  const transport = createHttpTransport();
  const send: HttpSend = async (request) => {
    const params: Record<string, string> = Object.fromEntries(new URLSearchParams(request.body));
    mutate(params);
    const body = encodeFormBody(params);
    const date = new Date(Date.parse(request.headers['x-acs-date'] ?? ''));
    const signed = signRequest({
      method: request.method,
      host: request.url.host,
      pathname: request.url.pathname || '/',
      query: Object.fromEntries(request.url.searchParams),
      headers: { 'content-type': FORM_CONTENT_TYPE },
      body,
      action: request.headers['x-acs-action'] ?? '',
      version: request.headers['x-acs-version'] ?? '',
      date,
      nonce: randomUUID(),
      credentials,
    });
    return transport({
      ...request,
      headers: { ...request.headers, ...signed.headers },
      body,
    });
  };
  return Object.assign(send, { destroy: () => transport.destroy() });
}

/** Awaits `promise` and returns what it rejected with; fails the test if it resolved. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    return error;
  }
  return expect.fail(`expected a rejection, got ${JSON.stringify(value)}`);
}

/** Every text an error exposes: message, stack and (recursively) its causes' messages. */
export function errorTexts(error: unknown): string[] {
  const texts: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    texts.push(current.message, current.stack ?? '', String(current));
    current = current.cause;
  }
  return texts;
}

/** Asserts that no secret (AccessKeySecret, SecurityToken) appears in any text, raw or percent-encoded. */
export function expectNoSecrets(texts: readonly string[], secrets: readonly string[]): void {
  for (const text of texts) {
    for (const secret of secrets) {
      expect(text, 'a secret leaked into an error or log text').not.toContain(secret);
      expect(text, 'a percent-encoded secret leaked').not.toContain(encodeURIComponent(secret));
    }
  }
}
