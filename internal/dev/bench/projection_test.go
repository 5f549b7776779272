package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestProjectLogBytes checks which passes' log bytes a night adds up: the
// replay is logged by the function and the loader as duplicates, or,
// with --dedup-replay, by the connector alone; a log line does not grow
// with the packet.
func TestProjectLogBytes(t *testing.T) {
	m := Measured{
		PacketBytes: 50e3, Connector: time.Millisecond, Function: time.Millisecond, Loader: time.Millisecond,
		Log: map[string]float64{
			PassConnector: 1, PassConnectDedup: 10,
			PassFunction: 100, PassFunctionReplay: 1000,
			PassLoader: 10000, PassLoaderReplay: 100000,
		},
	}
	tests := []struct {
		night Night
		want  float64 // bytes
	}{
		{Night{Alerts: 2, PacketBytes: 100e3}, 2 * 10101},
		{Night{Alerts: 2, PacketBytes: 100e3, Replay: true}, 2*10101 + 2*101001},
		{Night{Alerts: 2, PacketBytes: 100e3, Replay: true, DedupReplay: true}, 4*10 + 2*10100},
	}
	for _, tt := range tests {
		if got := project(m, tt.night).logBytes; got != tt.want {
			t.Errorf("%+v: log bytes %.0f, want %.0f", tt.night, got, tt.want)
		}
	}
}

// TestPrintProjectionLogging prices the log bytes with the price list's
// Cloud Logging ingestion.
func TestPrintProjectionLogging(t *testing.T) {
	m := Measured{PacketBytes: 75e3, Log: map[string]float64{PassFunction: 1 << 30}}
	var out bytes.Buffer
	PrintProjection(&out, m, Prices{CloudLoggingPerGiB: 0.5}, []Night{{Name: "one", Alerts: 4, PacketBytes: 75e3}})
	for _, want := range []string{"Cloud Logging GB (log lines)                             4.29  measured", "$ Cloud Logging ingestion                                2.00  price list"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("projection lacks %q:\n%s", want, out.String())
		}
	}
}
