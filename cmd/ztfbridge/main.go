// Command ztfbridge moves the ZTF alert stream from Kafka into Google Cloud.
// It is the binary that is deployed: on the connector's VM, in the
// loader's image, and for the operators' tasks (count, backfill,
// reconcile, redrive). The local stack, the demo and the benches are in
// ztfbridge-dev, so that this binary links none of the emulators.
//
// Each subcommand wires flags (and their ZTFBRIDGE_* environment variables)
// to one package; no pipeline logic lives here. Run "ztfbridge help" for the
// list and "ztfbridge COMMAND --help" for a command's flags.
package main

import (
	"flag"
	"os"

	"github.com/ztfbridge/ztfbridge/bqloader"
	"github.com/ztfbridge/ztfbridge/connector"
	"github.com/ztfbridge/ztfbridge/internal/core/cli"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
)

const about = "moves the ZTF alert stream from Kafka into Google Cloud."

func commands() []cli.Command {
	return []cli.Command{
		{Name: "connect", Summary: "bridge the nightly ZTF Kafka topics into Pub/Sub", Run: componentCommand("connect", ":9464", connector.DefaultConfig, connector.New)},
		{Name: "serve-function", Summary: "run the GCS-writing Cloud Function locally (its HTTP handler)", Run: runServeFunction},
		{Name: "load", Summary: "stream alerts from Pub/Sub into BigQuery, one row per candid", Run: componentCommand("load", ":9465", bqloader.DefaultConfig, bqloader.New)},
		{Name: "count", Summary: "count one night at every stage of the pipeline", Run: runCount},
		{Name: "backfill", Summary: "re-ingest a past night's topic without duplicating what is stored", Run: runBackfill},
		{Name: "reconcile", Summary: "list a night's alerts at every stage, name the missing ones, --repair them", Run: runReconcile},
		{Name: "redrive", Summary: "move dead letters back to the alert topic once their cause is fixed", Run: runRedrive},
		{Name: "inspect", Summary: "decode alert files and print one JSON line per alert", Run: runInspect},
		{Name: "schema", Summary: "print the BigQuery table schema of alerts as JSON", Run: runSchema},
	}
}

// nightFlag defines --night, the night of ZTF's topics a command works
// on: the UTC date YYYYMMDD of ztf_YYYYMMDD_programid1.
func nightFlag(fs *flag.FlagSet, usage string) *night.Night {
	n := new(night.Night)
	fs.TextVar(n, "night", *n, usage)
	return n
}

func main() { os.Exit(cli.Main("ztfbridge", about, commands())) }
