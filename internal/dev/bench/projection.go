package bench

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Prices is the price list a projection uses, kept as data
// (prices.json) with its date and sources.
type Prices struct {
	Date    string   `json:"date"`
	Region  string   `json:"region"`
	Status  string   `json:"status"`
	Sources []string `json:"sources"`

	GCEe2VCPUHour              float64 `json:"gce_e2_vcpu_hour"`
	GCEn2VCPUHour              float64 `json:"gce_n2_vcpu_hour"`
	CloudRunVCPUSecond         float64 `json:"cloud_run_vcpu_second"`          // request-based billing
	CloudRunInstanceVCPUSecond float64 `json:"cloud_run_instance_vcpu_second"` // instance-based (worker pools)
	CloudRunRequestsPerMillion float64 `json:"cloud_run_requests_per_million"`
	FunctionsVCPUSecond        float64 `json:"functions_gen2_vcpu_second"` // Cloud Functions gen2 is Cloud Run
	PubSubPerTiB               float64 `json:"pubsub_per_tib"`
	GCSClassAPer10000          float64 `json:"gcs_class_a_per_10000"`
	GCSStandardGBMonth         float64 `json:"gcs_standard_gb_month"`
	GCS4xxCharged              bool    `json:"gcs_4xx_charged"`
	StorageWritePerGiB         float64 `json:"bigquery_storage_write_per_gib"`
	CloudLoggingPerGiB         float64 `json:"cloud_logging_per_gib"` // ingestion
}

//go:embed prices.json
var pricesJSON []byte

// DefaultPrices returns the price list kept in the repository.
func DefaultPrices() (Prices, error) {
	var p Prices
	if err := json.Unmarshal(pricesJSON, &p); err != nil {
		return Prices{}, fmt.Errorf("bench: prices.json: %w", err)
	}
	return p, nil
}

// Night is a night of alerts to project.
type Night struct {
	Name        string
	Alerts      int
	PacketBytes float64
	Replay      bool // the full night is sent again (ZTF's 10am replay)
	DedupReplay bool // the connector runs with --dedup-replay
}

// Nights are the nights "ztfbridge-dev bench" projects: ZTF's, with its
// replay, without and with --dedup-replay, and one of Rubin's size.
var Nights = []Night{
	{Name: "ZTF night + replay", Alerts: 1_200_000, PacketBytes: 75e3, Replay: true},
	{Name: "ZTF, --dedup-replay", Alerts: 1_200_000, PacketBytes: 75e3, Replay: true, DedupReplay: true},
	{Name: "Rubin-size night", Alerts: 10_000_000, PacketBytes: 136e3},
}

// Measured is what a projection takes from the benches: own CPU per
// alert (medians) and sizes.
type Measured struct {
	// Log is the bytes of log per alert of each component pass (medians),
	// by pass name: what the components write to stderr at their
	// default level, which Cloud Logging takes in on GCP.
	Log map[string]float64

	PacketBytes    float64       // mean packet of the benches
	Connector      time.Duration // per alert
	ConnectorDedup time.Duration // per alert of a night followed by its replay, --dedup-replay
	Function       time.Duration // per new alert
	FunctionDup    time.Duration // per duplicate (412)
	Loader         time.Duration // per new alert
	LoaderDup      time.Duration // per duplicate
	RowBytes       float64       // encoded BigQuery row
}

// MeasuredFrom collects the medians of the three reports.
func MeasuredFrom(connect, function, load *Report) Measured {
	return Measured{
		PacketBytes:    connect.MeanBytes(PassConnector),
		Connector:      connect.Median(PassConnector),
		ConnectorDedup: connect.Median(PassConnectDedup),
		Function:       function.Median(PassFunction),
		FunctionDup:    function.Median(PassFunctionReplay),
		Loader:         load.Median(PassLoader),
		LoaderDup:      load.Median(PassLoaderReplay),
		RowBytes:       load.Figures[FigureRowBytes],
		Log: map[string]float64{
			PassConnector:      connect.MedianLog(PassConnector),
			PassConnectDedup:   connect.MedianLog(PassConnectDedup),
			PassFunction:       function.MedianLog(PassFunction),
			PassFunctionReplay: function.MedianLog(PassFunctionReplay),
			PassLoader:         load.MedianLog(PassLoader),
			PassLoaderReplay:   load.MedianLog(PassLoaderReplay),
		},
	}
}

// projection is one night's figures.
type projection struct {
	connector, function, loader time.Duration // CPU
	pubsubBytes, bqBytes        float64
	logBytes                    float64 // written by the three components
	requests, writes, refused   float64 // function invocations, GCS objects created, writes refused with 412
	storedBytes                 float64
}

func project(m Measured, n Night) projection {
	// CPU and sizes are taken to grow in proportion to the packet.
	scale := n.PacketBytes / m.PacketBytes
	a := float64(n.Alerts)
	cpu := func(per time.Duration, alerts float64) time.Duration {
		return time.Duration(float64(per) * alerts * scale)
	}
	// A log line's size does not depend on the packet's.
	logs := func(alerts float64, passes ...string) float64 {
		b := 0.0
		for _, pass := range passes {
			b += m.Log[pass] * alerts
		}
		return b
	}
	p := projection{
		connector:   cpu(m.Connector, a),
		function:    cpu(m.Function, a),
		loader:      cpu(m.Loader, a),
		logBytes:    logs(a, PassConnector, PassFunction, PassLoader),
		pubsubBytes: 3 * a * n.PacketBytes, // published, then delivered to the function's and the loader's subscriptions
		bqBytes:     a * m.RowBytes * scale,
		requests:    a,
		writes:      a,
		storedBytes: a * n.PacketBytes,
	}
	switch {
	case n.Replay && n.DedupReplay:
		p.connector = cpu(m.ConnectorDedup, 2*a)
		p.logBytes = logs(2*a, PassConnectDedup) + logs(a, PassFunction, PassLoader)
	case n.Replay:
		p.connector *= 2
		p.function += cpu(m.FunctionDup, a)
		p.loader += cpu(m.LoaderDup, a)
		p.logBytes += logs(a, PassConnector, PassFunctionReplay, PassLoaderReplay)
		p.pubsubBytes *= 2
		p.requests *= 2
		p.refused = a
	}
	return p
}

// PrintProjection writes, for each night, what it costs per component:
// vCPU-hours, Pub/Sub bytes, GCS writes, BigQuery bytes and dollars,
// saying of each line whether it is measured here or from the price list.
func PrintProjection(w io.Writer, m Measured, prices Prices, nights []Night) {
	ps := make([]projection, len(nights))
	for i, n := range nights {
		ps[i] = project(m, n)
	}
	fmt.Fprintf(w, "== projection: own CPU measured above (medians) × alerts, priced from internal/dev/bench/prices.json (%s, %s)\n", prices.Date, prices.Region)
	fmt.Fprintf(w, "   prices %s\n", prices.Status)
	fmt.Fprintf(w, "   measured: own CPU per alert connector %.0f µs (night + replay with --dedup-replay: %.0f µs), function %.0f µs (412 duplicate %.0f µs), loader %.0f µs (duplicate %.0f µs); packets %.0f KB, rows %.1f KB\n",
		micros(m.Connector), micros(m.ConnectorDedup), micros(m.Function), micros(m.FunctionDup), micros(m.Loader), micros(m.LoaderDup), m.PacketBytes/1e3, m.RowBytes/1e3)
	fmt.Fprintf(w, "   measured: log bytes per alert at the default level (info) connector %.0f (--dedup-replay %.0f), function %.0f (412 duplicate %.0f), loader %.0f (duplicate %.0f)\n",
		m.Log[PassConnector], m.Log[PassConnectDedup], m.Log[PassFunction], m.Log[PassFunctionReplay], m.Log[PassLoader], m.Log[PassLoaderReplay])
	fmt.Fprintf(w, "   assumed: CPU and row size grow in proportion to the packet, log lines do not; Pub/Sub bills the bytes published and those delivered to each of 2 subscriptions;\n")
	fmt.Fprintf(w, "   Cloud Logging bills each line's LogEntry, which adds its resource, labels and timestamps to the line: the log figures are a floor\n\n")
	fmt.Fprintf(w, "%-40s", "")
	for _, n := range nights {
		fmt.Fprintf(w, " %20s", n.Name)
	}
	fmt.Fprintf(w, "  %s\n", "source")
	line := func(label, source string, v func(n Night, p projection) float64, format string) {
		fmt.Fprintf(w, "%-40s", label)
		for i, n := range nights {
			fmt.Fprintf(w, " %20s", fmt.Sprintf(format, v(n, ps[i])))
		}
		fmt.Fprintf(w, "  %s\n", source)
	}
	hours := func(d time.Duration) float64 { return d.Hours() }
	secs := func(d time.Duration) float64 { return d.Seconds() }
	const gib, tib = 1 << 30, 1 << 40
	line("alerts", "input", func(n Night, _ projection) float64 {
		if n.Replay {
			return 2 * float64(n.Alerts)
		}
		return float64(n.Alerts)
	}, "%.0f")
	line("connector vCPU-hours (VM)", "measured", func(_ Night, p projection) float64 { return hours(p.connector) }, "%.3f")
	line("function vCPU-hours (Cloud Run)", "measured", func(_ Night, p projection) float64 { return hours(p.function) }, "%.3f")
	line("loader vCPU-hours (Cloud Run pool)", "measured", func(_ Night, p projection) float64 { return hours(p.loader) }, "%.3f")
	line("Pub/Sub GB (publish + 2 deliveries)", "measured size", func(_ Night, p projection) float64 { return p.pubsubBytes / 1e9 }, "%.1f")
	line("function requests", "count", func(_ Night, p projection) float64 { return p.requests }, "%.0f")
	line("GCS writes (Class A)", "count", func(_ Night, p projection) float64 { return p.writes }, "%.0f")
	line("GCS writes refused (412)", "count", func(_ Night, p projection) float64 { return p.refused }, "%.0f")
	line("BigQuery GB written", "measured row", func(_ Night, p projection) float64 { return p.bqBytes / 1e9 }, "%.2f")
	line("Cloud Logging GB (log lines)", "measured", func(_ Night, p projection) float64 { return p.logBytes / 1e9 }, "%.2f")
	items := []struct {
		label, source string
		cost          func(p projection) float64
	}{
		{"$ connector CPU (e2 vCPU-hour)", "price list", func(p projection) float64 { return hours(p.connector) * prices.GCEe2VCPUHour }},
		{"$ function CPU (vCPU-second)", "price list", func(p projection) float64 { return secs(p.function) * prices.FunctionsVCPUSecond }},
		{"$ function requests", "price list", func(p projection) float64 { return p.requests / 1e6 * prices.CloudRunRequestsPerMillion }},
		{"$ loader CPU (instance vCPU-second)", "price list", func(p projection) float64 { return secs(p.loader) * prices.CloudRunInstanceVCPUSecond }},
		{"$ Pub/Sub throughput", "price list", func(p projection) float64 { return p.pubsubBytes / tib * prices.PubSubPerTiB }},
		{"$ GCS writes", "price list", func(p projection) float64 {
			ops := p.writes
			if prices.GCS4xxCharged {
				ops += p.refused
			}
			return ops / 1e4 * prices.GCSClassAPer10000
		}},
		{"$ BigQuery Storage Write API", "price list", func(p projection) float64 { return p.bqBytes / gib * prices.StorageWritePerGiB }},
		{"$ Cloud Logging ingestion", "price list", func(p projection) float64 { return p.logBytes / gib * prices.CloudLoggingPerGiB }},
	}
	for _, it := range items {
		line(it.label, it.source, func(_ Night, p projection) float64 { return it.cost(p) }, "%.2f")
	}
	line("$ total for the night", "", func(_ Night, p projection) float64 {
		t := 0.0
		for _, it := range items {
			t += it.cost(p)
		}
		return t
	}, "%.2f")
	line("$ GCS storage per month of the night", "price list", func(_ Night, p projection) float64 {
		return p.storedBytes / 1e9 * prices.GCSStandardGBMonth
	}, "%.2f")
	fmt.Fprintf(w, "CPU dollars price the CPU the components use; a VM or an always-on worker pool is billed for its vCPUs busy or not,\nand Cloud Run bills request time, not CPU time: those are the floor of what the night costs, not its bill.\n")
	fmt.Fprintf(w, "GCS 412s: %s.\n", map[bool]string{true: "billed as Class A operations", false: "not billed (4xx responses are not charged, per the price list)"}[prices.GCS4xxCharged])
}
