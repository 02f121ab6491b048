/**
 * u32 match (extensions/libxt_u32.c; kernel net/netfilter/xt_u32.c): tests
 * on 32-bit words read at computed offsets of the packet. Kept parsed, but
 * the emulator treats it as opaque.
 */
import { xtStrtoul } from '../../cnum';
import { defineExtension } from '../../extension';

/** How a location step combines with the value so far: &, <<, >>, or @ (move to that offset and read). */
export type U32Op = 'and' | 'shl' | 'shr' | 'at';

export interface U32Test {
  /** First number, then (op, number) steps, as written (at most 10 numbers). */
  start: number;
  steps: Array<{ op: U32Op; number: number }>;
  /** The word must fall in one of these inclusive ranges [lo, hi] (at most 10). */
  ranges: Array<[number, number]>;
}

export interface U32Match {
  /** All tests must hold (at most 10). */
  tests: U32Test[];
  invert: boolean;
}

/** XT_U32_MAXSIZE */
const MAX = 10;
const OP_TEXT: Record<U32Op, string> = { and: '&', shl: '<<', shr: '>>', at: '@' };
const isSpace = (ch: string | undefined): boolean => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\v' || ch === '\f' || ch === '\r';

/** u32_parse(): the test grammar, with libxt_u32's character positions in errors. */
export function parseU32(arg: string, fail: (m: string) => never): U32Test[] {
  const tests: U32Test[] = [];
  let cur: U32Test = { start: 0, steps: [], ranges: [] };
  let nums = 0;
  let state: 'location' | 'values' = 'location';
  let i = 0;
  const number = (): number => {
    const r = xtStrtoul(arg, 0, 0xffffffff, false, i);
    if (!r || r.end === i) fail(`u32: at char ${i}: not a number or out of range`);
    i = r.end;
    return Number(r.value);
  };
  for (;;) {
    while (isSpace(arg[i])) i++;
    if (i >= arg.length) {
      if (state === 'location') fail('u32: abrupt end of input after location specifier');
      if (cur.ranges.length === 0) fail('u32: test ended with no value specified');
      tests.push(cur);
      if (tests.length > MAX) fail(`u32: at char ${i}: too many "&&"s`);
      return tests;
    }
    if (state === 'location') {
      if (arg[i] === '=') {
        if (nums === 0) fail(`u32: at char ${i}: location spec missing`);
        i++;
        state = 'values';
        continue;
      }
      let op: U32Op | undefined;
      if (nums !== 0) {
        const ch = arg[i];
        if (ch === '&') op = 'and';
        else if (ch === '<') {
          if (arg[++i] !== '<') fail(`u32: at char ${i}: a second '<' was expected`);
          op = 'shl';
        } else if (ch === '>') {
          if (arg[++i] !== '>') fail(`u32: at char ${i}: a second '>' was expected`);
          op = 'shr';
        } else if (ch === '@') op = 'at';
        else fail(`u32: at char ${i}: operator expected`);
        i++;
      }
      const n = number();
      if (op) cur.steps.push({ op, number: n });
      else cur.start = n;
      if (++nums > MAX) fail(`u32: at char ${i}: too many operators`);
    } else if (arg[i] === '&') {
      if (arg[++i] !== '&') fail(`u32: at char ${i}: a second '&' was expected`);
      if (cur.ranges.length === 0) fail(`u32: at char ${i}: value spec missing`);
      tests.push(cur);
      if (tests.length > MAX) fail(`u32: at char ${i}: too many "&&"s`);
      cur = { start: 0, steps: [], ranges: [] };
      nums = 0;
      i++;
      state = 'location';
    } else {
      if (cur.ranges.length > 0) {
        if (arg[i] !== ',') fail(`u32: at char ${i}: expected "," or "&&"`);
        i++;
      }
      const lo = number();
      while (isSpace(arg[i])) i++;
      let hi = lo;
      if (arg[i] === ':') {
        i++;
        hi = number();
      }
      cur.ranges.push([lo, hi]);
      if (cur.ranges.length > MAX) fail(`u32: at char ${i}: too many ","s`);
    }
  }
}

const hex = (n: number): string => `0x${n.toString(16)}`;

function testText(t: U32Test): string {
  const loc = hex(t.start) + t.steps.map((s) => OP_TEXT[s.op] + hex(s.number)).join('');
  return `${loc}=${t.ranges.map(([lo, hi]) => (lo === hi ? hex(lo) : `${hex(lo)}:${hex(hi)}`)).join(',')}`;
}

export const u32 = defineExtension<U32Match>({
  kind: 'match',
  name: 'u32',
  summary: 'Tests 32-bit words read at computed packet offsets (e.g. "0>>22&0x3C@12>>26&0x3F=0x10").',
  options: [{ name: 'u32', id: 0, type: 'string', mand: true, invert: true, doc: 'tests: location=value[,value…][&&location=value…]' }],
  init: () => ({ tests: [], invert: false }),
  parse(c) {
    c.data.invert = c.invert;
    c.data.tests = parseU32(c.arg ?? '', (m) => c.fail(m, 'Syntax: location=range[,range…][&&…], where location is a number followed by &N, <<N, >>N or @N steps and a range is N or N:M.'));
  },
  save: (d) => `${d.invert ? '! ' : ''}--u32 "${d.tests.map(testText).join('&&')}"`,
  describe: (d) => `${d.invert ? 'not ' : ''}u32 ${d.tests.map(testText).join(' && ')} (not evaluated by the emulator)`,
});
