package stack

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

// process is an emulator running as a child in its own process group, so
// that stopping it also stops whatever it started (the Pub/Sub script execs
// java; gcloud forks it).
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	err     error         // exit status, valid once done is closed
}

// startProcess runs bin with args in a new process group, its stdout and
// stderr going to name.log in dir. The caller must call stop.
func startProcess(name, dir, bin string, args, env []string) (*process, error) {
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("%s: log file: %w", name, err)
	}
	defer logFile.Close() // the child has its own descriptor
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	// Setpgid: stop kills the whole group. Pdeathsig: the kernel kills the
	// child if this process dies without calling stop (a test binary's
	// timeout, kill -9); it fires when the starting thread exits, so the
	// thread stays locked to a goroutine that lives as long as the child.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	started := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the child
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("%s: start %s: %w", name, bin, err)
	}
	return p, nil
}

// stop sends SIGTERM to the process group, then SIGKILL after grace, and
// waits for the leader to exit. Calling it again is harmless.
func (p *process) stop(grace time.Duration) {
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
	}
	// Children of the leader (java under gcloud) may outlive it: always
	// finish the group off.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-p.done
}

// logTail returns the last lines of the process's output, for errors.
func (p *process) logTail() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	const max = 4000
	if len(b) > max {
		b = b[len(b)-max:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return string(bytes.TrimSpace(b))
}

// waitReady calls probe until it succeeds, the process exits, or timeout
// passes. Errors carry the tail of the process's log.
func (p *process) waitReady(ctx context.Context, timeout time.Duration, probe func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
		last = probe(pctx)
		pcancel()
		if last == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before answering (%v); its log:\n%s", p.name, p.err, p.logTail())
		case <-ctx.Done():
			return fmt.Errorf("%s not answering after %v (last probe: %v); its log (%s):\n%s", p.name, timeout, last, p.logPath, p.logTail())
		case <-tick.C:
		}
	}
}

// freePorts returns ports with each 0 replaced by a free loopback TCP
// port, all different. A fixed port already in use is an error, rather
// than a child that dies on start while a probe reaches someone else's
// server on that port. Another process may take a port between this call
// and its use; servers started here use them immediately.
func freePorts(ports ...int) ([]int, error) {
	out := make([]int, len(ports))
	for i, port := range ports {
		l, err := net.Listen("tcp", loopback(port))
		if err != nil {
			return nil, fmt.Errorf("port %d: %w", port, err)
		}
		// Held open until all are chosen, so that no two are the same.
		defer l.Close()
		out[i] = l.Addr().(*net.TCPAddr).Port
	}
	return out, nil
}

// loopback returns "127.0.0.1:port".
func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
