import { SegmentedMessage } from 'sms-segments-calculator';

export type SmsEncoding = 'GSM-7' | 'UCS-2';

/** How an SMS text travels, which is what providers bill. */
export interface SmsLength {
  /** GSM-7 when every character is in the GSM 03.38 tables, else UCS-2. */
  encoding: SmsEncoding;
  /** Parts the text is sent in: 160 / 153 septets each in GSM-7, 70 / 67 units in UCS-2. */
  segments: number;
  /** Septets (GSM-7: extension-table characters such as € and [ take two) or 16-bit units (UCS-2: an emoji outside the BMP takes two). */
  units: number;
}

/**
 * Counts the segments and encoding of an SMS text, with Twilio's calculator (which also keeps an
 * escaped character or a surrogate pair from being split across two segments).
 */
export function smsLength(text: string): SmsLength {
  const message = new SegmentedMessage(text);
  const encoding = message.encodingName;
  return {
    encoding,
    segments: message.segmentsCount,
    units: message.messageSize / (encoding === 'GSM-7' ? 7 : 16),
  };
}
