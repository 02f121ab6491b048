/**
 * Extension-host tests: the extension as VS Code loads it from source
 * (--extensionDevelopmentPath), on a copy of examples/, through the vscode
 * API. Run by `npm run test:vscode` (desktop VS Code), not by CI.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { COMMAND_IDS, COMMAND_PREFIX } from '../../../client/src/commandIds';

export interface Case {
  readonly name: string;
  run(): Promise<void>;
}

const folder = (): vscode.Uri => vscode.workspace.workspaceFolders![0]!.uri;
const file = (rel: string): vscode.Uri => vscode.Uri.joinPath(folder(), ...rel.split('/'));

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function open(rel: string): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument(file(rel));
  await vscode.window.showTextDocument(doc);
  return doc;
}

const diagnosticsWith = (uri: vscode.Uri, code: string) => until(`a ${code} diagnostic on ${uri.path}`, () => vscode.languages.getDiagnostics(uri).find((d) => d.code === code));

export const CASES: readonly Case[] = [
  {
    name: 'an iptables-save dump gets the iptables language and the extension publishes its findings',
    async run() {
      const doc = await open('docker-host-flushed/rules.v4');
      assert.equal(doc.languageId, 'iptables');
      const d = await diagnosticsWith(doc.uri, 'docker-dnat-unreached');
      assert.equal(d.severity, vscode.DiagnosticSeverity.Warning);
      assert.equal(d.source, 'netfilter-lens');
    },
  },
  {
    name: 'every command of package.json is registered',
    async run() {
      await until('the extension to activate', () => vscode.extensions.getExtension('netfilter-lens.netfilter-lens')?.isActive);
      const all = new Set(await vscode.commands.getCommands(true));
      for (const id of COMMAND_IDS) assert.ok(all.has(COMMAND_PREFIX + id), `${COMMAND_PREFIX + id} is registered`);
    },
  },
  {
    name: 'hovering the DNAT rule shows the packets it matches and its rewrite',
    async run() {
      const doc = await open('docker-host-flushed/rules.v4');
      const line = doc.getText().split('\n').findIndex((l) => l.includes('-j DNAT'));
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(line, doc.lineAt(line).text.indexOf('DNAT') + 1));
      const md = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');
      assert.match(md, /Packets this rule matches/);
      assert.match(md, /\| OUTPUT \| OUTPUT → line \d+ \|/);
      assert.match(md, /rewrites the destination to 172\.17\.0\.4/);
    },
  },
  {
    name: 'netfilterLens.diagnostics.severity changes a finding\'s severity, and "off" removes it',
    async run() {
      const doc = await open('docker-host-flushed/rules.v4');
      await diagnosticsWith(doc.uri, 'docker-dnat-unreached');
      const config = vscode.workspace.getConfiguration('netfilterLens');
      try {
        await config.update('diagnostics.severity', { 'docker-dnat-unreached': 'error' }, vscode.ConfigurationTarget.Workspace);
        await until('the warning to become an error', () => vscode.languages.getDiagnostics(doc.uri).find((d) => d.code === 'docker-dnat-unreached' && d.severity === vscode.DiagnosticSeverity.Error));
        await config.update('diagnostics.severity', { 'docker-dnat-unreached': 'off' }, vscode.ConfigurationTarget.Workspace);
        await until('the finding to disappear', () => !vscode.languages.getDiagnostics(doc.uri).some((d) => d.code === 'docker-dnat-unreached'));
      } finally {
        await config.update('diagnostics.severity', undefined, vscode.ConfigurationTarget.Workspace);
      }
      await diagnosticsWith(doc.uri, 'docker-dnat-unreached');
    },
  },
  {
    name: 'a file iptables-restore would refuse has its errors where it would stop',
    async run() {
      const doc = await open('mistakes/rules.v4');
      const d = await diagnosticsWith(doc.uri, 'wrong-hook');
      assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
      assert.match(doc.lineAt(d.range.start.line).text, /-j DNAT/);
    },
  },
];
