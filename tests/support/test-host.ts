/**
 * Test hosts on this machine: each a private mount namespace with a copy-on-write root
 * (tests/support/test-host.sh), its own tmpfs /dev/shm and /run, snapd's folders, fixture
 * snaps whose AppArmor profiles are in snapd's shape, and, for a "running" snap, a preserved
 * mount namespace at /run/snapd/ns/I.mnt made the way snapd makes it. Nothing a test host
 * does reaches this machine's own /dev/shm, /etc or /var/lib; stopping it ends every process
 * and mount it had.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AddressInfo, connect, createServer } from "node:net";
import { appProfile, updateNsProfile } from "../fixtures/snapd-profiles";

const HOST_SCRIPT = join(__dirname, "test-host.sh");
const SNAP_STAND_IN = readFileSync(join(__dirname, "snap-stand-in.sh"), "utf8");

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface FixtureSnap {
  instance: string;
  apps: string[];
  hooks?: string[];
  /** The snap "has run": its mount namespace is preserved at /run/snapd/ns/I.mnt. */
  running?: boolean;
  /**
   * The snap is installed with a snap.yaml that declares this private shared-memory plug,
   * and the host gets the test stand-in for snapd's `snap` command
   * (tests/support/snap-stand-in.sh), which can connect it.
   */
  privatePlug?: string;
}

export interface TestHostOptions {
  /** Size of the host's /dev/shm tmpfs. */
  shmSize?: string;
}

export interface SshServer {
  port: number;
  /** The server's public host key line, for `connection.hostKey`. */
  hostKey: string;
}

/** A free loopback TCP port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export class TestHost {
  private sshd: ChildProcess | undefined;
  ssh: SshServer | undefined;

  private constructor(
    private readonly holder: ChildProcess,
    private readonly workDir: string,
  ) {}

  /** The holder process: `nsenter -t` target for everything run on this host. */
  get pid(): number {
    return this.holder.pid!;
  }

  static async start(options: TestHostOptions = {}): Promise<TestHost> {
    if (process.getuid?.() !== 0) throw new Error("test hosts need root (mount namespaces)");
    const workDir = mkdtempSync(join(tmpdir(), "snap-shm-host-"));
    // Pinned to one CPU, as the namespaces made inside it are: the kernel refuses to bind a
    // namespace file into an older namespace, and it numbers namespaces from per-CPU batches,
    // so only namespaces made on the same CPU are sure to be numbered in the order they were made.
    const holder = spawn("taskset", ["-c", "0", "unshare", "-m", "--propagation", "private", "sh", HOST_SCRIPT, workDir, options.shmSize ?? "64m"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const host = new TestHost(holder, workDir);
    await new Promise<void>((resolve, reject) => {
      let out = "";
      let err = "";
      holder.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("ready\n")) resolve();
      });
      holder.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
      holder.on("exit", (code) => reject(new Error(`test host setup failed (${code}): ${err}`)));
    });
    return host;
  }

  private nsenterArgs(script: string): string[] {
    return ["-t", String(this.pid), "-m", "-r", "-w", "--", "sh", "-c", script];
  }

  /** Runs `sh -c script` as root on the host. */
  sh(script: string, stdin = ""): RunResult {
    const result = spawnSync("nsenter", this.nsenterArgs(script), { input: stdin, encoding: "utf8", timeout: 120_000 });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  /** Like sh, without waiting: for runs at the same time. */
  shAsync(script: string, stdin = ""): Promise<RunResult> {
    return new Promise((resolve) => {
      const child = spawn("nsenter", this.nsenterArgs(script), { stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      child.on("close", (status) => resolve({ status, stdout, stderr }));
      child.stdin.end(stdin);
    });
  }

  /** Runs a script that must succeed; returns its standard output. */
  must(script: string, stdin = ""): string {
    const result = this.sh(script, stdin);
    if (result.status !== 0) throw new Error(`test host: ${script} failed (${result.status}): ${result.stderr}`);
    return result.stdout;
  }

  writeFile(path: string, content: string, mode = "0644"): void {
    this.must(`set -- ${quote(path)}; mkdir -p "$(dirname "$1")" && cat > "$1" && chmod ${mode} "$1"`, content);
  }

  readFile(path: string): string | null {
    const result = this.sh(`cat ${quote(path)}`);
    return result.status === 0 ? result.stdout : null;
  }

  exists(path: string): boolean {
    return this.sh(`[ -e ${quote(path)} ] || [ -L ${quote(path)} ]`).status === 0;
  }

  /** `stat` of a path: type, octal mode, owner and group names. */
  stat(path: string): { type: string; mode: string; owner: string; group: string } | null {
    const result = this.sh(`stat -c '%F|%a|%U|%G' ${quote(path)}`);
    if (result.status !== 0) return null;
    const [type, mode, owner, group] = result.stdout.trim().split("|");
    return { type, mode, owner, group };
  }

  /** The /dev/shm lines of mountinfo: on the host, or inside a snap's preserved namespace. */
  shmMounts(instance?: string): string[] {
    const script = instance
      ? `nsenter --mount=/run/snapd/ns/${instance}.mnt cat /proc/self/mountinfo`
      : "cat /proc/self/mountinfo";
    return this.must(script)
      .split("\n")
      .filter((line) => line.split(" ")[4] === "/dev/shm");
  }

  /**
   * AppArmor enabled as far as snap-shm can tell (a tmpfs with an `apparmor` folder on
   * /sys/kernel/security), with a stand-in apparmor_parser in front of Debian's real one: it
   * records each `--replace` (the kernel load this machine cannot do) in /run/loads, with the
   * time first when `timed`, and fails it while /run/fail-load exists; every other call (the
   * -QK checks) goes to the real parser.
   */
  enableAppArmorStandIn(options: { timed?: boolean } = {}): void {
    this.must("mount -t tmpfs securityfs-stand-in /sys/kernel/security && mkdir /sys/kernel/security/apparmor");
    const record = options.timed ? 'echo "$(date +%s.%N) $*"' : 'echo "$*"';
    this.writeFile(
      "/usr/local/sbin/apparmor_parser",
      `#!/bin/sh\ncase "$1" in --replace) ${record} >> /run/loads; [ ! -e /run/fail-load ] || { echo "kernel says no" >&2; exit 1; }; exit 0 ;; esac\nexec /usr/sbin/apparmor_parser "$@"\n`,
      "0755",
    );
  }

  /** Installs a fixture snap: snapd-shaped profiles, and a preserved namespace when running. */
  addSnap(snap: FixtureSnap): void {
    const dir = "/var/lib/snapd/apparmor/profiles";
    for (const app of snap.apps) this.writeFile(`${dir}/snap.${snap.instance}.${app}`, appProfile(snap.instance, app));
    for (const hook of snap.hooks ?? []) this.writeFile(`${dir}/snap.${snap.instance}.hook.${hook}`, appProfile(snap.instance, `hook.${hook}`));
    this.writeFile(`${dir}/snap-update-ns.${snap.instance}`, updateNsProfile(snap.instance));
    this.must("mkdir -p /var/lib/snapd/mount");
    if (snap.privatePlug !== undefined) {
      this.writeFile(`/snap/${snap.instance}/current/meta/snap.yaml`, snapYaml(snap));
      this.writeFile(`/var/lib/snapd/stand-in/${snap.instance}.plugs`, `${snap.privatePlug}\n`);
      this.writeFile("/usr/bin/snap", SNAP_STAND_IN, "0755");
    }
    if (snap.running) this.preserveNamespace(snap.instance);
  }

  /**
   * snapd's preserved namespace: a mount namespace bound at /run/snapd/ns/I.mnt. Like
   * snap-confine making a fresh one, it starts without a record of applied mounts.
   */
  preserveNamespace(instance: string): void {
    // The new namespace's process waits on a FIFO until its namespace file is bound.
    this.must(`
      set -e
      rm -f /run/snapd/ns/snap.${instance}.fstab
      fifo=$(mktemp -u /run/ns-ready.XXXXXX); mkfifo "$fifo"
      taskset -c 0 unshare -m --propagation slave sh -c 'echo $$ > "$1"; exec sleep 2147483647' ns-holder "$fifo" &
      read pid < "$fifo"; rm -f "$fifo"
      touch /run/snapd/ns/${instance}.mnt
      mount --bind /proc/$pid/ns/mnt /run/snapd/ns/${instance}.mnt
      kill $pid
    `);
  }

  /** Everything under a folder as path → content (files) or a mark (dirs, links), for comparisons. */
  snapshot(folder: string): Record<string, string> {
    const out = this.must(
      `cd ${quote(folder)} 2>/dev/null || exit 0; find . -mindepth 1 | LC_ALL=C sort | while IFS= read -r p; do
         if [ -L "$p" ]; then printf '%s\\tlink:%s\\n' "$p" "$(readlink "$p")";
         elif [ -d "$p" ]; then printf '%s\\tdir:%s\\n' "$p" "$(stat -c %a "$p")";
         else printf '%s\\tfile:%s:%s\\n' "$p" "$(stat -c %a "$p")" "$(sha256sum < "$p" | cut -c1-16)"; fi
       done`,
    );
    return Object.fromEntries(out.split("\n").filter(Boolean).map((line) => line.split("\t") as [string, string]));
  }

  /**
   * Starts Debian's sshd inside the host on a loopback port, with a host key made for this
   * run; `authorizedKey` may log in as root. Returns the port and the host key line.
   * `options.config` lines come first (sshd keeps the first value of a keyword);
   * `options.debugLog` is a file in the host where sshd logs at DEBUG1 (the negotiated
   * algorithms, for one).
   */
  /**
   * Root's dotfiles as Debian ships them (base-files), not this machine's: sshd runs every
   * command through root's login shell, bash, which reads ~/.bashrc when sshd starts it, and
   * this machine's starts pyenv, whose shim lock, once stuck, holds every later SSH command
   * for a minute, and which adds to every SSH command what no fleet host has. Only the test
   * host's copy-on-write root is written. `startSshd` does it; a host serving SSH otherwise
   * (the bench's) calls it itself.
   */
  stockRootDotfiles(): void {
    for (const name of ["bashrc", "profile"]) {
      const stock = `/usr/share/base-files/dot.${name}`;
      this.must(`if [ -f ${stock} ]; then cp ${stock} /root/.${name}; else : > /root/.${name}; fi`);
    }
  }

  async startSshd(authorizedKey: string, port?: number, options: { config?: string[]; debugLog?: string } = {}): Promise<SshServer> {
    const listen = port ?? (await freePort());
    this.must("[ -f /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key");
    this.writeFile(
      "/etc/ssh/sshd_test_config",
      [
        ...(options.config ?? []),
        `Port ${listen}`,
        "ListenAddress 127.0.0.1",
        "HostKey /etc/ssh/ssh_host_ed25519_key",
        "PermitRootLogin prohibit-password",
        "PubkeyAuthentication yes",
        "PasswordAuthentication yes",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "PidFile /run/sshd-test.pid",
        "AuthorizedKeysFile .ssh/authorized_keys",
        "MaxStartups 200",
        "MaxSessions 100",
        options.debugLog ? "LogLevel DEBUG1" : "LogLevel ERROR",
        "",
      ].join("\n"),
    );
    this.stockRootDotfiles();
    this.writeFile("/root/.ssh/authorized_keys", `${authorizedKey}\n`, "0600");
    this.must("chmod 700 /root/.ssh");
    this.sshd = spawn("nsenter", this.nsenterArgs(`exec /usr/sbin/sshd -D -e -f /etc/ssh/sshd_test_config${options.debugLog ? ` -E ${quote(options.debugLog)}` : ""}`), { stdio: ["ignore", "ignore", "ignore"] });
    const hostKey = this.must("cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub").trim();
    await waitForPort(listen);
    this.ssh = { port: listen, hostKey };
    return this.ssh;
  }

  /**
   * Stops (SIGSTOP) or resumes the host's sshd. A stopped sshd is a hung one: the kernel still
   * takes TCP connections for its socket, and nothing ever answers them.
   */
  pauseSshd(paused: boolean): void {
    this.sshd?.kill(paused ? "SIGSTOP" : "SIGCONT");
  }

  /** Kills the host's sshd and every session it had. */
  async killSshd(): Promise<void> {
    const sshd = this.sshd;
    if (!sshd || hasExited(sshd)) return;
    const exited = new Promise((resolve) => sshd.on("exit", resolve));
    sshd.kill("SIGKILL");
    await exited;
    this.killInside("sshd");
  }

  /** Kills the processes in this host's mount namespace whose command line contains `pattern` (all for ""). */
  private killInside(pattern: string): void {
    spawnSync("sh", [
      "-c",
      `ns=$(readlink /proc/${this.pid}/ns/mnt); for p in $(ls /proc | grep -E '^[0-9]+$'); do
         [ "$p" != ${this.pid} ] && [ "$(readlink /proc/$p/ns/mnt 2>/dev/null)" = "$ns" ] || continue
         case "$(tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null)" in *"$1"*) kill -9 "$p" 2>/dev/null ;; esac
       done; true`,
      "kill-inside",
      pattern,
    ]);
  }

  /**
   * Adds a user who logs in with `authorizedKey`; `sudo` says whether sudo lets them in
   * without a password, asks them for one, or does not know them.
   */
  addUser(name: string, authorizedKey: string, sudo: "nopasswd" | "password" | "none", password?: string): void {
    this.must(`useradd -m -s /bin/bash ${quote(name)}`);
    if (password !== undefined) this.must("chpasswd", `${name}:${password}\n`);
    this.writeFile(`/home/${name}/.ssh/authorized_keys`, `${authorizedKey}\n`, "0600");
    this.must(`chown -R ${quote(name)}: /home/${name}/.ssh && chmod 700 /home/${name}/.ssh`);
    if (sudo !== "none") {
      this.writeFile(`/etc/sudoers.d/${name}`, `${name} ALL=(ALL) ${sudo === "nopasswd" ? "NOPASSWD: " : ""}ALL\n`, "0440");
    }
  }

  async stop(): Promise<void> {
    await this.killSshd();
    if (!hasExited(this.holder)) {
      const exited = new Promise((resolve) => this.holder.on("exit", resolve));
      // Every process left inside the host's namespace goes first, then the holder.
      this.killInside("");
      this.holder.kill("SIGKILL");
      await exited;
    }
    rmSync(this.workDir, { recursive: true, force: true });
  }
}

/** An installed snap's meta/snap.yaml declaring the fixture's private plug. */
function snapYaml(snap: FixtureSnap): string {
  const name = snap.instance.split("_")[0];
  const lines = [`name: ${name}`, "version: '1.0'", "confinement: strict", "plugs:", `  ${snap.privatePlug}:`, "    interface: shared-memory", "    private: true", "apps:"];
  for (const app of snap.apps) lines.push(`  ${app}:`, `    command: bin/${app}`);
  if (snap.hooks?.length) lines.push("hooks:", ...snap.hooks.map((hook) => `  ${hook}: {}`));
  return `${lines.join("\n")}\n`;
}

/** Ended by itself or by a signal. */
function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function waitForPort(port: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

export function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
