package child_test

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/dev/child"
)

// TestStop starts shell scripts that say "ready" (and the pid of a
// grandchild) on stdout once their traps are set, stops them, and checks
// the exit status, the log, and that the grandchild is gone too.
func TestStop(t *testing.T) {
	tests := []struct {
		name    string
		script  string
		grace   time.Duration
		wantErr string // in Stop's error; empty = nil
		wantLog string // in the log
	}{
		{
			name:   "exits on SIGTERM",
			script: `trap 'echo terminated >&2; exit 0' TERM; sleep 1000 & echo ready $!; wait`,
			grace:  time.Minute, wantLog: "terminated",
		},
		{
			name:   "fails on SIGTERM",
			script: `trap 'echo cleanup failed >&2; exit 3' TERM; sleep 1000 & echo ready $!; wait`,
			grace:  time.Minute, wantErr: "exit status 3", wantLog: "cleanup failed",
		},
		{
			name:   "ignores SIGTERM",
			script: `trap '' TERM; echo stubborn >&2; sleep 1000 & echo ready $!; wait; wait`,
			grace:  100 * time.Millisecond, wantErr: "signal: killed", wantLog: "stubborn",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command("sh", "-c", tt.script)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			p, err := child.Start("script", dir, cmd)
			if err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(out)
			if !sc.Scan() {
				t.Fatalf("no ready line: %v; %s", sc.Err(), p.LogTail())
			}
			grandchild, ok := strings.CutPrefix(sc.Text(), "ready ")
			if !ok {
				t.Fatalf("said %q, want ready PID", sc.Text())
			}
			err = p.Stop(tt.grace)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Stop = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.wantLog)):
				t.Errorf("Stop = %v, want an error with %q and the log's %q", err, tt.wantErr, tt.wantLog)
			}
			if log := p.LogTail(); !strings.Contains(log, tt.wantLog) {
				t.Errorf("log %q does not hold %q", log, tt.wantLog)
			}
			select {
			case <-p.Done():
			default:
				t.Error("Done not closed after Stop")
			}
			// SIGKILL has been sent to the group; its delivery is
			// asynchronous.
			for deadline := time.Now().Add(10 * time.Second); alive(t, grandchild); time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("grandchild %s outlived Stop by 10 s", grandchild)
				}
			}
			if err := p.Stop(tt.grace); (err == nil) != (tt.wantErr == "") {
				t.Errorf("second Stop = %v", err)
			}
		})
	}
}

// alive reports whether pid is a process that has not exited (a zombie,
// which nobody reaped, has exited).
func alive(t *testing.T, pid string) bool {
	t.Helper()
	if _, err := strconv.Atoi(pid); err != nil {
		t.Fatalf("pid %q: %v", pid, err)
	}
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if errors.Is(err, os.ErrNotExist) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	state := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])[0]
	return state != "Z" && state != "X"
}

func TestStartFails(t *testing.T) {
	_, err := child.Start("missing", t.TempDir(), exec.Command("/nonexistent/binary"))
	if err == nil || !strings.Contains(err.Error(), "missing: start /nonexistent/binary") {
		t.Errorf("Start = %v, want an error naming the child and the binary", err)
	}
}

// TestLogSize has a script write a known number of bytes to its log before
// it says ready, so that they are in the log when LogSize looks.
func TestLogSize(t *testing.T) {
	tests := []struct {
		name   string
		script string
		want   int64
	}{
		{name: "nothing written", script: `echo ready; read line`, want: 0},
		{name: "stderr", script: `printf 'hello\n' >&2; echo ready; read line`, want: 6},
		{name: "two writes", script: `printf 'one\n' >&2; printf 'three\n' >&2; echo ready; read line`, want: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command("sh", "-c", tt.script)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			in, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			p, err := child.Start("script", t.TempDir(), cmd)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Stop(time.Minute)
			if sc := bufio.NewScanner(out); !sc.Scan() || sc.Text() != "ready" {
				t.Fatalf("no ready line: %v; %s", sc.Err(), p.LogTail())
			}
			if n, err := p.LogSize(); err != nil || n != tt.want {
				t.Errorf("LogSize = %d, %v; want %d", n, err, tt.want)
			}
			in.Close() // the script's read ends and it exits
		})
	}
}
