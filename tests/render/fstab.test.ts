import { strict as assert } from "node:assert";
import fc from "fast-check";
import { addMountEntry, FstabConflictError, hasMountEntry, removeMountEntry } from "../../src/render/fstab";

const ENTRY = "/dev/shm/snap.shmtest /dev/shm none bind,rw 0 0";
const OVERNAME = [
  "/snap/shmtest_foo /snap/shmtest none rbind,x-snapd.origin=overname 0 0",
  "/var/snap/shmtest_foo /var/snap/shmtest none rbind,x-snapd.origin=overname 0 0",
].join("\n");

describe("the mount profile entry", () => {
  it("is appended once to a new or existing profile", () => {
    assert.deepEqual(addMountEntry("", ENTRY), { text: `${ENTRY}\n`, changed: true });
    assert.deepEqual(addMountEntry(`${OVERNAME}\n`, ENTRY), { text: `${OVERNAME}\n${ENTRY}\n`, changed: true });
    assert.deepEqual(addMountEntry(`${OVERNAME}\n${ENTRY}\n`, ENTRY), { text: `${OVERNAME}\n${ENTRY}\n`, changed: false });
  });

  it("recognises the entry written with other spacing or without its two zeros", () => {
    for (const line of ["/dev/shm/snap.shmtest  /dev/shm\tnone bind,rw 0 0", "/dev/shm/snap.shmtest /dev/shm none bind,rw", "  /dev/shm/snap.shmtest /dev/shm none bind,rw 0  "]) {
      assert.equal(addMountEntry(`${line}\n`, ENTRY).changed, false, line);
      assert.ok(hasMountEntry(`${line}\n`, ENTRY));
      assert.deepEqual(removeMountEntry(`${line}\n`, ENTRY), { text: "", changed: true, deleteFile: true });
    }
  });

  it("keeps one of several copies", () => {
    assert.deepEqual(addMountEntry(`${ENTRY}\n# note\n${ENTRY}\n`, ENTRY), { text: `${ENTRY}\n# note\n`, changed: true });
  });

  it("refuses to add beside another mount on /dev/shm", () => {
    assert.throws(
      () => addMountEntry("/dev/shm/snap.other /dev/shm none bind,rw 0 0\n", ENTRY),
      (e: unknown) => e instanceof FstabConflictError && e.message === 'another entry already mounts on /dev/shm: "/dev/shm/snap.other /dev/shm none bind,rw 0 0"',
    );
    assert.equal(hasMountEntry(`${ENTRY}\n/dev/shm/snap.other /dev/shm none bind,rw 0 0\n`, ENTRY), false);
  });

  it("is removed alone; the file goes only when nothing is left", () => {
    assert.deepEqual(removeMountEntry(`${OVERNAME}\n${ENTRY}\n`, ENTRY), { text: `${OVERNAME}\n`, changed: true, deleteFile: false });
    assert.deepEqual(removeMountEntry(`${ENTRY}\n`, ENTRY), { text: "", changed: true, deleteFile: true });
    assert.deepEqual(removeMountEntry(`${OVERNAME}\n`, ENTRY), { text: `${OVERNAME}\n`, changed: false, deleteFile: false });
    assert.deepEqual(removeMountEntry(`# kept\n${ENTRY}\n`, ENTRY), { text: "# kept\n", changed: true, deleteFile: false });
  });

  it("keeps a file's missing final newline", () => {
    assert.equal(addMountEntry("a b c d 0 0", ENTRY).text, `a b c d 0 0\n${ENTRY}`);
    assert.equal(removeMountEntry(`a b c d 0 0\n${ENTRY}`, ENTRY).text, "a b c d 0 0");
  });

  it("refuses an entry that is not one fstab line", () => {
    assert.throws(() => addMountEntry("", `${ENTRY}\nx y z`), FstabConflictError);
    assert.throws(() => addMountEntry("", "# comment"), FstabConflictError);
  });
});

const otherEntry = fc
  .tuple(
    fc.constantFrom("/snap/a_b", "/var/snap/x", "tmpfs", "/dev/shm/snap.other"),
    fc.constantFrom("/snap/a", "/var/snap/y", "/usr/share/fonts", "/dev/shmx"),
    fc.constantFrom("none", "tmpfs"),
    fc.constantFrom("rbind,x-snapd.origin=overname", "bind,ro", "mode=755"),
    fc.constantFrom(" ", "\t", "  "),
  )
  .map(([src, dst, type, opts, sep]) => [src, dst, type, opts, "0", "0"].join(sep));
const line = fc.oneof(otherEntry, fc.constantFrom("", "# comment", "   ", "#/dev/shm/snap.shmtest /dev/shm none bind,rw 0 0"));
const fstabText = fc
  .tuple(fc.array(line, { maxLength: 8 }), fc.boolean(), fc.boolean())
  .map(([lines, finalNewline, crlf]) => {
    const text = lines.join(crlf ? "\r\n" : "\n");
    return finalNewline && text !== "" ? `${text}${crlf ? "\r\n" : "\n"}` : text;
  });

function entryCount(text: string): number {
  return text.split("\n").filter((l) => l.trim().split(/\s+/).join(" ") === ENTRY).length;
}

describe("the mount profile entry, over generated fstab files", () => {
  it("add then remove gives back the original bytes", () => {
    fc.assert(fc.property(fstabText, (text) => removeMountEntry(addMountEntry(text, ENTRY).text, ENTRY).text === text), { numRuns: 1000 });
  });

  it("add leaves exactly one entry, keeps every other line in order, and is idempotent", () => {
    fc.assert(
      fc.property(fstabText, (text) => {
        const added = addMountEntry(text, ENTRY);
        assert.equal(entryCount(added.text), 1);
        assert.ok(added.text.startsWith(text));
        assert.deepEqual(addMountEntry(added.text, ENTRY), { text: added.text, changed: false });
      }),
      { numRuns: 1000 },
    );
  });

  it("copies of the entry anywhere end as one after add and none after remove, other lines untouched", () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), fc.array(fc.nat(8), { minLength: 1, maxLength: 3 }), (lines, positions) => {
        const withCopies = [...lines];
        for (const p of positions) withCopies.splice(Math.min(p, withCopies.length), 0, ENTRY);
        const text = `${withCopies.join("\n")}\n`;
        assert.equal(entryCount(addMountEntry(text, ENTRY).text), 1);
        const removed = removeMountEntry(text, ENTRY);
        assert.equal(removed.text, lines.length ? `${lines.join("\n")}\n` : "");
        assert.equal(removed.deleteFile, removed.text.trim() === "");
      }),
      { numRuns: 1000 },
    );
  });
});
