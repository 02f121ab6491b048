/**
 * Runs inside VS Code's extension host (--extensionTestsPath): each case of
 * extension.cases.ts in turn, with a line per case; any failure rejects,
 * which makes VS Code exit non-zero. No test framework: the cases are few.
 */
import { CASES } from './extension.cases';

export async function run(): Promise<void> {
  const failed: string[] = [];
  for (const c of CASES) {
    const t0 = Date.now();
    try {
      await c.run();
      console.log(`ok   ${c.name} (${Date.now() - t0} ms)`);
    } catch (e) {
      failed.push(c.name);
      console.log(`FAIL ${c.name}\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }
  console.log(`${CASES.length - failed.length} passed, ${failed.length} failed`);
  if (failed.length) throw new Error(`${failed.length} extension-host test(s) failed: ${failed.join('; ')}`);
}
