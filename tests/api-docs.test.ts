/** The API reference (`npm run docs`) builds from the TSDoc, with every exported item documented. */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

describe("API docs", function () {
  this.timeout(120_000);

  it("typedoc finds no undocumented export, broken link or unexported type in the resources' API", () => {
    const root = join(__dirname, "..");
    const result = spawnSync(process.execPath, [join(root, "node_modules", "typedoc", "bin", "typedoc"), "--emit", "none"], { cwd: root, encoding: "utf8" });
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
  });
});
