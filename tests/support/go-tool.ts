/**
 * Go programs the tests run against snap-shm (tests/support/<name>/main.go): built with
 * Debian's Go in GOPATH mode, on the Go sources Debian's golang-*-dev packages install, the
 * first time one is needed, and kept under node_modules/.cache, one build per version of its
 * source.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";

/** GOPATH mode, on the Go sources Debian's golang-*-dev packages install. */
export const GO_ENV = { GO111MODULE: "off", GOPATH: "/usr/share/gocode", CGO_ENABLED: "0" };

/** The checkout this file belongs to (run from tests/ with ts-node, or compiled under bench/dist/). */
function checkoutRoot(name: string): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "tests", "support", name, "main.go"))) return dir;
  }
  throw new Error(`${name}: no checkout with tests/support/${name}/main.go above ${__dirname}`);
}

const built = new Map<string, string>();

/** The path of the built program `name`, building it if its source changed; `packages` names what it needs. */
export function goTool(name: string, packages: string): string {
  const known = built.get(name);
  if (known) return known;
  const root = checkoutRoot(name);
  const source = join(root, "tests", "support", name, "main.go");
  const version = createHash("sha256").update(readFileSync(source)).digest("hex").slice(0, 16);
  const cache = join(root, "node_modules", ".cache", `snap-shm-${name}`);
  const binary = join(cache, `${name}-${version}`);
  if (!existsSync(binary)) {
    mkdirSync(cache, { recursive: true });
    const scratch = mkdtempSync(join(cache, "build-"));
    try {
      const build = spawnSync("go", ["build", "-o", join(scratch, name), source], {
        encoding: "utf8",
        env: { ...process.env, ...GO_ENV, GOCACHE: goCache(name) },
      });
      if (build.error || build.status !== 0) {
        throw new Error(`${name}: go build failed (${build.error?.message ?? build.stderr.trim()}); it needs Debian's ${packages}, which .ci/run installs`);
      }
      // Whole or not at all: a build cut short never takes the final name.
      renameSync(join(scratch, name), binary);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  built.set(name, binary);
  return binary;
}

/** The Go build cache of program `name`. */
export function goCache(name: string): string {
  return join(checkoutRoot(name), "node_modules", ".cache", `snap-shm-${name}`, "go-build");
}
