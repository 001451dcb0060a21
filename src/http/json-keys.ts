/**
 * How many member names the top-level object of a JSON text spells out, counting repeats. JSON.parse keeps the
 * last of two equal names silently; a token request that names a parameter twice must be refused instead
 * (RFC 6749 §3.2: "Request and response parameters MUST NOT be included more than once"), as the form parser
 * does. Comparing this count with the parsed object's own keys tells whether a name was repeated, including
 * repeats spelled differently ("a" and "\u0061").
 *
 * Call only on text JSON.parse has accepted: this is a scanner for valid JSON, not a validator.
 */
export function topLevelMemberCount(text: string): number {
  let depth = 0;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i = endOfString(text, i);
      // A string directly inside the top-level object followed by ':' is a member name.
      if (depth === 1 && nextSignificant(text, i + 1) === 0x3a /* : */) count++;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return count;
}

/** Index of the closing quote of the string whose opening quote is at `open`. */
function endOfString(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) i++;
    else if (c === 0x22) return i;
  }
  return text.length;
}

/** The first character code at or after `from` that is not JSON whitespace (-1 at the end). */
function nextSignificant(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return c;
  }
  return -1;
}
