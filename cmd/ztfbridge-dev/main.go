// Command ztfbridge-dev is ztfbridge's development tooling, kept out of
// the binary that is deployed: "ztfbridge-dev bench" measures what each
// component spends per alert next to its raw client on the local stack
// and projects the cost of a night.
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

	"github.com/ztfbridge/ztfbridge/internal/core/logging"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	log := logging.New(os.Stderr, slog.LevelInfo)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, log)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		log.Error("ztfbridge-dev failed", "err", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

// run runs the command named by args[0].
func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer, log *slog.Logger) error {
	if len(args) > 0 {
		switch args[0] {
		case "bench":
			return runBench(ctx, args[1:], stdout, log)
		case "raw": // run by the bench, not by hand
			return runRaw(ctx, args[1:], stdin, stdout)
		}
	}
	fmt.Fprintln(os.Stderr, "Usage: ztfbridge-dev bench [connect] [function] [load] [flags]   (ztfbridge-dev bench --help)")
	return errUsage
}
