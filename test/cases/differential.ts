import type { RuleCase } from '../helpers/ruleCases';

/**
 * Regression cases from the differential test against the kernel
 * (test/kernel/differential.kernel.test.ts) whose fix belongs to the core
 * parser (restoreParser.ts, ruleParser.ts, kernelChecks.ts, verdict order).
 * Every expectation, and every `line` (the line iptables-restore names; the
 * lines of caseFile(): 1 is "*table", then the built-in chains, the user
 * chains, the rules, COMMIT), was checked against iptables 1.8.9 on Linux 6.18.
 */

const U = { chains: ['U'] } as const;
const v6 = { family: 'ipv6' } as const;

/** iptables-nft turns QUEUE into an nf_tables verdict the kernel refuses (ENOENT), reachable or not. */
const NFT_QUEUE: readonly RuleCase[] = [
  { rules: '-A INPUT -j QUEUE', expect: 'error', legacy: 'ok', line: 5 },
  { rules: '-A U -p tcp -j QUEUE', ...U, expect: 'error', legacy: 'ok', line: 6 },
  { rules: '-A INPUT -j NFQUEUE --queue-num 0', expect: 'ok' },
  // A QUEUE rule with two u32 matches: iptables-nft 1.8.9's batch preparation then breaks the next
  // command (ENOSPC) — a bug of that version; we name the QUEUE rule itself.
  { rules: ['-A INPUT -m u32 --u32 0=1 -m u32 --u32 0=2 -j QUEUE', '-A INPUT -j ACCEPT'], expect: 'error', legacy: 'ok', envDependent: true },
];

/** iptables-nft: "! -s ADDR/0" becomes a zero-length payload compare, which the kernel refuses (EINVAL). */
const NFT_NEGATED_ZERO_MASK: readonly RuleCase[] = [
  { rules: '-A INPUT ! -s 0.0.0.0/0 -j ACCEPT', expect: 'error', legacy: 'ok', line: 5 },
  { rules: '-A INPUT ! -d 10.0.0.0/0.0.0.0 -j ACCEPT', expect: 'error', legacy: 'ok', line: 5 },
  { rules: '-A INPUT ! -s ::/0 -j ACCEPT', ...v6, expect: 'error', legacy: 'ok', line: 5 },
  { rules: '-A INPUT -s 0.0.0.0/0 -d 0/0 -j ACCEPT', expect: 'ok' },
];

/**
 * iptables-nft reports in phases: at COMMIT it prepares each command in file
 * order (its jump target first: "Chain 'X' does not exist", named at the
 * COMMIT line; then the command: "line N failed"), and only then the kernel
 * batch ("line N: RULE_APPEND failed"). A line read as a rule ("COMMIT ")
 * stops the load before anything is committed.
 */
const PHASES: readonly RuleCase[] = [
  // The jump target is checked before the chain the rule goes to.
  { rules: '-A PREROUTING -p tcp -j nosuch', expect: 'error', line: 6, legacyLine: 5 },
  // "COMMIT " is a bad rule: the table is never committed, so ULOG is never refused.
  { rules: ['-A INPUT -j ULOG', 'COMMIT '], expect: 'error', line: 6 },
  // -X of a busy chain fails in the kernel batch; the chain is already gone for the next command.
  { rules: ['-A U -j ACCEPT', '-X U', '-A U -j DROP'], ...U, expect: 'error', line: 8, legacyLine: 7 },
];

/** iptables-nft checks a jump target when it prepares the command: the chain must exist by then. */
const NFT_JUMP_BEFORE_DECLARATION: readonly RuleCase[] = [
  { rules: ['-A INPUT -j X', '-N X'], expect: 'error', line: 7, legacyLine: 5 },
  { rules: ['-A INPUT -j X', ':X - [0:0]'], expect: 'error', line: 7, legacyLine: 5 },
  { rules: ['-N X', '-A INPUT -j X'], expect: 'ok' },
];

/**
 * -E: iptables-nft renames by handle, which a chain created in the same batch
 * does not have yet (CHAIN_RENAME fails, ENOENT, at the -E line); its cache
 * keeps the old name. iptables-legacy refuses new names longer than 31
 * bytes (its chain label buffer; not 28) and the names ACCEPT, DROP, QUEUE,
 * RETURN (not other targets).
 */
const RENAME: readonly RuleCase[] = [
  { rules: '-E U V', ...U, expect: 'error', legacy: 'ok', line: 6 },
  { rules: ['-E U V', '-A INPUT -j U'], ...U, expect: 'error', line: 6, legacyLine: 7 },
  { rules: '-E INPUT V', expect: 'error', line: 5 },
  { rules: `-E U ${'V'.repeat(31)}`, ...U, expect: 'error', legacy: 'ok', line: 6 },
  { rules: `-E U ${'V'.repeat(32)}`, ...U, expect: 'error', line: 6 },
  { rules: '-E U ACCEPT', ...U, expect: 'error', line: 6 },
  { rules: '-E U LOG', ...U, expect: 'error', legacy: 'ok', line: 6 },
  // (A renamed chain with rules: nftGraph must not lose track of them.)
  { rules: ['-A U -j RETURN', '-E U V'], ...U, expect: 'error', legacy: 'ok', line: 7 },
  { rules: ['-A INPUT -j U', '-I U -p tcp -j RETURN', '-E U V'], ...U, table: 'mangle', expect: 'error', legacy: 'ok', line: 10 },
];

/**
 * -Z: iptables-nft zeroes only chains that exist (a built-in chain exists once
 * declared or used in the batch) and replaces, by handle, every rule with
 * non-zero "-c" counters, which fails for rules of the same batch (EINVAL at
 * the -Z line). -Z CHAIN N: legacy needs a rule N; iptables-nft 1.8.9
 * segfaults when there is one (nothing loads).
 */
const ZERO: readonly RuleCase[] = [
  { rules: '-Z INPUT', bare: true, expect: 'error', legacy: 'ok', line: 2 },
  { rules: ['-A INPUT -j ACCEPT', '-Z INPUT'], bare: true, expect: 'ok' },
  { rules: '-F INPUT', bare: true, expect: 'ok' },
  { rules: ['-A INPUT -j ACCEPT -c 1 2', '-Z'], expect: 'error', legacy: 'ok', line: 6 },
  { rules: ['-A INPUT -j ACCEPT -c 0 5', '-Z INPUT'], expect: 'error', legacy: 'ok', line: 6 },
  { rules: ['-A INPUT -j ACCEPT -c 0 0', '-Z'], expect: 'ok' },
  { rules: ['[1:2] -A INPUT -j ACCEPT', '-Z'], expect: 'ok' },
  { rules: ['-A INPUT -j ACCEPT', '-Z INPUT 2'], expect: 'ok', legacy: 'error', legacyLine: 6 },
  { rules: '-Z INPUT 1', expect: 'ok', legacy: 'error', legacyLine: 5 },
  { rules: ['-A INPUT -j ACCEPT', '-Z INPUT 1'], expect: 'error', legacy: 'ok' },
];

/**
 * -D CHAIN N needs a rule N, and deletes it: what it deleted is not checked
 * at COMMIT. (iptables-nft validates the final table; only when that fails
 * does it replay the batch, and then a state the batch passed through counts.)
 */
const DELETE_NUMBER: readonly RuleCase[] = [
  { rules: ['-A INPUT -j A', '-A A -j A', '-D INPUT 1'], chains: ['A'], expect: 'ok' },
  { rules: ['-A INPUT -j B', '-A B -m owner --uid-owner 0', '-D INPUT 1'], chains: ['B'], expect: 'ok' },
  { rules: ['-A INPUT -j A', '-A A -j A', '-D INPUT 1', '-A B -m owner --uid-owner 0', '-A INPUT -j B'], chains: ['A', 'B'], expect: 'error', line: 8, legacyLine: 12 },
  { rules: '-D INPUT 1', expect: 'error', line: 5 },
  { rules: ['-A INPUT -j ACCEPT', '-D INPUT 2'], expect: 'error', line: 6 },
  { rules: ['-A INPUT -j ACCEPT', '-D INPUT 1', '-D INPUT 1'], expect: 'error', line: 7 },
  { rules: ['-A INPUT -j ACCEPT', '-A INPUT -j DROP', '-D INPUT 2'], expect: 'ok' },
];

/**
 * iptables-nft "-I CHAIN N" (1 < N ≤ rule count) inserts next to rule N of
 * the batch; deleting that rule later in the batch fails the insert (ENOENT).
 */
const NFT_INSERT_REFERENCE: readonly RuleCase[] = [
  { rules: ['-A U -j ACCEPT', '-A U -j DROP', '-I U 2 -j RETURN', '-D U -j DROP'], ...U, expect: 'error', legacy: 'ok', line: 8 },
  { rules: ['-A U -j ACCEPT', '-A U -j DROP', '-I U 2 -j RETURN', '-D U 3'], ...U, expect: 'error', legacy: 'ok', line: 8 },
  { rules: ['-A U -j ACCEPT', '-I U 1 -j RETURN', '-D U -j ACCEPT'], ...U, expect: 'ok' },
  { rules: ['-A U -j ACCEPT', '-A U -j DROP', '-D U 2', '-I U 2 -j RETURN'], ...U, expect: 'ok' },
];

/** "-s a,b" (and "-d a,b") adds one rule per address pair: rule numbers and -D count them. */
const MULTI_ADDRESS: readonly RuleCase[] = [
  { rules: ['-A INPUT -s 1.1.1.1,2.2.2.2 -j ACCEPT', '-I INPUT 3 -j DROP'], expect: 'ok' },
  { rules: ['-A INPUT -s 1.1.1.1,2.2.2.2 -d 3.3.3.3,4.4.4.4 -j ACCEPT', '-D INPUT 4'], expect: 'ok' },
  { rules: ['-A INPUT -s 1.1.1.1,2.2.2.2 -j ACCEPT', '-D INPUT -s 1.1.1.1 -j ACCEPT', '-D INPUT -s 2.2.2.2 -j ACCEPT'], expect: 'ok' },
  { rules: ['-A INPUT -s 1.1.1.1 -j ACCEPT', '-A INPUT -s 2.2.2.2 -j ACCEPT', '-D INPUT -s 2.2.2.2,1.1.1.1 -j ACCEPT'], expect: 'ok' },
  { rules: ['-A INPUT -s 1.1.1.1,2.2.2.2 -j ACCEPT', '-D INPUT 2', '-D INPUT -s 1.1.1.1,2.2.2.2 -j ACCEPT'], expect: 'error', line: 7 },
  { rules: ['-A INPUT -s 1.1.1.1,2.2.2.2 -j ACCEPT', '-I INPUT 4 -j DROP'], expect: 'error', line: 6 },
];

/**
 * Kernel objects shared by name across rules and tables (per network
 * namespace): xt_hashlimit tables must agree on --hashlimit-rate-match,
 * RATEEST estimators on interval and ewmalog. The later rule is refused
 * (EINVAL): iptables-nft names it, legacy the COMMIT of its table.
 */
const HL = '-A INPUT -m hashlimit --hashlimit-name h --hashlimit-upto 5/s';
const RE = '-j RATEEST --rateest-name e --rateest-interval 250ms';
const SHARED_OBJECTS: readonly RuleCase[] = [
  { rules: [HL, `${HL} --hashlimit-rate-match`], expect: 'error', line: 6, legacyLine: 7 },
  { rules: [`${HL} --hashlimit-rate-match`, HL], expect: 'error', line: 6, legacyLine: 7 },
  { rules: [HL, 'COMMIT', '*mangle', `${HL} --hashlimit-rate-match`], expect: 'error', line: 8, legacyLine: 9 },
  { rules: [HL, `${HL.replace('-name h', '-name H')} --hashlimit-rate-match`], expect: 'ok' },
  { rules: [HL, `${HL} --hashlimit-mode srcip --hashlimit-htable-size 1024 --hashlimit-burst 9`], expect: 'ok' },
  { rules: [`-A INPUT ${RE} --rateest-ewmalog 1s`, `-A FORWARD ${RE} --rateest-ewmalog 2s`], expect: 'error', line: 6, legacyLine: 7 },
  { rules: [`-A INPUT ${RE} --rateest-ewmalog 1s`, 'COMMIT', '*mangle', `-A FORWARD ${RE.replace('250ms', '0.5s')} --rateest-ewmalog 1s`], expect: 'error', line: 8, legacyLine: 9 },
  { rules: [`-A INPUT ${RE} --rateest-ewmalog 1s`, `-A FORWARD ${RE} --rateest-ewmalog 1s`], expect: 'ok' },
];

/**
 * "-4"/"-6" of the other family makes do_parse() return at once: a command
 * already parsed still runs, with the options read so far. Rule commands then
 * have no address pair to add or delete and do nothing, even for a chain that
 * does not exist; chain commands (-N -X -F -Z -P -E, -D N) run as usual.
 * Legacy loads a -j target while parsing, so an unknown one still fails.
 */
const OTHER_FAMILY: readonly RuleCase[] = [
  { rules: ['-A U -j ACCEPT', '-X U -6'], ...U, expect: 'error', line: 7 },
  { rules: ['-A U -j ACCEPT', '-X U -4'], ...U, ...v6, expect: 'error', line: 7 },
  { rules: ['-A U -j ACCEPT', '-6 -X U'], ...U, expect: 'ok' },
  { rules: ['-N V -6', '-A V -j ACCEPT'], expect: 'ok' },
  { rules: '-F NOSUCH -6', expect: 'error', line: 5 },
  { rules: '-D INPUT 1 -6', expect: 'error', line: 5 },
  { rules: ['-A INPUT -j ACCEPT -6', '-D INPUT -j ACCEPT'], expect: 'error', line: 6 },
  { rules: '-A NOSUCH -j ACCEPT -6', expect: 'ok' },
  { rules: '-A INPUT -p tcp --dport 99999 -6', expect: 'error', line: 5 },
  { rules: '-A INPUT -j NOSUCH -6', expect: 'ok', legacy: 'error', legacyLine: 5 },
];

/**
 * iptables-nft "-F CHAIN" drops the rules the batch was to add to that chain;
 * "-F" without a chain flushes in the kernel instead, so those rules still
 * reach it (and are still refused), and deleting their chain later fails
 * (EBUSY, at the -X line).
 */
const NFT_FLUSH_ALL: readonly RuleCase[] = [
  { rules: ['-A U -j ACCEPT', '-F', '-X U'], ...U, expect: 'error', legacy: 'ok', line: 8 },
  { rules: ['-A U -j ACCEPT', '-F', '-X'], ...U, expect: 'error', legacy: 'ok', line: 8 },
  { rules: ['-A INPUT -j U', '-F', '-X'], ...U, expect: 'error', legacy: 'ok', line: 8 },
  { rules: ['-A U -j ACCEPT', '-F U', '-X U'], ...U, expect: 'ok' },
  { rules: ['-A INPUT -j U', '-F INPUT', '-X U'], ...U, expect: 'ok' },
  // "-F CHAIN" drops the rules the batch was to add to that chain: the kernel never sees them.
  { rules: ['-A INPUT -j OUTPUT', '-F INPUT'], expect: 'ok', legacy: 'error', legacyLine: 5 },
  { rules: ['-A INPUT -j OUTPUT', '-F'], expect: 'error', line: 5 },
  // The cache still lists the batch's rules after a bare "-F": -D/-I/-C by number or spec see them.
  { rules: ['-A U -j ACCEPT', '-F', '-D U 1'], ...U, expect: 'ok', legacy: 'error', legacyLine: 8 },
  { rules: ['-A U -j ACCEPT', '-F', '-D U 2'], ...U, expect: 'error', line: 8 },
  { rules: ['-A U -j ACCEPT', '-F', '-D U -j ACCEPT', '-X U'], ...U, expect: 'ok', legacy: 'error', legacyLine: 8 },
  { rules: ['-A U -j ACCEPT', '-F', '-I U 2 -j DROP'], ...U, expect: 'ok', legacy: 'error', legacyLine: 8 },
  { rules: ['-A U -j ACCEPT', '-F', '-I U 3 -j DROP'], ...U, expect: 'error', line: 8 },
  { rules: ['-A U -j ACCEPT', '-F', '-C U -j ACCEPT'], ...U, expect: 'ok', legacy: 'error', legacyLine: 8 },
  { rules: ['-A INPUT -j QUEUE', '-F INPUT'], expect: 'ok' },
  { rules: ['-A INPUT -j QUEUE', '-D INPUT -j QUEUE'], expect: 'error', legacy: 'ok', line: 5 },
];

/** iptables-nft deletes an empty built-in chain (-X INPUT); with rules it refuses ("Directory not empty"). */
const NFT_DELETE_BUILTIN: readonly RuleCase[] = [
  { rules: '-X INPUT', expect: 'ok', legacy: 'error', legacyLine: 5 },
  { rules: ['-X INPUT', '-A INPUT -j ACCEPT'], expect: 'ok', legacy: 'error', legacyLine: 5 },
  { rules: ['-A INPUT -j ACCEPT', '-X INPUT'], expect: 'error', line: 6 },
  { rules: '-X INPUT', bare: true, expect: 'error', line: 2 },
];

/**
 * iptables-nft "-X" without a chain makes its cache forget every chain,
 * built-in ones included, with their rules. A built-in chain with rules stays
 * in the kernel; an empty one is never created. Until -A, -I, -P or -F names
 * it again (an empty chain in the cache; the kernel keeps its rules), -Z, -D,
 * -R, -X and -E of it fail ("No chain/target/match by that name"), as do -D
 * and -C by rule ("Bad rule"). These fail while the batch is prepared, so
 * they are named before a kernel error of an earlier line (EBUSY of -X).
 */
const NFT_DELETE_ALL: readonly RuleCase[] = [
  { rules: ['-A INPUT -j ACCEPT', '-X', '-Z INPUT'], expect: 'error', legacy: 'ok', line: 7 },
  { rules: ['-X', '-Z INPUT'], expect: 'error', legacy: 'ok', line: 6 },
  { rules: ['-A OUTPUT -j ACCEPT', '-X', '-Z OUTPUT'], expect: 'error', legacy: 'ok', line: 7 },
  { rules: ['-A INPUT -j ACCEPT', '-X', '-D INPUT 1'], expect: 'error', legacy: 'ok', line: 7 },
  { rules: ['-A INPUT -j ACCEPT', '-X', '-D INPUT -j ACCEPT'], expect: 'error', legacy: 'ok', line: 7 },
  { rules: ['-A INPUT -j ACCEPT', '-X', '-C INPUT -j ACCEPT'], expect: 'error', legacy: 'ok', line: 7 },
  { rules: ['-A INPUT -j ACCEPT', '-X', '-X INPUT'], expect: 'error', line: 7 },
  { rules: ['-A INPUT -j ACCEPT', '-X', '-I INPUT 1 -j DROP'], expect: 'ok' },
  { rules: ['-A INPUT -j ACCEPT', '-X', '-P INPUT DROP'], expect: 'ok' },
  { rules: ['-A INPUT -j ACCEPT', '-X', '-Z'], expect: 'ok' },
  { rules: ['-A INPUT -j ACCEPT', '-X', '-F INPUT', '-Z INPUT'], expect: 'ok' },
  { rules: ['-A INPUT -j ACCEPT', '-X', '-P INPUT DROP', '-Z INPUT'], expect: 'ok' },
  { rules: ['-A INPUT -j ACCEPT', '-X', '-P INPUT DROP', '-D INPUT 1'], expect: 'error', legacy: 'ok', line: 8 },
  { rules: ['-A INPUT -j ACCEPT', '-X', '-A INPUT -j DROP', '-D INPUT 1'], expect: 'ok' },
  { rules: ['-A INPUT -j ACCEPT', '-X', '-A INPUT -j DROP', '-D INPUT 2'], expect: 'error', legacy: 'ok', line: 8 },
  { rules: ['-A INPUT -j ACCEPT', '-X', '-A INPUT -j DROP', '-D INPUT -j ACCEPT'], expect: 'error', legacy: 'ok', line: 8 },
  { rules: ['-A INPUT -j ACCEPT', '-X', '-A INPUT -j DROP', '-I INPUT 2 -j RETURN'], expect: 'ok' },
  // A kernel error (EBUSY deleting U) on an earlier line loses to a failure while preparing.
  { rules: ['-A U -j ACCEPT', '-F', '-X', '-Z INPUT'], ...U, table: 'nat', expect: 'error', legacy: 'ok', line: 10 },
];

/**
 * -p, -s, -d, -i, -o and -j take their value from argv[optind - 1]: with the
 * argument attached ("-ptcp", "--protocol=tcp", "-s1.2.3.4", "-jACCEPT") that
 * is the whole word, option included. (-g and -m use the real argument.)
 */
const ATTACHED_ARGUMENT: readonly RuleCase[] = [
  { rules: '-A INPUT --protocol=udp -j ACCEPT', expect: 'error', line: 5 },
  { rules: '-A INPUT -ptcp --dport 80 -j ACCEPT', expect: 'error', line: 5 },
  { rules: '-A INPUT -s1.2.3.4 -j ACCEPT', expect: 'error', line: 5 },
  { rules: '-A INPUT --destination=1.2.3.4 -j ACCEPT', expect: 'error', line: 5 },
  { rules: '-A INPUT --in-interface=eth0 -j ACCEPT', expect: 'error', line: 5 },
  { rules: '-A INPUT -ieth0 -j ACCEPT', expect: 'ok' },
  { rules: '-A INPUT -jACCEPT', expect: 'error', line: 6, legacyLine: 5 },
  { rules: '-A INPUT --jump=U', ...U, expect: 'error', line: 7, legacyLine: 6 },
  { rules: '-A INPUT --goto=U', ...U, expect: 'ok' },
  { rules: '-A INPUT -p tcp --match=tcp --dport=22 -j ACCEPT', expect: 'ok' },
];

/**
 * The nf_tables kernel checks a rule's expressions when the rule is added
 * (table, protocol, checkentry, and the hook of a base chain), but hooks
 * reached through jumps, loops and nesting depth only when it validates the
 * table, after the whole batch — and only if nothing failed at once. Then it
 * replays the batch and every rule from the one that breaks the table on fails.
 */
const NFT_VALIDATE_AFTER_BATCH: readonly RuleCase[] = [
  { rules: ['-A INPUT -j X', '-A X -m owner --uid-owner 0', '-A OUTPUT -m mac --mac-source 00:11:22:33:44:55'], chains: ['X'], expect: 'error', line: 8, legacyLine: 9 },
  { rules: ['-A INPUT -j X', '-A X -m owner --uid-owner 0', '-A INPUT -j CT --notrack'], chains: ['X'], expect: 'error', line: 8, legacyLine: 9 },
  { rules: ['-A INPUT -j X', '-A X -m owner --uid-owner 0', '-A X -j X'], chains: ['X'], expect: 'error', line: 7, legacyLine: 9 },
];

/**
 * -h / -V on a rule line: iptables-restore prints and exits with status 0
 * right there. Nothing after it is read, and errors iptables-nft would only
 * have reported at COMMIT never happen (legacy has reported its own already).
 */
const EXIT: readonly RuleCase[] = [
  { rules: ['-A INPUT -h', '-A NOSUCH -j ACCEPT'], expect: 'ok' },
  { rules: ['-A INPUT -p tcp -V', 'bogus'], expect: 'ok' },
  { rules: ['-A NOSUCH -j ACCEPT', '-A INPUT --help'], expect: 'ok', legacy: 'error', legacyLine: 5 },
  { rules: ['-A INPUT -j QUEUE', '-A INPUT -V'], expect: 'ok' },
  { rules: ['-A INPUT -j ACCEPT', 'COMMIT', '*nat', '-A INPUT -V'], expect: 'ok' },
];

/**
 * iptables-restore reads with fgets(buf, 10240): a longer line arrives in
 * pieces of 10239 bytes, each parsed as a line of its own (the first without
 * its newline), numbered one after the other.
 */
const PIECE = 10239;
const LONG_LINES: readonly RuleCase[] = [
  { rules: `-A${' '.repeat(10300)}INPUT -j ACCEPT`, expect: 'error', line: 5 },
  { rules: `-A INPUT -j ACCEPT${' '.repeat(10300)}-j DROP`, expect: 'error', line: 6 },
  { rules: `-A INPUT -j ACCEPT${' '.repeat(PIECE - 18)}-A INPUT -j DROP`, expect: 'ok' },
  { rules: [`-A INPUT -j ACCEPT${' '.repeat(PIECE - 18)}-A INPUT -j DROP`, '-D INPUT -j DROP', '-D INPUT -j ACCEPT'], expect: 'ok' },
  { rules: [`-A INPUT -j ACCEPT${' '.repeat(PIECE - 18)}-A INPUT -j DROP`, '-D INPUT 3'], expect: 'error', line: 7 },
  // At most 251 words on a rule line (MAX_ARGC 255 counts the program name, "-t TABLE" and one more).
  { rules: `-A INPUT -j ACCEPT${' -v'.repeat(247)}`, expect: 'ok' },
  { rules: `-A INPUT -j ACCEPT${' -v'.repeat(248)}`, expect: 'error', line: 5 },
];

export const CASES: readonly RuleCase[] = [
  ...NFT_QUEUE,
  ...NFT_NEGATED_ZERO_MASK,
  ...PHASES,
  ...NFT_JUMP_BEFORE_DECLARATION,
  ...RENAME,
  ...ZERO,
  ...DELETE_NUMBER,
  ...NFT_INSERT_REFERENCE,
  ...MULTI_ADDRESS,
  ...SHARED_OBJECTS,
  ...OTHER_FAMILY,
  ...NFT_FLUSH_ALL,
  ...NFT_DELETE_BUILTIN,
  ...NFT_DELETE_ALL,
  ...ATTACHED_ARGUMENT,
  ...NFT_VALIDATE_AFTER_BATCH,
  ...EXIT,
  ...LONG_LINES,
];
