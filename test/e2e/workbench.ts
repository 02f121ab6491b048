/**
 * Driving VS Code's workbench in headless Chromium with playwright-core:
 * open a file, run a command, read the palette, the Problems view, a hover,
 * the context keys. Every wait polls for a condition; none sleeps.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type ConsoleMessage, type Frame, type Page } from 'playwright-core';
import { CHROMIUM } from '../tools/codeServer.mjs';

export const ARTIFACTS = join(__dirname, '..', '..', 'artifacts', 'e2e');

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Polls `probe` until it returns something truthy; fails with `what` and the last value seen. */
export async function poll<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

export class Workbench {
  private readonly console: ConsoleMessage[] = [];
  private constructor(readonly page: Page) {
    page.on('console', (m) => this.console.push(m));
  }

  static async open(browser: Browser, url: string): Promise<Workbench> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    await page.goto(url);
    await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    const wb = new Workbench(page);
    await poll('the explorer to list the workspace', () => page.locator('.explorer-folders-view .monaco-list-row').count());
    return wb;
  }

  /** "Developer: Reload Window", as a user runs it; waits until the reloaded workbench lists the workspace again. */
  async reloadWindow(): Promise<void> {
    const loaded = this.page.waitForEvent('load', { timeout: 60_000 });
    await this.runCommand('Developer: Reload Window');
    await loaded;
    await this.page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    await poll('the explorer to list the workspace after the reload', () => this.page.locator('.explorer-folders-view .monaco-list-row').count());
  }

  async screenshot(name: string): Promise<string> {
    mkdirSync(ARTIFACTS, { recursive: true });
    const path = join(ARTIFACTS, `${name}.png`);
    await this.page.screenshot({ path });
    return path;
  }

  /** Quick Open (Ctrl+P) on a workspace-relative path; waits until its editor is active. */
  async openFile(relPath: string): Promise<void> {
    const [dir, name] = [relPath.split('/').slice(0, -1).join('/'), relPath.split('/').pop()!];
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(relPath);
    // The folder exactly: "docker-host" must not pick docker-host-flushed/rules.v4.
    const exactly = (text: string) => new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, (c) => `\\${c}`)}\\s*$`);
    const wanted = this.page.locator('.quick-input-list .monaco-list-row', { hasText: name }).filter({ has: this.page.locator('.label-description', { hasText: exactly(dir) }) });
    // Results arrive in batches and the list re-sorts: accept with Enter once the focused row is the file, not by clicking a row that may move.
    await poll(`${relPath} focused in Quick Open`, async () => (await wanted.and(this.page.locator('.focused')).count()) > 0);
    await this.page.keyboard.press('Enter');
    const folder = dir.split('/').pop() ?? '';
    await poll(`${relPath} to be the active editor`, async () => {
      // With a panel open beside it there are two editor groups: the active one shows the file, its breadcrumbs end in folder › name.
      const group = this.page.locator('.editor-group-container.active');
      const tab = await group.locator('.tabs-container .tab.active').first().getAttribute('aria-label', { timeout: 500 });
      const crumbs = await group.locator('.breadcrumbs-control .monaco-breadcrumb-item').evaluateAll((els) => els.map((i) => i.textContent?.trim() ?? ''));
      return !!tab?.startsWith(name) && crumbs.some((item, i) => item === name && (!folder || crumbs[i - 1] === folder));
    });
  }

  /**
   * Go to Line (Ctrl+G) and accept. An Enter that arrives before the picker has read the typed
   * number is ignored and leaves the widget open (seen in CI), so Enter is pressed again until it closes.
   */
  async goToLine(line: number): Promise<void> {
    await this.page.keyboard.press('Control+G');
    const widget = this.page.locator('.quick-input-widget');
    await widget.locator('input').fill(`:${line}`);
    await poll(`Go to Line ${line} accepted`, async () => {
      if (!(await widget.isVisible())) return true;
      await this.page.keyboard.press('Enter');
      return widget.waitFor({ state: 'hidden', timeout: 2_000 }).then(() => true, () => false);
    });
    await poll(`the cursor on line ${line}`, async () => (await this.statusItem('status.editor.selection').textContent())?.includes(`Ln ${line},`));
  }

  /** Runs a command by its palette title (F1). */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(`>${title}`);
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    await row.waitFor();
    await row.click();
  }

  /** The command palette's entries for a search (their titles as shown). */
  async paletteEntries(search: string): Promise<string[]> {
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(`>${search}`);
    const rows = this.page.locator('.quick-input-list .monaco-list-row');
    const labels = await poll(`palette entries for "${search}"`, async () => {
      const all = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
      return all.length ? all : undefined;
    });
    await this.page.keyboard.press('Escape');
    return labels;
  }

  /** A status bar entry's accessible label, by the id VS Code gives it (`<extension id>.<item id>`). */
  statusItem(id: string) {
    return this.page.locator(`.statusbar-item[id="${id}"]`);
  }

  /** The Problems view's rows (file headers, markers, related information) as text. */
  async problems(): Promise<string[]> {
    return this.page.locator('.markers-panel .monaco-list-row').evaluateAll((els) => els.map((e) => `${e.getAttribute('aria-label') ?? ''} ${e.textContent ?? ''}`));
  }

  /** Every context key the workbench holds for the active editor ("Developer: Inspect Context Keys" logs them). */
  async contextKeys(): Promise<Record<string, unknown>> {
    const seen = this.console.length;
    await this.runCommand('Developer: Inspect Context Keys');
    await this.page.locator('.monaco-editor .view-lines').first().click({ position: { x: 200, y: 30 } });
    return poll('the context keys in the console', async () => {
      for (const m of this.console.slice(seen)) {
        for (const a of m.args()) {
          const v = (await a.jsonValue().catch(() => undefined)) as unknown;
          if (v && typeof v === 'object' && 'isWorkspaceTrusted' in v) return v as Record<string, unknown>;
        }
      }
      return undefined;
    });
  }

  /** The webview frame (VS Code nests each webview in iframes) that holds `selector`. */
  async webviewFrame(selector: string): Promise<Frame> {
    return poll(`a webview with ${selector}`, async () => {
      for (const f of this.page.frames()) if (await f.locator(selector).count().catch(() => 0)) return f;
      return undefined;
    });
  }

  /** Answers the current step of a multi-step quick input by clicking the row that shows `text`. */
  async pickRow(text: string, step: string): Promise<void> {
    let header = '';
    await poll(`quick input step ${step}`, async () => (header = await this.page.locator('.quick-input-widget').first().evaluate((el) => (el as unknown as { innerText: string }).innerText)).includes(step)).catch((e: Error) => {
      throw new Error(`${e.message}; the quick input shows: ${header.slice(0, 300)}`);
    });
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
    await row.waitFor();
    await row.click();
  }

  async close(): Promise<void> {
    await this.page.close();
  }
}
