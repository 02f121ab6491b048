/**
 * Where the lab's traffic agent (agent.mjs, run by Node inside each
 * namespace) is: NFLENS_AGENT if set; next to the running bundle (the build
 * copies it to server/out/); else its source in server/src/verify/, found
 * from wherever a test bundle runs.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function agentPath(env: NodeJS.ProcessEnv = process.env, from: string = __dirname): string {
  if (env.NFLENS_AGENT) return env.NFLENS_AGENT;
  const beside = join(from, 'agent.mjs');
  if (existsSync(beside)) return beside;
  for (let dir = from; ; dir = dirname(dir)) {
    const source = join(dir, 'server', 'src', 'verify', 'agent.mjs');
    if (existsSync(source)) return source;
    if (dirname(dir) === dir) return beside;
  }
}
