// Package child runs the child processes of the development tooling: the
// emulators of the local stack and the processes a bench measures. A child
// runs in a process group of its own, writes its output to a log file whose
// tail errors quote, dies with the process that started it, and is stopped
// with SIGTERM, then SIGKILL.
//
//	cmd := exec.Command(bin, args...)
//	p, err := child.Start("emulator", dir, cmd)
//	if err != nil { ... }
//	defer p.Stop(10 * time.Second)
package child

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"time"
)

// Process is a running child.
type Process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the process has exited
	err     error         // its exit status, once done is closed
}

// Start starts cmd as the child called name. Its stderr, and its stdout
// unless the caller set cmd.Stdout or took cmd.StdoutPipe, go to name.log
// in logDir. The child runs in a new process group, so that Stop also
// stops whatever it starts (the Pub/Sub emulator's script runs java), and
// the kernel kills it if this process dies without calling Stop (a test's
// timeout, kill -9). The caller must call Stop.
func Start(name, logDir string, cmd *exec.Cmd) (*Process, error) {
	logPath := filepath.Join(logDir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("%s: log file: %w", name, err)
	}
	defer logFile.Close() // the child has its own descriptor
	if cmd.Stdout == nil {
		cmd.Stdout = logFile
	}
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p := &Process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	started := make(chan error)
	go func() {
		// Pdeathsig fires when the thread that started the child exits,
		// so that thread stays locked to this goroutine, which lives as
		// long as the child.
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
		return nil, fmt.Errorf("%s: start %s: %w", name, cmd.Path, err)
	}
	return p, nil
}

// Name returns the name the child was started with.
func (p *Process) Name() string { return p.name }

// Pid returns the child's process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the child has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err returns the child's exit status (nil for a zero exit) once Done is
// closed.
func (p *Process) Err() error { return p.err }

// Kill sends SIGKILL to the child's process group without waiting.
func (p *Process) Kill() { _ = syscall.Kill(-p.Pid(), syscall.SIGKILL) }

// Stop sends SIGTERM to the child's process group, then SIGKILL after
// grace, and waits for the child to exit. It returns the child's exit
// status, wrapped with the tail of its log. Calling it again is harmless.
func (p *Process) Stop(grace time.Duration) error {
	_ = syscall.Kill(-p.Pid(), syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
	}
	// Children of the child (java under gcloud) may outlive it: always
	// finish the group off.
	p.Kill()
	<-p.done
	if p.err != nil {
		return p.Failure(p.err)
	}
	return nil
}

// Failure wraps err with the child's name and the tail of its log.
func (p *Process) Failure(err error) error {
	return fmt.Errorf("%s: %w; its log (%s):\n%s", p.name, err, p.logPath, p.LogTail())
}

// LogSize returns the bytes the child has written to its log so far.
func (p *Process) LogSize() (int64, error) {
	fi, err := os.Stat(p.logPath)
	if err != nil {
		return 0, fmt.Errorf("%s: log: %w", p.name, err)
	}
	return fi.Size(), nil
}

// LogTail returns the last lines of the child's log.
func (p *Process) LogTail() string {
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
