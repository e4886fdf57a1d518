/**
 * Runs bench/ansible/converge.yml with Debian's ansible-core against bench hosts, over the
 * same loopback SSH as snap-shm: an inventory with each host's port, the run's key file, and
 * host keys pinned in a known_hosts file (host key checking stays on, as by default).
 *
 * Settings are Ansible's defaults (no ansible.cfg: OpenSSH with ControlMaster=auto and
 * ControlPersist=60s, sftp transfers, no pipelining), except where the bench says:
 * `pipelining` (ANSIBLE_PIPELINING), `forks`, and the interpreter, given per host
 * (`ansible_python_interpreter`, as inventories usually do) so no discovery runs. Every run
 * gets a fresh ControlPath folder, so no run reuses another run's master connection, and the
 * masters are closed after the run: nothing is left running.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { BenchHost } from "./ssh-hosts";

export const PLAYBOOK = resolve(__dirname, "..", "..", "..", "bench", "ansible", "converge.yml");

export const ANSIBLE_INSTALL_HINT =
  "Ansible is not installed: the converge comparison needs Debian's ansible-core (apt-get install -y --no-install-recommends ansible-core), or run the bench with --skip-ansible";

/** `ansible-playbook --version`'s first line, or undefined when it is not installed. */
export function ansibleVersion(): string | undefined {
  // Its own ANSIBLE_HOME, so not even the version check leaves a ~/.ansible behind.
  const home = mkdtempSync("/tmp/snap-shm-bench-ansible-version-");
  try {
    const run = spawnSync("ansible-playbook", ["--version"], { encoding: "utf8", env: { ...process.env, ANSIBLE_HOME: home, ANSIBLE_LOCAL_TEMP: join(home, "tmp") } });
    if (run.status !== 0) return undefined;
    return run.stdout.split("\n")[0].trim();
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

export interface RecapLine {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
}

export interface AnsibleRun {
  wallMs: number;
  status: number | null;
  recap: Record<string, RecapLine>;
  output: string;
}

export interface AnsibleOptions {
  pipelining: boolean;
  forks: number;
}

/** A folder of the bench's own for Ansible's files (key, inventory, local temp, control sockets). */
export class AnsibleWorkspace {
  readonly dir: string;
  readonly keyFile: string;

  constructor(privateKey: string) {
    this.dir = mkdtempSync("/tmp/snap-shm-bench-ansible-");
    this.keyFile = join(this.dir, "id_ed25519");
    writeFileSync(this.keyFile, privateKey.endsWith("\n") ? privateKey : `${privateKey}\n`, { mode: 0o600 });
  }

  /** Runs the playbook on `hosts` and closes its master connections. */
  async run(hosts: BenchHost[], options: AnsibleOptions): Promise<AnsibleRun> {
    const run = mkdtempSync(join(this.dir, "run-"));
    const knownHosts = join(run, "known_hosts");
    writeFileSync(knownHosts, hosts.map((h) => `[127.0.0.1]:${h.port} ${h.hostKey}\n`).join(""));
    const inventory = join(run, "inventory.yml");
    writeFileSync(inventory, inventoryYaml(hosts, this.keyFile, knownHosts));
    const controlDir = join(run, "cp");
    mkdirSync(controlDir, { mode: 0o700 });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ANSIBLE_CONFIG: join(run, "no-ansible.cfg"),
      ANSIBLE_HOME: join(run, "home"),
      ANSIBLE_LOCAL_TEMP: join(run, "tmp"),
      ANSIBLE_SSH_CONTROL_PATH_DIR: controlDir,
      ANSIBLE_PIPELINING: options.pipelining ? "True" : "False",
      ANSIBLE_NOCOLOR: "1",
      ANSIBLE_RETRY_FILES_ENABLED: "False",
    };
    const started = process.hrtime.bigint();
    const result = await collect("ansible-playbook", ["-i", inventory, "-f", String(options.forks), PLAYBOOK], env, run);
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    closeMasters(controlDir);
    rmSync(run, { recursive: true, force: true });
    return { wallMs, status: result.status, recap: parseRecap(result.output), output: result.output };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The inventory: every host on 127.0.0.1 with its own port; host keys pinned. */
export function inventoryYaml(hosts: BenchHost[], keyFile: string, knownHosts: string): string {
  const lines = ["all:", "  hosts:"];
  for (const h of hosts) lines.push(`    ${h.name}:`, "      ansible_host: 127.0.0.1", `      ansible_port: ${h.port}`);
  lines.push(
    "  vars:",
    "    ansible_user: root",
    `    ansible_ssh_private_key_file: ${keyFile}`,
    "    ansible_python_interpreter: /usr/bin/python3",
    `    ansible_ssh_common_args: -o UserKnownHostsFile=${knownHosts} -o GlobalKnownHostsFile=/dev/null`,
  );
  return `${lines.join("\n")}\n`;
}

/** The PLAY RECAP lines, per host. */
export function parseRecap(output: string): Record<string, RecapLine> {
  const recap: Record<string, RecapLine> = {};
  const pattern = /^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)/gm;
  for (const m of output.matchAll(pattern)) {
    recap[m[1]] = { ok: +m[2], changed: +m[3], unreachable: +m[4], failed: +m[5], skipped: +m[6] };
  }
  return recap;
}

/** Ends the ControlPersist masters the run left (they would live 60 s more). */
function closeMasters(controlDir: string): void {
  for (const socket of readdirSync(controlDir)) {
    spawnSync("ssh", ["-o", `ControlPath=${join(controlDir, socket)}`, "-O", "exit", "bench-host"], { stdio: "ignore", timeout: 10_000 });
  }
}

function collect(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(file, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.on("close", (status) => resolveRun({ status, output }));
  });
}
