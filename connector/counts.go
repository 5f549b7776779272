package connector

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"cloud.google.com/go/storage"
	"github.com/ztfbridge/ztfbridge/internal/core/tick"
	"google.golang.org/api/googleapi"
)

// TopicTally is what the connector published from one Kafka topic, kept
// in GCS for "ztfbridge count". It counts acknowledged publishes, not
// distinct alerts: the 10am replay and redelivery after a crash or rebalance are
// counted again (unless --dedup-replay dropped them, see ReplayDropped).
type TopicTally struct {
	Topic         string    `json:"topic"`
	Published     int64     `json:"published"`      // acknowledged on the alert topic
	DeadLettered  int64     `json:"dead_lettered"`  // acknowledged on the dead-letter topic
	ReplayDropped int64     `json:"replay_dropped"` // not published: candid already published (--dedup-replay)
	UpdatedAt     time.Time `json:"updated_at"`
}

// same reports whether c and d hold the same figures and time.
func (c TopicTally) same(d TopicTally) bool {
	return c.Topic == d.Topic && c.Published == d.Published && c.DeadLettered == d.DeadLettered &&
		c.ReplayDropped == d.ReplayDropped && c.UpdatedAt.Equal(d.UpdatedAt)
}

// TallyObject is the name of the object holding topic's TopicTally.
func TallyObject(topic string) string { return "_ztfbridge/connector/" + topic + ".json" }

// ReadTally reads the TopicTally of topic from bucket. A topic no connector
// has counted returns an error wrapping storage.ErrObjectNotExist.
func ReadTally(ctx context.Context, bucket *storage.BucketHandle, topic string) (TopicTally, error) {
	c, _, err := readTally(ctx, bucket.Object(TallyObject(topic)))
	return c, err
}

func readTally(ctx context.Context, obj *storage.ObjectHandle) (TopicTally, int64, error) {
	r, err := obj.NewReader(ctx)
	if err != nil {
		return TopicTally{}, 0, fmt.Errorf("read %s: %w", obj.ObjectName(), err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		return TopicTally{}, 0, fmt.Errorf("read %s: %w", obj.ObjectName(), err)
	}
	var c TopicTally
	if err := json.Unmarshal(b, &c); err != nil {
		return TopicTally{}, 0, fmt.Errorf("read %s: %w", obj.ObjectName(), err)
	}
	return c, r.Attrs.Generation, nil
}

// tallyKeeper adds what this process published to the tally objects.
// It holds only the increments since its last write, and writes each as a
// read-add-write guarded by the object's generation, so restarts and
// several connectors of one group accumulate into the same object.
type tallyKeeper struct {
	bucket *storage.BucketHandle
	now    func() time.Time
	log    *slog.Logger

	mu      sync.Mutex
	pending map[string]*TopicTally // topic -> increments not yet written
}

func (k *tallyKeeper) add(topic string, f fate) {
	k.mu.Lock()
	defer k.mu.Unlock()
	c := k.pending[topic]
	if c == nil {
		c = &TopicTally{Topic: topic}
		k.pending[topic] = c
	}
	switch f {
	case toAlerts:
		c.Published++
	case toDeadLetter:
		c.DeadLettered++
	case dropped:
		c.ReplayDropped++
	}
}

// run writes the increments every interval until ctx is done. The last
// write is the caller's, with flush, once nothing is published any more.
func (k *tallyKeeper) run(ctx context.Context, interval time.Duration) {
	tick.Every(ctx, interval, func() {
		// A write cut short by ctx could land without us knowing.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), interval+30*time.Second)
		err := k.flush(fctx)
		cancel()
		if err != nil {
			k.log.Warn("cannot write counts; will retry", "err", err)
		}
	})
}

// flush writes the pending increments. Increments it could not write stay
// pending for the next flush.
func (k *tallyKeeper) flush(ctx context.Context) error {
	k.mu.Lock()
	pending := k.pending
	k.pending = map[string]*TopicTally{}
	k.mu.Unlock()

	var errs []error
	for topic, inc := range pending {
		if err := k.write(ctx, inc); err != nil {
			errs = append(errs, err)
			k.mu.Lock()
			if c := k.pending[topic]; c != nil {
				inc.Published += c.Published
				inc.DeadLettered += c.DeadLettered
				inc.ReplayDropped += c.ReplayDropped
			}
			k.pending[topic] = inc
			k.mu.Unlock()
		}
	}
	return errors.Join(errs...)
}

// write adds inc to its object, retrying when another writer got there
// between our read and our write.
func (k *tallyKeeper) write(ctx context.Context, inc *TopicTally) error {
	obj := k.bucket.Object(TallyObject(inc.Topic))
	for attempt := 0; ; attempt++ {
		cur, gen, err := readTally(ctx, obj)
		switch {
		case errors.Is(err, storage.ErrObjectNotExist):
			cur = TopicTally{Topic: inc.Topic}
		case err != nil:
			return err
		}
		cur.Published += inc.Published
		cur.DeadLettered += inc.DeadLettered
		cur.ReplayDropped += inc.ReplayDropped
		cur.UpdatedAt = k.now().UTC()
		b, err := json.Marshal(cur)
		if err != nil {
			return err
		}
		cond := storage.Conditions{DoesNotExist: true}
		if gen != 0 {
			cond = storage.Conditions{GenerationMatch: gen}
		}
		w := obj.If(cond).NewWriter(ctx)
		w.ContentType = "application/json"
		_, err = io.Copy(w, bytes.NewReader(b))
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		var gerr *googleapi.Error
		if errors.As(err, &gerr) && gerr.Code == http.StatusPreconditionFailed && attempt < 10 {
			continue
		}
		if err != nil {
			// The write may have landed before the error: then it must
			// not be added again.
			if now, _, rerr := readTally(ctx, obj); rerr == nil && now.same(cur) {
				return nil
			}
			return fmt.Errorf("write %s: %w", obj.ObjectName(), err)
		}
		return nil
	}
}
