/**
 * The project folder (where Pulumi.yaml is), from which the stack config's relative paths are
 * read. It is not the program's working directory: with `main` set in Pulumi.yaml
 * (`src/program/index.ts` here), Pulumi runs the program in `main`'s folder.
 */
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";

/**
 * The engine's word for the project folder where it gives one (an absolute path; without it
 * the SDK answers a placeholder), else the nearest folder up from `cwd` that holds a
 * Pulumi.yaml (how Pulumi itself finds the project), else `cwd`.
 */
export function projectFolder(rootDirectory: string = pulumi.runtime.getRootDirectory(), cwd: string = process.cwd()): string {
  if (isAbsolute(rootDirectory)) return rootDirectory;
  for (let folder = resolve(cwd); ; folder = dirname(folder)) {
    if (existsSync(join(folder, "Pulumi.yaml")) || existsSync(join(folder, "Pulumi.yml"))) return folder;
    if (dirname(folder) === folder) return resolve(cwd);
  }
}
