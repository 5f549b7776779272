package bench_test

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ztfbridge/ztfbridge/internal/dev/bench"
)

// TestBenches runs each bench at a tiny size on real local servers with
// the real binaries and checks the shape of its report and of the
// projection, never a figure's value.
func TestBenches(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries and starts the emulators")
	}
	dir := t.TempDir()
	bins := bench.Binaries{Ztfbridge: filepath.Join(dir, "ztfbridge"), Dev: filepath.Join(dir, "ztfbridge-dev")}
	for bin, pkg := range map[string]string{bins.Ztfbridge: "../../../cmd/ztfbridge", bins.Dev: "../../../cmd/ztfbridge-dev"} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	ctx := context.Background()
	opts := bench.Options{Rounds: 1, Partitions: 4, Workers: 4, PubSubHeap: "1g", Bins: bins}
	run := func(f func(context.Context, bench.Options) (*bench.Report, error), alerts int, passes ...string) *bench.Report {
		t.Helper()
		o := opts
		o.Alerts = alerts
		rep, err := f(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, p := range rep.Passes {
			names = append(names, p.Name)
			if len(p.Rounds) != 1 || p.Rounds[0].Alerts == 0 || p.Rounds[0].Elapsed <= 0 {
				t.Errorf("%s: pass %q: rounds %+v, want one with alerts", rep.Bench, p.Name, p.Rounds)
			}
		}
		if strings.Join(names, "|") != strings.Join(passes, "|") {
			t.Errorf("%s: passes %q, want %q", rep.Bench, names, passes)
		}
		var out bytes.Buffer
		rep.Print(&out)
		if !strings.Contains(out.String(), "ratio "+passes[1]+" / ("+passes[0]+")") {
			t.Errorf("%s: no ratio in\n%s", rep.Bench, out.String())
		}
		return rep
	}
	connect := run(bench.Connect, 64, bench.PassRawConnect, bench.PassConnector, bench.PassConnectDedup)
	function := run(bench.Function, 20, bench.PassRawStore, bench.PassFunction, bench.PassFunctionReplay)
	load := run(bench.Load, 20, bench.PassRawLoad, bench.PassLoader, bench.PassLoaderReplay, bench.PassRawReceive)

	// The function logs a line per alert at its default level.
	if got := function.MedianLog(bench.PassFunction); got <= 0 {
		t.Errorf("function: %.0f bytes of log per alert, want more than 0", got)
	}
	prices, err := bench.DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	if prices.Date == "" || len(prices.Sources) == 0 || prices.CloudLoggingPerGiB <= 0 {
		t.Errorf("prices.json has no date or source: %+v", prices)
	}
	var out bytes.Buffer
	bench.PrintProjection(&out, bench.MeasuredFrom(connect, function, load), prices, bench.Nights)
	for _, want := range []string{"ZTF night + replay", "Rubin-size night", "connector vCPU-hours", "GCS writes refused (412)", "BigQuery GB written", "Cloud Logging GB", "$ Cloud Logging ingestion", "$ total for the night", "measured", "price list"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("projection lacks %q:\n%s", want, out.String())
		}
	}
}
