/** Many hosts, each with its own connection and snaps. */
import * as pulumi from "@pulumi/pulumi";
import { InputError } from "../model/input-error";
import { HostSummary, SnapShmHost, SnapShmHostArgs } from "./snap-shm-host";

export interface FleetHostArgs extends SnapShmHostArgs {
  /** The host's name in the fleet: letters, digits, `.`, `_` and `-`; unique in the fleet. */
  name: string;
}

export interface SnapShmFleetArgs {
  /** The hosts. Every host is checked before any resource is created. */
  hosts: FleetHostArgs[];
}

const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62})$/;

/** One `SnapShmHost` per host, named `<fleet>-<host>`. */
export class SnapShmFleet extends pulumi.ComponentResource {
  static readonly TYPE = "snap-shm:index:SnapShmFleet";

  readonly hosts: Record<string, SnapShmHost>;
  /** Per host, per snap instance: what was found and changed. */
  readonly summary: pulumi.Output<Record<string, HostSummary>>;

  constructor(name: string, args: SnapShmFleetArgs, opts?: pulumi.ComponentResourceOptions) {
    const seen = new Set<string>();
    args.hosts.forEach((host, i) => {
      const field = `SnapShmFleet "${name}" args.hosts[${i}].name`;
      if (typeof host.name !== "string" || !HOST_NAME.test(host.name)) {
        throw new InputError(field, host.name, `invalid host name ${JSON.stringify(host.name)}: expected letters, digits, ".", "_" and "-", up to 63 characters`);
      }
      if (seen.has(host.name)) throw new InputError(field, host.name, `host name ${JSON.stringify(host.name)} is used twice`);
      seen.add(host.name);
    });
    super(SnapShmFleet.TYPE, name, {}, opts);
    this.hosts = {};
    for (const host of args.hosts) {
      const { name: hostName, ...hostArgs } = host;
      this.hosts[hostName] = new SnapShmHost(`${name}-${hostName}`, hostArgs, { parent: this });
    }
    const names = Object.keys(this.hosts);
    this.summary = pulumi
      .all(names.map((hostName) => this.hosts[hostName].summary))
      .apply((summaries) => Object.fromEntries(summaries.map((summary, i) => [names[i], summary])));
    this.registerOutputs({ summary: this.summary });
  }
}
