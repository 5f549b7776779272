package reconcile_test

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/message"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
	"github.com/ztfbridge/ztfbridge/internal/dev/simulate"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
	"github.com/ztfbridge/ztfbridge/internal/ops/reconcile"
)

// TestKafkaPass reads nights from Kafka alone: every kind of message the
// stages refuse is a dead letter with its reason, the 10am replay repeats
// candids, a topic the brokers do not have is "not retained".
func TestKafkaPass(t *testing.T) {
	k := stacktest.Kafka(t)
	packets, poisons, err := synth.GeneratePoisoned(synth.Config{Night: testNight, Seed: 5}, 6)
	if err != nil {
		t.Fatal(err)
	}
	good := synth.Data(packets)
	bad := make([][]byte, 0, len(poisons)+1)
	wantDead := map[message.Reason]int{message.TooLarge: 1}
	for _, p := range poisons {
		bad = append(bad, p.Data)
		wantDead[message.Reason(p.Reason)]++
	}
	bad = append(bad, []byte(strings.Repeat("x", 300_000))) // above --max-message-bytes below
	tests := []struct {
		name     string
		night    night.Night
		packets  [][]byte
		replay   bool
		retained bool
		alerts   int
		repeats  int64
		dead     map[message.Reason]int
	}{
		{"alerts and every refusal", testNight, append(append([][]byte{}, good...), bad...), false, true, 6, 0, wantDead},
		{"the 10am replay", testNight.AddDays(1), good, true, true, 6, 6, map[message.Reason]int{}},
		{"not retained", testNight.AddDays(2), nil, false, false, 0, 0, map[message.Reason]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.packets != nil {
				if _, err := simulate.Run(t.Context(), simulate.Config{Brokers: k.Addrs(), Topic: tt.night.Topic(), Partitions: 3, Replay: tt.replay}, simulate.Packets(tt.packets)); err != nil {
					t.Fatal(err)
				}
			}
			cfg := reconcile.DefaultConfig()
			cfg.Stages.Brokers, cfg.MaxMessageBytes = k.Addrs(), 200_000
			r, err := reconcile.Run(t.Context(), cfg, tt.night, deps.WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				t.Fatal(err)
			}
			got := map[message.Reason]int{}
			for _, d := range r.Kafka.DeadLetters {
				got[d.Reason]++
			}
			if r.Kafka.Retained != tt.retained || r.Kafka.Alerts != tt.alerts || r.Kafka.Repeats != tt.repeats || fmt.Sprint(got) != fmt.Sprint(tt.dead) {
				t.Errorf("retained %v, %d alerts, %d repeats, dead letters %v; want %v, %d, %d, %v",
					r.Kafka.Retained, r.Kafka.Alerts, r.Kafka.Repeats, got, tt.retained, tt.alerts, tt.repeats, tt.dead)
			}
			if !r.OK() {
				t.Errorf("Kafka alone misses nothing, got %d missing", len(r.Missing))
			}
		})
	}
}

var (
	measure        = flag.Int("reconcile.measure", 0, "TestMeasureKafkaPass: generate this many alerts into a kfake process and time reconcile's Kafka pass (0 = skip)")
	measureCutouts = flag.Bool("reconcile.measure-cutouts", true, "TestMeasureKafkaPass: alerts of real size (~75 KB); false leaves out the cutouts (~15 KB), so that kfake holds 100,000 in memory")
)

// TestMeasureKafkaPass prints the wall time, CPU time and peak memory of
// the Kafka pass over a night of -reconcile.measure generated alerts. kfake
// and the producer run in a child process (this test binary again), so
// that this process's peak RSS is the pass's own:
//
//	go test ./internal/ops/reconcile/ -run TestMeasureKafkaPass -reconcile.measure 100000 -v
func TestMeasureKafkaPass(t *testing.T) {
	if addr := os.Getenv("RECONCILE_KFAKE_NIGHT"); addr != "" {
		serveNight(t, addr)
		return
	}
	if *measure <= 0 {
		t.Skip("-reconcile.measure not set")
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestMeasureKafkaPass$", "-test.timeout", "0")
	cmd.Env = append(os.Environ(), "RECONCILE_KFAKE_NIGHT="+strconv.Itoa(*measure), "RECONCILE_KFAKE_CUTOUTS="+strconv.FormatBool(*measureCutouts))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	var brokers string
	if _, err := fmt.Fscanln(out, &brokers); err != nil {
		t.Fatal("the kfake process printed no brokers:", err)
	}

	cfg := reconcile.DefaultConfig()
	cfg.Stages.Brokers, cfg.Progress = strings.Split(brokers, ","), 5*time.Second
	var peakHeap atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() { // heap in use, every 10 ms
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peakHeap.Load() {
				peakHeap.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	start := time.Now()
	r, err := reconcile.Run(t.Context(), cfg, testNight, deps.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, nil))))
	wall := time.Since(start)
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	close(stop)
	<-sampled
	if err != nil {
		t.Fatal(err)
	}
	cpu := time.Duration(after.Utime.Nano()-before.Utime.Nano()) + time.Duration(after.Stime.Nano()-before.Stime.Nano())
	t.Logf("Kafka pass over %d messages (%d alerts): wall %s, CPU %s (%.2f cores), %.0f alerts/s; peak heap in use %.1f MB, peak RSS %.1f MB",
		r.Kafka.Messages, r.Kafka.Alerts, wall.Round(time.Millisecond), cpu.Round(time.Millisecond), cpu.Seconds()/wall.Seconds(),
		float64(r.Kafka.Messages)/wall.Seconds(), float64(peakHeap.Load())/1e6, float64(after.Maxrss)/1e3)
	if r.Kafka.Alerts != *measure {
		t.Errorf("%d alerts read, want %d", r.Kafka.Alerts, *measure)
	}
}

// serveNight is the child of TestMeasureKafkaPass: a kfake cluster holding
// a night of n generated alerts in 16 partitions; it prints the brokers
// and serves until killed.
func serveNight(t *testing.T, n string) {
	count, err := strconv.Atoi(n)
	if err != nil {
		t.Fatal(err)
	}
	k, err := stack.StartKafka(t.Context(), stack.KafkaOptions{Partitions: 16})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	start := time.Now()
	if _, err := simulate.Run(t.Context(), simulate.Config{Brokers: k.Addrs(), Topic: testNight.Topic(), Partitions: 16},
		simulate.Generated(synth.Config{Night: testNight, Seed: 99, OmitCutouts: os.Getenv("RECONCILE_KFAKE_CUTOUTS") == "false"}, count)); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "kfake holds %d generated alerts (produced in %s)\n", count, time.Since(start).Round(time.Second))
	fmt.Println(k.Bootstrap())
	select {}
}
