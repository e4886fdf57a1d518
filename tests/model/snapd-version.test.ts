import { strict as assert } from "node:assert";
import { checkSnapdVersion, compareVersions, ruleGenerationFor } from "../../src/model/snapd-version";
import { InputError } from "../../src/model/input-error";

describe("snapd versions", () => {
  const ordered: Array<[string, string]> = [
    ["2.55.2", "2.55.3"],
    ["2.55.3~rc1", "2.55.3"],
    ["2.55.3", "2.55.3+git1"],
    ["2.55.3", "2.55.3-1"],
    ["2.57.6-1+deb12u1+b2", "2.60.2"],
    ["2.60.1+ubuntu22.04", "2.60.2"],
    ["2.9", "2.10"],
    ["2.60.2", "2.60.10"],
    ["2.60", "2.60.0"],
    ["1:2.0", "2:1.0"],
    ["2.60.2a", "2.60.2b"],
    ["2.60.2a", "2.60.2+"],
  ];
  for (const [low, high] of ordered) {
    it(`${low} < ${high}`, () => {
      assert.ok(compareVersions(low, high) < 0);
      assert.ok(compareVersions(high, low) > 0);
    });
  }
  it("equal versions compare equal", () => {
    assert.equal(compareVersions("2.60.02", "2.60.2"), 0);
    assert.equal(compareVersions("0:2.61", "2.61"), 0);
  });

  it("picks the app rule generation as snapd changed it in 2.60.2", () => {
    assert.equal(ruleGenerationFor(undefined), "recursive");
    assert.equal(ruleGenerationFor("2.55.3"), "single-level");
    assert.equal(ruleGenerationFor("2.57.6-1+deb12u1+b2"), "single-level");
    assert.equal(ruleGenerationFor("2.60.2~rc1"), "single-level");
    assert.equal(ruleGenerationFor("2.60.2"), "recursive");
    assert.equal(ruleGenerationFor("2.61.3+ubuntu24.04"), "recursive");
    assert.equal(ruleGenerationFor("3.0"), "recursive");
  });

  it("refuses a snapd without private mode, naming the field and the rule", () => {
    assert.throws(
      () => ruleGenerationFor("2.55.2"),
      (error: unknown) =>
        error instanceof InputError &&
        error.field === "snapdVersion" &&
        error.message === "snapdVersion: snapd 2.55.2 has no private shared memory: it needs snapd 2.55.3 or newer",
    );
    assert.throws(() => ruleGenerationFor("2.54.3-1"), /needs snapd 2\.55\.3 or newer/);
  });

  it("refuses what is not a version", () => {
    for (const bad of ["", "v2.60", "2.60 ", "2.60;rm", "latest", "2.60\n"]) {
      assert.match(checkSnapdVersion(bad) ?? "", /^invalid snapd version: /, JSON.stringify(bad));
      assert.throws(() => ruleGenerationFor(bad, "hosts[0].snapdVersion"), /^InputError: hosts\[0\]\.snapdVersion: invalid snapd version/);
    }
  });
});
