/** Mocha root hooks: after every test file, nothing the tests started is left running. */
import { stopProbeCredentials } from "../../src/resources/probe-credentials";

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await stopProbeCredentials();
  },
};
