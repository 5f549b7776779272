// Command ztfbridge moves the ZTF alert stream from Kafka into Google Cloud.
//
// Each subcommand wires flags (and their ZTFBRIDGE_* environment variables)
// to one package; no pipeline logic lives here. Run "ztfbridge help" for the
// list and "ztfbridge COMMAND --help" for a command's flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/ztfbridge/ztfbridge/internal/logging"
)

// env is what every subcommand is given besides its arguments.
type env struct {
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

func commands() []command {
	return []command{
		{"inspect", "decode alert files and print one JSON line per alert", runInspect},
		{"generate", "write synthetic ZTF 4.02 alerts for a night", runGenerate},
		{"simulate", "produce a night of alerts into Kafka at a given rate", runSimulate},
		{"connect", "bridge the nightly ZTF Kafka topics into Pub/Sub", runConnect},
		{"serve-function", "run the GCS-writing Cloud Function locally (functions framework)", runServeFunction},
		{"load", "stream alerts from Pub/Sub into BigQuery, one row per candid", runLoad},
		{"count", "count one night at every stage of the pipeline", runCount},
		{"reconcile", "list a night's alerts at every stage, name the missing ones, --repair them", runReconcile},
		{"backfill", "re-ingest a past night's topic without duplicating what is stored", runBackfill},
		{"demo", "run the whole pipeline on a local stack and check a night end to end", runDemo},
		{"up", "start the local stack and print its environment until Ctrl-C", runUp},
		{"bench", "measure a component against its raw client on the local stack", runBench},
		{"schema", "print the BigQuery table schema of alerts as JSON", runSchema},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, log: logging.New(os.Stderr, slog.LevelInfo)})
	stop()
	os.Exit(code)
}

// run runs the subcommand named by args[0] and returns the exit status.
func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		default:
			var exit exitError
			if errors.As(err, &exit) {
				return int(exit)
			}
			e.log.Error(c.name+" failed", "err", err)
			return 1
		}
	}
	fmt.Fprintf(e.stderr, "ztfbridge: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return 2
}

// errUsage reports a command line that was wrong; the flag package has
// already said how.
var errUsage = errors.New("usage")

// exitError makes run exit with the given status without logging: the
// command has already reported the failure on stdout.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func usage(w io.Writer) {
	fmt.Fprintln(w, "ztfbridge moves the ZTF alert stream from Kafka into Google Cloud.")
	fmt.Fprintln(w, "\nUsage: ztfbridge COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-15s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nEvery flag can also be set by an environment variable: --batch-size is ZTFBRIDGE_BATCH_SIZE.")
	fmt.Fprintln(w, `Run "ztfbridge COMMAND --help" for a command's flags.`)
}
