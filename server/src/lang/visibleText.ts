/**
 * Words for people, with the control characters a user's file may hold written out: a rules file
 * saved with Windows line ends puts "\r" at the end of each line's last word, and an error that
 * quoted it raw said `unknown reject type "icmp-port-unreachable"` while listing that very type as
 * valid (and a terminal printing it moved back to the start of the line). Line breaks and tabs stay;
 * so does every character JSON.stringify leaves as it is, so that JSON text passes through unchanged.
 */
const CONTROL = /[\x00-\x08\x0b-\x1f]/g;

const NAMED: Readonly<Record<string, string>> = { '\r': '\\r', '\0': '\\0', '\x1b': '\\e' };

export function showControls(s: string): string {
  CONTROL.lastIndex = 0;
  if (!CONTROL.test(s)) return s;
  return s.replace(CONTROL, (c) => NAMED[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
