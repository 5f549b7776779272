// Command ztfbridge-dev is ztfbridge's development tooling, kept out of
// the binary that is deployed: the local stack of real servers (up), the
// whole pipeline on it (demo), synthetic alerts (generate, simulate) and
// the benches that measure each component against its raw client (bench).
package main

import (
	"os"

	"github.com/ztfbridge/ztfbridge/internal/core/cli"
)

const about = "is ztfbridge's development tooling: the local stack, the demo, synthetic alerts, benches."

func commands() []cli.Command {
	return []cli.Command{
		{Name: "up", Summary: "start the local stack and print its environment until Ctrl-C", Run: runUp},
		{Name: "demo", Summary: "run the whole pipeline on a local stack and check a night end to end", Run: runDemo},
		{Name: "generate", Summary: "write synthetic ZTF 4.02 alerts for a night", Run: runGenerate},
		{Name: "simulate", Summary: "produce a night of alerts into Kafka at a given rate", Run: runSimulate},
		{Name: "bench", Summary: "own CPU per alert of each component next to its raw client, and a night's cost", Run: runBench},
		{Name: "raw", Summary: "one raw client, started by the bench", Run: runRaw},
	}
}

func main() { os.Exit(cli.Main("ztfbridge-dev", about, commands())) }
