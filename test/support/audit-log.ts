import fs from 'node:fs';

/**
 * The proxy's audit log is appended through a write stream, so a line may reach the file a moment
 * after the gRPC call that caused it has returned. Tests read it through this instead of once.
 */
export function readAuditLines<T = Record<string, unknown>>(file: string): T[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as T);
}

/** The audit lines once `ready` holds for them, or the last read after `timeoutMs` (the test's expect then says what is missing). */
export async function waitForAuditLines<T = Record<string, unknown>>(file: string, ready: (lines: T[]) => boolean, timeoutMs = 5000): Promise<T[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const lines = readAuditLines<T>(file);
    if (ready(lines) || Date.now() > until) return lines;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
