/**
 * Witnesses of the kernel witness test (test/kernel/reachWitness.kernel.test.ts,
 * default seed base) that the kernel does not let hit their rule, with the
 * reason found. Key: `SEED TABLE/CHAIN#INDEX HOOK` (INDEX 0-based, as the
 * test prints it). A listed case whose witness hits its rule again fails the
 * test, so this list stays true.
 */
export const KNOWN_WITNESS_GAPS: ReadonlyMap<string, string> = new Map<string, string>([]);
