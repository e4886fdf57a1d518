/**
 * What snap-shm itself runs on the machine running Pulumi: the drift probe and the shared
 * connections are OpenSSH client command lines for /bin/sh, run by the command provider's
 * local commands.
 */

/** The settings that run OpenSSH's client on the machine running Pulumi. */
export type OperatorMachineFeature = "driftDetection" | "connectionSharing";

/**
 * Why `feature` cannot run on `platform`, or undefined. On Windows the command provider runs
 * local commands through cmd.exe, not a POSIX shell, and Windows' OpenSSH has no connection
 * sharing (ControlMaster): the probe's command would fail the program with cmd's words.
 */
export function operatorMachineProblem(feature: OperatorMachineFeature, platform: NodeJS.Platform = process.platform): string | undefined {
  if (platform !== "win32") return undefined;
  return `${feature} runs OpenSSH's client from a POSIX shell on the machine running Pulumi, and the command provider runs local commands through cmd.exe on Windows: set ${feature}: false there, or run Pulumi under WSL`;
}
