/**
 * Parses a whole iptables-save / iptables-restore file the way
 * iptables-restore reads it (iptables/xtables-restore.c for the nft backend,
 * iptables/iptables-restore.c for legacy): line classification, tables,
 * chain lines, rule lines, COMMIT, and the state a load builds (chains,
 * rules, policies), then the kernel's checks at COMMIT. Never throws.
 *
 * Every error carries the line iptables-restore would name and the line at
 * which it would stop, so the first error we report is the one it reports.
 */
import { span as mkSpan, type Diagnostic, type Span } from '../diagnostic';
import type { ChainDecl, Command, Comment, IptablesFile, TableBlock } from './ast';
import type { Backend } from './extension';
import type { Family } from './inet';
import { FAMILY_HEAD, guessFamily } from './family';
import { FastRuleLines } from './fastRuleLine';
import { SharedObjects } from './kernelChecks';
import { COMMIT_LINE, TableState, type StateError, type TableContext } from './tableState';
import { readSourceLine, RESTORE_BUFFER_BYTES, type SourceLine } from './lines';
import { SlotMap } from './slotMap';
import { MAX_CHAIN_NAME, parseRuleLine, utf8Len, type RuleLineOutcome } from './ruleParser';
import { chainNameProblem } from './ruleSupport';
import type { LoadedChain, LoadedTable, Ruleset } from './ruleset';
import { BUILTIN_CHAINS, isBuiltinChain, isTableName } from './tables';
import { prepareRuleLine, RuleCommand } from './ruleLine';
import { shapeOfCommand, type RuleShape, type RuleSource } from './ruleShape';
import { cacheOf, detach, keepCache, LineCache, LineMatcher, type BlockRecord, type LineEntry } from './lineCache';
import { ChainNames } from './chainNames';
import { ChainLine, type LineWord } from './chainLine';
import { firstAtLine, ownLine, replaced } from './byLine';
import type { ValidTable } from './validTable';
import { editSteps } from './editSteps';
import { flatOf, type Text } from '../pieceText';
import { movedChainLine, movedTable, SPLICE_MAX_LINES, spliceSite, withSeq } from './tableSplice';
import { showControls } from '../visibleText';
import { crlfEdits, TO_LF_TITLE } from '../lineEnds';

export interface ParseOptions {
  readonly family?: Family;
  readonly backend?: Backend;
  /** The file's path or URI: without a family, its name helps to tell IPv6 files (rules.v6). */
  readonly fileName?: string;
  /** False: every rule line through the full getopt model (the fast path's tests compare both). */
  readonly fastRules?: boolean;
  /**
   * The parse of an earlier version of the same document (same family and
   * backend): lines whose text did not change may reuse what it computed.
   * The result must be exactly that of a parse without it.
   */
  readonly previous?: ParsedIptables;
}

export interface ParsedIptables {
  readonly file: IptablesFile;
  readonly ruleset: Ruleset;
  readonly diagnostics: Diagnostic[];
}

const PROG = (family: Family, backend: Backend): string =>
  `${family === 'ipv6' ? 'ip6tables' : 'iptables'}${backend === 'nft' ? '-nft' : ''}-restore`;

/** ipv4 or ipv6, from the header, the file name or the rules (see family.ts). */
export function detectFamily(text: string, fileName?: string): Family {
  return guessFamily(text, fileName).family;
}

interface TableBuild {
  readonly block: TableBlock;
  readonly loaded: LoadedTable;
  readonly state: TableState;
  /** Where its diagnostics start in the parse's. */
  readonly diagFrom: number;
}

class FileParser {
  /** Offset of each line read so far (lines are read one at a time, not kept). */
  private starts: number[] = [];
  private crlf: { span: Span; newText: string }[] | undefined;
  private readonly diagnostics: Diagnostic[] = [];
  private readonly tables: TableBlock[] = [];
  private readonly comments: Comment[] = [];
  private readonly loaded = new Map<string, LoadedTable>();
  private current: TableBuild | undefined;
  private readonly prog: string;
  /** Orders errors the way iptables meets them (ties on the same line). */
  private seq = 0;
  /** hashlimit tables and RATEEST estimators are shared across the whole file. */
  private readonly shared = new SharedObjects();
  private readonly sources = new Map<string, RuleSource>();
  /** Set when "-h"/"-V" ends the load: nothing after it is read. */
  private exited = false;
  /** iptables-save's own rule lines without the getopt model (see fastRuleLine.ts). */
  private readonly fast: FastRuleLines | undefined;
  readonly cache: LineCache;
  /** Lines of the previous parse of this document (ParseOptions.previous). */
  private matcher: LineMatcher | undefined;
  private reused: LineCache | undefined;
  private readonly names: ChainNames;
  /** The previous parse's valid tables (validTable.ts). */
  private previousValid: ReadonlyMap<string, ValidTable> | undefined;
  /** What the line being read leaves for the next parse (LineCache.entries). */
  private entry: LineEntry;
  /** The chains declared after a line of a table (laterDeclarations). */
  private later: { block: TableBlock; from: number; names: ReadonlyMap<string, number> } | undefined;

  /** The text as one string, made when first read (a splice reads only the edited lines, through `source`). */
  private joined: string | undefined;

  private get text(): string {
    return (this.joined ??= flatOf(this.source));
  }

  constructor(
    /** The document's text: a string, or the editor's pieces (pieceText.ts). */
    private readonly source: Text,
    private readonly family: Family,
    private readonly backend: Backend,
    fastRules: boolean,
    previous: LineCache | undefined,
  ) {
    this.prog = PROG(family, backend);
    const reuse = fastRules && previous?.family === family && previous.backend === backend ? previous : undefined;
    this.matcher = reuse ? new LineMatcher(reuse, source) : undefined;
    this.reused = reuse;
    this.previousValid = reuse?.valid;
    this.names = new ChainNames(reuse?.names);
    this.fast = fastRules ? new FastRuleLines(family, backend, this.names) : undefined;
    this.cache = new LineCache(family, backend, source, this.starts, this.names);
  }

  private lineSpan(l: SourceLine, from = 0, to = l.text.length): Span {
    const c0 = l.col0 ?? 0;
    return mkSpan(l.index, from + c0, Math.max(from, to) + c0);
  }

  private error(
    code: string,
    message: string,
    span: Span,
    reportedLine: number,
    detectedAtLine: number,
    extra: Partial<Pick<Diagnostic, 'related' | 'fixes'>> = {},
  ): void {
    if (code !== 'crlf' && this.endsInCR(span.start.line)) {
      // The real cause is almost always the file's Windows line ends.
      message += ' — this line ends in "\\r" (Windows CR LF line ends), which iptables-restore keeps as part of the text: save the file with LF line ends.';
      extra = { ...extra, fixes: [...(extra.fixes ?? []), { title: TO_LF_TITLE, edits: this.crlfEdits() }] };
    }
    this.diagnostics.push({ code, severity: 'error', message: showControls(message), span, restore: { reportedLine, detectedAtLine, seq: this.seq++ }, ...extra });
  }

  /** Whether a line read so far ends in "\r". */
  private endsInCR(line: number): boolean {
    const start = this.starts[line];
    if (start === undefined) return false;
    const nl = this.text.indexOf('\n', start);
    const end = nl < 0 ? this.text.length : nl;
    return end > start && this.text.charCodeAt(end - 1) === 13;
  }

  /** Every line of the document that ends in "\r" (lineEnds.ts), found once. */
  private crlfEdits(): { span: Span; newText: string }[] {
    return (this.crlf ??= crlfEdits(this.text));
  }

  private warn(code: string, message: string, span: Span, severity: 'warning' | 'info' | 'hint' = 'warning'): void {
    this.diagnostics.push({ code, severity, message: showControls(message), span });
  }

  run(): ParsedIptables {
    const text = this.text;
    // The last line read (-1: none), read again only for a missing COMMIT's message.
    let lastOffset = -1;
    let lastIndex = 0;
    let lastRestoreLine = 0;
    let restoreLine = 1;
    for (let offset = 0; offset < text.length; ) {
      this.starts.push(offset);
      if (this.exited) {
        // Nothing after -h/-V is read; only the lines are counted.
        this.cache.entries.push(undefined);
        const nl = text.indexOf('\n', offset);
        offset = nl < 0 ? text.length : nl + 1;
        continue;
      }
      const index = this.starts.length - 1;
      lastOffset = offset;
      lastIndex = index;
      lastRestoreLine = restoreLine;
      const next = this.keptRule(index, offset, restoreLine);
      if (next >= 0) {
        restoreLine++;
        offset = next;
        continue;
      }
      const l = readSourceLine(text, offset, index, restoreLine);
      if (l.pieces > 1) this.cache.multiPiece = true;
      restoreLine += l.pieces;
      offset += l.text.length + 1;
      this.entry = undefined;
      if (l.pieces > 1) for (const piece of splitPieces(l)) this.line(piece);
      else this.line(l);
      this.cache.entries.push(this.entry);
    }
    const last = lastOffset >= 0 ? readSourceLine(text, lastOffset, lastIndex, lastRestoreLine) : undefined;
    if (this.current && last && !this.exited) {
      const restoreLine = last.restoreLine + last.pieces;
      const name = this.current.block.name.text;
      this.error(
        'missing-commit',
        `Table "${name}" is not closed: iptables-restore expects "COMMIT" (it reports "COMMIT expected at line ${restoreLine}") and loads nothing of this table.`,
        this.current.block.name.span,
        restoreLine,
        restoreLine,
        { fixes: [{ title: 'Add COMMIT at the end of the file', edits: [{ span: mkSpan(last.index, last.text.length, last.text.length), newText: last.hasNewline ? 'COMMIT\n' : '\nCOMMIT\n' }] }] },
      );
      this.current.block.span = { start: this.current.block.span.start, end: { line: last.index, col: last.text.length } };
      this.current = undefined;
    }
    return this.result();
  }

  private result(): ParsedIptables {
    // The tables' states stay in this parse's cache (for the next splice), and their contexts
    // refer to this parser: it must not hold the previous parse, or every version stays alive.
    this.reused = undefined;
    this.matcher = undefined;
    this.previousValid = undefined;
    this.cache.exited = this.exited;
    this.cache.sharedUsed = this.shared.used;
    const file: IptablesFile = { family: this.family, tables: this.tables, comments: this.comments, lineCount: this.starts.length };
    return { file, ruleset: { family: this.family, tables: this.loaded }, diagnostics: this.diagnostics };
  }

  /**
   * The parse of this text, walking only the lines edited since `prev`
   * inside one table (tableSplice.ts), or undefined when that could differ
   * from a full walk; this parser must not be used again then.
   */
  splice(prev: ParsedIptables): ParsedIptables | undefined {
    const old = this.reused;
    if (!old || !this.matcher) return undefined;
    const site = spliceSite(prev, old, this.matcher.changedLines(SPLICE_MAX_LINES), this.source);
    if (!site) return undefined;
    const { record, first, end, newEnd, delta } = site;
    // Only the edited lines and COMMIT are read: through the pieces when the editor's text is in pieces.
    const text = this.source;
    const shift = text.length - old.text.length;
    // Whole arrays are copied (memcpy), not pushed item by item: a large file has 200,000 lines. None
    // when every line starts where it did (a digit changed): the previous parse's is never written again.
    this.starts = shift === 0 && site.starts.length === end - first && sameItems(old.lineStarts, first, site.starts) ? (old.lineStarts as number[]) : replaced(old.lineStarts, first, end, site.starts);
    if (shift !== 0) for (let i = first + site.starts.length; i < this.starts.length; i++) this.starts[i]! += shift;
    this.cache.lineStarts = this.starts;
    const was = record.block;
    const name = was.name.text;
    // The tables after this one: the same, or made anew at their lines when lines were added or removed.
    const later: BlockRecord[] = [];
    for (const r of old.blocks.slice(site.index + 1)) {
      const m = delta === 0 ? r : movedTable(r, delta, this.tableContext(r.loaded.name, r.loaded), this.reporter());
      if (!m) return undefined;
      later.push(m);
    }
    // Lines in place: the chain lines as they were (one copy). (Indexed loops over a kube dump's 60,000 chain
    // lines and the rules below the edit: this runs once per edit, often before it is optimized, where each
    // step of a for-of made an iterator result.)
    const chainLines: ChainDecl[] = delta === 0 ? was.chains.slice() : [];
    for (let k = 0; delta !== 0 && k < was.chains.length; k++) {
      const c = was.chains[k]!;
      if (c.line < end) chainLines.push(c);
      else if (c instanceof ChainLine) chainLines.push(movedChainLine(c, delta));
      else return undefined;
    }
    // The table's lines above the edit said what they said; so do those below it (see tableSplice.ts).
    this.keep(prev.diagnostics, 0, record.diagFrom);
    const diagFrom = this.diagnostics.length;
    this.keep(prev.diagnostics, record.diagFrom, record.commitFrom, (d) => d.span.start.line < first);
    // The block's commands are the edited lines' while they are walked; the others are put around them after.
    const block: TableBlock = { name: was.name, line: was.line, chains: chainLines, commands: [], span: was.span };
    const laterBlocks = new Map(later.map((r, i) => [old.blocks[site.index + 1 + i]!.block, r.block]));
    for (const b of prev.file.tables) this.tables.push(b === was ? block : laterBlocks.get(b) ?? b);
    for (const c of prev.file.comments) this.comments.push(delta !== 0 && c.line >= end ? { text: c.text, line: c.line + delta } : c);
    for (const [n, t] of prev.ruleset.tables) this.loaded.set(n, t);
    for (const r of later) this.loaded.set(r.loaded.name, r.loaded);
    // (A kube dump's nat table has 60,000 chains: a Map took ~10 ms to copy.)
    const chains = SlotMap.copyOf(record.loaded.chains);
    const loaded: LoadedTable = { name, block, chains, builtins: record.loaded.builtins, committed: false };
    const state = TableState.resumedAt(record.state, first, end, block, loaded, this.tableContext(name, loaded), this.reporter());
    this.current = { block, loaded, state, diagFrom };
    const edited: LineEntry[] = [];
    for (let index = first; index < newEnd; index++) {
      this.entry = undefined;
      this.line(readSourceLine(text, this.starts[index]!, index, index + 1));
      edited.push(this.entry);
      if (this.current?.state !== state || !state.appendOnly || this.exited) return undefined;
    }
    this.keep(prev.diagnostics, record.diagFrom, record.commitFrom, (d) => d.span.start.line >= end);
    const movedCommands = state.fastForward(delta);
    const cmdFrom = firstAtLine(was.commands, first, ownLine);
    const cmdTo = firstAtLine(was.commands, end, ownLine);
    if (!movedCommands || (delta !== 0 && movedCommands.length !== was.commands.length - cmdTo)) return undefined;
    // The walk has pushed the edited lines' commands; the block is still being built. (One copy of the
    // previous commands, written over, when a line was edited in place.)
    (block as { commands: Command[] }).commands = delta === 0 ? replaced(was.commands, cmdFrom, cmdTo, block.commands) : was.commands.slice(0, cmdFrom).concat(block.commands, movedCommands);
    if (delta === 0) this.cache.entries = replaced(old.entries, first, end, edited);
    else {
      const tail = old.entries.slice(end);
      // The moved lines' entries: their new commands and chain lines, where the line was one before.
      const put = (line: number, e: RuleCommand | ChainLine): void => {
        const i = line - newEnd;
        if (tail[i] instanceof RuleCommand || tail[i] instanceof ChainLine) tail[i] = e;
      };
      for (let k = 0; k < movedCommands.length; k++) put(movedCommands[k]!.line, movedCommands[k]!);
      for (let k = 0; k < chainLines.length; k++) if (chainLines[k]!.line >= newEnd) put(chainLines[k]!.line, chainLines[k] as ChainLine);
      for (const r of later) {
        for (const c of r.block.commands) put(c.line, c as RuleCommand);
        for (const c of r.block.chains) put(c.line, c as ChainLine);
      }
      this.cache.entries = old.entries.slice(0, first).concat(edited, tail);
    }
    const commitLine = was.commitLine! + delta;
    this.commit(readSourceLine(text, this.starts[commitLine]!, commitLine, commitLine + 1));
    if (this.shared.used) return undefined;
    const moved = this.diagnostics.length - record.diagTo;
    this.keep(prev.diagnostics, record.diagTo, prev.diagnostics.length);
    // commit() recorded the spliced table as this parse's only block so far.
    const spliced = this.cache.blocks[0]!;
    const shifted = (r: BlockRecord): BlockRecord => ({ ...r, diagFrom: r.diagFrom + moved, commitFrom: r.commitFrom + moved, diagTo: r.diagTo + moved });
    this.cache.blocks = [...old.blocks.slice(0, site.index), spliced, ...later.map(shifted)];
    for (const [n, v] of old.valid) if (n !== name) this.cache.valid.set(n, v);
    this.cache.spliced = true;
    this.cache.movedBy = delta;
    return this.result();
  }

  /**
   * A rule line the previous parse read, in the same table, as a fast rule
   * command: its command again (see fastCommand) without reading the line.
   * The same text in an open table of the same name is read the same way
   * (one piece, not a comment, COMMIT, table or chain line). Returns the next
   * line's offset, or -1 when the line must be read.
   */
  private keptRule(index: number, offset: number, restoreLine: number): number {
    const cur = this.current;
    const matcher = this.matcher;
    if (!cur || !matcher) return -1;
    const nl = this.text.indexOf('\n', offset);
    const end = nl < 0 ? this.text.length : nl;
    const known = matcher.at(index, offset, end, nl >= 0);
    if (!(known instanceof RuleCommand) || known.shape.source.table !== cur.block.name.text) return -1;
    const cmd = known.line === index && known.restoreLine === restoreLine ? known : new RuleCommand(index, restoreLine, known.shape);
    this.cache.entries.push(cmd);
    cur.block.commands.push(cmd);
    cur.state.command(cmd, cmd.shape);
    return end + 1;
  }

  private line(l: SourceLine): void {
    // A C string ends at NUL: whatever follows on the line is invisible.
    const nul = l.text.indexOf('\0');
    const text = nul >= 0 ? l.text.slice(0, nul) : l.text;
    if (text === '' && l.hasNewline && nul < 0) return;
    if (text[0] === '#') {
      this.comments.push({ text, line: l.index });
      return;
    }
    const cur = this.current;
    const isCommit = this.backend === 'nft' ? text === 'COMMIT' : text === 'COMMIT' && l.hasNewline && nul < 0;
    if (cur && isCommit) return this.commit(l);
    if (cur && text.startsWith('COMMIT') && /^COMMIT[\s\r]+$/.test(text)) {
      this.error('commit-trailing-space', `"${JSON.stringify(text).slice(1, -1)}" is not COMMIT for iptables-restore: only the exact word is. It is read as a rule and fails with "Bad argument \`COMMIT'".`, this.lineSpan(l), l.restoreLine, l.restoreLine,
        { fixes: [{ title: 'Remove the trailing whitespace after COMMIT', edits: [{ span: this.lineSpan(l), newText: 'COMMIT' }] }] });
      // Recover as if it were COMMIT so the rest of the file is still checked.
      return this.commit(l);
    }
    if (cur && this.backend === 'legacy' && text === 'COMMIT' && !l.hasNewline) {
      this.error('commit-without-newline', 'iptables-legacy only accepts "COMMIT" followed by a newline: at the very end of the file it reads it as a rule ("Bad argument `COMMIT\'"). Add a final newline. (iptables-nft accepts it.)', this.lineSpan(l), l.restoreLine, l.restoreLine,
        { fixes: [{ title: 'Add a newline at the end of the file', edits: [{ span: this.lineSpan(l, l.text.length, l.text.length), newText: '\n' }] }] });
      return this.commit(l);
    }
    if (text[0] === '*' && !cur) return this.table(l, text);
    if (text[0] === ':' && cur) return this.chainLine(l, text, cur);
    if (cur) return this.ruleLine(l, text, cur);
    // No branch takes it: "iptables-restore: line N failed".
    this.outsideTable(l, text);
  }

  private outsideTable(l: SourceLine, text: string): void {
    const trimmed = text.trim();
    let hint = '';
    if (/^[$#]\s|^\w+@[\w.-]+[:~]|^root@|^\$ /.test(text)) hint = ' It looks like a pasted shell prompt or command.';
    else if (trimmed === '') hint = ' A line of only spaces or tabs is not an empty line for iptables-restore: delete the whitespace.';
    else if (trimmed === 'COMMIT') hint = ' There is no open table to commit.';
    else if (text[0] === '-' || text[0] === '[') hint = ' Rules must be inside a table: add a "*filter" (or *nat, *mangle, *raw, *security) line before them.';
    else if (text[0] === ':') hint = ' Chain declarations must follow a "*table" line.';
    else if (/^\s+[*:#-]/.test(text)) hint = ' Leading whitespace: iptables-restore only recognises "*", ":", "#" and COMMIT in the first column.';
    this.error('outside-table', `This line is not valid here: iptables-restore reports "line ${l.restoreLine} failed".${hint}`, this.lineSpan(l), l.restoreLine, l.restoreLine);
  }

  private table(l: SourceLine, text: string): void {
    const diagFrom = this.diagnostics.length;
    const m = /^\*[ \t]*([^ \t]*)/.exec(text);
    const name = m?.[1] ?? '';
    const nameStart = text.indexOf(name, 1);
    const nameSpan = name ? this.lineSpan(l, nameStart, nameStart + name.length) : this.lineSpan(l);
    if (!name) {
      this.error('bad-table-name', `${this.prog}: line ${l.restoreLine} table name invalid`, this.lineSpan(l), l.restoreLine, l.restoreLine);
      return;
    }
    const block: TableBlock = { name: { text: name, span: nameSpan }, line: l.index, chains: [], commands: [], span: this.lineSpan(l) };
    this.tables.push(block);
    if (!isTableName(name)) {
      const shown = JSON.stringify(name).slice(1, -1);
      const msg = this.backend === 'nft' ? `${this.prog}: line ${l.restoreLine} table name '${shown}' invalid` : `${this.prog}: unable to initialize table '${shown}'`;
      const cr = name.endsWith('\r') ? ' (the "\\r" comes from Windows line ends)' : '';
      this.error('unknown-table', `${msg}: iptables knows the tables filter, nat, mangle, raw and security${cr}.`, nameSpan, l.restoreLine, l.restoreLine);
      // iptables stops here; keep reading in a scratch table so later lines still get checked.
    }
    if (text.slice(1).startsWith(' ') || text.slice(1).startsWith('\t')) {
      this.warn('table-name-space', `"* ${name}" loads, but iptables-save never writes a space here: is this file hand-edited or pasted?`, this.lineSpan(l), 'info');
    }
    const prev = this.loaded.get(name);
    if (prev) {
      this.warn('duplicate-table', `Table "${name}" appears again: loading this block first flushes everything the earlier block (line ${prev.block.line + 1}) added.`, nameSpan);
    }
    const builtins = isTableName(name) ? BUILTIN_CHAINS[name] : [];
    const chains = new SlotMap<LoadedChain>();
    for (const h of builtins) chains.set(h, { name: h, builtin: true, policy: 'ACCEPT', rules: [] });
    const loaded: LoadedTable = { name, block, chains, builtins, committed: false };
    const state = new TableState(block, loaded, this.tableContext(name, loaded), this.reporter());
    this.current = { block, loaded, state, diagFrom };
  }

  /**
   * A table state's way to report errors. Made here, not in the method that
   * makes the state: a closure keeps every variable its function's closures
   * share, and a state kept for the next splice must not keep the previous
   * parse alive through them.
   */
  private reporter(): (e: StateError) => void {
    return (e) => this.stateError(e, -1);
  }

  /** Diagnostics [from, to) of the previous parse (those `which` takes), numbered among this parse's errors. */
  private keep(old: readonly Diagnostic[], from: number, to: number, which?: (d: Diagnostic) => boolean): void {
    for (let i = from; i < to; i++) {
      if (which && !which(old[i]!)) continue;
      const d = withSeq(old[i]!, this.seq);
      if (d.restore) this.seq++;
      this.diagnostics.push(d);
    }
  }

  private tableContext(name: string, loaded: LoadedTable): TableContext {
    return {
      prog: this.prog,
      family: this.family,
      backend: this.backend,
      chainHint: (n) => this.chainHint(n, loaded),
      declaredLater: (n, line) => (this.laterDeclarations(line).get(n) ?? -1) > line,
      previousValid: this.previousValid?.get(name),
      keepValid: (v) => this.cache.valid.set(name, v),
    };
  }

  private chainLine(l: SourceLine, text: string, cur: TableBuild): void {
    const rl = l.restoreLine;
    const table = cur.block.name.text;
    const decl = this.chainDecl(l, text, table);
    if (!decl) {
      this.error('bad-chain-name', `${this.prog}: line ${rl} chain name invalid`, this.lineSpan(l), rl, rl);
      return;
    }
    const name = decl.nameText;
    const nameSpan = this.lineSpan(l, decl.nameStart, decl.nameEnd);
    const builtin = decl.builtin;
    const policyTok = decl.policyText === undefined ? undefined : { text: decl.policyText, start: decl.policyStart, end: decl.policyEnd };
    if (decl.nameStart > 1) {
      this.warn('chain-decl-space', `": ${name}" loads (iptables skips the blank), but iptables-save never writes it: a copy from a blog or a hand edit?`, mkSpan(l.index, 0, decl.nameEnd), 'warning');
    }
    if (this.backend === 'nft') {
      // The name was announced before the check, so a target-name clash is not detected here.
      const bad = builtin ? undefined : chainNameProblem(name);
      if (bad && bad.code !== 'chain-clashes-with-target') {
        this.error(bad.code, bad.message, nameSpan, rl, rl);
        return;
      }
    } else if (utf8Len(name) > MAX_CHAIN_NAME) {
      this.error('name-too-long', `Invalid chain name \`${name}' (28 chars max)`, nameSpan, rl, rl);
      return;
    }
    cur.block.chains.push(decl);
    const chains = cur.loaded.chains;
    const existing = chains.get(name);
    if (!builtin) {
      if (existing) {
        if (this.backend === 'legacy') {
          this.error('duplicate-chain', `error creating chain '${name}':File exists — chain "${name}" is already declared on line ${(existing.declLine ?? 0) + 1}. (iptables-nft accepts the repeat and keeps one chain.)`, nameSpan, rl, rl);
          return;
        }
        this.warn('duplicate-chain', `Chain "${name}" is already declared on line ${(existing.declLine ?? 0) + 1}. iptables-nft ignores the repeat; iptables-legacy refuses the file ("error creating chain '${name}':File exists").`, nameSpan);
      } else cur.state.declare(name, nameSpan, l.index, true);
    } else cur.state.declare(name, nameSpan, l.index);
    if (!policyTok) {
      this.error('missing-policy', `${this.prog}: line ${rl} policy invalid — a chain line needs a policy: "ACCEPT"/"DROP" for built-in chains, "-" for user chains.`, nameSpan, rl, rl);
      return;
    }
    const policy = policyTok.text;
    if (builtin) {
      const policySpan = this.lineSpan(l, policyTok.start, policyTok.end);
      const ch = chains.get(name)!;
      ch.declSpan = nameSpan;
      ch.declLine = l.index;
      if (policy === 'ACCEPT' || policy === 'DROP') {
        ch.policy = policy;
        ch.policySpan = policySpan;
      } else if (policy === '-') {
        // Leaves the policy as it is (ACCEPT in a fresh namespace).
      } else {
        const shown = this.backend === 'nft' ? `${this.prog}: line ${rl} failed: Bad policy name.` : `Can't set policy \`${policy}' on \`${name}' line ${rl}: Bad policy name`;
        cur.state.chainLineError({ code: 'bad-policy', message: `${shown} A built-in chain's policy is ACCEPT or DROP.`, span: policySpan, reportedLine: rl, when: this.backend === 'nft' ? 'commit' : 'now' });
      }
      return;
    }
    // A user chain's "-" (most chain lines): nothing to say, no span to build.
    if (policy !== '-') {
      const policySpan = this.lineSpan(l, policyTok.start, policyTok.end);
      if (this.backend === 'legacy') {
        this.error('policy-on-user-chain', `Can't set policy \`${policy}' on \`${name}' line ${rl}: Bad built-in chain name — only built-in chains have a policy; user chains take "-". (iptables-nft ignores it.)`, policySpan, rl, rl,
          { fixes: [{ title: 'Replace the policy with "-"', edits: [{ span: policySpan, newText: '-' }] }] });
      } else {
        this.warn('policy-on-user-chain', `User chains have no policy: iptables-nft ignores "${policy}" here, but iptables-legacy refuses the file ("Bad built-in chain name"). Packets that reach the end of "${name}" return to the calling chain.`, policySpan);
      }
    }
  }

  /** The chain line's words: from the previous parse when it had the same line, else read now (undefined: no name). */
  private chainDecl(l: SourceLine, text: string, table: string): ChainLine | undefined {
    const whole = l.col0 === undefined;
    const old = whole ? this.matcher?.at(l.index, l.offset, l.offset + l.text.length, l.hasNewline) : undefined;
    let decl: ChainLine | undefined;
    if (old instanceof ChainLine) decl = old.movedTo(l.index, l.restoreLine, isBuiltinChain(table, old.nameText));
    else {
      const toks = tokenizeStrtok(text, 1, 3);
      const nameTok = toks[0];
      if (!nameTok) return undefined;
      const name = this.names.intern(nameTok.text);
      decl = new ChainLine(l.index, l.restoreLine, isBuiltinChain(table, name), { text: name, start: nameTok.start, end: nameTok.end }, toks[1], toks[2], l.col0 ?? 0, text.length, l.text.length);
    }
    if (whole) this.entry = decl;
    return decl;
  }

  private ruleLine(l: SourceLine, text: string, cur: TableBuild): void {
    const cmd = this.fastCommand(l, text, cur.block.name.text);
    if (cmd) {
      cur.block.commands.push(cmd);
      cur.state.command(cmd, cmd.shape);
      return;
    }
    const rl = l.restoreLine;
    const p = prepareRuleLine(l, text, cur.block.name.text, this.family, this.backend);
    if (p.kind === 'error') {
      this.error(p.error.code, p.error.message, p.error.span, rl, rl);
      return;
    }
    for (const w of p.warnings) this.warn(w.code, w.message, w.span);
    this.takeOutcome(parseRuleLine(p.input), l, text, cur);
  }

  /**
   * The line as a fast rule command: the previous parse's command when it had
   * the same line at the same place, a new one on its shape when the line
   * moved, else the fast path's (undefined when it declines).
   */
  private fastCommand(l: SourceLine, text: string, table: string): RuleCommand | undefined {
    const fast = this.fast;
    if (!fast) return undefined;
    // Pieces of an over-long line are parsed every time.
    const whole = l.col0 === undefined;
    if (whole && this.matcher) {
      const known = this.matcher.at(l.index, l.offset, l.offset + l.text.length, l.hasNewline);
      if (known === table) {
        this.entry = table;
        return undefined;
      }
      if (known instanceof RuleCommand && known.shape.source.table === table) {
        const cmd = known.line === l.index && known.restoreLine === l.restoreLine ? known : new RuleCommand(l.index, l.restoreLine, known.shape);
        this.entry = cmd;
        return cmd;
      }
    }
    let shape: RuleShape | undefined;
    if (this.matcher) {
      // Kept for later parses: read from a copy, so that no string of it holds this version of the document.
      const own = detach(l.text);
      shape = fast.parse({ ...l, text: own }, own.length === text.length ? own : own.slice(0, text.length), table);
    } else shape = fast.parse(l, text, table);
    const cmd = shape ? new RuleCommand(l.index, l.restoreLine, shape) : undefined;
    if (whole) this.entry = cmd ?? table;
    return cmd;
  }

  /** The table, family and backend rule lines of `table` are read with (one object per table). */
  private sourceOf(table: string): RuleSource {
    let s = this.sources.get(table);
    if (!s) this.sources.set(table, (s = { table, family: this.family, backend: this.backend }));
    return s;
  }

  private takeOutcome(outcome: RuleLineOutcome, l: SourceLine, text: string, cur: TableBuild): void {
    const rl = l.restoreLine;
    for (const w of outcome.warnings) this.warn(w.code, w.message, w.span);
    switch (outcome.kind) {
      case 'error': {
        const e = outcome.error;
        let message = e.message;
        if (message === `Bad argument \`COMMIT'` || /^Bad argument `\*\w+'$/.test(message)) {
          message += text[0] === '*' ? ' — a new table can only start after the previous one is closed with COMMIT.' : '';
        }
        const fixes = e.code === 'intrapositioned-negation' ? intrapositionedFix(l.index, text) : undefined;
        this.error(e.code, e.hint ? `${message} — ${e.hint}` : message, e.span, rl, rl, fixes ? { fixes } : {});
        return;
      }
      case 'skipped':
        this.warn('other-family-line', `This line carries ${this.family === 'ipv4' ? '-6' : '-4'}: ${this.prog} skips it silently.`, this.lineSpan(l), 'info');
        return;
      case 'exit':
        this.warn('restore-exits', `"${outcome.option}" makes iptables-restore print and exit successfully right here: nothing after this line is read, and table "${cur.block.name.text}" is never committed.`, outcome.span);
        this.exited = true;
        this.current = undefined;
        return;
      case 'command': {
        const parsed = outcome.command;
        const otherFamily = outcome.otherFamily === true;
        if (!parsed.rule) {
          cur.block.commands.push(parsed);
          cur.state.command(parsed, undefined, otherFamily);
          return;
        }
        // Keep only the command's shape: its rule is parsed again if someone asks for it.
        const shape = shapeOfCommand(parsed, parsed.rule, l, this.sourceOf(cur.block.name.text), outcome.jumpIsExtension, this.names);
        const cmd = new RuleCommand(parsed.line, parsed.restoreLine, shape);
        cur.block.commands.push(cmd);
        cur.state.command(cmd, shape, otherFamily);
        return;
      }
    }
  }

  /** Turns a table error into a diagnostic; `commitLine` is the restore line of COMMIT (-1: not yet). */
  private stateError(e: StateError, commitLine: number): void {
    const reported = e.reportedLine === COMMIT_LINE ? commitLine : e.reportedLine;
    const detected = e.when === 'now' ? e.reportedLine : commitLine;
    this.error(e.code, e.message, e.span, reported, detected, e.related ? { related: e.related } : {});
  }

  /**
   * The chains declared after `line` up to the table's COMMIT, each with the
   * last line declaring it (a bad jump's message says when its chain comes
   * further down). Read from the text once per table, on its first bad jump:
   * the walk has not got there yet.
   */
  private laterDeclarations(line: number): ReadonlyMap<string, number> {
    const cur = this.current;
    if (!cur) return new Map();
    const known = this.later;
    if (known && known.block === cur.block && known.from <= line) return known.names;
    const names = new Map<string, number>();
    const text = this.text;
    const nChain = /^-N[ \t]+([^ \t]+)/;
    let index = line + 1;
    for (let offset = text.indexOf('\n', this.starts[line] ?? text.length) + 1; offset > 0 && offset < text.length; index++) {
      const nl = text.indexOf('\n', offset);
      const end = nl < 0 ? text.length : nl;
      const c = text.charCodeAt(offset);
      if (c === 58 /* : */) names.set(text.slice(offset + 1, end).trim().split(/[ \t]+/)[0]!, index);
      else if (c === 45 /* - */ && this.backend === 'nft') {
        const m = nChain.exec(text.slice(offset, end));
        if (m) names.set(m[1]!, index);
      } else if (c === 67 /* C */ && /^COMMIT[\s\r]*$/.test(text.slice(offset, end))) break;
      offset = end + 1;
    }
    this.later = { block: cur.block, from: line, names };
    return names;
  }

  private chainHint(name: string, loaded: LoadedTable): string {
    const upper = name.toUpperCase();
    if (name !== upper && ['ACCEPT', 'DROP', 'RETURN', 'REJECT', 'LOG', 'DNAT', 'SNAT', 'MASQUERADE'].includes(upper)) {
      return ` Targets are case-sensitive: did you mean "${upper}"?`;
    }
    const names = [...loaded.chains.keys()];
    const close = names.find((n) => n !== name && n.toLowerCase() === name.toLowerCase());
    return close ? ` Did you mean "${close}"?` : '';
  }

  private commit(l: SourceLine): void {
    const cur = this.current!;
    cur.block.commitLine = l.index;
    cur.block.span = { start: cur.block.span.start, end: { line: l.index, col: l.text.length } };
    const errorsBefore = this.diagnostics.length;
    for (const e of cur.state.commit(this.shared)) this.stateError(e, l.restoreLine);
    cur.loaded.committed = !this.diagnostics.slice(errorsBefore).some((d) => d.severity === 'error');
    if (isTableName(cur.block.name.text)) {
      this.loaded.set(cur.block.name.text, cur.loaded);
      cur.state.retire();
      this.cache.blocks.push({ block: cur.block, loaded: cur.loaded, state: cur.state, diagFrom: cur.diagFrom, commitFrom: errorsBefore, diagTo: this.diagnostics.length });
    }
    this.current = undefined;
  }
}

/**
 * A line longer than fgets()' buffer reaches iptables-restore in pieces of
 * 10239 bytes, each read as a line of its own (with its own line number).
 * Pieces are cut at character boundaries here; columns stay the document's.
 */
function splitPieces(l: SourceLine): SourceLine[] {
  const out: SourceLine[] = [];
  let start = 0;
  let bytes = 0;
  let piece = 0;
  const max = RESTORE_BUFFER_BYTES - 1;
  for (let i = 0; i <= l.text.length; i++) {
    const last = i === l.text.length;
    const c = last ? 10 : l.text.charCodeAt(i);
    const w = c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? 4 : 3;
    if (last && !l.hasNewline) break;
    if (bytes + w > max) {
      out.push({ ...l, restoreLine: l.restoreLine + piece++, text: l.text.slice(start, i), hasNewline: false, pieces: 1, col0: start });
      start = i;
      bytes = 0;
    }
    bytes += w;
    if (w === 4) i++;
  }
  out.push({ ...l, restoreLine: l.restoreLine + piece, text: l.text.slice(start), hasNewline: l.hasNewline, pieces: 1, col0: start });
  return out;
}

/** `strtok(buf, " \t\n")` tokens with their columns (the first `max`: a chain line reads three). */
function tokenizeStrtok(text: string, from: number, max = Infinity): LineWord[] {
  const out: LineWord[] = [];
  const n = text.length;
  let i = from;
  while (i < n && out.length < max) {
    let c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10) {
      i++;
      continue;
    }
    const start = i;
    while (i < n && (c = text.charCodeAt(i)) !== 32 && c !== 9 && c !== 10) i++;
    out.push({ text: text.slice(start, i), start, end: i });
  }
  return out;
}

/** Quick fix: "-s ! X" → "! -s X" for every intrapositioned negation on the line. */
function intrapositionedFix(line: number, text: string): { title: string; edits: { span: Span; newText: string }[] }[] {
  const re = /(^|\s)(--?[A-Za-z][\w-]*)\s+!\s+/g;
  if (!re.test(text)) return [];
  const fixed = text.replace(/(^|\s)(--?[A-Za-z][\w-]*)\s+!\s+/g, '$1! $2 ');
  return [{ title: 'Rewrite as "! --option value" (iptables ≥ 1.4.12)', edits: [{ span: mkSpan(line, 0, text.length), newText: fixed }] }];
}

export function parseIptables(text: Text, options: ParseOptions = {}): ParsedIptables {
  // (The guess reads at most the first 200,000 characters.)
  const family = options.family ?? detectFamily(typeof text === 'string' ? text : text.slice(0, FAMILY_HEAD), options.fileName);
  const backend = options.backend ?? 'nft';
  let prev = options.previous;
  const fastRules = options.fastRules !== false;
  if (prev && cacheOf(prev)) {
    const spliced = spliceOnto(text, family, backend, fastRules, prev);
    if (spliced) return spliced;
    // Edited in several places: one place at a time, each step spliced onto the one before.
    const old = cacheOf(prev)!;
    const steps = (fastRules && old.family === family && old.backend === backend ? editSteps(flatOf(old.text), flatOf(text)) : undefined) ?? [];
    let done = 0;
    for (const step of steps) {
      const next = spliceOnto(step, family, backend, fastRules, prev);
      if (!next) break;
      prev = next;
      done++;
    }
    if (done === steps.length && done > 0) {
      const last = spliceOnto(text, family, backend, fastRules, prev);
      if (last) {
        cacheOf(last)!.steps = done + 1;
        return last;
      }
    }
  }
  // A full walk, reusing the lines of the previous parse (or of the last step that spliced, closer to this text).
  const previous = prev ? cacheOf(prev) : undefined;
  const parser = new FileParser(text, family, backend, fastRules, previous);
  const parsed = parser.run();
  keepCache(parsed, parser.cache);
  return parsed;
}

/** Whether `a` holds the items of `mid` from `first` on (a line edited in place started where it did). */
function sameItems(a: readonly number[], first: number, mid: readonly number[]): boolean {
  if (first + mid.length > a.length) return false;
  for (let i = 0; i < mid.length; i++) if (a[first + i] !== mid[i]) return false;
  return true;
}

/** The parse of text spliced onto prev (tableSplice.ts), or undefined where a splice could differ from a full walk. */
function spliceOnto(text: Text, family: Family, backend: Backend, fastRules: boolean, prev: ParsedIptables): ParsedIptables | undefined {
  const splicer = new FileParser(text, family, backend, fastRules, cacheOf(prev));
  const spliced = splicer.splice(prev);
  if (spliced) keepCache(spliced, splicer.cache);
  return spliced;
}

export type { Command, IptablesFile };
