import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bytesToText, decodeBase64Text, decodeXmlEntities, extractXmlMessage } from '../../../shared/events/payload-text.js';

describe('payload text decoders', () => {
  it('bytesToText is strict UTF-8 and drops a BOM', () => {
    expect(bytesToText(Buffer.from('\uFEFF数据', 'utf8'))).toBe('数据');
    expect(bytesToText(Buffer.from([0xc3, 0x28]))).toBeUndefined();
  });

  it('decodeBase64Text accepts padded base64 (line breaks tolerated) of UTF-8 only', () => {
    const text = '{"events":[{"k":"数据/🚀"}]}';
    const encoded = Buffer.from(text).toString('base64');
    expect(decodeBase64Text(encoded)).toBe(text);
    expect(decodeBase64Text(encoded.replace(/(.{16})/g, '$1\n'))).toBe(text);
    expect(decodeBase64Text('TEST')).toBeUndefined(); // valid alphabet, but not UTF-8 once decoded
    expect(decodeBase64Text('abc')).toBeUndefined(); // not a multiple of 4
    expect(decodeBase64Text('ab-_')).toBeUndefined(); // base64url alphabet
    expect(decodeBase64Text('')).toBeUndefined();
  });

  it('bytesToText: only one BOM is dropped, other bytes as decoded; a Uint8Array view is read in place', () => {
    expect(bytesToText(Buffer.from('\uFEFF\uFEFFa', 'utf8'))).toBe('\uFEFFa');
    expect(bytesToText(Buffer.from('a\uFEFF', 'utf8'))).toBe('a\uFEFF');
    expect(bytesToText(new Uint8Array(0))).toBe('');
    const backing = new Uint8Array([0xff, 0x61, 0x62, 0xff]);
    expect(bytesToText(backing.subarray(1, 3))).toBe('ab');
    expect(bytesToText(backing)).toBeUndefined();
    expect(bytesToText(Buffer.from([0xed, 0xa0, 0x80]))).toBeUndefined(); // an encoded surrogate is not UTF-8
    expect(bytesToText(Buffer.from([0xe6, 0x95]))).toBeUndefined(); // truncated sequence
  });

  it('decodeBase64Text: the rule is the alphabet-and-padding pattern, not what Buffer happens to accept', () => {
    expect(decodeBase64Text('QR==')).toBe('A'); // non-zero spare bits: the pattern accepts them
    expect(decodeBase64Text('QUJ=')).toBe('AB');
    expect(decodeBase64Text('QQ==')).toBe('A');
    expect(decodeBase64Text(' QU\r\nJD\t')).toBe('ABC');
    expect(decodeBase64Text('QQ')).toBeUndefined(); // unpadded
    expect(decodeBase64Text('QQ==QQ==')).toBeUndefined(); // padding inside
    expect(decodeBase64Text('Q===')).toBeUndefined();
    expect(decodeBase64Text('QUJD!===')).toBeUndefined(); // Buffer would skip the "!"
    expect(decodeBase64Text('  \n ')).toBeUndefined();
  });

  it('bytesToText: ASCII, UTF-8 and invalid bytes; decodeBase64Text: canonical, wrapped and non-canonical base64 (issue 11 fast paths)', () => {
    expect(bytesToText(Buffer.from('{"a":"b"}'))).toBe('{"a":"b"}');
    expect(bytesToText(Buffer.from('{"a":"é"}'))).toBe('{"a":"é"}');
    expect(bytesToText(Buffer.from([0x7b, 0xc3]))).toBeUndefined();
    const body = JSON.stringify({ events: [{ key: '数据/a' }] });
    const encoded = Buffer.from(body).toString('base64');
    expect(decodeBase64Text(encoded)).toBe(body);
    expect(decodeBase64Text(encoded.replace(/(.{8})/g, '$1\n'))).toBe(body);
    expect(decodeBase64Text('QR==')).toBe(bytesToText(Buffer.from('QR==', 'base64'))); // spare bits set: the pattern accepts it
    expect(decodeBase64Text('QUJD-_8=')).toBeUndefined(); // URL alphabet: Buffer decodes it, the rule does not
  });

  it('decodeBase64Text decides as the pattern does, for any text', () => {
    const rule = (text: string): string | undefined => {
      const compact = text.replace(/\s+/g, '');
      if (compact.length === 0 || !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(compact)) return undefined;
      return bytesToText(Buffer.from(compact, 'base64'));
    };
    const char = fc.constantFrom(...'QUJDRSaz09+/-_= \n!'.split(''));
    fc.assert(fc.property(fc.array(char, { maxLength: 16 }).map((c) => c.join('')), (text) => {
      expect(decodeBase64Text(text)).toBe(rule(text));
    }), { numRuns: 2000 });
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 24 }), (text) => {
      const encoded = Buffer.from(text).toString('base64');
      expect(decodeBase64Text(encoded)).toBe(rule(encoded));
    }));
    // The fast path judges by the decoded length: canonical base64 of UTF-8 with one to three characters
    // replaced by anything (white space, `=`, the URL alphabet, non-ASCII…), so the length still divides by 4.
    const anyChar = fc.oneof(char, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }), fc.constantFrom('=', '\u0000', '\u00e9', '+', '/'));
    const mutated = fc.tuple(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).map((t) => Buffer.from(t).toString('base64')),
      fc.array(fc.tuple(fc.nat(), anyChar), { minLength: 1, maxLength: 3 }),
    ).map(([encoded, edits]) => {
      const chars = [...encoded];
      for (const [at, replacement] of edits) chars[at % chars.length] = replacement;
      return chars.join('');
    });
    fc.assert(fc.property(mutated, (text) => {
      expect(decodeBase64Text(text)).toBe(rule(text));
    }), { numRuns: 5000 });
  });

  it('decodeXmlEntities decodes once', () => {
    expect(decodeXmlEntities('&lt;a&gt; &amp;lt; &quot;&apos; &#26681; &#x1F680; &bogus;')).toBe('<a> &lt; "\' 根 🚀 &bogus;');
  });

  it('extractXmlMessage takes <Message>, not <MessageId>/<MessageMD5>/<MessageTag>', () => {
    const xml = '<Notification><MessageId>ID</MessageId><MessageTag>t</MessageTag><Message>{&quot;a&quot;:1}</Message><MessageMD5>M</MessageMD5></Notification>';
    expect(extractXmlMessage(xml)).toBe('{"a":1}');
  });

  it('extractXmlMessage reads CDATA verbatim and reports a missing element', () => {
    expect(extractXmlMessage('<Notification><Message><![CDATA[{"k":"a&amp;b"}]]></Message></Notification>')).toBe('{"k":"a&amp;b"}');
    expect(extractXmlMessage('<Notification><MessageId>1</MessageId></Notification>')).toBeUndefined();
  });
});
