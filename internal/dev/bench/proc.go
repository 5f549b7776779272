package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/dev/child"
)

// Binaries are the programs the bench runs as measured processes.
type Binaries struct {
	// Ztfbridge is the deployed binary: its connect, serve-function and
	// load commands are the components measured.
	Ztfbridge string
	// Dev is the development binary whose hidden "raw" command runs the
	// raw clients (normally the running ztfbridge-dev itself).
	Dev string
}

// proc is a measured child process, with the pipes of its stdin and
// stdout (raw children speak a line protocol on them, see runRaw).
type proc struct {
	*child.Process
	stdin  io.WriteCloser
	stdout *bufio.Scanner
}

// startProc starts bin with args and env in addition to this process's
// environment, logging into dir/name.log.
func startProc(dir, name, bin string, args, env []string) (*proc, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c, err := child.Start(name, dir, cmd)
	if err != nil {
		return nil, err
	}
	return &proc{Process: c, stdin: stdin, stdout: bufio.NewScanner(stdout)}, nil
}

// cpu returns the CPU time (user + system, all threads) the process has
// used so far, from /proc/PID/stat, in clock ticks of 10 ms.
func (p *proc) cpu() (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.Pid()) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("%s: own CPU: %w", p.Name(), err)
	}
	// Fields after the command name: [0] state ... [11] utime, [12] stime.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("%s: own CPU: short /proc/PID/stat %q", p.Name(), s)
	}
	var total int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: own CPU: %w", p.Name(), err)
		}
		total += n
	}
	const clockTick = 10 * time.Millisecond // USER_HZ, 100 on Linux
	return time.Duration(total) * clockTick, nil
}

// span is the start of a measured stretch of a process's work.
type span struct {
	p     *proc
	start time.Time
	cpu   time.Duration
	log   int64 // bytes of its log
}

func (p *proc) begin() (span, error) {
	c, err := p.cpu()
	if err != nil {
		return span{}, err
	}
	l, err := p.LogSize()
	return span{p: p, start: time.Now(), cpu: c, log: l}, err
}

// end returns the sample of the work since begin.
func (s span) end(alerts int, bytes int64) (Sample, error) {
	c, err := s.p.cpu()
	if err != nil {
		return Sample{}, err
	}
	l, err := s.p.LogSize()
	return Sample{Alerts: alerts, Bytes: bytes, Elapsed: time.Since(s.start), CPU: c - s.cpu, LogBytes: l - s.log}, err
}

// line waits for the child's next line on stdout.
func (p *proc) line() (string, error) {
	if p.stdout.Scan() {
		return p.stdout.Text(), nil
	}
	<-p.Done()
	return "", p.Failure(fmt.Errorf("exited (%v)", p.Err()))
}

// stop ends the process: SIGTERM (a component drains and exits), or for
// a raw child the end of its stdin; SIGKILL after a minute. A non-zero
// exit is an error.
func (p *proc) stop() error {
	_ = p.stdin.Close()
	return p.Stop(time.Minute)
}

// waitUntil calls cond until it is true, the process exits or ctx ends:
// every quarter of the time waited so far, at least every 100 ms and at
// most every second. cond usually scrapes the process's /metrics, which
// costs the process CPU that its raw client does not spend: about 1-3 ms a
// scrape on this machine (the Go and process collectors, the encoding).
// Scraped every twentieth of the time waited (as before), a 12-s loader
// pass cost it about 90 scrapes, a fifth of its measured CPU. Spaced out,
// a pass of any length costs about twenty scrapes, and is seen done at
// most a second late, which costs the process its idle CPU (a few ms a
// second) for that time.
func (p *proc) waitUntil(ctx context.Context, cond func() (bool, error)) error {
	start := time.Now()
	wait := time.NewTimer(0)
	defer wait.Stop()
	for {
		ok, err := cond()
		if err != nil {
			return p.Failure(err)
		}
		if ok {
			return nil
		}
		wait.Reset(min(max(time.Since(start)/4, 100*time.Millisecond), time.Second))
		select {
		case <-ctx.Done():
			return p.Failure(ctx.Err())
		case <-p.Done():
			return p.Failure(fmt.Errorf("exited early (%v)", p.Err()))
		case <-wait.C:
		}
	}
}

// runRaw runs one pass of a raw child: it starts the child, waits for it
// to be ready (its input loaded, its clients connected), measures from
// the go it is sent (or, if the child says "warm N" after it, from there
// and without those N alerts) to the done it answers, and stops it.
func runRaw(ctx context.Context, dir string, bins Binaries, name string, args, env []string, alerts int, bytes int64) (Sample, error) {
	p, err := startProc(dir, name, bins.Dev, append([]string{"raw"}, args...), env)
	if err != nil {
		return Sample{}, err
	}
	defer p.stop()
	stopOnCancel := context.AfterFunc(ctx, p.Kill)
	defer stopOnCancel()
	if l, err := p.line(); err != nil || l != "ready" {
		return Sample{}, errors.Join(err, p.Failure(fmt.Errorf("said %q, want ready", l)))
	}
	s, err := p.begin()
	if err != nil {
		return Sample{}, err
	}
	if _, err := io.WriteString(p.stdin, "go\n"); err != nil {
		return Sample{}, p.Failure(err)
	}
	l, err := p.line()
	if n, ok := strings.CutPrefix(l, "warm "); err == nil && ok {
		// The child is warm: measure from here, without the alerts done.
		done, perr := strconv.Atoi(n)
		if perr != nil {
			return Sample{}, p.Failure(fmt.Errorf("said %q: %w", l, perr))
		}
		if s, perr = p.begin(); perr != nil {
			return Sample{}, perr
		}
		alerts, bytes = remaining(alerts, bytes, done)
		l, err = p.line()
	}
	if err != nil || l != "done" {
		return Sample{}, errors.Join(err, p.Failure(fmt.Errorf("said %q, want done", l)))
	}
	sample, err := s.end(alerts, bytes)
	if err != nil {
		return Sample{}, err
	}
	return sample, p.stop()
}

// remaining returns the alerts left after done of alerts, and their bytes
// in proportion.
func remaining(alerts int, bytes int64, done int) (int, int64) {
	left := max(alerts-done, 0)
	return left, bytes * int64(left) / int64(max(alerts, 1))
}

// handshake is the raw child's side of runRaw: it says ready, waits for
// go, and returns the function that says done and waits for the end of
// stdin before the process exits (so that its CPU can still be read).
func handshake(in io.Reader, out io.Writer) (done func() error, err error) {
	r := bufio.NewScanner(in)
	if _, err := io.WriteString(out, "ready\n"); err != nil {
		return nil, err
	}
	if !r.Scan() || r.Text() != "go" {
		return nil, fmt.Errorf("raw: no go on stdin: %v", r.Err())
	}
	return func() error {
		if _, err := io.WriteString(out, "done\n"); err != nil {
			return err
		}
		for r.Scan() {
		}
		return r.Err()
	}, nil
}

// slug turns a pass name into a file name.
func slug(name string) string {
	return strings.Trim(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.ToLower(name)), "-")
}

// counter reads the value of an unlabelled counter from the Prometheus
// text exposition at url; a counter not yet exposed reads 0. It asks for
// that counter alone, uncompressed, so that the process measured spends
// little on answering (name "": everything).
func counter(ctx context.Context, url, name string) (float64, error) {
	if name != "" {
		url += "?name[]=" + name
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept-Encoding", "identity") // the measured process need not gzip it
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, sc.Err()
}
