// provider-ssh runs one command over SSH the way @pulumi/command's remote.Command does, with
// the same library (golang.org/x/crypto/ssh) and the same connection handling: the engine
// stand-in (../engine-stand-in.ts) runs every remote operation through it, so tests and
// benchmarks connect, authenticate and run commands as the provider would.
//
// Usage: provider-ssh COMMAND, with the connection as JSON on file descriptor 3 (secrets
// never appear in arguments or files) and the command's stdin on standard input. The
// remote stdout and stderr are copied through, and the exit status is the remote command's.
// When the command could not run (dial, handshake, authentication, session), the error, as
// the provider reports it, is written to file descriptor 4 (stderr when that is not open),
// and the exit status is 255.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// connection is @pulumi/command's remote connection (types/input.d.ts), as the stand-in
// passes it.
type connection struct {
	Host               string      `json:"host"`
	Port               *int        `json:"port"`
	User               *string     `json:"user"`
	Password           *string     `json:"password"`
	PrivateKey         *string     `json:"privateKey"`
	PrivateKeyPassword *string     `json:"privateKeyPassword"`
	AgentSocketPath    *string     `json:"agentSocketPath"`
	HostKey            *string     `json:"hostKey"`
	DialErrorLimit     *int        `json:"dialErrorLimit"`
	PerDialTimeout     *int        `json:"perDialTimeout"`
	Proxy              *connection `json:"proxy"`
}

const cannotRun = 255

func main() {
	if len(os.Args) != 2 {
		fail(errors.New("usage: provider-ssh COMMAND (connection as JSON on fd 3, errors on fd 4)"))
	}
	var conn connection
	if err := json.NewDecoder(os.NewFile(3, "connection")).Decode(&conn); err != nil {
		fail(fmt.Errorf("reading the connection: %w", err))
	}
	client, err := dial(&conn)
	if err != nil {
		fail(err)
	}
	defer client.Close()
	session, err := client.NewSession()
	if err != nil {
		fail(err)
	}
	defer session.Close()
	// The provider gives the session a reader only for a non-empty stdin.
	if stdin, _ := io.ReadAll(os.Stdin); len(stdin) > 0 {
		session.Stdin = bytes.NewReader(stdin)
	}
	session.Stdout = os.Stdout
	session.Stderr = os.Stderr
	err = session.Run(os.Args[1])
	var exit *ssh.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitStatus())
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	if _, written := fmt.Fprintln(os.NewFile(4, "error"), err); written != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(cannotRun)
}

// config is the provider's client configuration: key, password (and keyboard-interactive
// with it), agent, the pinned host key when one is given, the per-dial timeout.
func config(c *connection) (*ssh.ClientConfig, error) {
	cfg := &ssh.ClientConfig{User: "root", HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 15 * time.Second}
	if c.User != nil {
		cfg.User = *c.User
	}
	if c.PerDialTimeout != nil {
		cfg.Timeout = time.Duration(*c.PerDialTimeout) * time.Second
	}
	if c.HostKey != nil && *c.HostKey != "" {
		key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(*c.HostKey))
		if err != nil {
			return nil, fmt.Errorf("hostKey: %w", err)
		}
		cfg.HostKeyCallback = ssh.FixedHostKey(key)
	}
	if c.PrivateKey != nil {
		var signer ssh.Signer
		var err error
		if c.PrivateKeyPassword != nil {
			signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(*c.PrivateKey), []byte(*c.PrivateKeyPassword))
		} else {
			signer, err = ssh.ParsePrivateKey([]byte(*c.PrivateKey))
		}
		if err != nil {
			return nil, err
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeys(signer))
	}
	if c.Password != nil {
		password := *c.Password
		cfg.Auth = append(cfg.Auth, ssh.Password(password), ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
			answers := make([]string, len(questions))
			for i := range answers {
				answers[i] = password
			}
			return answers, nil
		}))
	}
	socket := os.Getenv("SSH_AUTH_SOCK")
	if c.AgentSocketPath != nil {
		socket = *c.AgentSocketPath
	}
	if socket != "" {
		agentConn, err := net.Dial("unix", socket)
		if err != nil {
			return nil, err
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeysCallback(agent.NewClient(agentConn).Signers))
	}
	return cfg, nil
}

func endpoint(c *connection) string {
	port := 22
	if c.Port != nil {
		port = *c.Port
	}
	return net.JoinHostPort(c.Host, strconv.Itoa(port))
}

// dial connects as the provider's Connection.Dial does: directly, or through the proxy's
// client, each step retried up to its dial error limit.
func dial(c *connection) (*ssh.Client, error) {
	cfg, err := config(c)
	if err != nil {
		return nil, err
	}
	address := endpoint(c)
	if c.Proxy == nil {
		return retry(c, func() (*ssh.Client, error) { return ssh.Dial("tcp", address, cfg) })
	}
	proxyCfg, err := config(c.Proxy)
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	proxy, err := retry(c.Proxy, func() (*ssh.Client, error) { return ssh.Dial("tcp", endpoint(c.Proxy), proxyCfg) })
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	bridge, err := retry(c, func() (net.Conn, error) { return proxy.Dial("tcp", address) })
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	conn, channels, requests, err := ssh.NewClientConn(bridge, address, cfg)
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	return ssh.NewClient(conn, channels, requests), nil
}

// retry calls f as the provider's dialWithRetry does: until it succeeds or the dials exceed
// the connection's dial error limit (10 by default, -1 for no limit), waiting as the Pulumi
// SDK's retry.Until does between tries (100 ms, growing by half each time, at most 5 s).
func retry[T any](c *connection, f func() (T, error)) (T, error) {
	limit := 10
	if c.DialErrorLimit != nil {
		limit = *c.DialErrorLimit
	}
	delay := 100 * time.Millisecond
	for dials := 1; ; dials++ {
		result, err := f()
		if err == nil {
			return result, nil
		}
		if limit > -1 && dials > limit {
			return result, fmt.Errorf("after %d failed attempts: %w", dials-1, err)
		}
		time.Sleep(delay)
		if delay = delay * 3 / 2; delay > 5*time.Second {
			delay = 5 * time.Second
		}
	}
}
