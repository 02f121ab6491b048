/**
 * A proof, in one pass over the text and without building the model, that
 * an IPv4 file in iptables-save's own shape loads and gets no diagnostic but
 * the lints it finds itself (user chains nothing jumps to, tables that change
 * nothing): what `nflens check` needs to know about a clean 170,000-rule dump,
 * in a fraction of the full parse's time (the full parse makes several
 * objects per rule for the editor's features; this makes none).
 *
 * It accepts only what it is sure of: comment lines, table headers, chain
 * lines, COMMIT, and "-A" rules (with or without iptables-save -c's
 * "[packets:bytes]" before them) of a narrow grammar (the base options, the
 * matches comment, tcp, udp, multiport, statistic, mark, conntrack, state,
 * addrtype, and the targets ACCEPT, DROP, RETURN, DNAT, SNAT, MASQUERADE,
 * MARK, REJECT and jumps), each value in a form that is valid wherever it
 * stands. Over the whole table: every jump lands on a chain declared above
 * it, the jump graph has no loop and no deep nesting, every restricted
 * target stands in its table and is reached only from hooks it allows (a
 * chain nothing jumps to is reached from none). Anything else, or anything
 * it is not sure of, gives undefined, and the caller runs the full parse
 * (analyze.ts: checkIptables), which finds and explains what is wrong.
 *
 * test/unit/lang/cleanProof.test.ts holds it against the full parse: a file
 * proven clean gets there, with either backend, exactly the proof's lints.
 */
import { findTarget } from './extensions/registry';
import { BUILTIN_CHAINS, isTableName } from './tables';
import { ALL_HOOKS, HOOK_BIT, maskOf } from './ruleFacts';
import { ProofTable } from './cleanTable';
import { chainNameProblem } from './ruleSupport';
import { HOOKS, type Hook } from './extension';
import type { Diagnostic } from '../diagnostic';

export interface CleanTable {
  readonly rules: number;
  /** What the lints find (lints.ts): user chains no rule jumps to, a table that changes nothing. */
  readonly diagnostics: readonly Diagnostic[];
  /** Its chains' names, in the order declared. */
  readonly chains: readonly string[];
}

export interface CleanProof {
  /** Per table, in file order. */
  readonly tables: ReadonlyMap<string, CleanTable>;
  readonly rules: number;
  /** The file's only diagnostics, in the order of their lines: the tables' lints. */
  readonly diagnostics: readonly Diagnostic[];
}

/** Longer lines are read by iptables-restore in pieces (lines.ts): left to the full parse. */
const MAX_LINE = 2000;

const SP = 32;
const QUOTE = 34;
const DASH = 45;
const DOT = 46;
const SLASH = 47;
const COLON = 58;

const CT_STATES: ReadonlySet<string> = new Set(['INVALID', 'NEW', 'ESTABLISHED', 'RELATED', 'UNTRACKED', 'SNAT', 'DNAT']);
const STATES: ReadonlySet<string> = new Set(['INVALID', 'NEW', 'ESTABLISHED', 'RELATED', 'UNTRACKED']);
const ADDR_TYPES: ReadonlySet<string> = new Set(['UNSPEC', 'UNICAST', 'LOCAL', 'BROADCAST', 'ANYCAST', 'MULTICAST', 'BLACKHOLE', 'UNREACHABLE', 'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE']);
/** REJECT's reply types as iptables-save writes them (tcp-reset needs `-p tcp`: left to the full parse). */
const REJECT_WITH: ReadonlySet<string> = new Set([
  'icmp-net-unreachable', 'icmp-host-unreachable', 'icmp-proto-unreachable', 'icmp-port-unreachable',
  'icmp-net-prohibited', 'icmp-host-prohibited', 'icmp-admin-prohibited',
]);
const PROTOCOLS: ReadonlySet<string> = new Set(['tcp', 'udp', 'icmp', 'sctp']);
/** Interface names: letters first, then letters, digits, "_", ".", "-", an optional final "+". */
const IFACE = /^[A-Za-z][A-Za-z0-9_.-]{0,14}$|^[A-Za-z][A-Za-z0-9_.-]{0,13}\+$/;
/** Chain names as the full parse takes them without a word (chainNameProblem does the rest). */
const CHAIN = /^[A-Za-z][A-Za-z0-9_.-]*$/;

const enum Proto { None, Tcp, Udp, Other }

/** After a match: the proof fails, the line ends, or the current token starts the next part. */
const enum Next { Fail, End, More }

/** Module bits, one use each per rule. */
const enum Mod { Comment = 1, Tcp = 2, Udp = 4, Multiport = 8, Statistic = 16, Mark = 32, Conntrack = 64, State = 128, Addrtype = 256 }
/** Matches that are refused (or mean nothing) without an option. */
const NEEDS_OPTION = Mod.Comment | Mod.Multiport | Mod.Mark | Mod.Conntrack | Mod.State | Mod.Addrtype;

/** The proof for `text`, or undefined when it takes the full parse to know. */
export function proveClean(text: string): CleanProof | undefined {
  const p = attempt(text);
  return p instanceof Prover ? undefined : p;
}

/**
 * Where the proof gives up: the 0-based line (the end of the text for what
 * only the whole file shows, -1 for a character anywhere), or undefined
 * when it holds. For tests and for finding what a file needs to be proven.
 */
export function proofStopsAt(text: string): number | undefined {
  const p = attempt(text);
  if (!(p instanceof Prover)) return undefined;
  if (p.stop < 0) return -1;
  let line = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < p.stop; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function attempt(text: string): CleanProof | Prover {
  const prover = new Prover(text);
  // Characters whose handling differs between readers, and Windows line ends: the full parse explains them.
  if (text.indexOf('\r') >= 0 || text.indexOf('\t') >= 0 || text.indexOf('\\') >= 0 || text.indexOf('\0') >= 0) return prover;
  return prover.run() ?? prover;
}

class Prover {
  /** The current line [ls, le) and token [a, b). */
  private ls = 0;
  private le = 0;
  private a = 0;
  private b = 0;
  private table: ProofTable | undefined;
  private readonly tables = new Map<string, CleanTable>();
  private rulesTotal = 0;
  private readonly diagnostics: Diagnostic[] = [];
  /** The current line's index. */
  private lineNo = 0;
  /** The chain of the last rule, for the next one (dumps list a chain's rules together). */
  private lastName = '';
  private lastId = -1;
  /** The rule being read. */
  private proto = Proto.None;
  private protoInvert = false;
  private mods = 0;
  /** The line's pair of quotes, and whether a comment took it. */
  private q1 = -1;
  private q2 = -1;
  private quotesTaken = false;
  private nextQuote = -1;

  /** Where it gave up: the offset of the line (-1: before reading). */
  stop = -1;

  constructor(private readonly t: string) {}

  run(): CleanProof | undefined {
    const t = this.t;
    const n = t.length;
    let at = 0;
    while (at < n) {
      let nl = t.indexOf('\n', at);
      if (nl < 0) nl = n;
      this.ls = at;
      this.le = nl;
      if (nl - at > MAX_LINE || !this.line()) {
        this.stop = at;
        return undefined;
      }
      at = nl + 1;
      this.lineNo++;
    }
    if (this.table || this.tables.size === 0) {
      this.stop = n; // no COMMIT, or nothing to load
      return undefined;
    }
    return { tables: this.tables, rules: this.rulesTotal, diagnostics: this.diagnostics };
  }

  private line(): boolean {
    const t = this.t;
    const ls = this.ls;
    if (this.le === ls) return false;
    const c = t.charCodeAt(ls);
    if (c === DASH) return this.table !== undefined && this.rule(ls);
    // iptables-save -c: "[packets:bytes] -A …".
    if (c === 91 /* [ */) {
      const close = this.within(93 /* ] */, ls, this.le);
      return this.table !== undefined && close > 0 && t.charCodeAt(close + 1) === SP && this.counters(ls, close + 1) && this.rule(close + 2);
    }
    if (c === 58 /* : */) return this.chainLine();
    if (c === 35 /* # */) return true;
    if (c === 42 /* * */) return this.header();
    if (c === 67 /* C */) return this.commit();
    return false;
  }

  private header(): boolean {
    if (this.table) return false;
    const name = this.t.slice(this.ls + 1, this.le);
    if (!isTableName(name) || this.tables.has(name)) return false;
    this.table = new ProofTable(name, this.lineNo);
    return true;
  }

  private commit(): boolean {
    const tb = this.table;
    // iptables-legacy wants COMMIT followed by a newline.
    if (!tb || this.le - this.ls !== 6 || !this.t.startsWith('COMMIT', this.ls) || this.le === this.t.length) return false;
    const lints = tb.atCommit();
    if (!lints) return false; // (stops at this COMMIT)
    this.tables.set(tb.name, { rules: tb.rules, chains: tb.names, diagnostics: lints });
    this.diagnostics.push(...lints);
    this.rulesTotal += tb.rules;
    this.table = undefined;
    this.lastId = -1;
    this.lastName = '';
    return true;
  }

  /** ":NAME POLICY [packets:bytes]", every chain before the table's first rule. */
  private chainLine(): boolean {
    const tb = this.table;
    if (!tb || tb.rules > 0) return false;
    const t = this.t;
    const sp1 = this.within(SP, this.ls, this.le);
    if (sp1 < 0) return false;
    const sp2 = this.within(SP, sp1 + 1, this.le);
    if (sp2 < 0 || !this.counters(sp2 + 1, this.le)) return false;
    const name = t.slice(this.ls + 1, sp1);
    if (tb.find(t, this.ls + 1, sp1) >= 0 || !CHAIN.test(name)) return false;
    const hooks = BUILTIN_CHAINS[tb.name as keyof typeof BUILTIN_CHAINS] as readonly string[];
    const builtin = hooks.includes(name);
    const policyLen = sp2 - sp1 - 1;
    if (builtin) {
      if (policyLen === 4 && t.startsWith('DROP', sp1 + 1)) tb.dropPolicy = true;
      else if (!(policyLen === 6 && t.startsWith('ACCEPT', sp1 + 1))) return false;
    } else {
      if (policyLen !== 1 || t.charCodeAt(sp1 + 1) !== DASH) return false;
      // A hook's name in another table, a target's name, an over-long name.
      if (isHookName(name) || chainNameProblem(name)) return false;
    }
    tb.add(name, builtin ? HOOK_BIT[name as Hook] : 0, this.lineNo);
    return true;
  }

  /** "[digits:digits]" exactly filling [from, to). */
  private counters(from: number, to: number): boolean {
    const t = this.t;
    if (t.charCodeAt(from) !== 91 || t.charCodeAt(to - 1) !== 93) return false;
    const colon = this.within(COLON, from, to);
    if (colon < 0) return false;
    return this.digits(from + 1, colon, 20) && this.digits(colon + 1, to - 1, 20);
  }

  private digits(from: number, to: number, max: number): boolean {
    if (to <= from || to - from > max) return false;
    for (let i = from; i < to; i++) {
      const c = this.t.charCodeAt(i);
      if (c < 48 || c > 57) return false;
    }
    return true;
  }

  /** Moves to the next token; false at the end of the line (or on a double blank). */
  private next(): boolean {
    const from = this.b + 1;
    if (from >= this.le) return false;
    const sp = this.t.indexOf(' ', from);
    const end = sp < 0 || sp > this.le ? this.le : sp;
    if (end === from) return false;
    this.a = from;
    this.b = end;
    return true;
  }

  /** Where `code` first is in [from, to), or -1: searches stay inside the token or line they are about. */
  private within(code: number, from: number, to: number): number {
    for (let i = from; i < to; i++) if (this.t.charCodeAt(i) === code) return i;
    return -1;
  }

  private is(word: string): boolean {
    return this.b - this.a === word.length && this.t.startsWith(word, this.a);
  }

  private word(): string {
    return this.t.slice(this.a, this.b);
  }

  /** The rule whose "-A " starts at `at`. */
  private rule(at: number): boolean {
    const tb = this.table!;
    const t = this.t;
    if (t.charCodeAt(at) !== DASH || t.charCodeAt(at + 1) !== 65 /* A */ || t.charCodeAt(at + 2) !== SP) return false;
    this.b = at + 2;
    if (!this.next()) return false;
    // The chain: mostly the one before.
    let chain = this.lastId;
    if (!(this.b - this.a === this.lastName.length && t.startsWith(this.lastName, this.a) && chain >= 0)) {
      const id = tb.find(t, this.a, this.b);
      if (id < 0) return false;
      chain = id;
      this.lastId = id;
      this.lastName = tb.names[id]!;
    }
    tb.rules++;
    tb.rulesOf[chain]!++;
    // The next quote in the text, found again only once passed: a search per line to the next quote would be quadratic in a file without them.
    if (this.nextQuote < this.b) {
      const q = t.indexOf('"', this.b);
      this.nextQuote = q < 0 ? Infinity : q;
    }
    this.q1 = this.nextQuote < this.le ? this.nextQuote : -1;
    if (this.q1 >= 0) {
      this.q2 = t.indexOf('"', this.q1 + 1);
      if (this.q2 < 0 || this.q2 >= this.le) return false;
      // The quote after the pair is the next one to look for.
      const q3 = t.indexOf('"', this.q2 + 1);
      this.nextQuote = q3 < 0 ? Infinity : q3;
      if (q3 < this.le && q3 >= 0) return false;
    }
    this.quotesTaken = false;
    this.proto = Proto.None;
    this.protoInvert = false;
    this.mods = 0;
    const hook = tb.hook[chain]!;
    // Base options: each once, before any match.
    let seen = 0;
    let invert = false;
    let more = this.next();
    while (more) {
      if (this.is('!')) {
        if (invert) return false;
        invert = true;
        more = this.next();
        continue;
      }
      if (this.b - this.a !== 2 || t.charCodeAt(this.a) !== DASH) return false;
      const opt = t.charCodeAt(this.a + 1);
      if (opt === 109 /* m */ || opt === 106 /* j */) break;
      const bit = opt === 115 ? 1 : opt === 100 ? 2 : opt === 105 ? 4 : opt === 111 ? 8 : opt === 112 ? 16 : 0;
      if (!bit || seen & bit || !this.next()) return false;
      seen |= bit;
      if (bit <= 2) {
        if (!this.cidr(invert)) return false;
      } else if (bit <= 8) {
        if (!IFACE.test(this.word())) return false;
        // iptables refuses -i on output hooks and -o on input hooks by chain name.
        if (bit === 4 && hook & (HOOK_BIT.OUTPUT | HOOK_BIT.POSTROUTING)) return false;
        if (bit === 8 && hook & (HOOK_BIT.PREROUTING | HOOK_BIT.INPUT)) return false;
      } else {
        const p = this.word();
        if (!PROTOCOLS.has(p)) return false;
        this.proto = p === 'tcp' ? Proto.Tcp : p === 'udp' ? Proto.Udp : Proto.Other;
        this.protoInvert = invert;
      }
      invert = false;
      more = this.next();
    }
    if (invert) return false;
    // Matches.
    while (more && this.is('-m')) {
      if (!this.next()) return false;
      const r = this.match();
      if (r === Next.Fail) return false;
      more = r === Next.More;
    }
    if (more) {
      if (!this.is('-j') || !this.next() || !this.target(tb, chain)) return false;
    }
    // The line's quotes are the comment's, or there are none.
    return this.b === this.le && (this.q1 < 0 || this.quotesTaken);
  }

  /** A dotted quad with an optional prefix, host bits clear ("! … /0" is refused by iptables-nft). */
  private cidr(invert: boolean): boolean {
    const slash = this.within(SLASH, this.a, this.b);
    const end = slash >= 0 ? slash : this.b;
    const ip = this.quad(this.a, end);
    if (ip < 0) return false;
    if (end === this.b) return true;
    const prefix = this.number(end + 1, this.b, 32);
    if (prefix < 0 || (invert && prefix === 0)) return false;
    const host = prefix === 0 ? 0xffffffff : prefix === 32 ? 0 : (0xffffffff >>> prefix);
    return ((ip & host) >>> 0) === 0;
  }

  /** The address of a dotted quad at [from, to), or -1. */
  private quad(from: number, to: number): number {
    let ip = 0;
    let at = from;
    for (let k = 0; k < 4; k++) {
      const end = k < 3 ? this.within(DOT, at, to) : to;
      if (end < 0) return -1;
      const v = this.number(at, end, 255);
      if (v < 0) return -1;
      ip = ip * 256 + v;
      at = end + 1;
    }
    return ip;
  }

  /** A decimal number without leading zeros at [from, to), at most `max`; -1 otherwise. */
  private number(from: number, to: number, max: number): number {
    if (to <= from || to - from > 10) return -1;
    if (to - from > 1 && this.t.charCodeAt(from) === 48) return -1;
    let v = 0;
    for (let i = from; i < to; i++) {
      const c = this.t.charCodeAt(i);
      if (c < 48 || c > 57) return -1;
      v = v * 10 + (c - 48);
    }
    return v <= max ? v : -1;
  }

  /** A port, or "low:high" with low < high, at [from, to). */
  private ports(from: number, to: number): boolean {
    const colon = this.within(COLON, from, to);
    if (colon < 0) return this.number(from, to, 65535) >= 0;
    const lo = this.number(from, colon, 65535);
    const hi = this.number(colon + 1, to, 65535);
    return lo >= 0 && hi > lo;
  }

  /** "0x" and 1-8 hex digits, or a decimal number below 2^32, at [from, to). */
  private u32(from: number, to: number): boolean {
    const t = this.t;
    if (to - from > 2 && t.charCodeAt(from) === 48 && t.charCodeAt(from + 1) === 120) {
      if (to - from > 10) return false;
      for (let i = from + 2; i < to; i++) {
        const c = t.charCodeAt(i) | 0x20;
        if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
      }
      return true;
    }
    return this.number(from, to, 0xffffffff) >= 0;
  }

  /** "value[/mask]" of u32s at the current token. */
  private markValue(maskAllowed: boolean): boolean {
    const slash = this.within(SLASH, this.a, this.b);
    if (slash < 0) return this.u32(this.a, this.b);
    return maskAllowed && this.u32(this.a, slash) && this.u32(slash + 1, this.b);
  }

  /** A comma-separated list of words of `set` at the current token. */
  private wordList(set: ReadonlySet<string>): boolean {
    for (const w of this.word().split(',')) if (!set.has(w)) return false;
    return true;
  }

  /**
   * The options of the match at the current token ("-m NAME" read): each
   * "[!] --option value" it knows, once. More: the current token is the
   * next part's ("-m" or "-j").
   */
  private match(): Next {
    const name = this.word();
    const bit = MODULES[name];
    if (bit === undefined || this.mods & bit) return Next.Fail;
    this.mods |= bit;
    if ((bit === Mod.Tcp && this.proto !== Proto.Tcp) || (bit === Mod.Udp && this.proto !== Proto.Udp) || ((bit & (Mod.Tcp | Mod.Udp | Mod.Multiport)) && this.protoInvert)) return Next.Fail;
    if (bit === Mod.Multiport && this.proto !== Proto.Tcp && this.proto !== Proto.Udp) return Next.Fail;
    if (bit === Mod.Statistic && !this.statistic()) return Next.Fail;
    let seen = 0;
    let count = 0;
    while (this.next()) {
      let invert = false;
      if (this.is('!')) {
        if (!this.next()) return Next.Fail;
        invert = true;
      }
      if (this.b - this.a < 3 || this.t.charCodeAt(this.a + 1) !== DASH || this.t.charCodeAt(this.a) !== DASH) {
        if (invert) return Next.Fail;
        return count > 0 || !(bit & NEEDS_OPTION) ? Next.More : Next.Fail;
      }
      const opt = bit === Mod.Statistic ? 0 : this.optionBit(bit, invert);
      if (!opt || seen & opt || !this.next()) return Next.Fail;
      seen |= opt;
      count++;
      if (!this.optionValue(bit, opt)) return Next.Fail;
      if (bit === Mod.Multiport && count > 1) return Next.Fail;
    }
    return count > 0 || !(bit & NEEDS_OPTION) ? Next.End : Next.Fail;
  }

  /** The option at the current token, as a bit of its module; 0 when not one this proof knows. */
  private optionBit(mod: number, invert: boolean): number {
    switch (mod) {
      case Mod.Comment:
        return !invert && this.is('--comment') ? 1 : 0;
      case Mod.Tcp:
      case Mod.Udp:
        return this.is('--dport') ? 1 : this.is('--sport') ? 2 : 0;
      case Mod.Multiport:
        return this.is('--dports') ? 1 : this.is('--sports') ? 2 : this.is('--ports') ? 4 : 0;
      case Mod.Mark:
        return this.is('--mark') ? 1 : 0;
      case Mod.Conntrack:
        return this.is('--ctstate') ? 1 : 0;
      case Mod.State:
        return this.is('--state') ? 1 : 0;
      case Mod.Addrtype:
        return this.is('--src-type') ? 1 : this.is('--dst-type') ? 2 : 0;
      default:
        return 0;
    }
  }

  private optionValue(mod: number, opt: number): boolean {
    switch (mod) {
      case Mod.Comment:
        return this.commentText();
      case Mod.Tcp:
      case Mod.Udp:
        return this.ports(this.a, this.b);
      case Mod.Multiport: {
        const list = this.word().split(',');
        if (list.length > 15) return false;
        for (const p of list) if (!/^[1-9][0-9]{0,4}$/.test(p) || Number(p) > 65535) return false;
        return opt !== 0;
      }
      case Mod.Mark:
        return this.markValue(true);
      case Mod.Conntrack:
        return this.wordList(CT_STATES);
      case Mod.State:
        return this.wordList(STATES);
      case Mod.Addrtype:
        return this.wordList(ADDR_TYPES);
      default:
        return false;
    }
  }

  /** The comment's text at the current token: the line's quoted string, or a plain word; printable ASCII, at most 255 bytes. */
  private commentText(): boolean {
    const t = this.t;
    let from = this.a;
    let to = this.b;
    if (t.charCodeAt(this.a) === QUOTE) {
      if (this.a !== this.q1) return false;
      from = this.q1 + 1;
      to = this.q2;
      // The closing quote ends a word.
      if (this.q2 + 1 < this.le && t.charCodeAt(this.q2 + 1) !== SP) return false;
      this.b = this.q2 + 1;
      this.quotesTaken = true;
      if (to === from) return false;
    } else if (t.charCodeAt(this.a) === DASH || (this.q1 >= this.a && this.q1 < this.b)) return false;
    if (to - from > 255) return false;
    for (let i = from; i < to; i++) {
      const c = t.charCodeAt(i);
      if (c < 32 || c > 126) return false;
    }
    return true;
  }

  /** "--mode random --probability 0.ddd" (11 decimals at most). */
  private statistic(): boolean {
    if (!this.next() || !this.is('--mode') || !this.next() || !this.is('random') || !this.next() || !this.is('--probability') || !this.next()) return false;
    const t = this.t;
    const len = this.b - this.a;
    if (len < 3 || len > 13 || t.charCodeAt(this.a) !== 48 || t.charCodeAt(this.a + 1) !== DOT) return false;
    return this.digits(this.a + 2, this.b, 11);
  }

  /** "-j" read: the target at the current token and its options, to the end of the line. */
  private target(tb: ProofTable, chain: number): boolean {
    // Verdicts and jumps end the line.
    if (this.is('ACCEPT') || this.is('RETURN')) return !this.next();
    if (this.is('DROP')) return tb.name !== 'nat' && !this.next();
    const id = tb.find(this.t, this.a, this.b);
    if (id >= 0) {
      if (tb.hook[id] || this.next()) return false; // a jump to a built-in chain
      tb.jump(chain, id);
      return true;
    }
    const name = this.word();
    let ok: boolean;
    switch (name) {
      case 'DNAT':
        ok = this.next() && this.is('--to-destination') && this.next() && this.natAddress() && !this.next();
        break;
      case 'SNAT':
        ok = this.next() && this.is('--to-source') && this.next() && this.natAddress() && !this.next();
        break;
      case 'MASQUERADE':
        ok = !this.next() || (this.is('--random-fully') && !this.next());
        break;
      case 'MARK':
        // "value[/mask]", or one value for the bit operations (kube-proxy's --or-mark and --xor-mark).
        ok = this.next() && (this.is('--set-xmark') || this.is('--set-mark') ? this.next() && this.markValue(true) : (this.is('--or-mark') || this.is('--xor-mark') || this.is('--and-mark')) && this.next() && this.markValue(false)) && !this.next();
        break;
      case 'REJECT':
        ok = !this.next() || (this.is('--reject-with') && this.next() && REJECT_WITH.has(this.word()) && !this.next());
        break;
      default:
        return false;
    }
    if (!ok) return false;
    // Its table and hooks, as the registry says (the full parse checks the same).
    const limits = limitsOf(name);
    if (limits.table !== undefined && limits.table !== tb.name) return false;
    tb.allowed[chain]! &= limits.hooks;
    return true;
  }

  /** A NAT address: a dotted quad, then ":port" or ":low-high" only with -p tcp or udp. */
  private natAddress(): boolean {
    const colon = this.within(COLON, this.a, this.b);
    if (colon < 0) return this.quad(this.a, this.b) >= 0;
    if (this.quad(this.a, colon) < 0 || this.protoInvert || (this.proto !== Proto.Tcp && this.proto !== Proto.Udp)) return false;
    const dash = this.within(DASH, colon, this.b);
    if (dash < 0) return this.number(colon + 1, this.b, 65535) > 0;
    const lo = this.number(colon + 1, dash, 65535);
    return lo > 0 && this.number(dash + 1, this.b, 65535) > lo;
  }
}

const MODULES: Readonly<Record<string, Mod>> = Object.assign(Object.create(null) as Record<string, Mod>, {
  comment: Mod.Comment,
  tcp: Mod.Tcp,
  udp: Mod.Udp,
  multiport: Mod.Multiport,
  statistic: Mod.Statistic,
  mark: Mod.Mark,
  conntrack: Mod.Conntrack,
  state: Mod.State,
  addrtype: Mod.Addrtype,
});

function isHookName(name: string): boolean {
  return (HOOKS as readonly string[]).includes(name);
}

/** A target's table and the hooks it allows (ALL_HOOKS: any), from the registry, once per name: tens of thousands of rules name DNAT. */
const targetLimits = new Map<string, { readonly table: string | undefined; readonly hooks: number }>();
function limitsOf(name: string): { readonly table: string | undefined; readonly hooks: number } {
  let l = targetLimits.get(name);
  if (!l) {
    const k = findTarget(name, 'ipv4')?.kernel;
    targetLimits.set(name, (l = { table: k?.table, hooks: k?.hooks ? maskOf(k.hooks) : ALL_HOOKS }));
  }
  return l;
}
