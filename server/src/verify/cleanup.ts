/**
 * What a kernel lab must undo if the process is stopped half-way: every lab
 * and trace monitor registers its teardown here while it exists. The
 * command line installs the signal handlers (Ctrl-C, a cancelled editor
 * command); tests and other callers need not.
 */

const pending = new Set<() => void>();

/** Runs `undo` if the process is aborted while it is registered; call the returned function once it has run anyway. */
export function onAbort(undo: () => void): () => void {
  pending.add(undo);
  return () => pending.delete(undo);
}

/** Undoes everything still registered (newest first). Each teardown is tried even if another throws. */
export function undoAll(): void {
  for (const undo of [...pending].reverse()) {
    pending.delete(undo);
    try {
      undo();
    } catch {
      // Keep going: the other namespaces must still go.
    }
  }
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const EXIT_CODE: Record<(typeof SIGNALS)[number], number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/**
 * On Ctrl-C, SIGTERM or a closed terminal: undo everything registered, say
 * so, and exit with the signal's conventional status. Returns the remover.
 */
export function installAbortHandlers(say: (s: string) => void): () => void {
  const handlers = SIGNALS.map((sig) => {
    const h = (): void => {
      say(`nflens: ${sig}: removing the lab's network namespaces\n`);
      undoAll();
      process.exit(EXIT_CODE[sig]);
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => {
    for (const [sig, h] of handlers) process.off(sig, h);
  };
}
