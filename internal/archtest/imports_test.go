// Package archtest holds tests of the repository's shape: which package
// may import which (ARCHITECTURE.md).
package archtest

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/sioloop/sioloop"

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", mod+"/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var list []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		list = append(list, p)
	}
	return list
}

// TestImportDirection enforces the one-way imports of ARCHITECTURE.md.
func TestImportDirection(t *testing.T) {
	forbidden := map[string][]string{
		// package: module packages it must not depend on (directly or not)
		"wsframe": {"eio", "sio", "loop", "broadcast", "client", "admin", "metrics"},
		"eio":     {"sio", "loop", "broadcast", "client", "admin", "metrics"},
		// loop implements broadcast's Conn and Loop; broadcast knows no
		// network layer
		"loop":      {"sio", "client", "admin", "metrics"},
		"broadcast": {"eio", "sio", "loop", "client"},
		// monitoring plugs in through sio.Observer: the core imports
		// neither the admin UI's server side nor the exporter
		"sio": {"client", "admin", "metrics"},
		// the codec is shared with the client: it imports nothing of ours
		"sio/parser": {"eio", "loop", "broadcast", "client", "wsframe"},
		"client":     {"loop", "broadcast"},
	}
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, mod), "/")
		for _, d := range p.Deps {
			if rel == "client" && strings.HasPrefix(d, "github.com/panjf2000/") {
				t.Errorf("client depends on %s: a client library must not carry the server's event loop", d)
			}
			if !strings.HasPrefix(d, mod+"/") {
				continue
			}
			dr := strings.TrimPrefix(d, mod+"/")
			if strings.HasPrefix(dr, "cmd/") || strings.HasPrefix(dr, "bench") || strings.HasPrefix(dr, "examples/") {
				t.Errorf("%s depends on %s: nothing imports cmd, bench or examples", p.ImportPath, d)
			}
			for _, f := range forbidden[rel] {
				if dr == f || strings.HasPrefix(dr, f+"/") {
					t.Errorf("%s depends on %s: imports go one way (ARCHITECTURE.md)", p.ImportPath, d)
				}
			}
			if (rel == "client" || rel == "sio/parser") && dr == "sio" {
				t.Errorf("%s depends on the server package sio: use sio/parser", p.ImportPath)
			}
		}
	}
}

// TestOnlyLoopImportsGnet checks direct imports of gnet.
func TestOnlyLoopImportsGnet(t *testing.T) {
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, mod), "/")
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, "github.com/panjf2000/gnet") && rel != "loop" && !strings.HasPrefix(rel, "cmd/") && !strings.HasPrefix(rel, "internal/loadgen") && !strings.HasPrefix(rel, "bench") {
				t.Errorf("%s imports %s: only loop (and load generators) may", p.ImportPath, imp)
			}
		}
	}
}

// TestCoreWithoutMonitoringDeps: the core packages carry neither bcrypt
// (the admin UI's login) nor Prometheus; only admin and metrics do.
func TestCoreWithoutMonitoringDeps(t *testing.T) {
	core := map[string]bool{"eio": true, "sio": true, "loop": true, "broadcast": true, "wsframe": true, "sio/parser": true}
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, mod), "/")
		if !core[rel] {
			continue
		}
		for _, d := range p.Deps {
			if strings.HasPrefix(d, "golang.org/x/crypto/") || strings.HasPrefix(d, "github.com/prometheus/") {
				t.Errorf("%s depends on %s: monitoring stays in admin/ and metrics/", rel, d)
			}
		}
	}
}
