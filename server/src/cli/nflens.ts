/**
 * nflens — the command-line face of Netfilter Lens. Shares the server's code
 * path: the same analysis functions produce the same diagnostics.
 *
 *   nflens check FILE… [--format text|json|sarif] [--backend nft|legacy] [--family ipv4|ipv6]
 *   nflens analyze RULES [--host HOSTFILE] [--format text|json|sarif] [--backend nft|legacy] [--family ipv4|ipv6]
 *   nflens trace RULES [--host HOSTFILE] --proto tcp|udp|icmp --src IP[:PORT] --dst IP[:PORT] (--in IFACE | --local) [--format text|json]
 *   nflens verify RULES [--host HOSTFILE] --proto … --src … --dst … (--in IFACE | --local) [--format text|json]
 *   nflens verify --workspace FILE --proto … --src CONTAINER --dst CONTAINER[:PORT] [--format text|json]
 */
import { readText } from './readText';
import { analyzeIptables, checkIptables } from '../lang/iptables/analyze';
import type { CleanProof } from '../lang/iptables/cleanProof';
import { dirname, resolve } from 'node:path';
import { anyDockerChain, crossCheck, userlandProxyOf } from '../lang/docker/crossChecks';
import { publishedPortFindings, type ProxySetting } from '../analysis/publishedPorts';
import { analyzeDaemonFile, daemonHostDir, isDaemonOptionsPath, type DaemonOptions } from '../lang/docker/daemonFile';
import type { Ruleset } from '../lang/iptables/ruleset';
import type { Diagnostic } from '../lang/diagnostic';
import type { Backend } from '../lang/iptables/extension';
import type { Family } from '../lang/iptables/inet';
import { toJson, toSarif, toText, type FileResult } from './format';
import { parseArgs } from './args';
import { runTrace, runWorkspaceTrace } from './trace';
import { runAnalyze } from './analyze';
import { analyzeReachability } from '../analysis/reachability';
import { reachFindings } from '../analysis/findings';
import { runVerify } from './verify';
import { showControls } from '../lang/visibleText';

const VERSION = '0.1.0';

const USAGE = `Usage:
  nflens check FILE... [--format text|json|sarif] [--backend nft|legacy] [--family ipv4|ipv6] [--docker-version X.Y]
  nflens analyze RULES [--host HOSTFILE] [--format text|json|sarif] [--backend nft|legacy] [--family ipv4|ipv6]
  nflens trace RULES [--host HOSTFILE] --proto tcp|udp|icmp --src IP[:PORT] --dst IP[:PORT]
               (--in IFACE | --local) [--format text|json] [--assume match|no-match] [--seed N] [--verbose] [--docker-inspect FILE[,FILE]]...
  nflens trace --workspace FILE --proto icmp|udp|tcp --src CONTAINER --dst CONTAINER|IP[:PORT] [--format text|json]
  nflens verify RULES [--host HOSTFILE] --proto tcp|udp|icmp --src IP[:PORT]|NAME --dst IP[:PORT]|NAME
               (--in IFACE | --local) [--format text|json] [--assume match|no-match] [--seed N]
  nflens verify --workspace FILE --proto icmp|udp|tcp --src CONTAINER --dst CONTAINER[:PORT] [--format text|json] [--assume match|no-match] [--seed N]

  check   Report what iptables-restore would refuse when loading each file; for Docker daemon
          option files (…/default/docker, …/sysconfig/docker, docker.service[.d/*.conf], daemon.json)
          what dockerd would refuse and what is unsafe
          (errors, on the line it names), plus warnings. Exit status 1 when
          any error is found, 2 on bad usage or unreadable files. Without --family, a rules
          file is read as IPv6 when its header (ip6tables-save), its name (rules.v6,
          …ip6tables…) or its addresses say so.
  analyze List the rules no packet reaches (shadowed by earlier rules, alone or together;
          conditions that cannot hold; chains never entered) and redundant rules, each with
          the rules that block it and an example packet, then a summary per chain.
  trace   Follow one conversation (TCP handshake, data and close; a UDP
          exchange; or an ICMP echo) through the rules the way the kernel
          would, and tell it as a story (or print the events as JSON).
          --in IFACE: the first packet arrives on IFACE; --local: a local
          process sends it. Exit status 0 when the conversation completes,
          3 when it does not, 2 on bad usage.
  verify  Send that conversation for real (Linux, root): the host's topology is built in
          throwaway network namespaces, the rules loaded with iptables-nft-restore, and the
          kernel's trace (xtables-monitor) compared with the emulator's, packet by packet.
          Exit status 0 when they agree, 1 at the first difference (printed), 2 on bad
          usage or when the machine cannot run the lab (the reason is printed), 3 when
          the lab fails. Nothing outside its namespaces is touched.
`;

/**
 * What the CLI prints, with control characters a user's file may hold written out (a rule's text or a
 * word quoted from it: a raw "\r" or escape sequence would move a terminal's cursor or worse).
 */
const out = (s: string): void => void process.stdout.write(showControls(s));
const err = (s: string): void => void process.stderr.write(showControls(s));

function fail(msg: string): never {
  err(`nflens: ${msg}\n\n${USAGE}`);
  process.exit(2);
}

/** Rules files up to this size get the reachability findings in `check` too (larger ones: `nflens analyze`). */
const CHECK_REACH_MAX_RULES = 25000;

function checkReachability(rs: Ruleset, lines: readonly string[]): Diagnostic[] {
  let n = 0;
  for (const t of rs.tables.values()) for (const c of t.chains.values()) n += c.rules.length;
  if (rs.family !== 'ipv4' || n > CHECK_REACH_MAX_RULES) return [];
  return reachFindings(rs, analyzeReachability(rs), { lineText: (l) => lines[l]?.replace(/\r$/, '') });
}

/**
 * Whether the checks after the rules' own need the model of a file proven clean: reachability (up to
 * CHECK_REACH_MAX_RULES), and Docker's published ports and the host's daemon options, which have
 * something to say only about rules with Docker's chains.
 */
function modelNeeded(proof: CleanProof): boolean {
  return proof.rules <= CHECK_REACH_MAX_RULES || anyDockerChain(proof.tables.values());
}

export function main(argv: readonly string[]): number {
  const args = parseArgs(argv);
  if (args.flags.has('version')) {
    out(`nflens ${VERSION}\n`);
    return 0;
  }
  if (args.flags.has('help') || !args.command) {
    out(USAGE);
    return args.command ? 0 : 2;
  }
  if (args.command === 'trace' && args.flags.has('workspace')) {
    try {
      return runWorkspaceTrace(args.flags, out, err);
    } catch (e) {
      fail((e as Error).message);
    }
  }
  if (args.command === 'trace') {
    if (args.files.length !== 1) fail('trace needs exactly one rules file');
    try {
      return runTrace({ rules: args.files[0]!, flags: args.flags }, out, err);
    } catch (e) {
      fail((e as Error).message);
    }
  }
  if (args.command === 'analyze') {
    if (args.files.length !== 1) fail('analyze needs exactly one rules file');
    try {
      return runAnalyze({ rules: args.files[0]!, flags: args.flags }, out, err, VERSION);
    } catch (e) {
      fail((e as Error).message);
    }
  }
  if (args.command !== 'check') fail(`unknown command "${args.command}"`);
  const format = args.flags.get('format') ?? 'text';
  if (!['text', 'json', 'sarif'].includes(format)) fail(`--format must be text, json or sarif (got "${format}")`);
  const backend = (args.flags.get('backend') ?? 'nft') as Backend;
  if (backend !== 'nft' && backend !== 'legacy') fail('--backend must be nft or legacy');
  const familyFlag = args.flags.get('family');
  if (familyFlag && familyFlag !== 'ipv4' && familyFlag !== 'ipv6') fail('--family must be ipv4 or ipv6');
  if (args.files.length === 0) fail('check needs at least one file');
  const results: FileResult[] = [];
  type Mutable = { file: string; diagnostics: Diagnostic[] };
  const daemons: { file: string; options: DaemonOptions; result: Mutable }[] = [];
  const rulesFiles: { file: string; ruleset: Ruleset; result: Mutable; lines: string[] }[] = [];
  for (const file of args.files) {
    let text: string;
    try {
      text = readText(file);
    } catch (e) {
      err(`nflens: cannot read ${file}: ${(e as Error).message}\n`);
      return 2;
    }
    if (isDaemonOptionsPath(file)) {
      const fileName = file.split(/[\\/]/).pop() ?? file;
      const d = analyzeDaemonFile(text, { fileName, version: args.flags.get('docker-version') ?? '' });
      const result: Mutable = { file, diagnostics: [...d.diagnostics] };
      results.push(result);
      daemons.push({ file, options: d.value, result });
      continue;
    }
    const options = { backend, family: (familyFlag as Family | undefined) ?? 'auto', fileName: file } as const;
    // A clean file needs no model unless something below reads it.
    const quick = checkIptables(text, options);
    if (quick.proof && !modelNeeded(quick.proof)) {
      results.push({ file, diagnostics: [...quick.diagnostics] });
      continue;
    }
    const analysis = quick.analysis ?? analyzeIptables(text, options);
    const result: Mutable = { file, diagnostics: [...analysis.diagnostics] };
    results.push(result);
    rulesFiles.push({ file, ruleset: analysis.parsed.ruleset, result, lines: text.split('\n') });
  }
  // Daemon options and rules of the same host (same folder; option files may sit in default/, sysconfig/, docker/).
  for (const r of rulesFiles) {
    let proxy: ProxySetting = { on: true };
    for (const d of daemons) {
      if (resolve(daemonHostDir(d.file) || '.') !== resolve(dirname(r.file))) continue;
      const x = crossCheck(d.options, r.ruleset, d.file);
      const p = userlandProxyOf(d.options, d.file);
      if (p.source) proxy = p;
      r.result.diagnostics.push(...x.onRules);
      d.result.diagnostics.push(...x.onDaemon.map((diag) => ({ ...diag, message: `${diag.message} (rules: ${r.file})` })));
    }
    r.result.diagnostics.push(...publishedPortFindings(r.ruleset, proxy));
    r.result.diagnostics.push(...checkReachability(r.ruleset, r.lines));
    r.result.diagnostics.sort((a, b) => a.span.start.line - b.span.start.line || a.span.start.col - b.span.start.col);
  }
  if (format === 'json') out(`${JSON.stringify(toJson(results), null, 2)}\n`);
  else if (format === 'sarif') out(`${JSON.stringify(toSarif(results, VERSION), null, 2)}\n`);
  else {
    const text = toText(results);
    if (text) out(`${text}\n`);
    const errors = results.reduce((n, r) => n + r.diagnostics.filter((d) => d.severity === 'error').length, 0);
    const warnings = results.reduce((n, r) => n + r.diagnostics.filter((d) => d.severity === 'warning').length, 0);
    out(`${results.length} file(s): ${errors} error(s), ${warnings} warning(s)\n`);
  }
  return results.some((r) => r.diagnostics.some((d) => d.severity === 'error')) ? 1 : 0;
}

/** main, and the commands that run asynchronously (verify). */
export async function mainAsync(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.command !== 'verify' || args.flags.has('help')) return main(argv);
  const overlay = args.flags.has('workspace');
  if (args.files.length !== (overlay ? 0 : 1)) fail(overlay ? 'verify --workspace takes no rules file: the workspace names each host\'s' : 'verify needs exactly one rules file');
  return runVerify({ rules: args.files[0] ?? '', flags: args.flags }, out, err);
}

if (require.main === module) {
  // A reader that stops early (`nflens analyze big.rules | head`) closes the pipe: stop quietly, as
  // other command-line tools do, instead of dying on an unhandled EPIPE.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(0);
  });
  mainAsync(process.argv.slice(2)).then(
    // Once all the output has left: a pipe to a slower reader (`| less`, `| wc -l`) queues what it cannot
    // take yet, and exiting at once cut the output short. (Write callbacks run in order: this one last.)
    (code) => void process.stdout.write('', () => process.exit(code)),
    (e: unknown) => {
      err(`nflens: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(3);
    },
  );
}
