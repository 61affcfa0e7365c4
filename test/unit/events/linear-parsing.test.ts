/**
 * Issue 13, point 4: every parser of untrusted text runs in linear time. Each near-miss input (megabytes
 * that almost match: unclosed `<Message>` tags, tags without `>`, base64 one character off, entities
 * without `;`) is timed against a plain linear scan of the same text, in the same test: the ratio must
 * stay within a generous bound. A quadratic parser is thousands of times slower at this size (the old
 * `<Message(?:\s[^>]*)?>…` regex took minutes for 1.7 MB), so the bound is far from machine speed.
 */
import { describe, expect, it } from 'vitest';
import { parseEvents } from '../../../shared/events/parse-events.js';
import { decodeBase64Text, decodeXmlEntities, extractXmlMessage } from '../../../shared/events/payload-text.js';

const SIZE = 2 * 1024 * 1024;
/** Ratio allowed between a parser and a plain scan (generous: regex engines and allocation cost constants). */
const MAX_RATIO = 20;

/** Fills SIZE characters with `unit` repeated. */
const repeatTo = (unit: string, prefix = '', suffix = '') => prefix + unit.repeat(Math.ceil((SIZE - prefix.length - suffix.length) / unit.length)) + suffix;

/** A plain linear pass over the text: the baseline every parser is compared with. */
function plainScan(text: string): number {
  let sum = 0;
  for (let i = 0; i < text.length; i += 1) sum = (sum + text.charCodeAt(i)) | 0;
  return sum;
}

/** Best of three runs, in ms (the minimum is the least noisy estimate on a shared machine). */
function timeOf(work: () => unknown): number {
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 3; run += 1) {
    const start = process.hrtime.bigint();
    work();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return best;
}

const cases: Array<[string, string, (text: string) => unknown]> = [
  ['unclosed <Message> tags', repeatTo('<Message>x'), extractXmlMessage],
  ['<Message followed by attributes and no >', repeatTo('a', '<Message '), extractXmlMessage],
  ['many "<Message " openings without >', repeatTo('<Message '), extractXmlMessage],
  ['closing tags without >', repeatTo('</Message  x', '<Message>'), extractXmlMessage],
  ['<MessageId> look-alikes', repeatTo('<MessageId>'), extractXmlMessage],
  ['CDATA never closed', repeatTo(']]', '<Message><![CDATA[', '</Message>'), extractXmlMessage],
  ['base64 one character off', repeatTo('QUFB', '', 'Q'), decodeBase64Text],
  ['base64 with a bad last character', repeatTo('QUFB', '', '!'), decodeBase64Text],
  ['an entity without ;', repeatTo('a', '&'), decodeXmlEntities],
  ['numeric entities without ;', repeatTo('&#x1'), decodeXmlEntities],
  ['the whole parser on an unclosed XML envelope', repeatTo('<Message>', '<Notification>'), (text) => parseEvents(text, { keyEncoding: 'raw' })],
  ['the whole parser on base64 near-miss', repeatTo('QUFB', '', 'Q'), (text) => parseEvents(text, { keyEncoding: 'raw' })],
];

describe('linear-time parsing of untrusted text (near-miss megabytes vs a plain scan)', () => {
  it.each(cases)('%s', (_name, text, parse) => {
    expect(text.length).toBeGreaterThanOrEqual(SIZE);
    parse(text.slice(0, 4096)); // warm the code paths up
    const baseline = Math.max(timeOf(() => plainScan(text)), 0.5);
    const parser = timeOf(() => parse(text));
    if (process.env.RATIO_TRACE) console.log(_name, (parser / baseline).toFixed(2));
    expect(parser / baseline, `parser ${parser.toFixed(1)} ms, baseline ${baseline.toFixed(1)} ms`).toBeLessThanOrEqual(MAX_RATIO);
  });

  it('the linear scan still finds what the old regex found', () => {
    expect(extractXmlMessage('<Notification><MessageId>1</MessageId><Message>a&amp;b</Message></Notification>')).toBe('a&b');
    expect(extractXmlMessage('<Message attr="1">x</Message >')).toBe('x');
    expect(extractXmlMessage('<Message\n>y</Message>')).toBe('y');
    expect(extractXmlMessage('<Message><![CDATA[<raw>&amp;]]></Message>')).toBe('<raw>&amp;');
    expect(extractXmlMessage('<Message>a</Messagex></Message>')).toBe('a</Messagex>');
    expect(extractXmlMessage('<Messages>a</Messages>')).toBeUndefined();
    expect(extractXmlMessage('<Message>unclosed')).toBeUndefined();
    expect(extractXmlMessage('<Message attr')).toBeUndefined();
  });
});
