/** Runs the root Pulumi project's program (src/program/index.ts) under mocks or the stand-in. */
import * as pulumi from "@pulumi/pulumi";

const ROOT_PROGRAM = require.resolve("../../src/program/index");

export type RootOutputs = typeof import("../../src/program/index");

/**
 * The root program as a function: sets the stack's config (`secret` keys as `--secret` would)
 * and loads the program afresh, as each `pulumi up` does.
 */
export function rootProgram(config: Record<string, string>, secret: string[] = []): () => RootOutputs {
  return () => {
    pulumi.runtime.setAllConfig(config, secret);
    delete require.cache[ROOT_PROGRAM];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(ROOT_PROGRAM) as RootOutputs;
  };
}
