package stack

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/dev/child"
)

// startChild runs bin with args, and env in addition to this process's
// environment, in dir, where its log is name.log. The caller must Stop it.
func startChild(name, dir, bin string, args, env []string) (*child.Process, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	return child.Start(name, dir, cmd)
}

// waitReady calls probe until it succeeds, p exits, or timeout passes.
// Errors carry the tail of p's log.
func waitReady(ctx context.Context, p *child.Process, timeout time.Duration, probe func(context.Context) error) error {
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
		case <-p.Done():
			return p.Failure(fmt.Errorf("exited before answering (%v)", p.Err()))
		case <-ctx.Done():
			return p.Failure(fmt.Errorf("not answering after %v (last probe: %v)", timeout, last))
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

// FreeAddr returns a loopback host:port that was free a moment ago, for a
// server about to be started on it (another process may take it first).
func FreeAddr() (string, error) {
	ports, err := freePorts(0)
	if err != nil {
		return "", err
	}
	return loopback(ports[0]), nil
}

// loopback returns "127.0.0.1:port".
func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
