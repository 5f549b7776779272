// Package entrypoint registers the deployed Cloud Function with the
// functions framework.
//
// The source archive that terraform uploads has this package at its root
// (see package sourcezip): the Cloud Functions Go buildpack generates a main
// package that imports it for this init and then starts the framework,
// which serves the function registered under FUNCTION_TARGET,
// functions.EntryPoint ("StoreAlert").
//
// Registration is the only process-wide state, and the framework requires
// it: its registry is global and filled from init. What is registered is an
// HTTP function, so that the framework hands each request to it as it came
// (a Pub/Sub push request, or a binary-mode CloudEvent) without converting
// it into a CloudEvent first: functions.FromEnv, which builds the
// function's one Archiver (and its storage client) from the environment on
// the first message and reuses it for every later one.
package entrypoint

import (
	// The main package the buildpack generates imports funcframework to
	// start the server. Imported here too, the modules it needs (such as
	// cloud.google.com/go/functions) keep their sums in the archive's
	// go.sum, so that the build verifies them without a checksum database.
	_ "github.com/GoogleCloudPlatform/functions-framework-go/funcframework"
	"github.com/GoogleCloudPlatform/functions-framework-go/functions"

	ztffunctions "github.com/ztfbridge/ztfbridge/functions"
)

func init() {
	functions.HTTP(ztffunctions.EntryPoint, ztffunctions.FromEnv().ServeHTTP)
}
