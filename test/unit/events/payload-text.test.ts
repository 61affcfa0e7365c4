import { describe, expect, it } from 'vitest';
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
