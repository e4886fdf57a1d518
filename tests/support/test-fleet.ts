/**
 * A fleet of SSH test hosts for end-to-end runs: each a TestHost with Debian's sshd on a
 * loopback port, fixture snaps, and the connection a program gives it. Keys are made per run.
 */
import { FixtureSnap, TestHost } from "./test-host";
import { KeyPair, makeKeyPair } from "./ssh-keys";

export interface HostSpec {
  name: string;
  snaps: FixtureSnap[];
  /** Log in as root (default), or as a user with sudo that lets them in or asks a password. */
  login?: "root" | "sudo-nopasswd" | "sudo-password";
  /** Reach this host through another host of the fleet as a bastion. */
  via?: string;
}

export interface FleetHost {
  name: string;
  host: TestHost;
  spec: HostSpec;
  /** The connection a program gives this host (key as a plain string; tests wrap it as they need). */
  connection: {
    host: string;
    port: number;
    user: string;
    privateKey: string;
    hostKey: string;
    dialErrorLimit: number;
    proxy?: { host: string; port: number; user: string; privateKey: string; hostKey: string; dialErrorLimit: number };
  };
  become: boolean;
}

export class TestFleet {
  private constructor(
    readonly key: KeyPair,
    readonly hosts: FleetHost[],
  ) {}

  static async start(specs: HostSpec[]): Promise<TestFleet> {
    const key = makeKeyPair();
    const hosts: FleetHost[] = [];
    try {
      for (const spec of specs) {
        const host = await TestHost.start();
        hosts.push({ name: spec.name, host, spec, connection: undefined as never, become: false });
        for (const snap of spec.snaps) host.addSnap(snap);
        const ssh = await host.startSshd(key.publicKey);
        const login = spec.login ?? "root";
        const user = login === "root" ? "root" : "ops";
        if (login !== "root") host.addUser("ops", key.publicKey, login === "sudo-nopasswd" ? "nopasswd" : "password", "ops-password");
        const entry = hosts[hosts.length - 1];
        entry.become = login !== "root";
        entry.connection = { host: "127.0.0.1", port: ssh.port, user, privateKey: key.privateKey, hostKey: ssh.hostKey, dialErrorLimit: 2 };
      }
      for (const entry of hosts) {
        if (!entry.spec.via) continue;
        const bastion = hosts.find((h) => h.name === entry.spec.via)!;
        entry.connection.proxy = { ...bastion.connection, user: "root" };
        delete (entry.connection.proxy as { proxy?: unknown }).proxy;
      }
    } catch (error) {
      await Promise.all(hosts.map((h) => h.host.stop()));
      throw error;
    }
    return new TestFleet(key, hosts);
  }

  get(name: string): FleetHost {
    const found = this.hosts.find((h) => h.name === name);
    if (!found) throw new Error(`no test host ${name}`);
    return found;
  }

  async stop(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.host.stop()));
  }
}
