// `npm start` (after the build): the main job on the bundled examples — run the
// checker over every file in examples/ and print what it finds.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const examples = join(root, 'examples');
const files = [];
(function walk(d) {
  for (const n of readdirSync(d).sort()) {
    const p = join(d, n);
    if (statSync(p).isDirectory()) walk(p);
    else if (/(^rules\.v[46]$|\.rules$|\.iptables$|iptables.*\.save$)/.test(n)) files.push(relative(root, p));
    else if (/(^|\/)(default|sysconfig)\/docker$|(^|\/)daemon\.json$|docker\.service$/.test(relative(examples, p))) files.push(relative(root, p));
  }
})(examples);

console.log(`Netfilter Lens: checking ${files.length} file(s) in examples/: iptables rules the way iptables-restore would load them, Docker daemon options the way dockerd would read them.\n`);
const r = spawnSync(process.execPath, [join(root, 'server/out/nflens.js'), 'check', ...files], { stdio: 'inherit', cwd: root });
console.log('\n(examples/mistakes/ is wrong on purpose. Open examples/ in VS Code with the extension installed to see the same findings in the editor.)');
process.exit(r.status === 1 || r.status === 0 ? 0 : r.status ?? 1);
