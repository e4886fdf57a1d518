/** The JSON line every host operation ends with, as the resources expose it. */

export interface OperationResult {
  /** Whether the operation succeeded. */
  ok: boolean;
  /** The part (`directory`, `apparmor`, ...) or `host`. */
  part: string;
  /** `apply`, `remove` or `probe`. */
  action: string;
  /** The snap instance (empty for a whole host). */
  instance: string;
  /** Facts read on the host before changing anything (part-specific). */
  found: Record<string, unknown>;
  /** What the run changed, one sentence per change naming the path; empty when nothing had to change. */
  changed: string[];
  /** Things worth knowing that are not changes (a kept directory, AppArmor not enabled). */
  notes: string[];
  /** The failure, when `ok` is false. */
  error?: string;
  /**
   * Directory applies: the prerequisite check's findings (snapd's version and rule
   * generation, the profiles, AppArmor, `apparmor_parser`, `snap-update-ns`, the namespace).
   */
  host?: Record<string, unknown>;
  /** Probes: whether the part is as it should be. */
  inSync?: boolean;
  /** Probes: what differs (`key=value` words). */
  differs?: string[];
  /** Probes: the revision the part's last apply recorded on the host (0 when none). */
  revision?: number;
  /** Probes: the operation mode the part was compared in (managed or native). */
  mode?: string;
}

/** The result in an operation's standard output (its last line), or a failed result saying why not. */
export function parseOperationResult(stdout: string): OperationResult {
  const line = stdout.trimEnd().split("\n").pop() ?? "";
  try {
    const parsed = JSON.parse(line) as Partial<OperationResult> & { snapShm?: number };
    const revision = typeof parsed.revision === "number" ? { revision: parsed.revision } : {};
    const mode = typeof parsed.mode === "string" ? { mode: parsed.mode } : {};
    if (parsed.snapShm === 1 && typeof parsed.ok === "boolean") {
      return {
        ok: parsed.ok,
        part: String(parsed.part ?? ""),
        action: String(parsed.action ?? ""),
        instance: String(parsed.instance ?? ""),
        found: parsed.found ?? {},
        changed: parsed.changed ?? [],
        notes: parsed.notes ?? [],
        ...(parsed.error !== undefined ? { error: parsed.error } : {}),
        ...(parsed.host !== undefined ? { host: parsed.host } : {}),
        ...(parsed.inSync !== undefined ? { inSync: parsed.inSync, differs: parsed.differs ?? [] } : {}),
        ...revision,
        ...mode,
      };
    }
  } catch {
    // Not JSON: reported below.
  }
  return { ok: false, part: "", action: "", instance: "", found: {}, changed: [], notes: [], error: `no snap-shm result in the output: ${JSON.stringify(line.slice(0, 200))}` };
}
