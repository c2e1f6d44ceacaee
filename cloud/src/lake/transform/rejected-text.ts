/** Characters of a refused record kept in the error output: enough to see what it was. */
export const REJECTED_TEXT_MAX_CHARS = 4_096;

// Not fatal: a record refused for bad UTF-8 is still shown, with U+FFFD where the bad bytes were.
const lenient = new TextDecoder('utf-8');

/** A refused record's text for errors/, cut at REJECTED_TEXT_MAX_CHARS with its full size noted. */
export function rejectedText(data: Uint8Array, maxChars = REJECTED_TEXT_MAX_CHARS): string {
  // Decode no more than could be shown (4 bytes per character at most).
  const head = data.byteLength > maxChars * 4 ? data.subarray(0, maxChars * 4) : data;
  const text = lenient.decode(head);
  if (text.length <= maxChars && head === data) return text;
  return `${text.slice(0, maxChars)}… (truncated, ${data.byteLength} bytes in all)`;
}
