import { strict as assert } from "node:assert";
import fc from "fast-check";
import { appSnippet, updateNsSnippet } from "../../src/model/desired-state";
import { BLOCK_BEGIN, BLOCK_END, findBlock, insertBlock, ProfileShapeError, removeBlock } from "../../src/render/apparmor-profile";

const PROFILE = `#include <tunables/global>

profile "snap.shmtest.app" (attach_disconnected,mediate_deleted) {
  #include <abstractions/base>
  /{dev,run}/shm/snap.@{SNAP_INSTANCE_NAME}.** mrwlkix,
}
`;
const APP = appSnippet("recursive");

describe("the snap-shm block in an AppArmor profile", () => {
  it("goes just before the profile's closing brace, with snapd's snippet between the markers", () => {
    assert.equal(
      insertBlock(PROFILE, APP),
      PROFILE.replace(
        /}\n$/,
        `${BLOCK_BEGIN}\n\n# Description: Allow access to everything in private /dev/shm\n"/dev/shm/**" mrwlkix,\n${BLOCK_END}\n}\n`,
      ),
    );
  });

  it("is indented like the update-ns snippet in the snap-update-ns profile", () => {
    const profile = "profile snap-update-ns.shmtest (attach_disconnected) {\n  /run/snapd/ns/ r,\n}\n";
    const withBlock = insertBlock(profile, updateNsSnippet("shmtest"), "  ");
    assert.equal(
      withBlock,
      "profile snap-update-ns.shmtest (attach_disconnected) {\n  /run/snapd/ns/ r,\n" +
        `  ${BLOCK_BEGIN}\n  # Private /dev/shm\n  /dev/ r,\n  /dev/shm/{,**} rw,\n` +
        "  mount options=(bind, rw) /dev/shm/snap.shmtest/ -> /dev/shm/,\n  umount /dev/shm/,\n" +
        `  ${BLOCK_END}\n}\n`,
    );
    assert.equal(findBlock(withBlock)?.body, updateNsSnippet("shmtest"));
    assert.equal(removeBlock(withBlock), profile);
  });

  it("is replaced where it stands when the rule changes, and removed to the original bytes", () => {
    const old = insertBlock(PROFILE, appSnippet("single-level"));
    const edited = old.replace("}\n", "  # a rule added after the block\n}\n");
    const updated = insertBlock(edited, APP);
    assert.equal(findBlock(updated)?.body, APP);
    assert.ok(updated.indexOf(BLOCK_END) < updated.indexOf("# a rule added after the block"));
    assert.equal(removeBlock(updated), PROFILE.replace("}\n", "  # a rule added after the block\n}\n"));
  });

  it("finds nothing in a profile without it, and removing then changes nothing", () => {
    assert.equal(findBlock(PROFILE), null);
    assert.equal(removeBlock(PROFILE), PROFILE);
  });

  const refused: Array<[string, string, RegExp]> = [
    ["no profile", "# only a comment\n", /no profile/],
    ["no closing brace", "profile a {\n  /x r,\n", /no closing brace/],
    ["an unopened brace", "}\nprofile a {\n}\n", /closing brace has no opening brace/],
    ["two profiles", "profile a {\n}\nprofile b {\n}\n", /2 profiles, not one/],
    ["a closing brace after a rule", "profile a {\n  /x r, }\n", /not at the start of its line/],
    ["a block that never ends", `profile a {\n${BLOCK_BEGIN}\n"/dev/shm/**" mrwlkix,\n}\n`, /begins but never ends/],
    ["a block that ends before it begins", `profile a {\n${BLOCK_END}\n${BLOCK_BEGIN}\n}\n`, /ends before it begins/],
    ["a block that begins twice", `profile a {\n${BLOCK_BEGIN}\n${BLOCK_BEGIN}\n${BLOCK_END}\n}\n`, /begins twice/],
    ["a block outside the profile", `${BLOCK_BEGIN}\n${BLOCK_END}\nprofile a {\n}\n`, /outside the profile body/],
    ["a block inside a child profile", `profile a {\n  ^hat {\n${BLOCK_BEGIN}\n${BLOCK_END}\n  }\n}\n`, /outside the profile body/],
  ];
  for (const [what, text, message] of refused) {
    it(`refuses ${what}, never guessing`, () => {
      for (const edit of [() => insertBlock(text, APP), () => findBlock(text), () => removeBlock(text)]) {
        assert.throws(edit, (e: unknown) => e instanceof ProfileShapeError && message.test(e.message));
      }
    });
  }

  it("refuses a body that is not whole lines or carries the markers", () => {
    assert.throws(() => insertBlock(PROFILE, '"/dev/shm/**" mrwlkix,'), /must end with a newline/);
    assert.throws(() => insertBlock(PROFILE, `${BLOCK_END}\n`), /must not contain the block markers/);
    assert.throws(() => insertBlock(PROFILE, "^hat {\n"), /must not open or close a block/);
    assert.throws(() => insertBlock(PROFILE, "}\n"), /must not open or close a block/);
  });

  it("does not count braces in comments, quotes, globs or child profiles", () => {
    const profile = [
      '@{VAR}="{"',
      'profile "snap.a.b" {',
      "  # a { comment } with braces {",
      '  "/tmp/{a,b}/#x}" rw,',
      "  /dev/shm/{,**} rw,",
      "  /home/#lock{,.tmp} rw,",
      "  ^hat {",
      "    /x r,",
      "  }",
      "}",
      "# trailing comment {",
      "",
    ].join("\n");
    const withBlock = insertBlock(profile, APP);
    assert.ok(withBlock.includes(`${BLOCK_END}\n}\n# trailing comment {`));
    assert.equal(removeBlock(withBlock), profile);
  });
});

/** Profiles in snapd's shape with the awkward parts AppArmor allows. */
const ruleLine = fc.constantFrom(
  "  #include <abstractions/base>",
  "  capability sys_admin,",
  "  /dev/shm/{,**} rw,",
  '  "/var/lib/snapd/{a,b}/ x" r,',
  "  # comment with a { brace",
  "  owner @{HOME}/#[0-9]* rw,",
  "  mount options=(rprivate) -> /var/snap/@{SNAP_INSTANCE_NAME}/,",
  "",
  "\t/usr/bin/{,x}* ixr,",
  "  dbus (send) bus=session path=/org/{a,b} ,",
);
const childProfile = fc.array(ruleLine, { maxLength: 3 }).map((lines) => ["  ^hat {", ...lines.map((l) => `  ${l}`), "  }"]);
const profileText = fc
  .record({
    preamble: fc.array(fc.constantFrom("#include <tunables/global>", '@{SNAP_NAME}="shm{test}"', "# vim:syntax=apparmor", ""), { maxLength: 4 }),
    header: fc.constantFrom('profile "snap.shmtest.app" (attach_disconnected,mediate_deleted) {', "profile snap-update-ns.shmtest (attach_disconnected) {", "/usr/bin/x {"),
    body: fc.array(fc.oneof(ruleLine.map((l) => [l]), childProfile), { maxLength: 12 }),
    closing: fc.constantFrom("}", "  }", "\t}", "} # end"),
    trailer: fc.array(fc.constantFrom("", "# after", "  "), { maxLength: 3 }),
    finalNewline: fc.boolean(),
  })
  .map(({ preamble, header, body, closing, trailer, finalNewline }) => {
    const text = [...preamble, header, ...body.flat(), closing, ...trailer].join("\n");
    return finalNewline ? `${text}\n` : text;
  });
const blockBody = fc.oneof(
  fc.constant(appSnippet("recursive")),
  fc.constant(appSnippet("single-level")),
  fc.constant(updateNsSnippet("shmtest_x1")),
  fc.array(fc.stringMatching(/^[ -z|~]{0,30}$/).filter((l) => !l.includes("BEGIN snap-shm") && !l.includes("END snap-shm")), { minLength: 1, maxLength: 4 }).map((lines) => `${lines.join("\n")}\n`),
);
const indent = fc.constantFrom("", "  ", "\t");

describe("the snap-shm block, over generated profiles", () => {
  it("removing an inserted block gives back the original bytes", () => {
    fc.assert(fc.property(profileText, blockBody, indent, (profile, body, ind) => removeBlock(insertBlock(profile, body, ind)) === profile), { numRuns: 500 });
  });

  it("inserting twice leaves one block; inserting another body replaces it", () => {
    fc.assert(
      fc.property(profileText, blockBody, blockBody, indent, (profile, first, second, ind) => {
        const once = insertBlock(profile, first, ind);
        assert.equal(insertBlock(once, first, ind), once);
        const replaced = insertBlock(once, second, ind);
        assert.equal(replaced, insertBlock(profile, second, ind));
        assert.equal(replaced.split(BLOCK_BEGIN).length, 2);
        assert.equal(findBlock(replaced)?.body, second);
      }),
      { numRuns: 500 },
    );
  });

  it("puts the block on the lines just before the closing brace's line", () => {
    fc.assert(
      fc.property(profileText, blockBody, (profile, body) => {
        const inserted = insertBlock(profile, body);
        const block = findBlock(inserted)!;
        const rest = inserted.slice(block.end);
        assert.match(rest, /^\s*}/);
        assert.equal(inserted.slice(0, block.start) + rest, profile);
      }),
      { numRuns: 300 },
    );
  });

  it("refuses any generated text with a second profile appended", () => {
    fc.assert(
      fc.property(profileText, profileText, (a, b) => {
        const twice = `${a}${a.endsWith("\n") ? "" : "\n"}${b}`;
        assert.throws(() => insertBlock(twice, APP), ProfileShapeError);
      }),
      { numRuns: 200 },
    );
  });
});
