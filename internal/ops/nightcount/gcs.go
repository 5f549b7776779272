package nightcount

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"cloud.google.com/go/storage"
	"google.golang.org/api/iterator"

	"github.com/ztfbridge/ztfbridge/connector"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
)

// countBucket reads the connector's record of topic (nil, nil when there is
// none) and counts the alert objects of topic.
func countBucket(ctx context.Context, cfg Config, d deps.Set, topic string) (published, deadLettered, objects *int64, err error) {
	client, err := storage.NewClient(ctx, d.Storage...)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("storage client: %w", err)
	}
	defer client.Close()
	bucket := client.Bucket(cfg.Bucket)

	rec, err := connector.ReadTally(ctx, bucket, topic)
	switch {
	case errors.Is(err, storage.ErrObjectNotExist):
	case err != nil:
		return nil, nil, nil, err
	default:
		published, deadLettered = &rec.Published, &rec.DeadLettered
	}

	n, err := countObjects(ctx, bucket, topic)
	if err != nil {
		return published, deadLettered, nil, err
	}
	return published, deadLettered, &n, nil
}

// countObjects counts the objects Objects lists: what
// "gsutil ls gs://BUCKET/ztf_YYYYMMDD_programid1_*.avro | wc -l" counts.
func countObjects(ctx context.Context, bucket *storage.BucketHandle, topic string) (int64, error) {
	var n int64
	err := Objects(ctx, bucket, topic, func(string) { n++ })
	return n, err
}

// ObjectCandids returns the candids of the objects Objects lists, sorted,
// and the names among them that are not named by a candid (strays).
func ObjectCandids(ctx context.Context, bucket *storage.BucketHandle, topic string) (candids []int64, strays []string, err error) {
	err = Objects(ctx, bucket, topic, func(name string) {
		if c, ok := night.ObjectCandid(topic, name); ok {
			candids = append(candids, c)
		} else {
			strays = append(strays, name)
		}
	})
	slices.Sort(candids)
	return candids, strays, err
}

// Objects calls fn with the name of every object <topic>_*.avro at the
// bucket root, the names package functions writes (night.ObjectName), in
// name order. It lists names only: memory does not grow with the night.
func Objects(ctx context.Context, bucket *storage.BucketHandle, topic string, fn func(name string)) error {
	q := &storage.Query{Prefix: topic + "_"}
	if err := q.SetAttrSelection([]string{"Name"}); err != nil {
		return err
	}
	it := bucket.Objects(ctx, q)
	for {
		o, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("list gs://%s/%s*: %w", bucket.BucketName(), q.Prefix, err)
		}
		if strings.HasSuffix(o.Name, ".avro") && !strings.Contains(o.Name, "/") {
			fn(o.Name)
		}
	}
}
