/**
 * Seeds of the random kernel trace test (default seed base) where the emulator
 * still differs from the kernel, with the reason. A listed seed that agrees
 * again fails the test, so this list stays true.
 */
export const KNOWN_TRACE_GAPS: ReadonlyMap<number, string> = new Map<number, string>([]);
