package stacktest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// built holds ztfbridge's two commands, built once per test binary.
var built struct {
	once     sync.Once
	dir, err string
}

// Command returns the path of ztfbridge's command name ("ztfbridge" or
// "ztfbridge-dev"), built on first use into a folder that Main removes,
// for tests that run the real processes as an operator does.
func Command(t testing.TB, name string) string {
	t.Helper()
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "ztfbridge-commands-")
		if err != nil {
			built.err = err.Error()
			return
		}
		built.dir = dir
		cmd := exec.Command("go", "build", "-o", dir+string(filepath.Separator),
			"github.com/ztfbridge/ztfbridge/cmd/ztfbridge", "github.com/ztfbridge/ztfbridge/cmd/ztfbridge-dev")
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Sprintf("go build: %v\n%s", err, out)
		}
	})
	if built.err != "" {
		t.Fatal(built.err)
	}
	return filepath.Join(built.dir, name)
}
