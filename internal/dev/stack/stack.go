package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// Config configures Start: one project for every server, and each
// server's options. The zero value starts everything on free ports.
type Config struct {
	// Project is the Google Cloud project id of the local stack (default
	// DefaultProject); it overrides the servers' own Project options.
	Project  string
	Kafka    KafkaOptions
	PubSub   PubSubOptions
	GCS      GCSOptions
	BigQuery BigQueryOptions
}

// Stack is the whole local pipeline's infrastructure: Kafka, Pub/Sub,
// Cloud Storage and BigQuery, each on loopback.
type Stack struct {
	Project  string
	Kafka    *Kafka
	PubSub   *PubSub
	GCS      *GCS
	BigQuery *BigQuery
}

// Start starts the four servers, logging a line as each becomes ready.
// The two emulator processes start at the same time. On error, whatever
// was started is stopped. The caller must Close the Stack.
func Start(ctx context.Context, log *slog.Logger, cfg Config) (*Stack, error) {
	if cfg.Project == "" {
		cfg.Project = DefaultProject
	}
	cfg.PubSub.Project, cfg.BigQuery.Project = cfg.Project, cfg.Project
	s := &Stack{Project: cfg.Project}

	log.Info("starting the Pub/Sub and BigQuery emulators")
	type result struct {
		pubsub *PubSub
		bq     *BigQuery
		err    error
	}
	pubsubc, bqc := make(chan result, 1), make(chan result, 1)
	go func() {
		p, err := StartPubSub(ctx, log, cfg.PubSub)
		pubsubc <- result{pubsub: p, err: err}
	}()
	go func() {
		b, err := StartBigQuery(ctx, log, cfg.BigQuery)
		bqc <- result{bq: b, err: err}
	}()

	var errs []error
	started := time.Now()
	var err error
	if s.Kafka, err = StartKafka(ctx, cfg.Kafka); err != nil {
		errs = append(errs, err)
	} else {
		log.Info("Kafka ready", "brokers", s.Kafka.Bootstrap(), "took", time.Since(started).Round(time.Millisecond).String())
	}
	started = time.Now()
	if s.GCS, err = StartGCS(ctx, cfg.GCS); err != nil {
		errs = append(errs, err)
	} else {
		log.Info("Cloud Storage ready", "url", s.GCS.URL(), "https", s.GCS.HTTPSURL(), "took", time.Since(started).Round(time.Millisecond).String())
	}
	p, b := <-pubsubc, <-bqc
	s.PubSub, s.BigQuery = p.pubsub, b.bq
	errs = append(errs, p.err, b.err)
	if err := errors.Join(errs...); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Env returns the environment that points ztfbridge's commands, the Go
// client libraries, gcloud, gsutil, bq and kcat at the stack, as NAME=value.
func (s *Stack) Env() []string {
	env := CLIEnv(s.Project)
	env = append(env, "ZTFBRIDGE_PROJECT="+s.Project, "ZTFBRIDGE_PUBSUB_PROJECT="+s.Project)
	env = append(env, s.Kafka.Env()...)
	env = append(env, s.PubSub.Env()...)
	env = append(env, s.GCS.Env()...)
	return append(env, s.BigQuery.Env()...)
}

// Close stops every server that is running. Calling it again is harmless.
func (s *Stack) Close() {
	if s.Kafka != nil {
		s.Kafka.Close()
	}
	if s.PubSub != nil {
		s.PubSub.Close()
	}
	if s.GCS != nil {
		s.GCS.Close()
	}
	if s.BigQuery != nil {
		s.BigQuery.Close()
	}
}

// WriteShell writes Env as POSIX shell export lines, then, as comments,
// commands that use the stack from the command line.
func (s *Stack) WriteShell(w io.Writer) error {
	var b strings.Builder
	for _, kv := range s.Env() {
		name, value, _ := strings.Cut(kv, "=")
		fmt.Fprintf(&b, "export %s=%s\n", name, shellQuote(value))
	}
	bucket := "BUCKET"
	if names := s.GCS.Buckets(); len(names) > 0 {
		bucket = names[0]
	}
	fmt.Fprintf(&b, `# With these exported, try:
#   kcat -b $ZTFBRIDGE_BROKERS -L
#   gcloud pubsub topics list
#   gcloud storage ls 'gs://%[1]s/ztf_20240715_programid1_*.avro' | wc -l
#   gsutil ls 'gs://%[1]s/ztf_20240715_programid1_*.avro' | wc -l
#   bq ls
#   bq query --nouse_legacy_sql 'SELECT 1'
`, bucket)
	_, err := io.WriteString(w, b.String())
	return err
}

// shellQuote quotes v for a POSIX shell unless it needs no quoting.
func shellQuote(v string) string {
	if v != "" && strings.IndexFunc(v, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/:.,_-+=@", r))
	}) < 0 {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// ReadShell reads back the variables of WriteShell's export lines.
func ReadShell(shell string) map[string]string {
	vars := map[string]string{}
	for line := range strings.SplitSeq(shell, "\n") {
		kv, ok := strings.CutPrefix(line, "export ")
		if !ok {
			continue
		}
		name, v, _ := strings.Cut(kv, "=")
		if q, ok := strings.CutPrefix(v, "'"); ok {
			v = strings.ReplaceAll(strings.TrimSuffix(q, "'"), `'\''`, "'")
		}
		vars[name] = v
	}
	return vars
}
