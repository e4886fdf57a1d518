import { strict as assert } from "node:assert";
import {
  checkAppName,
  checkHookName,
  checkInstanceName,
  checkPlugName,
  checkSlotName,
  checkSnapName,
  splitInstanceName,
} from "../../src/model/names";

describe("snapd names", () => {
  describe("snap names", () => {
    for (const name of ["aa", "a-a", "a0", "01game", "1-or-2", "a".repeat(40), "a-b-c", "0a"]) {
      it(`accepts ${JSON.stringify(name)}`, () => assert.equal(checkSnapName(name), undefined));
    }
    const invalid: Array<[string, string]> = [
      ["", 'invalid snap name: ""'],
      ["a", 'invalid snap name: "a"'],
      ["a".repeat(41), `invalid snap name: "${"a".repeat(41)}"`],
      ["a--a", 'invalid snap name: "a--a"'],
      ["a-", 'invalid snap name: "a-"'],
      ["-a", 'invalid snap name: "-a"'],
      ["-", 'invalid snap name: "-"'],
      ["0", 'invalid snap name: "0"'],
      ["123", 'invalid snap name: "123"'],
      ["a a", 'invalid snap name: "a a"'],
      ["Foo", 'invalid snap name: "Foo"'],
      ["ñandú", 'invalid snap name: "ñandú"'],
      ["a\nb", 'invalid snap name: "a\\nb"'],
      ["a\u00a0b", 'invalid snap name: "a\\u00a0b"'],
      ["a\u0000b", 'invalid snap name: "a\\x00b"'],
      ['a"b', 'invalid snap name: "a\\"b"'],
    ];
    for (const [name, message] of invalid) {
      it(`refuses ${JSON.stringify(name)} with snapd's message`, () => assert.equal(checkSnapName(name), message));
    }
  });

  describe("instance names", () => {
    for (const name of ["foo", "foo_bar", "foo_0123456789", "foo_1"]) {
      it(`accepts ${name}`, () => assert.equal(checkInstanceName(name), undefined));
    }
    const invalid: Array<[string, string]> = [
      ["foo_", 'invalid instance key: ""'],
      ["foo_1-23", 'invalid instance key: "1-23"'],
      ["foo_01234567890", 'invalid instance key: "01234567890"'],
      ["foo_123_456", 'invalid instance key: "123_456"'],
      ["foo__bar", 'invalid instance key: "_bar"'],
      ["foo_BAR", 'invalid instance key: "BAR"'],
      ["_bar", 'invalid snap name: ""'],
      ["a_bar", 'invalid snap name: "a"'],
      ["Foo_bar", 'invalid snap name: "Foo"'],
      ["foo_bar/../x", 'invalid instance key: "bar/../x"'],
    ];
    for (const [name, message] of invalid) {
      it(`refuses ${JSON.stringify(name)}: ${message}`, () => assert.equal(checkInstanceName(name), message));
    }
    it("splits at the first underscore", () => {
      assert.deepEqual(splitInstanceName("foo_bar"), { snap: "foo", instanceKey: "bar" });
      assert.deepEqual(splitInstanceName("foo"), { snap: "foo", instanceKey: null });
      assert.deepEqual(splitInstanceName("foo_1_2"), { snap: "foo", instanceKey: "1_2" });
    });
  });

  describe("plug, slot, app and hook names", () => {
    const table: Array<[(n: string) => string | undefined, string, string | undefined]> = [
      [checkPlugName, "shared-memory", undefined],
      [checkPlugName, "shm-a", undefined],
      [checkPlugName, "a1", undefined],
      [checkPlugName, "a", undefined],
      [checkPlugName, "1a", 'invalid plug name: "1a"'],
      [checkPlugName, "a--b", 'invalid plug name: "a--b"'],
      [checkPlugName, "a-", 'invalid plug name: "a-"'],
      [checkPlugName, "A", 'invalid plug name: "A"'],
      [checkPlugName, "", 'invalid plug name: ""'],
      [checkSlotName, "shm", undefined],
      [checkSlotName, "shm_x", 'invalid slot name: "shm_x"'],
      [checkAppName, "App-1", undefined],
      [checkAppName, "1", undefined],
      [checkAppName, "-app", 'invalid app name: "-app"'],
      [checkAppName, "a--b", 'invalid app name: "a--b"'],
      [checkAppName, "a.b", 'invalid app name: "a.b"'],
      [checkAppName, "", 'invalid app name: ""'],
      [checkHookName, "configure", undefined],
      [checkHookName, "post-refresh", undefined],
      [checkHookName, "Configure", 'invalid hook name: "Configure"'],
    ];
    for (const [check, name, message] of table) {
      it(`${check.name}(${JSON.stringify(name)}) → ${message ?? "valid"}`, () => assert.equal(check(name), message));
    }
  });
});
