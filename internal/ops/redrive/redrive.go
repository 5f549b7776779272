// Package redrive moves dead letters back to the alert topic once the cause
// that set them aside is fixed: `ztfbridge redrive`.
//
// It receives from a subscription of the dead-letter topic (the hold
// subscription terraform makes, ztf-alerts-deadletter-hold), and for each
// message that matches the filters (a reason, a night) publishes its data
// unchanged to the alert topic with its attributes minus the dead-letter
// ones, and acknowledges it on the hold subscription only once that
// publish was acknowledged by Pub/Sub. A message that does not match, or
// whose publish failed, is left on the subscription: it is held (leased,
// neither acknowledged nor refused) until the run ends and then handed back
// at once, so that one run sees each message once. A run ends by itself
// when no message came for Config.Idle, after Config.Limit republished
// messages, or when its context is cancelled (SIGTERM).
//
// The reason of a dead letter is its "reason" attribute when it has one,
// else the text of its "error" attribute before the first ':' (connector
// and loader dead letters, "undecodable: ..."), else "undelivered" for a
// message Pub/Sub gave up delivering (it carries
// CloudPubSubDeadLetterSourceSubscription). Its night is its "night"
// attribute, else the night of its kafka.topic.
//
// Example redrives one reason of three dead letters on the in-process
// Pub/Sub fake.
//
// It imports only the attribute contracts and the Pub/Sub client: it is an
// operator task above the components.
package redrive

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"cloud.google.com/go/pubsub/v2"
	vkit "cloud.google.com/go/pubsub/v2/apiv1"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/config"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/message"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
)

const (
	// Undelivered is the reason of a message Pub/Sub dead-lettered itself
	// after a subscription's max_delivery_attempts.
	Undelivered = "undelivered"

	// RedrivenAttr is set on every republished message: the start of the
	// redrive run, RFC 3339 in UTC. It records that the alert went through
	// a dead-letter topic, and lets a run recognize a message that came
	// back to the hold during the run (the cause is not fixed): it is left
	// there instead of being sent round again.
	RedrivenAttr = "redriven"

	// deadLetterPrefix starts the attributes Pub/Sub adds when it
	// dead-letters (CloudPubSubDeadLetterSourceSubscription, ...).
	deadLetterPrefix   = "CloudPubSubDeadLetter"
	sourceSubscription = "CloudPubSubDeadLetterSourceSubscription"
)

// Config is what Run is told; every field is a flag (AddFlags) and
// DefaultConfig holds the defaults. The logger and the Pub/Sub client
// options are Options of Run.
type Config struct {
	Project      string        // --pubsub-project
	Subscription string        // --deadletter-subscription: where the dead letters wait
	PubSubTopic  string        // --pubsub-topic: where they go back
	Reason       string        // --reason: only dead letters of this reason; "" = all
	Night        night.Night   // --night: only alerts of this night; zero = all
	DryRun       bool          // --dry-run: count, republish nothing, acknowledge nothing
	Idle         time.Duration // --idle: stop after this long without a message
	Limit        int           // --limit: stop after this many republished; 0 = no limit
	Progress     time.Duration // --progress: how often the progress line is logged
}

// DefaultConfig returns the settings of the deployment terraform/ makes.
func DefaultConfig() Config {
	return Config{
		Subscription: "ztf-alerts-deadletter-hold",
		PubSubTopic:  "ztf-alerts",
		Idle:         30 * time.Second,
		Progress:     10 * time.Second,
	}
}

// AddFlags registers c's settings on fs, with c's values as defaults.
func (c *Config) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Project, "pubsub-project", c.Project, "Google Cloud project of the topics and subscriptions (required)")
	fs.StringVar(&c.Subscription, "deadletter-subscription", c.Subscription, "subscription of the dead-letter topic to take the messages from (the hold subscription)")
	fs.StringVar(&c.PubSubTopic, "pubsub-topic", c.PubSubTopic, "topic to put them back on: the alert topic")
	fs.StringVar(&c.Reason, "reason", c.Reason, "only dead letters of this reason: the reason attribute, else the error attribute up to ':',\nelse \""+Undelivered+"\" for those Pub/Sub gave up delivering; empty = every reason")
	fs.TextVar(&c.Night, "night", c.Night, "only alerts of this night, `YYYYMMDD` (the night attribute, else the night of kafka.topic); empty = every night")
	fs.BoolVar(&c.DryRun, "dry-run", c.DryRun, "count what would be redriven, by reason; republish and acknowledge nothing")
	fs.DurationVar(&c.Idle, "idle", c.Idle, "stop when no message came for this long: the subscription is drained")
	fs.IntVar(&c.Limit, "limit", c.Limit, "stop after republishing this many messages; 0 = no limit")
	fs.DurationVar(&c.Progress, "progress", c.Progress, "how often to log a progress line")
}

// Validate reports every setting that cannot work, joined. It changes
// nothing; Run calls it.
func (c Config) Validate() error {
	var chk config.Check
	chk.Require("Project", c.Project)
	chk.Require("Subscription", c.Subscription)
	chk.Require("PubSubTopic", c.PubSubTopic)
	chk.Positive("Idle", int64(c.Idle))
	chk.Positive("Progress", int64(c.Progress))
	if c.Limit < 0 {
		chk.Fail("Limit", "must be 0 (no limit) or more, not %d", c.Limit)
	}
	return chk.Err()
}

// Result counts a run. Every message is counted once, however often it was
// delivered.
type Result struct {
	Seen        int            // messages received
	Matched     int            // of those, of the reason and night asked for
	Republished int            // matched, republished and acknowledged on the subscription
	Failed      int            // matched, but the publish failed: left on the subscription
	Left        int            // not republished: other reasons or nights, dry run, failed, came back
	ByReason    map[string]int // messages received, by reason
}

func (r Result) String() string {
	return fmt.Sprintf("seen %d, matched %d, republished %d, failed %d, left on the subscription %d", r.Seen, r.Matched, r.Republished, r.Failed, r.Left)
}

// Reason returns the reason of a dead letter from its attributes (see
// message.ReasonOf), Undelivered for one Pub/Sub dead-lettered itself, ""
// when it has none.
func Reason(attrs map[string]string) string {
	if r := message.ReasonOf(attrs); r != "" {
		return string(r)
	}
	if attrs[sourceSubscription] != "" {
		return Undelivered
	}
	return ""
}

// Night returns the night of a dead letter from its attributes: the night
// attribute, else the night of kafka.topic; the zero Night when they name
// none, or when the night attribute is not a night.
func Night(attrs map[string]string) night.Night {
	if s := attrs[attr.Night]; s != "" {
		n, _ := night.Parse(s)
		return n
	}
	n, _ := night.FromTopic(attrs[attr.KafkaTopic])
	return n
}

// Republished returns the attributes a dead letter is republished with:
// its own (the kafka.* coordinates, candid, ...) without the reason, the
// error and those Pub/Sub adds when it dead-letters, plus RedrivenAttr.
func Republished(attrs map[string]string, run string) map[string]string {
	out := make(map[string]string, len(attrs)+1)
	for k, v := range attrs {
		if k == attr.Reason || k == attr.Error || strings.HasPrefix(k, deadLetterPrefix) {
			continue
		}
		out[k] = v
	}
	out[RedrivenAttr] = run
	return out
}

// Run redrives what cfg selects and returns the counts. It returns when the
// subscription is drained (nothing for cfg.Idle), after cfg.Limit
// republished, or when ctx is done; what it did not republish is handed
// back to the subscription before it returns.
//
// It pulls with explicit acknowledgement IDs rather than with
// Subscriber.Receive: Receive extends leases on its own, concurrently with
// the acks and nacks, and on the emulator a held message handed back at the
// end of a run could stay leased for the 10 minutes of such an extension,
// invisible to the next run. Here every lease change is one call whose
// error is seen.
//
// Of opts it uses the logger and the Pub/Sub options.
func Run(ctx context.Context, cfg Config, opts ...deps.Option) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, fmt.Errorf("redrive: %w", err)
	}
	d := deps.New(opts...)
	log := d.Logger
	client, err := pubsub.NewClient(ctx, cfg.Project, d.PubSub...)
	if err != nil {
		return Result{}, fmt.Errorf("redrive: pubsub: %w", err)
	}
	defer client.Close()
	pub := client.Publisher(cfg.PubSubTopic)
	defer pub.Stop()

	r := &redrive{
		cfg:   cfg,
		log:   log,
		admin: client.SubscriptionAdminClient,
		pub:   pub,
		sub:   fullName(cfg.Project, "subscriptions", cfg.Subscription),
		run:   time.Now().UTC().Format(time.RFC3339Nano),
		seen:  map[string]bool{},
		done:  map[string]bool{},
		held:  map[string]string{},
		res:   Result{ByReason: map[string]int{}},
	}
	log.Info("redrive starting", "subscription", r.sub, "topic", cfg.PubSubTopic,
		"reason", cfg.Reason, "night", cfg.Night, "dry_run", cfg.DryRun, "run", r.run)
	err = r.loop(ctx)
	// What is held goes back even on SIGTERM.
	if rerr := r.release(context.WithoutCancel(ctx)); err == nil {
		err = rerr
	}
	log.Info("redrive done", "seen", r.res.Seen, "matched", r.res.Matched, "republished", r.res.Republished,
		"failed", r.res.Failed, "left", r.res.Left)
	if err != nil {
		return r.res, fmt.Errorf("redrive: %s: %w", cfg.Subscription, err)
	}
	return r.res, nil
}

// holdFor is how long a message left on the subscription stays leased to
// the run: the longest lease Pub/Sub grants. A run longer than that sees
// such a message again and holds it again, counting it once.
const holdFor = 600

// batch is the most messages one pull asks for.
const batch = 500

func fullName(project, kind, id string) string {
	if strings.HasPrefix(id, "projects/") {
		return id
	}
	return "projects/" + project + "/" + kind + "/" + id
}

// redrive is one run.
type redrive struct {
	cfg   Config
	log   *slog.Logger
	admin *vkit.SubscriptionAdminClient
	pub   *pubsub.Publisher
	sub   string // full name of the subscription
	run   string // RedrivenAttr of this run

	seen map[string]bool   // message IDs received
	done map[string]bool   // message IDs republished and acknowledged
	held map[string]string // message ID -> its latest ack ID, left on the subscription
	res  Result
}

// loop pulls until the subscription is drained, the limit is reached or
// ctx is done.
func (r *redrive) loop(ctx context.Context) error {
	last, lastProgress := time.Now(), time.Now()
	for ctx.Err() == nil && !r.full() {
		pctx, cancel := context.WithTimeout(ctx, r.cfg.Idle)
		resp, err := r.admin.Pull(pctx, &pubsubpb.PullRequest{Subscription: r.sub, MaxMessages: batch})
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case status.Code(err) == codes.DeadlineExceeded:
			resp = &pubsubpb.PullResponse{}
		case err != nil:
			return fmt.Errorf("pull: %w", err)
		}
		if len(resp.ReceivedMessages) > 0 {
			last = time.Now()
			if err := r.handle(ctx, resp.ReceivedMessages); err != nil {
				return err
			}
		} else if time.Since(last) >= r.cfg.Idle {
			r.log.Info("redrive: no message for the idle timeout, the subscription is drained", "idle", r.cfg.Idle)
			return nil
		}
		if time.Since(lastProgress) >= r.cfg.Progress {
			lastProgress = time.Now()
			r.log.Info("redrive progress", "seen", r.res.Seen, "matched", r.res.Matched, "republished", r.res.Republished,
				"failed", r.res.Failed, "left", len(r.held))
		}
	}
	return nil
}

func (r *redrive) full() bool { return r.cfg.Limit > 0 && r.res.Republished >= r.cfg.Limit }

// handle republishes the matching messages of one pull and acknowledges
// those whose publish was acknowledged; it holds the others.
func (r *redrive) handle(ctx context.Context, msgs []*pubsubpb.ReceivedMessage) error {
	type publishing struct {
		id, ackID string
		res       *pubsub.PublishResult
	}
	var pending []publishing
	var acks, holds []string
	hold := func(id, ackID string) {
		r.held[id] = ackID
		holds = append(holds, ackID)
	}
	for _, rm := range msgs {
		m := rm.GetMessage()
		id := m.GetMessageId()
		reason := Reason(m.GetAttributes())
		match := r.matches(m.GetAttributes(), reason)
		if !r.seen[id] {
			r.seen[id] = true
			r.res.Seen++
			r.res.ByReason[reason]++
			if match {
				r.res.Matched++
			}
		}
		switch {
		case r.done[id]:
			acks = append(acks, rm.GetAckId()) // delivered again after its acknowledgement
		case !match || r.cfg.DryRun || r.cfg.Limit > 0 && r.res.Republished+len(pending) >= r.cfg.Limit:
			hold(id, rm.GetAckId())
		default:
			res := r.pub.Publish(ctx, &pubsub.Message{Data: m.GetData(), Attributes: Republished(m.GetAttributes(), r.run)})
			pending = append(pending, publishing{id, rm.GetAckId(), res})
		}
	}
	if err := r.modAck(ctx, holds, holdFor); err != nil {
		return err
	}
	holds = holds[:0]
	for _, p := range pending {
		// A publish under way is finished even on SIGTERM, so that what
		// was republished is also acknowledged here.
		if _, err := p.res.Get(context.WithoutCancel(ctx)); err != nil {
			r.log.Warn("republish failed; the message stays on the subscription", "id", p.id, "err", err)
			r.res.Failed++
			hold(p.id, p.ackID)
			continue
		}
		r.done[p.id] = true
		delete(r.held, p.id)
		r.res.Republished++
		acks = append(acks, p.ackID)
	}
	if err := r.modAck(ctx, holds, holdFor); err != nil {
		return err
	}
	return r.ack(context.WithoutCancel(ctx), acks)
}

// matches reports whether a message of these attributes and reason is
// redriven by this run.
func (r *redrive) matches(attrs map[string]string, reason string) bool {
	return (r.cfg.Reason == "" || reason == r.cfg.Reason) &&
		(r.cfg.Night.IsZero() || Night(attrs) == r.cfg.Night) &&
		attrs[RedrivenAttr] != r.run // came back during this run: the cause is not fixed
}

// release hands every held message back to the subscription at once.
func (r *redrive) release(ctx context.Context) error {
	r.res.Left = len(r.held)
	ids := slices.Collect(maps.Values(r.held))
	clear(r.held)
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return r.modAck(ctx, ids, 0)
}

// ackBatch is the most ack IDs one call carries.
const ackBatch = 1000

func (r *redrive) modAck(ctx context.Context, ackIDs []string, seconds int32) error {
	for c := range slices.Chunk(ackIDs, ackBatch) {
		if err := r.admin.ModifyAckDeadline(ctx, &pubsubpb.ModifyAckDeadlineRequest{Subscription: r.sub, AckIds: c, AckDeadlineSeconds: seconds}); err != nil {
			return fmt.Errorf("modify ack deadline to %d s: %w", seconds, err)
		}
	}
	return nil
}

func (r *redrive) ack(ctx context.Context, ackIDs []string) error {
	for c := range slices.Chunk(ackIDs, ackBatch) {
		if err := r.admin.Acknowledge(ctx, &pubsubpb.AcknowledgeRequest{Subscription: r.sub, AckIds: c}); err != nil {
			return fmt.Errorf("acknowledge: %w", err)
		}
	}
	return nil
}
