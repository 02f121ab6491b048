/** nflens's command line: the command, its files, and --flags (--flag value, --flag=value). */

/** Flags that may be given more than once. */
const REPEATABLE = ['docker-inspect'];

export interface Args {
  readonly command: string | undefined;
  readonly files: string[];
  readonly flags: Map<string, string>;
}

export function parseArgs(argv: readonly string[]): Args {
  const files: string[] = [];
  const flags = new Map<string, string>();
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      const value = eq > 0 ? a.slice(eq + 1) : ['help', 'version', 'local', 'verbose'].includes(name) ? 'true' : (argv[++i] ?? '');
      // Repeatable: the values add up, comma-separated as one flag would take them.
      flags.set(name, REPEATABLE.includes(name) && flags.has(name) ? `${flags.get(name)},${value}` : value);
    } else if (a === '-h') flags.set('help', 'true');
    else if (!command) command = a;
    else files.push(a);
  }
  return { command, files, flags };
}
