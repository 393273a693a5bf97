package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// workload is one siobench run configuration of issue 5.
type workload struct {
	Name     string   `json:"name"`
	Title    string   `json:"title"`
	Scenario string   `json:"scenario"`
	Args     []string `json:"args"` // siobench arguments after the scenario (without --url, --server-pid, --out)
	Unit     string   `json:"unit"`
	// Offered is the op rate a paced workload asks for (in Unit); every
	// server should keep up with it: the comparison is the CPU per op.
	Offered float64 `json:"offered,omitempty"`
}

// workloads returns the list; full selects the full message counts and longer
// windows, otherwise a reduced version (3 s windows, counts as upper bounds).
func workloads(full bool) []workload {
	warm, win := "1s", "3s"
	if full {
		warm, win = "2s", "10s"
	}
	// counted: the full message count; reduced runs stop at the window
	// instead if that comes first.
	counted := func(n string) []string {
		if full {
			return []string{"--count", n, "--duration", "120s", "--warmup", warm}
		}
		return []string{"--count", n, "--duration", win, "--warmup", warm}
	}
	timed := []string{"--duration", win, "--warmup", warm}
	cat := func(a ...[]string) []string {
		var out []string
		for _, x := range a {
			out = append(out, x...)
		}
		return out
	}
	pipe := "2000" // 2M deliveries: ~1 min for zishang520
	if !full {
		pipe = "64000" // the window ends first
	}
	return []workload{
		{Name: "connect", Title: "connect 10,000", Scenario: "connect", Unit: "conns/s",
			Args: []string{"-c", "10000", "--dial-concurrency", "500"}},
		{Name: "echo", Title: "echo 50 × 100 B closed loop", Scenario: "echo", Unit: "round trips/s",
			Args: cat([]string{"-c", "50"}, timed)},
		{Name: "ack", Title: "ack 50 × 100 B closed loop", Scenario: "ack", Unit: "acks/s",
			Args: cat([]string{"-c", "50"}, timed)},
		{Name: "bcast-5000x100", Title: "broadcast 5,000 × 100", Scenario: "broadcast", Unit: "deliveries/s",
			Args: cat([]string{"-c", "5000"}, counted("100"))},
		{Name: "bcast-1000x1000", Title: "broadcast 1,000 × 1,000", Scenario: "broadcast", Unit: "deliveries/s",
			Args: cat([]string{"-c", "1000"}, counted("1000"))},
		{Name: "rooms-1000x5", Title: "rooms 1,000 × 5 (20,000 messages)", Scenario: "rooms", Unit: "deliveries/s",
			Args: cat([]string{"--rooms", "1000", "--room-size", "5"}, counted("20000"))},
		{Name: "echo-10k", Title: "echo at 10k rt/s (50 conns)", Scenario: "echo", Unit: "round trips/s", Offered: 10000,
			Args: cat([]string{"-c", "50", "--rate", "10000"}, timed)},
		{Name: "ack-10k", Title: "ack at 10k/s (50 conns)", Scenario: "ack", Unit: "acks/s", Offered: 10000,
			Args: cat([]string{"-c", "50", "--rate", "10000"}, timed)},
		{Name: "bcast-1000-20ps", Title: "broadcast 1,000 × 20 msg/s", Scenario: "broadcast", Unit: "deliveries/s", Offered: 20000,
			Args: cat([]string{"-c", "1000", "--rate", "20"}, timed)},
		{Name: "rooms-2000ps", Title: "rooms 1,000 × 5 at 2,000 msg/s", Scenario: "rooms", Unit: "deliveries/s", Offered: 10000,
			Args: cat([]string{"--rooms", "1000", "--room-size", "5", "--rate", "2000"}, timed)},
		{Name: "bcast-pipe8", Title: "broadcast 1,000, 8 in flight", Scenario: "broadcast", Unit: "deliveries/s",
			Args: cat([]string{"-c", "1000", "--inflight", "8"}, counted(pipe))},
		{Name: "bcast-pipe64", Title: "broadcast 1,000, 64 in flight", Scenario: "broadcast", Unit: "deliveries/s",
			Args: cat([]string{"-c", "1000", "--inflight", "64"}, counted(pipe))},
	}
}

// server is a peer under test.
type server struct {
	Name  string   `json:"name"`
	Title string   `json:"title"`
	Argv  []string `json:"argv"` // {addr}, {host}, {port}: where to listen
}

// servers returns the peers, their binaries built into bin (Node runs the
// script from the repository).
func servers(root, bin string) map[string]server {
	return map[string]server{
		"ours": {Name: "ours", Title: "sioloop",
			Argv: []string{filepath.Join(bin, "siobench"), "serve", "-addr", "{addr}"}},
		"node": {Name: "node", Title: "Node.js socket.io",
			Argv: []string{"node", filepath.Join(root, "bench/peers/node/server.js"), "--host", "{host}", "--port", "{port}"}},
		"zishang": {Name: "zishang", Title: "zishang520 v3",
			Argv: []string{filepath.Join(bin, "zishang"), "-addr", "{addr}"}},
		"floor": {Name: "floor", Title: "gnet floor",
			Argv: []string{filepath.Join(bin, "floor"), "-addr", "{addr}"}},
	}
}

// build compiles siobench, the floor and the zishang520 peer into bin.
func build(root, bin string, names []string) error {
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return err
	}
	want := map[string]bool{"siobench": true}
	for _, n := range names {
		want[n] = true
	}
	steps := []struct {
		name, dir, out, pkg string
	}{
		{"siobench", root, "siobench", "./cmd/siobench"},
		{"floor", root, "floor", "./bench/peers/floor"},
		{"zishang", filepath.Join(root, "bench/peers/zishang"), "zishang", "."},
	}
	for _, s := range steps {
		if !want[s.name] {
			continue
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(bin, s.out), s.pkg)
		cmd.Dir = s.dir
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("build %s: %w", s.name, err)
		}
	}
	if want["node"] {
		if _, err := exec.LookPath("node"); err != nil {
			return fmt.Errorf("node: not found (install Node.js 20)")
		}
		if _, err := os.Stat(filepath.Join(root, "interop/node_modules/socket.io/package.json")); err != nil {
			return fmt.Errorf("node: interop/node_modules/socket.io missing: run `make deps` first")
		}
	}
	return nil
}

func expand(argv []string, host, port string) []string {
	out := make([]string, len(argv))
	for i, a := range argv {
		a = strings.ReplaceAll(a, "{addr}", host+":"+port)
		a = strings.ReplaceAll(a, "{host}", host)
		out[i] = strings.ReplaceAll(a, "{port}", port)
	}
	return out
}
