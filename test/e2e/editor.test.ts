/**
 * The packaged extension in a real VS Code: code-server in headless Chromium,
 * driven by playwright-core (see ../../../shared/vscode-e2e.md and
 * .ci/setup-e2e). The .vsix from `npm run package` is installed with
 * --install-extension and a copy of examples/ is opened; screenshots of each
 * state go to test/artifacts/e2e/.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { COMMAND_PREFIX, PROCESS_COMMAND_IDS } from '../../client/src/commandIds';
import { e2eAvailability, startCodeServer, type CodeServer } from '../tools/codeServer.mjs';
import { launchBrowser, poll, Workbench } from './workbench';

const root = join(__dirname, '..', '..', '..');
const avail = e2eAvailability();
const skip = avail.ok ? false : `E2E SKIPPED: ${avail.why} (run .ci/setup-e2e)`;
const STATUS_ITEM = 'netfilter-lens.netfilter-lens.netfilterLens.summary';
/** Settings that keep the window quiet and typing literal (no suggestion accepted by a space). */
const QUIET = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'editor.quickSuggestions': { other: false, comments: false, strings: false },
  'editor.suggestOnTriggerCharacters': false,
  'editor.minimap.enabled': false,
  // VS Code in a browser saves after a delay by default: edits stay unsaved until a test saves them.
  'files.autoSave': 'off',
};
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { contributes: { commands: Array<{ command: string; title: string; category?: string }> } };
/** Palette titles of the commands that run processes, as package.json declares them. */
const DECLARED_PROCESS_TITLES = PROCESS_COMMAND_IDS.map((id) => {
  const c = pkg.contributes.commands.find((x) => x.command === COMMAND_PREFIX + id)!;
  return `${c.category}: ${c.title}`;
});
/** …and the one issue 6 plans, whatever its id turns out to be. */
const PROCESS_TITLES = [...DECLARED_PROCESS_TITLES, 'Verify Trace on Kernel'];

describe('VS Code (code-server) with the packaged extension', { skip, timeout: 300_000 }, () => {
  let tmp = '';
  let vsix = '';
  let browser: Browser | undefined;

  /** A fresh copy of examples/ and a code-server for it. */
  async function serve(name: string, settings: Record<string, unknown>): Promise<{ server: CodeServer; wb: Workbench }> {
    const workspace = join(tmp, name, 'examples');
    cpSync(join(root, 'examples'), workspace, { recursive: true });
    const home = join(tmp, name, 'home');
    mkdirSync(home, { recursive: true });
    const server = await startCodeServer({ vsix, workspace, home, settings: { ...QUIET, ...settings } });
    try {
      return { server, wb: await Workbench.open(browser!, server.url) };
    } catch (e) {
      await server.stop();
      throw e;
    }
  }

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'nflens-e2e-'));
    vsix = join(tmp, 'netfilter-lens.vsix');
    execFileSync('npm', ['run', '-s', 'package', '--', '--out', vsix], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  describe('a trusted workspace', () => {
    let server: CodeServer | undefined;
    let wb: Workbench;
    before(async () => {
      ({ server, wb } = await serve('trusted', { 'security.workspace.trust.enabled': false }));
    });
    after(async () => {
      await wb?.close();
      await server?.stop();
    });

    /** Waits for the status bar item's accessible label; a timeout names the last one seen. */
    async function statusLabel(expected: string): Promise<void> {
      let last: string | null = null;
      await poll(`status bar "${expected}"`, async () => (last = await wb.statusItem(STATUS_ITEM).getAttribute('aria-label')) === expected).catch(async (e: Error) => {
        await wb.screenshot('failed-status-bar');
        throw new Error(`${e.message}; last label: ${last}`);
      });
    }

    /** The webview frame whose `selector` shows text that satisfies `ok` (after a reload the old frames are gone, new ones come). */
    const frameShowing = (what: string, selector: string, ok: (text: string) => boolean) => poll(what, async () => {
      for (const f of wb.page.frames()) if (ok((await f.locator(selector).first().textContent({ timeout: 500 }).catch(() => null)) ?? '')) return f;
      return undefined;
    }, 60_000);

    /** Runs `steps`; a failure saves the screenshot failed-<name>, says what each webview shows, and runs `tidy` for the next test. */
    async function explained(name: string, steps: () => Promise<void>, tidy?: () => Promise<void>): Promise<void> {
      try {
        await steps();
      } catch (e) {
        await wb.screenshot(`failed-${name}`);
        const shown = await Promise.all(wb.page.frames().map((f) => f.locator('main').first().textContent({ timeout: 500 }).catch(() => null)));
        await tidy?.().catch(() => undefined);
        throw new Error(`${e instanceof Error ? e.message : String(e)}; the webviews show: ${JSON.stringify(shown.filter(Boolean))}`);
      }
    }

    /** From a clean editor: Trace Packet… on docker-host/rules.v4, the client to the published port; the panel's frame once it shows the trace. */
    async function traceClientToPublishedPort() {
      await wb.runCommand('View: Close All Editors');
      await wb.openFile('docker-host/rules.v4');
      await wb.runCommand('Netfilter Lens: Trace Packet…');
      await wb.pickRow('handshake, data and close', '(1/');
      await wb.pickRow('10.10.126.187', '(2/');
      await wb.pickRow('published → web:12580', '(3/');
      return frameShowing('the trace from client', '[data-testid="trace-packet-line"]', (t) => t.includes('10.10.126.187'));
    }

    async function showProblems(): Promise<void> {
      if (!(await wb.page.locator('.markers-panel').isVisible())) await wb.runCommand('Problems: Focus on Problems View');
      await wb.page.locator('.markers-panel').waitFor();
    }

    it('the Problems view lists the Docker dump\'s docker-dnat-unreached warning and the errors of mistakes/rules.v4', async () => {
      await wb.openFile('docker-host-flushed/rules.v4');
      await wb.openFile('mistakes/rules.v4');
      await showProblems();
      const rows = await poll('both files in the Problems view', async () => {
        const r = await wb.problems();
        return r.some((x) => x.includes('docker-dnat-unreached')) && r.some((x) => x.includes('wrong-hook')) ? r : undefined;
      });
      const dnat = rows.find((r) => r.includes('docker-dnat-unreached'))!;
      assert.match(dnat, /^Warning: Connections arriving from other hosts never reach this DNAT rule/);
      assert.match(dnat, /\[Ln 13, Col 52\]/);
      const errors = rows.filter((r) => r.startsWith('Error:'));
      for (const code of ['wrong-hook', 'intrapositioned-negation', 'unknown-option', 'unknown-target']) assert.ok(errors.some((r) => r.includes(code)), `an error ${code}`);
      await wb.screenshot('01-problems');

      // The status bar counts the same errors for the active file (mistakes/rules.v4).
      const label = await poll('the status bar item', () => wb.statusItem(STATUS_ITEM).getAttribute('aria-label'));
      const m = /^Netfilter Lens: (\d+) errors?, (\d+) warnings?$/.exec(label);
      assert.ok(m, label);
      assert.equal(Number(m[1]), errors.length, 'status bar errors = error rows in Problems (only mistakes/rules.v4 has errors)');
    });

    it('the status bar item counts the active file, follows edits (a shadowed rule typed in shows as unreachable), and opens Problems', async () => {
      await wb.openFile('docker-host-flushed/rules.v4');
      await statusLabel('Netfilter Lens: 1 warning, every rule is reachable');
      assert.equal((await wb.statusItem(STATUS_ITEM).textContent())?.trim(), '1 warning · all rules reachable');

      await wb.openFile('web-server/rules.v4');
      await statusLabel('Netfilter Lens: 1 warning, every rule is reachable');
      // Line 12 accepts tcp to 80 and 443; a DROP of 443 below it can never match.
      await wb.goToLine(12);
      await wb.page.keyboard.press('End');
      await wb.page.keyboard.press('Enter');
      await poll('the cursor on a new line 13', async () => (await wb.statusItem('status.editor.selection').textContent())?.includes('Ln 13, Col 1'));
      await wb.page.keyboard.type('-A INPUT -p tcp -m tcp --dport 443 -j DROP');
      await statusLabel('Netfilter Lens: 2 warnings, 1 rule no packet reaches');
      assert.equal((await wb.statusItem(STATUS_ITEM).textContent())?.trim(), '2 warnings · 1 unreachable');
      if (await wb.page.locator('.part.panel').isVisible()) await wb.runCommand('View: Toggle Panel Visibility');
      await wb.page.locator('.markers-panel').waitFor({ state: 'hidden' });
      await wb.screenshot('02-status-bar-unreachable');
      await wb.statusItem(STATUS_ITEM).click();
      await wb.page.locator('.markers-panel').waitFor();
      // Only the rows for this code: the view draws the rows that fit, and two other files are open.
      await wb.page.keyboard.press('Control+F');
      await wb.page.keyboard.type('unreachable-rule');
      let seen: string[] = [];
      await poll('the new rule in Problems', async () => (seen = await wb.problems()).some((r) => r.includes('unreachable-rule') && r.includes('[Ln 13'))).catch((e: Error) => {
        throw new Error(`${e.message}\n${seen.join('\n')}`);
      });
      await wb.screenshot('02b-problems-unreachable');
      await wb.page.keyboard.press('Control+A');
      await wb.page.keyboard.press('Backspace');
      await wb.openFile('web-server/rules.v4');
      await wb.runCommand('File: Revert File');
    });

    it('hovering the DNAT rule of docker-host-flushed/rules.v4 shows the packets it matches (from OUTPUT) and its rewrite', async () => {
      await wb.openFile('docker-host-flushed/rules.v4');
      if (await wb.page.locator('.part.panel').isVisible()) await wb.runCommand('View: Toggle Panel Visibility');
      const target = wb.page.locator('.view-lines .view-line', { hasText: '-j DNAT' }).locator('span', { hasText: /^DNAT$/ }).first();
      await target.hover();
      const hover = wb.page.locator('.monaco-hover-content').first();
      await poll('the flows in the hover', async () => (await hover.textContent())?.includes('Packets this rule matches'));
      const text = (await hover.textContent()) ?? '';
      assert.match(text, /Packets this rule matches \(nat DOCKER\)/);
      assert.match(text, /rewrites the destination to 172\.17\.0\.4, port 12580/);
      const rows = await hover.locator('table tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td,th')].map((c) => c.textContent?.trim() ?? '')));
      assert.deepEqual(rows[0], ['Hook', 'Path', 'Packets']);
      const output = rows.find((r) => r[0] === 'OUTPUT');
      assert.ok(output, JSON.stringify(rows));
      assert.equal(output[1], 'OUTPUT → line 10');
      assert.match(output[2]!, /tcp to port 12580/);
      assert.ok(!rows.some((r) => r[0] === 'PREROUTING'), 'no flow from PREROUTING: its jump to DOCKER is gone');
      assert.equal(await hover.locator('a', { hasText: 'Trace this packet' }).count(), 1);
      await hover.locator('table').first().evaluate((t) => t.scrollIntoView({ block: 'center' }));
      await wb.screenshot('03-hover-dnat');
    });

    it('the walkthrough "Get Started with Netfilter Lens" lists its steps, and a step\'s page shows its packaged screenshot', async () => {
      await wb.runCommand('Welcome: Open Walkthrough...');
      const row = wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'Get Started with Netfilter Lens' }).first();
      await row.waitFor();
      await row.click();
      const steps = wb.page.locator('.getting-started-step');
      const ids = await poll('the walkthrough steps', async () => {
        const all = await steps.evaluateAll((els) => els.map((e) => e.getAttribute('data-step-id') ?? ''));
        return all.length >= 5 ? all.map((id) => id.split('#').pop()) : undefined;
      });
      assert.deepEqual(ids, ['openDump', 'seeDiagnostics', 'hoverRule', 'tracePacket', 'settings']);
      await steps.filter({ hasText: 'Trace a packet' }).click();
      const media = await wb.webviewFrame('img[src*="docs/images/trace-panel.png"]');
      await poll('the step\'s image loaded from the installed extension', () => media.locator('img[src*="docs/images/trace-panel.png"]').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0));
      await wb.screenshot('00-walkthrough');
      await wb.runCommand('View: Close All Editors');
    });

    it('Netfilter Lens: Show Output opens the language server\'s log: each check, its diagnostics and time', async () => {
      await wb.openFile('docker-host-flushed/rules.v4');
      await wb.runCommand('Netfilter Lens: Show Output');
      const output = wb.page.locator('.part.panel .monaco-editor .view-lines').first();
      let shown = '';
      // Monaco draws spaces as no-break spaces.
      await poll('the server log in the output view', async () => /checked file:\/\/\S+docker-host-flushed\/rules\.v4 v\d+: \d+ diagnostics in \d+ ms/.test((shown = ((await output.textContent()) ?? '').replace(/\u00a0/g, ' ')))).catch(async (e: Error) => {
        await wb.screenshot('failed-output');
        throw new Error(`${e.message}; the output view shows: ${shown.slice(-600)}`);
      });
      await wb.runCommand('View: Toggle Panel Visibility');
    });

    it(`trusted: the trusted-only context key netfilterLens.processCommandsEnabled is true${PROCESS_COMMAND_IDS.length ? ' and the process commands are in the palette' : ''} (the untrusted case must see the opposite)`, async () => {
      await wb.openFile('docker-host-flushed/rules.v4');
      const keys = await wb.contextKeys();
      assert.equal(keys['isWorkspaceTrusted'], true);
      assert.equal(keys['netfilterLens.processCommandsEnabled'], true);
      const entries = await wb.paletteEntries('Netfilter Lens');
      for (const title of DECLARED_PROCESS_TITLES) assert.ok(entries.some((e) => e.startsWith(title)), `${title} is offered: ${entries.join(' | ')}`);
    });

    it('Trace Packet… from the palette (client → docker-host:12580) opens the trace panel with the DNAT step; clicking a step reveals its rule', async () => {
      const rules = readFileSync(join(root, 'examples', 'docker-host', 'rules.v4'), 'utf8').split('\n');
      const lineOf = (s: string) => rules.findIndex((l) => l.includes(s)) + 1;
      const dnatLine = lineOf('-j DNAT --to-destination 172.17.0.4:12580');
      const acceptLine = lineOf('-A DOCKER -d 172.17.0.4/32');
      assert.ok(dnatLine > 0 && acceptLine > 0);

      await wb.openFile('docker-host/rules.v4');
      if (await wb.page.locator('.part.panel').isVisible()) await wb.runCommand('View: Toggle Panel Visibility');
      await wb.runCommand('Netfilter Lens: Trace Packet…');
      await wb.pickRow('handshake, data and close', '(1/');
      await wb.pickRow('10.10.126.187', '(2/');
      await wb.pickRow('published → web:12580', '(3/');

      const frame = await wb.webviewFrame('[data-testid="trace-steps"]');
      const panel = frame.locator('[data-testid="trace-packet"]').first();
      await poll('the first packet entering', async () => (await panel.locator('[data-testid="trace-packet-line"]').textContent())?.includes('10.10.126.187'));
      const dnat = panel.locator(`[data-testid="trace-step"][data-kind="rule"][data-line="${dnatLine}"]`);
      assert.equal(await dnat.count(), 1, `the DNAT rule (line ${dnatLine}) matched`);
      const rewrite = panel.locator('[data-testid="trace-step"][data-kind="rewrite"][data-what="DNAT"]');
      assert.match((await rewrite.locator('[data-testid="trace-rewrite-after"]').textContent()) ?? '', /172\.17\.0\.4/);
      assert.match((await rewrite.locator('[data-testid="trace-rewrite-before"]').textContent()) ?? '', /10\.10\.126\.101/);
      assert.equal(await panel.locator('[data-testid="trace-packet-fate"]').getAttribute('data-fate'), 'forwarded');
      assert.deepEqual(await panel.locator('[data-testid="trace-step"][data-kind="hook"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-hook'))), ['PREROUTING', 'FORWARD', 'POSTROUTING']);
      await wb.screenshot('05-trace-panel');

      await panel.locator(`[data-testid="trace-rule-link"][data-line="${acceptLine}"]`).first().click();
      await poll(`the cursor on line ${acceptLine} of docker-host/rules.v4`, async () => {
        const tab = await wb.page.locator('.tabs-container .tab.active').first().getAttribute('aria-label');
        return tab?.startsWith('rules.v4') && (await wb.statusItem('status.editor.selection').textContent())?.includes(`Ln ${acceptLine}, Col 1`);
      });
      await wb.screenshot('06-trace-rule-revealed');
    });

    it('Show Host Topology draws docker-host (docker0 with web and other, tcp/12580 published) and a click on a container starts Trace Packet… pre-filled', async () => {
      await wb.openFile('docker-host/rules.v4');
      await wb.runCommand('Netfilter Lens: Show Host Topology');
      const frame = await wb.webviewFrame('[data-testid="topology-host"]');
      const view = frame.locator('[data-testid="topology-host"]');
      const containers = view.locator('[data-testid="topology-bridge-port"][data-bridge="docker0"] [data-testid="topology-container"]');
      await poll('the containers behind docker0', async () => (await containers.count()) === 2);
      assert.deepEqual(await containers.evaluateAll((els) => els.map((e) => e.getAttribute('data-name'))), ['web', 'other']);
      assert.equal(await view.locator('[data-testid="topology-published"][data-port="12580"]').getAttribute('data-served-by'), 'dnat+docker-proxy');
      await wb.screenshot('07-topology');

      // other → web:12580: every answer is filled in (the focused row of each step), so accepting them traces it.
      await view.locator('[data-testid="topology-container"][data-name="other"] [data-testid="topology-trace"]').click();
      for (const [step, answer] of [['(1/', 'tcp'], ['(2/', 'other'], ['(3/', 'web:12580']] as const) {
        let header = '';
        await poll(`quick input step ${step}`, async () => (header = await wb.page.locator('.quick-input-widget').first().evaluate((el) => (el as unknown as { innerText: string }).innerText)).includes(step)).catch((e: Error) => {
          throw new Error(`${e.message}; the quick input shows: ${header.slice(0, 300)}`);
        });
        const focused = wb.page.locator('.quick-input-list .monaco-list-row.focused').first();
        await poll(`step ${step} pre-filled with ${answer}`, async () => ((await focused.textContent()) ?? '').includes(answer));
        await focused.click();
      }
      const trace = await wb.webviewFrame('[data-testid="trace-title"]');
      await poll('the trace of other → web:12580', async () => (await trace.locator('[data-testid="trace-title"]').textContent()) === 'tcp other → web:12580');
      assert.match((await trace.locator('[data-testid="trace-packet-line"]').first().textContent()) ?? '', /172\.17\.0\.2/);
      await wb.screenshot('08-topology-trace');
    });

    it('an unsaved edit to the host description reaches the trace panel and the topology view; reverting it goes back', () => explained('unsaved', async () => {
      await traceClientToPublishedPort();
      // From the trace panel: the topology of its rules, in a third column, so both panels stay in sight.
      await wb.runCommand('Netfilter Lens: Show Host Topology');
      await frameShowing('the topology with client', '[data-testid="topology-peer"][data-name="client"]', (t) => t.includes('10.10.126.187'));

      // Type client's new address over the old one in the description, in the first column, and do not save.
      await wb.runCommand('View: Focus First Editor Group');
      await wb.openFile('docker-host/nflens-host.json');
      // Keys go to the text only once it has focus, and to the find widget only once it is open: wait for each.
      await wb.page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click({ position: { x: 5, y: 5 } });
      await wb.page.keyboard.press('Control+F');
      await wb.page.locator('.editor-group-container.active .find-widget.visible').waitFor();
      await wb.page.keyboard.type('10.10.126.187');
      await poll('the old address selected in the editor', async () => (await wb.statusItem('status.editor.selection').textContent())?.includes('(13 selected)'));
      await wb.page.keyboard.press('Escape');
      await wb.page.locator('.editor-group-container.active .find-widget.visible').waitFor({ state: 'hidden' });
      await wb.page.keyboard.type('10.10.126.189');
      await frameShowing('the trace panel traced from the unsaved address', '[data-testid="trace-packet-line"]', (t) => t.includes('10.10.126.189'));
      await frameShowing('the topology view drawn from the unsaved address', '[data-testid="topology-peer"][data-name="client"]', (t) => t.includes('10.10.126.189'));
      assert.match(readFileSync(join(tmp, 'trusted', 'examples', 'docker-host', 'nflens-host.json'), 'utf8'), /"10\.10\.126\.187"/, 'not saved: the disk still has the old address');
      await wb.screenshot('11-unsaved-description');

      await wb.runCommand('File: Revert File');
      await frameShowing('the trace panel back on the saved address', '[data-testid="trace-packet-line"]', (t) => t.includes('10.10.126.187'));
      await frameShowing('the topology view back on the saved address', '[data-testid="topology-peer"][data-name="client"]', (t) => t.includes('10.10.126.187'));
    }, async () => {
      // Left unsaved, the description would make the next test's Close All Editors ask whether to save it.
      await wb.page.keyboard.press('Escape');
      await wb.openFile('docker-host/nflens-host.json');
      await wb.runCommand('File: Revert File');
    }));

    it('after Developer: Reload Window the trace panel and the topology view come back, traced and drawn again from the files as they are then; a rules file gone by then is said in the panels', async () => {
      const dir = join(tmp, 'trusted', 'examples', 'docker-host');
      const description = join(dir, 'nflens-host.json');
      const original = readFileSync(description, 'utf8');
      const showTab = (label: string) => wb.page.locator('.tabs-container .tab', { hasText: label }).first().click();
      try {
        await explained('reload', async () => {
          const before = await traceClientToPublishedPort();
          const title = (await before.locator('[data-testid="trace-title"]').textContent()) ?? '';
          await wb.openFile('docker-host/rules.v4');
          await wb.runCommand('Netfilter Lens: Show Host Topology');
          await frameShowing('the topology of docker-host', '[data-testid="topology-title"]', (t) => t === 'Topology of docker-host');

          // While the window reloads, the description on disk moves the peer "client": what comes back must be computed anew, not kept.
          writeFileSync(description, original.replace('"address": "10.10.126.187"', '"address": "10.10.126.188"'));
          await wb.reloadWindow();
          // The topology view was the active tab of its group: back first.
          const topo = await frameShowing('the topology view back, with client at its new address', '[data-testid="topology-peer"][data-name="client"]', (t) => t.includes('10.10.126.188'));
          assert.equal(await topo.locator('[data-testid="topology-title"]').textContent(), 'Topology of docker-host');
          assert.deepEqual(await topo.locator('[data-testid="topology-container"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-name'))), ['web', 'other']);
          // The trace panel was a hidden tab: VS Code restores it when it is shown.
          await showTab('Trace:');
          const trace = await frameShowing('the trace panel back, the same packet sent from client\'s new address', '[data-testid="trace-packet-line"]', (t) => t.includes('10.10.126.188'));
          assert.equal(await trace.locator('[data-testid="trace-title"]').textContent(), title, 'the same request');
          assert.equal(await trace.locator('[data-testid="trace-packet-fate"]').first().getAttribute('data-fate'), 'forwarded');
          assert.equal(await trace.locator('[data-testid="trace-step"][data-kind="rewrite"][data-what="DNAT"]').count(), 1, 'the DNAT step again');
          assert.equal(await trace.locator('[data-testid="trace-warnings"]').count(), 0, 'the same host as before the reload: nothing to warn about');
          await wb.screenshot('09-trace-restored-after-reload');

          // The rules file moved away: after the next reload both panels say so, instead of showing a result of a file that is gone.
          renameSync(join(dir, 'rules.v4'), join(dir, 'rules.v4.moved'));
          await wb.reloadWindow();
          await showTab('Trace:');
          const gone = await frameShowing('the trace panel saying the rules file is gone', '[data-testid="trace-error"]', (t) => t.startsWith('The rules file rules.v4 no longer exists'));
          assert.equal(await gone.locator('[data-testid="trace-panel"]').getAttribute('data-state'), 'error');
          assert.equal(await gone.locator('[data-testid="trace-title"]').textContent(), title, 'it still says which trace it was');
          await wb.screenshot('10-trace-restored-file-gone');
          await showTab('Topology');
          await frameShowing('the topology view saying the rules file is gone', '[data-testid="topology-error"]', (t) => t.startsWith('The file rules.v4 no longer exists'));
          assert.equal(await wb.page.locator('.notification-toast', { hasText: 'rules.v4' }).count(), 0, 'in the panels, no popup');

          // The file comes back (moved back from outside the editor): the panels show it again without a reload.
          renameSync(join(dir, 'rules.v4.moved'), join(dir, 'rules.v4'));
          await frameShowing('the topology view drawing the rules file again', '[data-testid="topology-container"]', (t) => t.includes('web'));
          await showTab('Trace:');
          const back = await frameShowing('the trace panel tracing again', '[data-testid="trace-packet-line"]', (t) => t.includes(' enters '));
          assert.equal(await back.locator('[data-testid="trace-step"][data-kind="rewrite"][data-what="DNAT"]').count(), 1, 'the DNAT step again');
        });
      } finally {
        writeFileSync(description, original);
        if (existsSync(join(dir, 'rules.v4.moved'))) renameSync(join(dir, 'rules.v4.moved'), join(dir, 'rules.v4'));
      }
    });
  });

  describe('an untrusted workspace (trust enabled, folder not trusted)', () => {
    let server: CodeServer | undefined;
    let wb: Workbench;
    before(async () => {
      ({ server, wb } = await serve('untrusted', { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.banner': 'always' }));
    });
    after(async () => {
      await wb?.close();
      await server?.stop();
    });

    const processCommands = DECLARED_PROCESS_TITLES.length ? `${DECLARED_PROCESS_TITLES.join(', ')} absent from the palette` : 'none in the palette (none exists yet)';
    it(`runs in Restricted Mode with diagnostics still on, and commands that run processes off: ${processCommands}, and the trusted-only context key is false`, async () => {
      await wb.page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).waitFor();
      await wb.openFile('mistakes/rules.v4');
      await poll('the status bar item in Restricted Mode', async () => /^Netfilter Lens: \d+ errors/.test((await wb.statusItem(STATUS_ITEM).getAttribute('aria-label')) ?? ''));
      const keys = await wb.contextKeys();
      assert.equal(keys['isWorkspaceTrusted'], false);
      assert.equal(keys['netfilterLens.processCommandsEnabled'], false);
      const entries = await wb.paletteEntries('Netfilter Lens');
      assert.ok(entries.some((e) => e.startsWith('Netfilter Lens: Show Output')), `the palette lists our commands: ${entries.join(' | ')}`);
      for (const title of PROCESS_TITLES) assert.ok(!entries.some((e) => e.includes(title)), `${title} is hidden`);
      await wb.statusItem(STATUS_ITEM).hover();
      const tooltip = wb.page.locator('.workbench-hover', { hasText: 'Restricted Mode: commands that run processes are off.' }).first();
      await tooltip.waitFor();
      // Shown once faded in (the screenshot is the artefact a reviewer reads).
      await poll('the tooltip faded in', () =>
        tooltip.evaluate((el) => {
          // Runs in the page (no DOM types here): the hover and every ancestor fully opaque.
          type Node = { parentElement: Node | null };
          const style = (globalThis as unknown as { getComputedStyle(n: Node): { opacity: string } }).getComputedStyle;
          for (let n: Node | null = el as unknown as Node; n; n = n.parentElement) if (style(n).opacity !== '1') return false;
          return true;
        }),
      );
      await wb.screenshot('04-restricted-mode');
    });
  });
});
