package entrypoint_test

import (
	"fmt"
	"os"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"

	"github.com/ztfbridge/ztfbridge/functions"
	_ "github.com/ztfbridge/ztfbridge/functions/entrypoint"
)

// The main package that the buildpack generates imports this package, for
// its init, and starts the framework, which serves the function named by
// FUNCTION_TARGET. Here the port is invalid, so Start fails after finding
// the function instead of serving it.
func Example() {
	os.Setenv("FUNCTION_TARGET", functions.EntryPoint)
	fmt.Println(funcframework.Start("-1"))

	os.Setenv("FUNCTION_TARGET", "SomethingElse")
	fmt.Println(funcframework.Start("-1"))
	// Output:
	// listen tcp: address -1: invalid port
	// no matching function found with name: "SomethingElse"
}
