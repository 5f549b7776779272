package functions

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"

	"github.com/ztfbridge/ztfbridge/internal/core/alert"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/deps"
	"github.com/ztfbridge/ztfbridge/internal/core/message"
	"github.com/ztfbridge/ztfbridge/internal/core/night"
)

// ContentType is the content type of every alert object. Avro has no
// registered media type; "avro/binary", seen in older tools, is not a valid
// type under RFC 6838 (see AVRO-488), so the function uses application/avro.
const ContentType = "application/avro"

// Metadata keys set on objects besides the attr names (objectId, candid,
// schemavsn, kafka.*), which keep the meaning they have on the message.
const (
	MetaRA        = "ra"               // candidate.ra, degrees
	MetaDec       = "dec"              // candidate.dec, degrees
	MetaMessageID = "pubsub.messageId" // Pub/Sub message id of the delivery that wrote the object
	MetaReason    = attr.Error         // quarantine only: why the message is not stored as an alert (attr.Reason holds the reason alone)
)

// uploadChunkSize makes an alert (at most ~100 KB) one upload request while
// keeping it in a buffer the client can resend on a transient error.
const uploadChunkSize = 256 << 10

// ErrClosed is returned by Store after Close: the message is not stored and
// Pub/Sub delivers it again later.
var ErrClosed = errors.New("functions: archiver closed")

// Message is one Pub/Sub message as the function receives it.
type Message struct {
	ID          string            // Pub/Sub message id
	Data        []byte            // the Kafka message value: an Avro alert packet
	Attributes  map[string]string // see internal/core/attr
	PublishTime time.Time
}

// Outcome says what Store did with a message.
type Outcome int

// The outcomes of Store. Each one acknowledges the message.
const (
	Stored      Outcome = iota + 1 // the alert object was created
	Duplicate                      // the object was already there; nothing was written
	Quarantined                    // the message is not an alert; it was written under the quarantine prefix
)

func (o Outcome) String() string {
	switch o {
	case Stored:
		return "stored"
	case Duplicate:
		return "duplicate"
	case Quarantined:
		return "quarantined"
	}
	return "Outcome(" + strconv.Itoa(int(o)) + ")"
}

// Result is what Store did with one message.
type Result struct {
	Outcome Outcome
	Object  string // name of the object written, or found already written
	Reason  string // why the message was quarantined ("reason: detail", see internal/core/message); empty otherwise
}

// Outcomes counts the outcomes of every Store call of an Archiver so far:
// alert objects created, duplicates found, messages quarantined.
type Outcomes struct {
	Stored      int64
	Duplicates  int64 // alert or quarantine objects found already written
	Quarantined int64
}

// Archiver writes Pub/Sub alert messages to GCS, one object per alert, each
// at most once. It is safe for concurrent use; create one per process and
// reuse it for every message.
type Archiver struct {
	cfg     Config
	log     *slog.Logger
	client  *storage.Client
	bucket  *storage.BucketHandle
	decoder *alert.Decoder
	buffers buffers // of ServeHTTP

	stored, duplicates, quarantined atomic.Int64

	// mu guards closed and the Add side of inflight, so that Close can
	// wait for every Store that started before it.
	mu       sync.RWMutex
	closed   bool
	inflight sync.WaitGroup
}

// New checks cfg (Config.Validate) and returns an Archiver with its own
// storage client. It does not contact GCS. The caller owns the Archiver
// and must Close it. Of opts it uses the logger and the storage options
// (none in production: the client finds its credentials and honours
// STORAGE_EMULATOR_HOST).
func New(ctx context.Context, cfg Config, opts ...deps.Option) (*Archiver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("functions: %w", err)
	}
	d := deps.New(opts...)
	client, err := storage.NewClient(ctx, d.Storage...)
	if err != nil {
		return nil, fmt.Errorf("functions: storage client: %w", err)
	}
	return &Archiver{
		cfg:     cfg,
		log:     d.Logger,
		client:  client,
		bucket:  client.Bucket(cfg.Bucket),
		decoder: alert.NewDecoder(),
	}, nil
}

// Close waits for the Store calls in flight, then closes the storage
// client. Store calls that begin after Close return ErrClosed.
func (a *Archiver) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	a.mu.Unlock()
	a.inflight.Wait()
	c := a.Outcomes()
	a.log.Info("function closed", "stored_total", c.Stored, "duplicates_total", c.Duplicates, "quarantined_total", c.Quarantined)
	return a.client.Close()
}

// Outcomes returns the outcomes counted so far.
func (a *Archiver) Outcomes() Outcomes {
	return Outcomes{Stored: a.stored.Load(), Duplicates: a.duplicates.Load(), Quarantined: a.quarantined.Load()}
}

// Store writes one message to the bucket and says what it did. A nil error
// means the message may be acknowledged: its bytes are in the bucket, as an
// alert object or under the quarantine prefix, written now or by an earlier
// delivery. An error means nothing is known to be stored (GCS failed, ctx
// ended, or the Archiver is closed): the message must be delivered again.
//
// Whether m is an alert is the message contract's call (internal/core/message):
// the function refuses exactly what the connector and the loader refuse.
func (a *Archiver) Store(ctx context.Context, m Message) (Result, error) {
	name, meta, refusal := a.alertObject(m)
	if refusal != nil {
		return a.quarantine(ctx, m, refusal)
	}
	return a.write(ctx, m, Result{Outcome: Stored, Object: name}, meta)
}

// quarantine keeps m under the quarantine prefix with the refusal in the
// object's metadata.
func (a *Archiver) quarantine(ctx context.Context, m Message, r *message.Refusal) (Result, error) {
	name, meta := a.quarantineObject(m, r)
	return a.write(ctx, m, Result{Outcome: Quarantined, Object: name, Reason: meta[MetaReason]}, meta)
}

// write creates res.Object from m's data unless it exists, counts and logs
// the outcome, and returns res, turned into a Duplicate if the object was
// already there.
func (a *Archiver) write(ctx context.Context, m Message, res Result, meta map[string]string) (Result, error) {
	a.mu.RLock()
	if a.closed {
		a.mu.RUnlock()
		return Result{}, ErrClosed
	}
	a.inflight.Add(1)
	a.mu.RUnlock()
	defer a.inflight.Done()

	created, err := a.writeOnce(ctx, res.Object, m.Data, meta)
	if err != nil {
		a.log.ErrorContext(ctx, "store failed; Pub/Sub will deliver the message again", "object", res.Object, "message_id", m.ID, "err", err)
		return Result{}, err
	}
	if !created {
		res.Outcome = Duplicate
	}
	a.count(ctx, m, res)
	return res, nil
}

// alertObject returns the name and metadata of m's alert object, or why m
// is not an alert. It reads only the ids of the packet, and names the
// object from validated values only: the candid, and the night of a
// kafka.topic attribute that is a night's topic, else of the packet.
func (a *Archiver) alertObject(m Message) (name string, meta map[string]string, refusal *message.Refusal) {
	al, refusal := message.Check(a.decoder, m.Data)
	if refusal != nil {
		return "", nil, refusal
	}
	topic, t := al.NightTopic(m.Attributes)
	meta = a.messageMetadata(m)
	al.SetAttributes(meta)
	meta[MetaRA] = strconv.FormatFloat(al.RA, 'f', -1, 64)
	meta[MetaDec] = strconv.FormatFloat(al.Dec, 'f', -1, 64)
	return prefixFields(t, topic).Replace(a.cfg.Prefix) + night.ObjectName(topic, al.Candid), meta, nil
}

// quarantineObject returns the name and metadata under which m is kept
// when it is not an alert. The name is derived from the bytes, so a
// redelivery or a replay of the same message finds its earlier copy; its
// folder is the kafka.topic attribute when that is a legal Kafka topic
// name, else no-topic.
func (a *Archiver) quarantineObject(m Message, r *message.Refusal) (name string, meta map[string]string) {
	folder := m.Attributes[attr.KafkaTopic]
	if !message.IsKafkaTopic(folder) {
		folder = "no-topic"
	}
	sum := sha256.Sum256(m.Data)
	meta = r.Attributes(m.Attributes)
	meta[MetaMessageID] = m.ID
	return a.cfg.QuarantinePrefix + folder + "/" + hex.EncodeToString(sum[:]) + ".bin", meta
}

// messageMetadata returns the metadata that every object written for m
// carries: where the message came from.
func (a *Archiver) messageMetadata(m Message) map[string]string {
	meta := map[string]string{MetaMessageID: m.ID}
	for _, k := range []string{attr.KafkaTopic, attr.KafkaPartition, attr.KafkaOffset, attr.KafkaTimestamp} {
		if v, ok := m.Attributes[k]; ok {
			meta[k] = v
		}
	}
	return meta
}

// writeOnce creates the object name with data and meta unless it exists.
// It reports whether it created it; false with a nil error means the
// object was already there and has not been touched.
func (a *Archiver) writeOnce(ctx context.Context, name string, data []byte, meta map[string]string) (created bool, err error) {
	w := a.bucket.Object(name).If(storage.Conditions{DoesNotExist: true}).NewWriter(ctx)
	w.ContentType = ContentType
	w.Metadata = meta
	w.ChunkSize = uploadChunkSize
	if _, err := w.Write(data); err != nil {
		w.Close()
		return false, fmt.Errorf("functions: writing gs://%s/%s: %w", a.cfg.Bucket, name, err)
	}
	err = w.Close()
	var gerr *googleapi.Error
	if errors.As(err, &gerr) && gerr.Code == http.StatusPreconditionFailed {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("functions: writing gs://%s/%s: %w", a.cfg.Bucket, name, err)
	}
	return true, nil
}

// count adds res to the counts and logs it with the running totals.
func (a *Archiver) count(ctx context.Context, m Message, res Result) {
	level := slog.LevelInfo
	switch {
	case res.Outcome == Stored:
		a.stored.Add(1)
	case res.Outcome == Duplicate:
		a.duplicates.Add(1)
	default:
		a.quarantined.Add(1)
		level = slog.LevelWarn
	}
	c := a.Outcomes()
	a.log.Log(ctx, level, res.Outcome.String(),
		"outcome", res.Outcome.String(), "object", res.Object, "message_id", m.ID, "reason", res.Reason,
		"stored_total", c.Stored, "duplicates_total", c.Duplicates, "quarantined_total", c.Quarantined)
}
