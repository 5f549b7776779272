// Command function-zip writes the Cloud Function's source archive (see
// package sourcezip). scripts/build-function-zip.sh runs it:
//
//	go run ./functions/cmd/function-zip [-o build/function-source.zip]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/ztfbridge/ztfbridge/functions"
	"github.com/ztfbridge/ztfbridge/functions/sourcezip"
)

func main() {
	out := flag.String("o", "build/function-source.zip", "`zip` file to write")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := sourcezip.Build(ctx, sourcezip.Options{Out: *out})
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "function-zip:", err)
		os.Exit(1)
	}
	fmt.Printf("%s: entry point %s, runtime %s\n", *out, functions.EntryPoint, functions.Runtime)
}
