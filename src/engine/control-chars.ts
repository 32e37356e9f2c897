/**
 * Unicode Cc control characters (U+0000–U+001F, U+007F–U+009F, which includes \t \n \r): beava
 * refuses them in pushed strings (push-validation.ts), and a schema field whose name holds one is
 * left out of the one-pass push check (registry/compile.ts) so the ordered checks name that error.
 */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Whether s contains a control character. Runs on every push for every string value: for the short
 * strings these usually are, a loop over the char codes is several times cheaper than a RegExp call.
 */
export function hasControlChar(s: string): boolean {
  if (s.length > 64) return CONTROL.test(s);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}
