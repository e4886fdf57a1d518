/** What a CLI command may touch, so tests can run commands in-process. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readFile(path: string): string;
}

/** Exit statuses shared by every command. */
export const EXIT_OK = 0;
/** The input was read and is not what it should be (invalid plugs, drift). */
export const EXIT_FINDINGS = 1;
/** Bad usage, or input that cannot be read. */
export const EXIT_USAGE = 2;

export class UsageError extends Error {}
