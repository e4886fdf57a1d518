/**
 * snapd's warning for a snap whose plugs or slots were dropped (snap.BadInterfacesSummary):
 * one group per distinct reason, reasons in byte order and joined with "; ", each group's
 * names in byte order joined with ", " and followed by " (<reason>)".
 */
import { compareBytes, goQuote } from "./go-value";

export function badInterfacesSummary(instance: string, reasonsByName: ReadonlyMap<string, string>): string {
  const namesByReason = new Map<string, string[]>();
  for (const [name, reason] of reasonsByName) {
    namesByReason.set(reason, [...(namesByReason.get(reason) ?? []), name]);
  }
  const groups = [...namesByReason.keys()]
    .sort(compareBytes)
    .map((reason) => `${namesByReason.get(reason)!.sort(compareBytes).join(", ")} (${reason})`);
  return `snap ${goQuote(instance)} has bad plugs or slots: ${groups.join("; ")}`;
}
