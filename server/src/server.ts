/**
 * The Netfilter Lens language server: wiring only. Each feature lives in
 * features/*.ts and turns pure analysis results into LSP answers.
 */
import {
  CodeLensRefreshRequest,
  createConnection,
  DidChangeConfigurationNotification,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { AnalysisCache } from './analysisCache';
import { editRehearsal, REHEARSE_FROM_RULES } from './editRehearsal';
import { PieceDocument } from './pieceDocument';
import { codeActions } from './features/codeActions';
import { completion } from './features/completion';
import { DiagnosticsScheduler } from './features/diagnostics';
import { documentSymbols } from './features/documentSymbols';
import { foldingRanges } from './features/folding';
import { hover } from './features/hover';
import { definition, prepareRename, references, rename } from './features/navigation';
import { commandAt } from './lang/iptables/navigation';
import { fileSummaryNotification, serverInfoRequest } from './protocol';
import { fileSummary } from './features/fileSummary';
import { applySeverityOverrides } from './features/severityOverrides';
import { ruleFlows } from './analysis/ruleFlows';
import { ruleHoverMarkdown } from './features/ruleHover';
import { codeLenses } from './features/codeLens';
import { exampleOnHost, registerTraceRequests } from './features/traceRequests';
import { SettingsCache, type Settings } from './settings';
import { analyzeDaemonFile } from './lang/docker/daemonFile';
import { anyDockerChain, crossCheck, userlandProxyOf } from './lang/docker/crossChecks';
import { proxyServes, publishedPortFindings, type ProxySetting } from './analysis/publishedPorts';
import type { Diagnostic } from './lang/diagnostic';
import { analyzeIptables } from './lang/iptables/analyze';
import { daemonFilesNear, openByPath, rulesFilesNear, sameHost } from './features/hostFiles';

const VERSION = '0.1.0';
const LANGUAGES = ['iptables', 'docker-daemon'];

const connection = createConnection(ProposedFeatures.all);
// The editor's documents over texts in pieces: an edit of a 26 MB file does not make its text again (pieceDocument.ts).
const documents = new TextDocuments<PieceDocument>({ create: PieceDocument.create, update: PieceDocument.update });
let hasConfiguration = false;
let hasCodeLensRefresh = false;
const settings = new SettingsCache(connection, () => hasConfiguration);
const cache = new AnalysisCache();
const fileNameOf = (uri: string): string => decodeURIComponent(uri.split('/').pop() ?? '');
/** An open document's text (unsaved edits included): by its URI, else by its path (the editor may escape it otherwise than Node). */
const openText = (uri: string): string | undefined => (documents.get(uri) ?? openByPath(uri, documents.all()))?.getText();
/** Findings on a rules file beyond its own analysis (they carry quick fixes too). */
const extraFindings = new Map<string, Diagnostic[]>();
/** Large rules files whose reachability is being computed, for which version and settings (one run each). */
interface ReachPending {
  readonly version: number;
  readonly settings: Settings;
  /** To run as soon as the load diagnostics are out (AnalysisCache.reachWhen "soon"), not after a pause in typing. */
  soon: boolean;
}
const reachPending = new Map<string, ReachPending>();
/** Documents whose publish came from the clean proof: their model is built once it is written. */
const modelAfterPublish = new Map<string, { readonly version: number; readonly settings: Settings }>();
/** The daemon option files beside a rules file, read, and whether docker-proxy is on by them (Docker's default: on). */
function daemonsNear(uri: string, s: Settings): { readonly daemons: Array<{ readonly path: string; readonly uri: string; readonly options: ReturnType<typeof analyzeDaemonFile>['value'] }>; readonly proxy: ProxySetting } {
  let proxy: ProxySetting = { on: true };
  const daemons = daemonFilesNear(uri, openText).map((f) => {
    const options = analyzeDaemonFile(f.text, { fileName: fileNameOf(f.uri), version: s.dockerVersion }).value;
    const p = userlandProxyOf(options, f.path, f.uri);
    if (p.source) proxy = p;
    return { path: f.path, uri: f.uri, options };
  });
  return { daemons, proxy };
}
/** Rules diagnostics, plus what the host's daemon options (next to the file) contradict and Docker's published ports. */
const diagnostics = new DiagnosticsScheduler(connection, (doc, s) => {
  // A large clean file just opened: its only diagnostics are the proof's lints (no reachability findings beyond maxRules, nothing
  // for the Docker checks without Docker's chains), known before its model is built; the model follows, for the features and edits.
  const proof = cache.firstProof(doc, s);
  if (proof && proof.rules > s.maxAnalyzedRules && !anyDockerChain(proof.tables.values())) {
    modelAfterPublish.set(doc.uri, { version: doc.version, settings: s });
    extraFindings.set(doc.uri, []);
    return proof.diagnostics;
  }
  const analysis = cache.get(doc, s);
  const { daemons, proxy } = daemonsNear(doc.uri, s);
  const extra = daemons.flatMap((d) => crossCheck(d.options, analysis.parsed.ruleset, d.path, d.uri).onRules);
  extra.push(...publishedPortFindings(analysis.parsed.ruleset, proxy));
  // Large files (and small ones whose reachability was slow last time): load errors go out at once, reachability follows in a second publish.
  const when = cache.reachWhen(doc, s);
  const reach = when === 'now' ? cache.reach(doc, s) : undefined;
  if (reach) {
    extra.push(...reach.findings);
    reachPending.delete(doc.uri);
  } else {
    // The previous version's findings stay (moved to their lines) until this version's arrive.
    extra.push(...cache.carriedFindings(doc, s));
    const pending = reachPending.get(doc.uri);
    if (pending?.version !== doc.version || pending.settings !== s) {
      const entry = { version: doc.version, settings: s, soon: when === 'soon' };
      reachPending.set(doc.uri, entry);
      // After a pause in typing: the walk holds the thread, and the next edit's diagnostics would wait for it.
      // When the earlier version's run (reusing walks) was short: once this publish is written (below).
      if (!entry.soon) setTimeout(() => void analyseLarge(doc, s, entry), REACH_AFTER_IDLE_MS);
    }
  }
  extraFindings.set(doc.uri, extra);
  return extra.length ? [...analysis.diagnostics, ...extra] : analysis.diagnostics;
}, settings, (uri) => documents.get(uri), (uri, published) => {
  const doc = documents.get(uri);
  // A publish from the clean proof is out: now the model (the thread is held for it).
  const model = modelAfterPublish.get(uri);
  if (model) {
    modelAfterPublish.delete(uri);
    setImmediate(() => {
      const now = documents.get(uri);
      if (now?.version === model.version) cache.get(now, model.settings);
    });
  }
  if (doc) indexLinesWhenIdle(doc);
  // The load diagnostics are out of the process: a short reachability run may hold the thread now.
  const pending = reachPending.get(uri);
  if (doc && pending?.soon && pending.version === doc.version) {
    pending.soon = false;
    setImmediate(() => void analyseLarge(doc, pending.settings, pending, true));
  }
  void connection.sendNotification(fileSummaryNotification, fileSummary(uri, published, !!doc && reachPending.get(uri)?.version === doc.version));
});
const lineIndexed = new WeakSet<TextDocument>();
/**
 * The document's line index (every line's offset: ~50 ms on a 26 MB file) is built on its first
 * incremental change, i.e. inside the first edit's latency: build it right after the first publish instead.
 */
function indexLinesWhenIdle(doc: TextDocument): void {
  if (lineIndexed.has(doc)) return;
  lineIndexed.add(doc);
  setTimeout(() => doc.lineCount, 0);
}
/** How long a large file's text must stay unchanged before its reachability runs. */
const REACH_AFTER_IDLE_MS = 400;
/** Reachability of a large rules file, shown as work-done progress (the client puts it in the status bar). */
async function analyseLarge(doc: TextDocument, s: Settings, entry: ReachPending, soon = false): Promise<void> {
  const current = () => {
    const now = documents.get(doc.uri);
    return now?.version === doc.version ? now : undefined;
  };
  // Only the latest request runs: a newer version, or the same one asked again with other settings, supersedes it.
  if (!current() || reachPending.get(doc.uri) !== entry) return;
  // A short run (soon) shows no progress: it would only flicker in the status bar.
  const progress = soon ? undefined : await connection.window.createWorkDoneProgress();
  progress?.begin('Netfilter Lens', undefined, `analysing ${fileNameOf(doc.uri)}`);
  // The walk below holds the thread: let "begin" reach the client first.
  if (progress) await new Promise((resolve) => setTimeout(resolve, 20));
  try {
    const now = current();
    if (!now) return;
    const reached = cache.reach(now, s);
    diagnostics.schedule(now, true); // its publish finds the result cached and clears reachPending
    if (reached.reach && (reached.rules ?? 0) >= REHEARSE_FROM_RULES) {
      // (After the publish: the first edit's log then finds its slots made.)
      const memo = reached.reach.memo;
      setTimeout(() => memo.spareLog(), 0);
      rehearseWhenIdle(s);
    }
    if (hasCodeLensRefresh) void connection.sendRequest(CodeLensRefreshRequest.type);
  } finally {
    progress?.done();
  }
}
/** The rehearsal's steps wait for this long without an edit or a pending reachability run. */
const REHEARSAL_QUIET_MS = 1000;
let rehearsal: 'waiting' | 'done' | undefined;
let lastChangeAt = 0;
/**
 * V8 compiles the re-analysis's code in the user's first edits unless something ran it before
 * (editRehearsal.ts): rehearse an edit on a small generated ruleset while the user reads, one step
 * per turn of the event loop, each only after a quiet second.
 */
function rehearseWhenIdle(s: Settings): void {
  if (rehearsal) return;
  rehearsal = 'waiting';
  const steps = editRehearsal(s);
  const next = (): void => {
    // (A pending reachability run is the user's edit too: most edits of a large file leave one for a while.)
    if (reachPending.size || Date.now() - lastChangeAt < REHEARSAL_QUIET_MS) return void setTimeout(next, REHEARSAL_QUIET_MS);
    const step = steps.shift();
    if (!step) return void (rehearsal = 'done');
    try {
      step();
    } catch (e) {
      // Only a warm-up: a failure costs the first edit's speed, never the server.
      connection.console.error(`edit rehearsal: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      steps.length = 0;
    }
    setImmediate(next);
  };
  setTimeout(next, REHEARSAL_QUIET_MS);
}
/** A sibling rules file's rules: the open document's cached analysis, else the file on disk parsed now. */
function rulesetOf(f: { uri: string; text: string }, s: Settings) {
  const open = documents.get(f.uri);
  return open && isOurs(open) ? cache.get(open, s).parsed.ruleset : analyzeIptables(f.text, { backend: s.backend, family: 'ipv4' }).parsed.ruleset;
}
const daemonDiagnostics = new DiagnosticsScheduler(
  connection,
  (doc, s) => {
    const a = analyzeDaemonFile(doc.getText(), { fileName: fileNameOf(doc.uri), version: s.dockerVersion });
    const extra = rulesFilesNear(doc.uri, openText).flatMap((f) =>
      crossCheck(a.value, rulesetOf(f, s), doc.uri).onDaemon.map((d) => ({ ...d, message: `${d.message} (rules: ${f.path})` })),
    );
    return extra.length ? [...a.diagnostics, ...extra] : a.diagnostics;
  },
  settings,
  (uri) => documents.get(uri),
);

connection.onInitialize((params): InitializeResult => {
  hasConfiguration = !!params.capabilities.workspace?.configuration;
  hasCodeLensRefresh = !!params.capabilities.workspace?.codeLens?.refreshSupport;
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      documentSymbolProvider: true,
      definitionProvider: true,
      referencesProvider: true,
      renameProvider: { prepareProvider: true },
      completionProvider: { triggerCharacters: ['-', ' ', ',', '*', ':'] },
      hoverProvider: true,
      foldingRangeProvider: true,
      codeActionProvider: { codeActionKinds: ['quickfix'] },
      codeLensProvider: { resolveProvider: false },
    },
    serverInfo: { name: 'netfilter-lens', version: VERSION },
  };
});

connection.onInitialized(() => {
  if (hasConfiguration) void connection.client.register(DidChangeConfigurationNotification.type, undefined);
});

connection.onDidChangeConfiguration(() => {
  settings.clear();
  for (const d of documents.all()) schedule(d, true);
});

/** iptables files: every feature. */
const isOurs = (doc: TextDocument | undefined): doc is TextDocument => !!doc && doc.languageId === 'iptables';
/** Docker daemon options (options files, units, daemon.json): diagnostics. */
const isDaemon = (doc: TextDocument): boolean => doc.languageId === 'docker-daemon' || (/^jsonc?$/.test(doc.languageId) && /(^|\/)daemon\.json$/.test(doc.uri));

function schedule(doc: TextDocument, immediate = false): void {
  if (isOurs(doc)) diagnostics.schedule(doc, immediate);
  else if (isDaemon(doc)) daemonDiagnostics.schedule(doc, immediate);
}

documents.onDidOpen((e) => schedule(e.document, true));
/** The same host's files of the other kind: their cross-file findings depend on this one. */
function scheduleHostmates(doc: TextDocument): void {
  for (const other of documents.all()) {
    if (isOurs(doc) && isDaemon(other) && sameHost(doc.uri, other.uri)) daemonDiagnostics.schedule(other);
    else if (isDaemon(doc) && isOurs(other) && sameHost(other.uri, doc.uri)) diagnostics.schedule(other);
  }
}

documents.onDidChangeContent((e) => {
  lastChangeAt = Date.now();
  schedule(e.document);
  scheduleHostmates(e.document);
});
documents.onDidClose((e) => {
  settings.clear(e.document.uri);
  cache.drop(e.document.uri);
  extraFindings.delete(e.document.uri);
  reachPending.delete(e.document.uri);
  modelAfterPublish.delete(e.document.uri);
  scheduleHostmates(e.document);
  if (isDaemon(e.document)) daemonDiagnostics.clear(e.document.uri);
  else if (isOurs(e.document)) diagnostics.clear(e.document.uri);
});

async function analysisFor(uri: string) {
  if (!isOurs(documents.get(uri))) return undefined;
  // A version not yet published: its diagnostics go out first, from the parse this request needs anyway.
  await diagnostics.flush(uri);
  const doc = documents.get(uri);
  if (!isOurs(doc)) return undefined;
  return { doc, analysis: cache.get(doc, await settings.get(uri)) };
}
/** One line of an open document, without its line break (no copy of the whole text). */
const lineOf = (doc: TextDocument, line: number): string =>
  doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$|\r$/, '');

connection.onDocumentSymbol(async (p) => {
  const a = await analysisFor(p.textDocument.uri);
  if (!a) return [];
  return documentSymbols(a.analysis, (l) => lineOf(a.doc, l), (await settings.get(p.textDocument.uri)).outlineMaxItems);
});
connection.onDefinition(async (p) => {
  const a = await analysisFor(p.textDocument.uri);
  return a ? definition(a.analysis, p.textDocument.uri, p.position) : [];
});
connection.onReferences(async (p) => {
  const a = await analysisFor(p.textDocument.uri);
  return a ? references(a.analysis, p.textDocument.uri, p.position, p.context.includeDeclaration) : [];
});
connection.onPrepareRename(async (p) => {
  const a = await analysisFor(p.textDocument.uri);
  return a ? prepareRename(a.analysis, p.position) : null;
});
connection.onRenameRequest(async (p) => {
  const a = await analysisFor(p.textDocument.uri);
  if (!a) return null;
  const r = rename(a.analysis, p.textDocument.uri, p.position, p.newName);
  if ('error' in r) throw new Error(r.error);
  return r;
});
connection.onCompletion(async (p) => {
  const uri = p.textDocument.uri;
  const doc = documents.get(uri);
  if (!isOurs(doc)) return [];
  // VS Code asks on nearly every keystroke (quick suggestions). Completion reads the line being typed from the
  // text and only the tables and chain names around it from the analysis: the newest one serves, even of an
  // earlier version, so typing is not parsed keystroke by keystroke (the diagnostics' schedule decides that).
  const analysis = cache.latest(uri, await settings.get(uri)) ?? (await analysisFor(uri))?.analysis;
  return analysis ? completion(analysis, lineOf(doc, p.position.line), p.position) : [];
});
connection.onHover(async (p) => {
  const a = await analysisFor(p.textDocument.uri);
  if (!a) return null;
  const s = await settings.get(p.textDocument.uri);
  const flows = (line: number): string | undefined => {
    const r = cache.reach(a.doc, s);
    if (!r.reach) return r.skipped ? `_Flows not analysed: ${r.skipped}._` : undefined;
    const f = ruleFlows(r.reach, line);
    if (!f) return undefined;
    const onLine = (extraFindings.get(p.textDocument.uri) ?? []).filter((d) => d.span.start.line === line && !['unreachable-rule', 'rule-after-terminal', 'redundant-rule', 'impossible-match'].includes(d.code));
    const spec = commandAt(a.analysis.parsed.file, line)?.rule;
    // The example and its trace link: on the described host when there is one, as the trace panel will run it.
    const example = exampleOnHost(p.textDocument.uri, a.analysis, r.reach, line, openText) ?? f.example;
    const link = example ? `command:netfilterLens.traceExample?${encodeURIComponent(JSON.stringify([{ uri: p.textDocument.uri, hook: example.hook, witness: example.witness }]))}` : undefined;
    return ruleHoverMarkdown(example ? { ...f, example } : f, spec, onLine, link, proxyServes(a.analysis.parsed.ruleset, line, daemonsNear(p.textDocument.uri, s).proxy));
  };
  return hover(a.analysis, p.position, flows);
});
connection.onCodeLens(async (p) => {
  const a = await analysisFor(p.textDocument.uri);
  if (!a) return [];
  // VS Code asks after each pause in typing: a large file's reachability is not started here (it runs after
  // 400 ms without edits, then the lenses are refreshed); until then the previous version's counts stay.
  return codeLenses(a.analysis, cache.latestReach(a.doc, await settings.get(p.textDocument.uri))?.reach);
});
registerTraceRequests(connection, {
  analysisFor,
  reachFor: async (uri) => {
    const doc = documents.get(uri);
    return isOurs(doc) ? cache.reach(doc, await settings.get(uri)) : undefined;
  },
  openText,
  backend: async (uri) => (await settings.get(uri)).backend,
  assume: async (uri) => (await settings.get(uri)).assumeUnknown,
  log: (m) => connection.console.error(m),
});
connection.onFoldingRanges(async (p) => {
  const a = await analysisFor(p.textDocument.uri);
  return a ? foldingRanges(a.analysis) : [];
});
connection.onCodeAction(async (p) => {
  const a = await analysisFor(p.textDocument.uri);
  if (!a) return [];
  // No quick fix for a finding the user turned off.
  const shown = applySeverityOverrides([...a.analysis.diagnostics, ...(extraFindings.get(p.textDocument.uri) ?? [])], (await settings.get(p.textDocument.uri)).severityOverrides);
  return codeActions(shown, p.textDocument.uri, p.range, p.context.diagnostics);
});
connection.onRequest(serverInfoRequest, () => ({ version: VERSION, languages: LANGUAGES, ...(rehearsal ? { editRehearsal: rehearsal } : {}) }));

documents.listen(connection);
connection.listen();
