package connector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/IBM/sarama"

	"github.com/ztfbridge/ztfbridge/internal/core/night"
)

// topicWatcher decides which topics the members consume, and measures the
// group's lag on them. Every PollInterval it reads the cluster's topics and
// the group's committed offsets, and when the subscription changes it wakes
// the members, which leave their session and join again with the new list.
//
// Which topics are wanted:
//   - --topic T: T.
//   - --topics A,B: A and B.
//   - --topic-regex R: every existing topic whose whole name matches R.
//   - default: tonight's topic, night.Of(Now()).Topic(), plus last night's topic
//     for as long as the group has committed offsets on it that trail its
//     end. So the switch at 00:00 UTC finishes last night first, and a
//     brand-new group does not read yesterday.
//
// A wanted topic that does not exist is left out of the subscription and
// logged once; it joins when it appears.
type topicWatcher struct {
	cfg     *Config
	now     func() time.Time
	client  sarama.Client
	admin   sarama.ClusterAdmin
	log     *slog.Logger
	metrics *connectorMetrics
	regex   *regexp.Regexp

	waiting map[string]bool // wanted topics seen missing, logged once

	mu      sync.Mutex
	current []string
	changed chan struct{} // closed and replaced when current changes
}

func newTopicWatcher(cfg *Config, now func() time.Time, client sarama.Client, admin sarama.ClusterAdmin, log *slog.Logger, m *connectorMetrics) *topicWatcher {
	w := &topicWatcher{cfg: cfg, now: now, client: client, admin: admin, log: log, metrics: m,
		waiting: map[string]bool{}, changed: make(chan struct{})}
	if cfg.TopicRegex != "" {
		w.regex = regexp.MustCompile("^(?:" + cfg.TopicRegex + ")$") // checked by Config.Validate
	}
	return w
}

// subscription returns the topics to consume now (possibly none) and a
// channel closed when that changes.
func (w *topicWatcher) subscription() ([]string, <-chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.current, w.changed
}

// run refreshes the subscription every PollInterval until ctx is done.
func (w *topicWatcher) run(ctx context.Context) {
	t := time.NewTicker(w.cfg.PollInterval)
	defer t.Stop()
	for {
		if err := w.refresh(); err != nil {
			w.log.Warn("cannot refresh Kafka topics", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// refresh reads the cluster once and updates the subscription and lag.
func (w *topicWatcher) refresh() error {
	if err := w.client.RefreshMetadata(); err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	existing, err := w.client.Topics()
	if err != nil {
		return fmt.Errorf("topics: %w", err)
	}
	exists := func(t string) bool { return slices.Contains(existing, t) }

	var want []string
	switch {
	case w.cfg.KafkaTopic != "":
		want = []string{w.cfg.KafkaTopic}
	case len(w.cfg.Topics) > 0:
		want = w.cfg.Topics
	case w.regex != nil:
		for _, t := range existing {
			if w.regex.MatchString(t) {
				want = append(want, t)
			}
		}
	default:
		now := w.now()
		tonight := night.Of(now)
		want = []string{tonight.Topic()}
		if last := tonight.AddDays(-1).Topic(); exists(last) {
			lag, committed, err := w.lag(last)
			if err != nil {
				// Unsure: keep last night if it was being read.
				w.log.Warn("cannot tell whether last night's topic is finished", "topic", last, "err", err)
				committed, lag = true, map[int32]int64{0: 0}
				if slices.Contains(w.current, last) {
					lag[0] = 1
				}
			}
			if committed && total(lag) > 0 {
				want = append(want, last)
			}
		}
	}

	var sub []string
	for _, t := range want {
		if !exists(t) {
			if !w.waiting[t] {
				w.log.Info("waiting for topic to exist", "topic", t, "poll", w.cfg.PollInterval.String())
				w.waiting[t] = true
			}
			continue
		}
		if w.waiting[t] {
			w.log.Info("topic appeared", "topic", t)
			delete(w.waiting, t)
		}
		sub = append(sub, t)
	}
	slices.Sort(sub)
	sub = slices.Compact(sub)

	w.mu.Lock()
	old := w.current
	if !slices.Equal(old, sub) {
		w.current = sub
		close(w.changed)
		w.changed = make(chan struct{})
	}
	w.mu.Unlock()
	if !slices.Equal(old, sub) {
		w.log.Info("subscription", "topics", sub)
	}

	for _, t := range old {
		if !slices.Contains(sub, t) {
			w.metrics.lag.DeletePartialMatch(map[string]string{"topic": t})
		}
	}
	for _, t := range sub {
		lag, _, err := w.lag(t)
		if err != nil {
			return err
		}
		w.metrics.setLag(t, lag)
	}
	return nil
}

// lag returns, per partition of topic, the messages between the group's
// committed offset (or the oldest retained one) and the partition's end,
// and whether the group has committed any offset on the topic.
func (w *topicWatcher) lag(topic string) (map[int32]int64, bool, error) {
	parts, err := w.client.Partitions(topic)
	if err != nil {
		return nil, false, fmt.Errorf("partitions of %s: %w", topic, err)
	}
	resp, err := w.admin.ListConsumerGroupOffsets(w.cfg.Group, map[string][]int32{topic: parts})
	switch {
	case errors.Is(err, sarama.ErrGroupIDNotFound):
		resp = nil // a group that never committed (kfake says so; Kafka answers -1)
	case err != nil:
		return nil, false, fmt.Errorf("committed offsets of group %s on %s: %w", w.cfg.Group, topic, err)
	}
	lag := make(map[int32]int64, len(parts))
	committed := false
	for _, p := range parts {
		end, err := w.client.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			return nil, false, fmt.Errorf("end of %s/%d: %w", topic, p, err)
		}
		start, err := w.client.GetOffset(topic, p, sarama.OffsetOldest)
		if err != nil {
			return nil, false, fmt.Errorf("start of %s/%d: %w", topic, p, err)
		}
		pos := start
		if resp != nil {
			if b := resp.GetBlock(topic, p); b != nil && b.Offset >= 0 {
				committed = true
				pos = max(pos, b.Offset)
			}
		}
		lag[p] = max(end-pos, 0)
	}
	return lag, committed, nil
}

func total(lag map[int32]int64) int64 {
	var n int64
	for _, l := range lag {
		n += l
	}
	return n
}
