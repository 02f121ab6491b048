// Dev tool for the differential test: print, replay and shrink generated files.
//
//   [DIFF_MUTATIONS=…] node test/out/tools/differential.js SEED INDEX [--reduce [--strict]] [--backend nft|legacy]
//
// Prints file INDEX of run SEED with line numbers, the kernel's and our verdict
// for each backend; with --reduce, shrinks the file (lines, then words) while
// the kernel and we still disagree, and prints the smallest file found.
import { analyzeIptables } from '../../server/src/lang/iptables/analyze';
import { loadVerdict } from '../../server/src/lang/iptables/verdict';
import { loadWithKernel, type Backend } from '../helpers/oracle';
import { generateFile, numbered, splitWords } from '../helpers/restoreGenerator';

type Family = 'ipv4' | 'ipv6';
const STRICT = process.argv.includes('--strict');

function verdicts(text: string, backend: Backend, family: Family): { agree: boolean; kernel: string; ours: string; kind: string } {
  const k = loadWithKernel(text, backend, family);
  let v;
  try {
    v = loadVerdict(analyzeIptables(text, { backend, family }).diagnostics);
  } catch (e) {
    return { agree: false, kernel: k.ok ? 'loads' : `fails at line ${k.line}`, ours: `throws ${String(e)}`, kind: 'throws' };
  }
  const ourLine = v.first?.restore?.reportedLine ?? null;
  const agree = v.loads === k.ok && (k.ok || ourLine === k.line);
  return {
    agree,
    // The kind of disagreement, kept while shrinking (with --strict: also the text of the line iptables names).
    kind: `${k.ok ? 'k-ok' : k.line === null ? 'k-noline' : 'k-fail'}/${v.loads ? 'ok' : v.first!.code}${STRICT && k.line ? `/${text.split('\n')[k.line - 1]}/${k.stderr.replace(/\d+/g, '#')}` : ''}`,
    kernel: k.ok ? 'loads' : `fails at line ${k.line}: ${k.stderr.trim().split('\n').slice(-1)[0]}`,
    ours: v.loads ? 'loads' : `fails at line ${ourLine}: [${v.first!.code}] ${v.first!.message}`,
  };
}

function reduce(text: string, backend: Backend, family: Family): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const final = text.endsWith(eol);
  let lines = text.split(eol);
  if (final) lines.pop();
  const join = (ls: string[]): string => ls.join(eol) + (final ? eol : '');
  const kind = verdicts(text, backend, family).kind;
  const bad = (ls: string[]): boolean => {
    const v = verdicts(join(ls), backend, family);
    return !v.agree && v.kind === kind;
  };
  // Lines: ddmin-style, chunks then single lines.
  for (let chunk = Math.max(1, Math.floor(lines.length / 2)); chunk >= 1; chunk = Math.floor(chunk / 2)) {
    for (let i = 0; i < lines.length; ) {
      const cand = [...lines.slice(0, i), ...lines.slice(i + chunk)];
      if (cand.length && bad(cand)) lines = cand;
      else i += chunk;
    }
    if (chunk === 1) break;
  }
  // Words of each line.
  for (let li = 0; li < lines.length; li++) {
    let words = splitWords(lines[li]!);
    for (let i = 0; i < words.length; ) {
      const w = [...words.slice(0, i), ...words.slice(i + 1)];
      const cand = [...lines];
      cand[li] = w.join(' ');
      if (bad(cand)) {
        words = w;
        lines = cand;
      } else i++;
    }
  }
  return join(lines);
}

const args = process.argv.slice(2);
const seed = Number(args[0]);
const index = Number(args[1]);
if (!Number.isInteger(seed) || !Number.isInteger(index)) {
  console.error('usage: differential.js SEED INDEX [--reduce] [--backend nft|legacy]');
  process.exit(2);
}
const only = process.env.DIFF_MUTATIONS ? process.env.DIFF_MUTATIONS.split(',').map((x) => x.trim()) : undefined;
const f = generateFile(seed, index, only ? { mutations: only } : {});
const bi = args.indexOf('--backend');
const backends: Backend[] = bi >= 0 ? [args[bi + 1] as Backend] : ['nft', 'legacy'];
console.log(`# seed ${seed} file #${index} ${f.family} ${f.mutated ? `mutated: ${f.mutations.join('; ')}` : `valid, focus ${f.focus}`}`);
console.log(numbered(f.text));
for (const b of backends) {
  const v = verdicts(f.text, b, f.family);
  console.log(`${v.agree ? 'agree   ' : 'DISAGREE'} ${b}: kernel ${v.kernel} | ours ${v.ours}`);
  if (!v.agree && args.includes('--reduce')) {
    const small = reduce(f.text, b, f.family);
    const sv = verdicts(small, b, f.family);
    console.log(`--- reduced (${b}): kernel ${sv.kernel} | ours ${sv.ours}`);
    console.log(numbered(small));
  }
}
