/**
 * Preloaded (`node -r`) into @pulumi/pulumi's own program runner (cmd/run), in place of the
 * engine, which cannot run here: the runner loads the program as `pulumi up` has it load it
 * (its ts-node registration, the working directory, the config from the environment), and
 * every registration goes to these mocks. At exit, the registered resources' types and names
 * are written as JSON lines to the file named by SNAP_SHM_RUNNER_RECORD.
 */
"use strict";
const { appendFileSync } = require("node:fs");
const pulumi = require("@pulumi/pulumi");

/** A flag's value on the runner's command line (read before the runner reads it). */
function runnerArgument(flag) {
  const at = process.argv.indexOf(flag);
  return at > 0 ? process.argv[at + 1] : undefined;
}

const record = process.env.SNAP_SHM_RUNNER_RECORD;
const PROBE_REACHED = JSON.stringify({ snapShm: 1, part: "host", action: "probe", instance: "", ok: true, found: {}, changed: [], notes: [] });
const registered = [];
pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      registered.push({ type: args.type, name: args.name });
      // A command's outputs as the provider gives them after a create: its output, here none.
      return { id: `${args.name}-id`, state: { ...args.inputs, stdout: "", stderr: "" } };
    },
    // The drift probe's local run: the host reached, nothing read of its snaps.
    call: (args) => ({ ...args.inputs, stdout: PROBE_REACHED, stderr: "" }),
  },
  runnerArgument("--project"),
  runnerArgument("--stack"),
  false,
);
process.on("exit", () => {
  if (record) appendFileSync(record, registered.map((r) => JSON.stringify(r)).join("\n") + "\n");
});
