/** Values made from several Inputs, with as little Output machinery as the SDK allows. */
import * as pulumi from "@pulumi/pulumi";

/**
 * `render` over `inputs`, in as few Output layers as the SDK allows: plain inputs give a plain
 * value, and Outputs are applied one inside the other (the SDK lifts the inner Output, with
 * its dependencies and secrecy). `pulumi.all` would wrap each Output in two more and copy
 * every value it is given; a fleet makes thousands of these, and those layers were most of
 * its construction time and memory.
 */
export function combine<A extends unknown[], R>(inputs: { [K in keyof A]: pulumi.Input<A[K]> }, render: (...values: A) => R): pulumi.Input<R> {
  const values = (inputs as unknown[]).map((input) => (input instanceof Promise ? pulumi.output(input) : input));
  const from = (index: number): pulumi.Input<R> => {
    const next = values.findIndex((value, i) => i >= index && pulumi.Output.isInstance(value));
    if (next < 0) return render(...(values as A));
    return (values[next] as pulumi.Output<unknown>).apply((value) => {
      values[next] = value;
      return from(next + 1);
    }) as pulumi.Output<R>;
  };
  return from(0);
}
