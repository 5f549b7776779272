// Package functions is the archiver: the Cloud Function that stores every
// ZTF alert in Google Cloud Storage, one object per alert, written once.
// The folder is named functions/ because the design card names it so; what
// it holds is the archiver, and nothing else.
//
// Each Pub/Sub message of the alert topic (one alert packet, with the
// attributes of package attr) becomes the object
//
//	<prefix>ztf_YYYYMMDD_programid1_<candid>.avro
//
// holding the message data byte for byte, so that a glob over a night's
// prefix counts the night. The upload is conditional on the name not
// existing, so a redelivery or the 10am replay stores nothing twice. A
// message that is not an alert is kept under the quarantine prefix with
// the reason. A message is acknowledged exactly when its bytes are in the
// bucket; anything else is an error, and Pub/Sub delivers it again.
//
// To archive messages from Go, make an Archiver and call Store, or serve
// it: an Archiver is the http.Handler of Pub/Sub push requests (and of the
// binary-mode CloudEvents an Eventarc trigger would deliver):
//
//	cfg := functions.DefaultConfig()
//	cfg.Bucket = "ztf-alerts"
//	a, err := functions.New(ctx, cfg, deps.WithLogger(log))
//	if err != nil {
//		return err
//	}
//	defer a.Close()
//	res, err := a.Store(ctx, functions.Message{ID: id, Data: data, Attributes: attrs})
//	// res.Outcome is Stored, Duplicate or Quarantined; a.Outcomes() counts them
//
// The deployed function is FromEnv, registered as the HTTP function
// EntryPoint by package entrypoint; Serve runs the same handler with
// net/http ("ztfbridge serve-function"). The package holds no process-wide
// state. Example and ExampleArchiver_ServeHTTP run against the local
// servers of internal/dev/stack.
//
// docs/function.md is the manual: deploying and the source archive, the
// environment, what happens to each kind of message, why each alert is
// written once, running it locally, counting a night, throughput.
package functions
