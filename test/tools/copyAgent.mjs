// Part of `npm run build`: the kernel lab's traffic agent ships beside the CLI bundle
// (server/out/agent.mjs), where `nflens verify` looks for it (server/src/verify/agentPath.ts).
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
mkdirSync(join(root, 'server', 'out'), { recursive: true });
copyFileSync(join(root, 'server', 'src', 'verify', 'agent.mjs'), join(root, 'server', 'out', 'agent.mjs'));
