/**
 * bpf match (extensions/libxt_bpf.c, revision 1; kernel net/netfilter/xt_bpf.c).
 *
 * `--bytecode` takes the text nfbpf_compile prints: "N,code jt jf k,code jt jf k,...".
 * The userspace parse is mirrored exactly; the kernel then runs the classic
 * BPF verifier (bpf_check_classic in net/core/filter.c), which is mirrored
 * too: allowed opcodes, jump bounds, division by a zero constant, scratch
 * memory slots (and reading one before it is written), ancillary loads, and a
 * final RET. `--object-pinned` needs a pinned eBPF program on the host, which
 * cannot be checked from the file: it is accepted as written.
 */
import { defineExtension } from '../../extension';
import type { OptionCall } from '../../xtoptions';
import { cStrtoul } from './util';

interface BpfInsn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export interface BpfMatch {
  program?: BpfInsn[];
  pinned?: string;
}

const O_BCODE = 0;
const O_PINNED = 1;
const MAX_INSNS = 64;

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

/** One scanf("%u")-style conversion at `pos`: whitespace, sign, decimal digits. */
function scanUnsigned(s: string, pos: number): { value: bigint; end: number } | undefined {
  let i = pos;
  while (isSpace(s[i])) i++;
  const r = cStrtoul(s, i, 10);
  if (r.end === i) return undefined;
  return { value: r.value, end: r.end };
}

/** bpf_parse_string(): the instruction count, then one "code jt jf k" per comma. */
export function parseBytecode(text: string, fail: (m: string) => never): BpfInsn[] {
  const head = scanUnsigned(text, 0);
  if (!head || text[head.end] !== ',') fail('bpf: error parsing program length');
  const len = Number(head.value & 0xffffn);
  if (len === 0) fail('bpf: illegal zero length program');
  if (len > MAX_INSNS) fail('bpf: number of instructions exceeds maximum');
  const out: BpfInsn[] = [];
  let at = text.indexOf(',');
  while (at >= 0 && at + 1 < text.length) {
    const token = at + 1;
    if (out.length >= len) fail('bpf: real program length exceeds the encoded length parameter');
    const fields: bigint[] = [];
    let pos = token;
    for (let f = 0; f < 4; f++) {
      const r = scanUnsigned(text, pos);
      if (!r) break;
      fields.push(r.value);
      pos = r.end;
    }
    if (fields.length !== 4) fail(`bpf: error at instr ${out.length}`);
    out.push({
      code: Number(fields[0]! & 0xffffn),
      jt: Number(fields[1]! & 0xffn),
      jf: Number(fields[2]! & 0xffn),
      k: Number(fields[3]! & 0xffffffffn),
    });
    at = text.indexOf(',', token);
  }
  if (out.length !== len) fail('bpf: parsed program length is less than the encoded length parameter');
  return out;
}

/** Opcodes chk_code_allowed() accepts. */
const ALLOWED = new Set<number>([
  // ALU (K and X forms) and NEG
  0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x94, 0x9c, 0x54, 0x5c, 0x44, 0x4c, 0xa4, 0xac, 0x64, 0x6c, 0x74, 0x7c, 0x84,
  // loads
  0x20, 0x28, 0x30, 0x80, 0x40, 0x48, 0x50, 0x00, 0x60, 0x81, 0xb1, 0x01, 0x61,
  // stores, misc, returns
  0x02, 0x03, 0x07, 0x87, 0x06, 0x16,
  // jumps
  0x05, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d,
]);
const COND_JUMPS = new Set([0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d]);
const SKF_AD_OFF = 0xfffff000;

/** bpf_check_classic() + check_load_and_stores(): a reason, or undefined. */
export function checkClassicBpf(prog: readonly BpfInsn[]): string | undefined {
  const flen = prog.length;
  for (let pc = 0; pc < flen; pc++) {
    const t = prog[pc]!;
    if (!ALLOWED.has(t.code)) return `instruction ${pc}: opcode ${t.code} is not a classic BPF instruction`;
    switch (t.code) {
      case 0x34:
      case 0x94:
        if (t.k === 0) return `instruction ${pc}: division by a zero constant`;
        break;
      case 0x64:
      case 0x74:
        if (t.k >= 32) return `instruction ${pc}: shift by ${t.k} (at most 31)`;
        break;
      case 0x60:
      case 0x61:
      case 0x02:
      case 0x03:
        if (t.k >= 16) return `instruction ${pc}: scratch memory slot ${t.k} does not exist (0-15)`;
        break;
      case 0x05:
        if (t.k >= flen - pc - 1) return `instruction ${pc}: jump past the end of the program`;
        break;
      case 0x20:
      case 0x28:
      case 0x30:
        if (t.k >= SKF_AD_OFF && !((t.k - SKF_AD_OFF) % 4 === 0 && t.k - SKF_AD_OFF < 64)) {
          return `instruction ${pc}: unknown ancillary load`;
        }
        break;
      default:
        if (COND_JUMPS.has(t.code) && (pc + t.jt + 1 >= flen || pc + t.jf + 1 >= flen)) {
          return `instruction ${pc}: jump past the end of the program`;
        }
    }
  }
  const last = prog[flen - 1]?.code;
  if (last !== 0x06 && last !== 0x16) return 'the last instruction must be a return';
  const masks = new Array<number>(flen).fill(0xffff);
  let valid = 0;
  for (let pc = 0; pc < flen; pc++) {
    valid &= masks[pc]!;
    const t = prog[pc]!;
    if (t.code === 0x02 || t.code === 0x03) valid |= 1 << t.k;
    else if (t.code === 0x60 || t.code === 0x61) {
      if (!(valid & (1 << t.k))) return `instruction ${pc}: reads scratch slot ${t.k} before anything is stored there`;
    } else if (t.code === 0x05) {
      masks[pc + 1 + t.k] = masks[pc + 1 + t.k]! & valid;
      valid = 0xffff;
    } else if (COND_JUMPS.has(t.code)) {
      masks[pc + 1 + t.jt] = masks[pc + 1 + t.jt]! & valid;
      masks[pc + 1 + t.jf] = masks[pc + 1 + t.jf]! & valid;
      valid = 0xffff;
    }
  }
  return undefined;
}

export const bpf = defineExtension<BpfMatch>({
  kind: 'match',
  name: 'bpf',
  summary: 'Matches packets accepted by a classic BPF program (or a pinned eBPF program).',
  options: [
    { name: 'bytecode', id: O_BCODE, type: 'string', doc: 'program as "N,code jt jf k,..." (nfbpf_compile output)' },
    { name: 'object-pinned', id: O_PINNED, type: 'string', size: 512, doc: 'path of a pinned eBPF object in bpffs' },
  ],
  init: () => ({}),
  parse(c: OptionCall<BpfMatch>) {
    if (c.option.id === O_BCODE) c.data.program = parseBytecode(c.arg ?? '', (m) => c.fail(m));
    else {
      c.data.pinned = c.val.str ?? '';
      c.warn(`The pinned eBPF object "${c.data.pinned}" must exist when the rules are loaded, or the kernel refuses the rule.`, 'must-exist-at-load');
    }
  },
  finalCheck(c) {
    const f = c.xflags & ((1 << O_BCODE) | (1 << O_PINNED));
    if (f !== 1 << O_BCODE && f !== 1 << O_PINNED) c.fail('bpf: one of --bytecode or --pinned is required');
  },
  kernel: {
    check(ctx) {
      const p = ctx.data.program;
      if (!p) return undefined;
      const why = checkClassicBpf(p);
      return why ? `the kernel's BPF verifier refuses the program (${why})` : undefined;
    },
  },
  describe: (d) => (d.pinned !== undefined ? `packets accepted by the pinned eBPF program ${d.pinned}` : `packets accepted by a ${d.program?.length ?? 0}-instruction BPF program`),
});
