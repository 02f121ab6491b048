// Dev tool: compare our load verdict with the kernel's for files given on the command line.
import { readFileSync } from 'node:fs';
import { parseIptables } from '../../server/src/lang/iptables/restoreParser';
import { loadVerdict } from '../../server/src/lang/iptables/verdict';
import { loadWithKernel, type Backend } from '../helpers/oracle';

const backends: Backend[] = process.env.BACKEND ? [process.env.BACKEND as Backend] : ['nft', 'legacy'];
let bad = 0;
for (const f of process.argv.slice(2)) {
  const text = readFileSync(f, 'utf8');
  for (const backend of backends) {
    const family = /ip6tables|\.v6$|ip6/.test(f) ? 'ipv6' : 'ipv4';
    const ours = parseIptables(text, { backend, family });
    const v = loadVerdict(ours.diagnostics);
    const k = loadWithKernel(text, backend, family);
    const ourLine = v.first?.restore?.reportedLine ?? null;
    const agree = v.loads === k.ok && (k.ok || ourLine === k.line);
    if (!agree) bad++;
    if (!agree || process.env.VERBOSE) {
      console.log(`${agree ? 'OK ' : 'BAD'} ${backend} ${f}: kernel ${k.ok ? 'loads' : `fails line ${k.line}`} | ours ${v.loads ? 'loads' : `fails line ${ourLine}: ${v.first?.code} ${v.first?.message}`}`);
      if (!k.ok && !agree) console.log('   kernel: ' + k.stderr.trim().split('\n').slice(0, 3).join(' / '));
    }
  }
}
console.log(`${bad} disagreements`);
