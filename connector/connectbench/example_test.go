package connectbench_test

import (
	"context"
	"fmt"
	"log"

	"github.com/ztfbridge/ztfbridge/connector"
	"github.com/ztfbridge/ztfbridge/connector/connectbench"
)

// Example runs a small benchmark: 300 alerts, one round. Rates depend on
// the machine; Print shows them, here only their presence is checked.
func Example() {
	r, err := connectbench.Run(context.Background(), connectbench.Config{
		Alerts: 300, Partitions: 4, Rounds: 1, PubSubHeap: "1g", Connector: connector.DefaultConfig(),
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range []connectbench.Rate{r.Consumer, r.Publisher, r.Connector} {
		fmt.Printf("%s: %d alerts, measured: %v\n", p.Name, p.Alerts, p.AlertsPerSecond() > 0 && p.MBPerSecond() > 0)
	}
	fmt.Println("ratio measured:", r.Ratio() > 0)
	// Output:
	// bare sarama consumer group (2 members): 300 alerts, measured: true
	// bare Pub/Sub publisher: 300 alerts, measured: true
	// connector (2 members, batch 64): 300 alerts, measured: true
	// ratio measured: true
}
