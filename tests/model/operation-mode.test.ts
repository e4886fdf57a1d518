import { strict as assert } from "node:assert";
import { decideOperationMode, declaredPrivatePlug } from "../../src/model/operation-mode";

const PRIVATE = "name: browser\nversion: '1'\nplugs:\n  shmem:\n    interface: shared-memory\n    private: true\napps:\n  browser:\n    command: bin/browser\n";
const NOT_PRIVATE = "name: browser\nversion: '1'\nplugs:\n  shmem:\n    interface: shared-memory\n    shared-memory: foo\n    write: [foo]\n";
// snapd drops a private plug that sits beside another shared-memory plug.
const DROPPED = `${PRIVATE.replace("apps:", "  other:\n    interface: shared-memory\n    private: false\napps:")}`;

describe("operation mode", () => {
  const facts = (snapYaml: string | null, snapdVersion: string | null = "2.57.6-1+deb12u1+b2") => ({ snapYaml, snapdVersion });

  it("auto picks native only with snapd 2.55.3 or newer and a valid private plug, and says why", () => {
    assert.deepEqual(decideOperationMode("auto", facts(PRIVATE), "shared-memory"), {
      mode: "native",
      plug: "shmem",
      reason: 'auto: snapd 2.57.6-1+deb12u1+b2 and the snap\'s private plug "shmem", so snapd does the work',
    });
    assert.deepEqual(decideOperationMode("auto", facts(PRIVATE, "2.55.3"), "x").mode, "native");
    const managed = (f: Parameters<typeof decideOperationMode>[1]) => decideOperationMode("auto", f, "shared-memory");
    assert.deepEqual(managed(facts(PRIVATE, "2.55.2")), { mode: "managed", plug: "shared-memory", reason: "auto: snapd 2.55.2 is older than 2.55.3, so snap-shm manages it" });
    assert.equal(managed(facts(PRIVATE, "2.55.3~rc1")).reason, "auto: snapd 2.55.3~rc1 is older than 2.55.3, so snap-shm manages it");
    assert.equal(managed(facts(PRIVATE, null)).reason, "auto: the host's snapd version is unknown, so snap-shm manages it");
    assert.equal(managed(facts(null)).reason, "auto: the snap is not installed, so snap-shm manages it");
    assert.equal(managed(facts(NOT_PRIVATE)).reason, "auto: the snap declares no valid private shared-memory plug, so snap-shm manages it");
    assert.equal(managed(facts(DROPPED)).mode, "managed");
    assert.equal(managed(facts("name: [")).mode, "managed", "an unreadable snap.yaml is no declaration");
    assert.equal(managed(undefined).reason, "auto: the host was not probed, so snap-shm manages it");
  });

  it("managed and native force the mode; native connects the snap's own plug when it declares one", () => {
    assert.deepEqual(decideOperationMode("managed", facts(PRIVATE), "shared-memory"), { mode: "managed", plug: "shared-memory", reason: "managed mode was asked for" });
    assert.deepEqual(decideOperationMode("native", facts(PRIVATE, "2.50"), "x"), { mode: "native", plug: "shmem", reason: "native mode was asked for" });
    assert.deepEqual(decideOperationMode("native", undefined, "private-shm").plug, "private-shm");
  });

  it("reads the declared plug as snapd reads it", () => {
    assert.equal(declaredPrivatePlug(PRIVATE), "shmem");
    assert.equal(declaredPrivatePlug(DROPPED), undefined);
    assert.equal(declaredPrivatePlug(null), undefined);
  });
});
