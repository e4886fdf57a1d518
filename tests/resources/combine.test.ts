/** `combine`: one value from several Inputs, plain when it can be, an Output that keeps secrecy and unknowns when it cannot. */
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { combine } from "../../src/resources/combine";

interface Settled<T> {
  value: T;
  known: boolean;
  secret: boolean;
}

async function settle<T>(input: pulumi.Input<T>): Promise<Settled<T>> {
  assert.ok(pulumi.Output.isInstance(input), "an Output");
  const output = input as pulumi.Output<T> & { promise(withUnknowns?: boolean): Promise<T>; isKnown: Promise<boolean>; isSecret: Promise<boolean> };
  return { value: await output.promise(), known: await output.isKnown, secret: await output.isSecret };
}

describe("combine", () => {
  it("gives a plain value, computed at once, when no input is an Output", () => {
    let calls = 0;
    const value = combine(["a", 2, undefined], (a: string, b: number, c: undefined) => {
      calls++;
      return `${a}${b}${String(c)}`;
    });
    assert.equal(value, "a2undefined");
    assert.equal(calls, 1);
  });

  it("applies Outputs in place, in order, with the plain inputs where they stand", async () => {
    const seen: unknown[][] = [];
    const value = combine([pulumi.output("x"), "plain", pulumi.output(3), Promise.resolve(true)], (a: string, b: string, c: number, d: boolean) => {
      seen.push([a, b, c, d]);
      return `${a}-${b}-${c}-${d}`;
    });
    assert.deepEqual(await settle(value), { value: "x-plain-3-true", known: true, secret: false });
    assert.deepEqual(seen, [["x", "plain", 3, true]], "rendered once");
  });

  it("keeps a secret input secret, wherever it stands", async () => {
    for (const at of [0, 1]) {
      const inputs: [pulumi.Input<string>, pulumi.Input<string>] = at === 0 ? [pulumi.secret("s"), pulumi.output("p")] : [pulumi.output("p"), pulumi.secret("s")];
      const settled = await settle(combine(inputs, (a: string, b: string) => a + b));
      assert.equal(settled.secret, true, `secret at ${at}`);
    }
  });

  it("is unknown, without rendering, when an input is unknown (a preview)", async () => {
    let calls = 0;
    const unknown = pulumi.output(pulumi.unknown) as unknown as pulumi.Output<string>;
    const settled = await settle(combine([pulumi.output("a"), unknown], (a: string, b: string) => {
      calls++;
      return a + b;
    }));
    assert.equal(settled.known, false);
    assert.equal(calls, 0);
  });
});
