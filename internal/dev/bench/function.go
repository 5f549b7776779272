package bench

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"cloud.google.com/go/storage"

	"github.com/ztfbridge/ztfbridge/functions"
	"github.com/ztfbridge/ztfbridge/internal/core/attr"
	"github.com/ztfbridge/ztfbridge/internal/core/config"
	"github.com/ztfbridge/ztfbridge/internal/dev/stack"
	"github.com/ztfbridge/ztfbridge/internal/dev/synth"
)

// Pass names of the function bench.
const (
	PassRawStore       = "raw: storage client writes"
	PassFunction       = "function (Pub/Sub push requests)"
	PassFunctionReplay = "function replay (all duplicates, 412)"
)

// object is one object the raw storage client writes: what the function
// writes for an alert, under the same name.
type object struct {
	Name     string
	Data     []byte
	Metadata map[string]string
}

// Function measures the Cloud Function ("ztfbridge serve-function")
// against the storage client alone, each against a fake-gcs-server of its
// own in this process (withGCS). The raw client ("ztfbridge-dev raw
// store") writes each alert's object as the function does (name,
// write-once precondition, content type, metadata) with opts.Workers
// goroutines; the function is sent the same alerts as the push
// subscription of terraform/pubsub.tf delivers them to the deployed
// function (Pub/Sub push requests) by opts.Workers goroutines here, and
// then the same requests again, all duplicates (the 10am replay): each is
// answered once GCS refused the write with 412.
// Both first do as many other alerts unmeasured (see Load).
func Function(ctx context.Context, opts Options) (*Report, error) {
	opts = opts.withDefaults(2000)
	dir, err := os.MkdirTemp("", "ztfbridge-bench-function-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	opts.Log.Info("generating alerts", "alerts", opts.Alerts)
	objects, events, size, err := events(opts)
	if err != nil {
		return nil, err
	}
	warm, events := events[:opts.Alerts], events[opts.Alerts:]
	input := filepath.Join(dir, "objects")
	if err := writeObjects(input, objects); err != nil {
		return nil, err
	}
	rep := &Report{
		Bench: "function",
		Setup: fmt.Sprintf("%d synthetic alerts (%.0f KB mean) after as many unmeasured, %d concurrent writers or requests, fake-gcs-server; %d rounds",
			opts.Alerts, float64(size)/float64(opts.Alerts)/1e3, opts.Workers, opts.Rounds),
		Ratios: []Ratio{{Component: PassFunction, Raw: []string{PassRawStore}, Target: 1.2}},
	}
	for round := 1; round <= opts.Rounds; round++ {
		opts.Log.Info("bench function", "pass", PassRawStore, "round", round)
		err := withGCS(ctx, func(env []string) error {
			s, err := runRaw(ctx, dir, opts.Bins, "raw-store", []string{"store", "--bucket", gcsBucket,
				"--input", input, "--workers", strconv.Itoa(opts.Workers), "--warm", strconv.Itoa(len(warm))}, env, len(objects), 2*size)
			if err != nil {
				return err
			}
			rep.Add(PassRawStore, s)
			return nil
		})
		if err != nil {
			return rep, err
		}

		opts.Log.Info("bench function", "pass", PassFunction, "round", round)
		err = withGCS(ctx, func(env []string) error {
			addr, err := stack.FreeAddr()
			if err != nil {
				return err
			}
			host, port, _ := net.SplitHostPort(addr)
			p, err := startProc(dir, "function", opts.Bins.Ztfbridge, []string{"serve-function", "--bucket", gcsBucket,
				"--host", host, "--port", port}, env)
			if err != nil {
				return err
			}
			err = measureFunction(ctx, rep, p, "http://"+addr, warm, events, opts.Workers, size)
			if stopErr := p.stop(); err == nil {
				err = stopErr
			}
			return err
		})
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// gcsBucket is the bucket of the function bench's fake-gcs-server.
const gcsBucket = "alerts"

// withGCS runs f with the environment of a fake-gcs-server of its own,
// which holds an empty gcsBucket, and stops the server after it. Each side
// of a round gets its own, so that neither finds the objects of the other
// or of earlier rounds: the server runs in this process and shares the
// machine with the process measured, and a store that grows makes this
// process's garbage collection (of ~80 KB objects by the thousand) cost
// more with each pass.
func withGCS(ctx context.Context, f func(env []string) error) error {
	gcs, err := stack.StartGCS(ctx, stack.GCSOptions{Buckets: []string{gcsBucket}})
	if err != nil {
		return err
	}
	err = f(gcs.Env())
	gcs.Close()
	runtime.GC() // the store's objects are garbage now: not during the next pass
	return err
}

// measureFunction sends the push requests warm to the function at url,
// unmeasured, then events twice: new alerts, then all duplicates.
func measureFunction(ctx context.Context, rep *Report, p *proc, url string, warm, events []event, workers int, size int64) error {
	if err := p.waitUntil(ctx, func() (bool, error) {
		c, err := net.Dial("tcp", url[len("http://"):])
		if err == nil {
			c.Close()
		}
		return err == nil, nil
	}); err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	defer client.CloseIdleConnections()
	if err := parallel(len(warm), workers, func(i int) error { return deliver(ctx, client, url, warm[i]) }); err != nil {
		return p.Failure(err)
	}
	for _, name := range []string{PassFunction, PassFunctionReplay} {
		s, err := p.begin()
		if err != nil {
			return err
		}
		if err := parallel(len(events), workers, func(i int) error { return deliver(ctx, client, url, events[i]) }); err != nil {
			return p.Failure(err)
		}
		sample, err := s.end(len(events), size)
		if err != nil {
			return err
		}
		rep.Add(name, sample)
	}
	return nil
}

// event is the JSON body of a Pub/Sub push request.
type event struct {
	data []byte
}

// events returns the objects the function writes for 2×opts.Alerts
// synthetic alerts (those of the warm-up, then those measured), the push
// requests that carry them as the connector publishes them, and the bytes
// of those measured.
func events(opts Options) ([]object, []event, int64, error) {
	packets, err := synth.Generate(synth.Config{Night: opts.Night, Seed: opts.Seed}, 2*opts.Alerts)
	if err != nil {
		return nil, nil, 0, err
	}
	objects := make([]object, len(packets))
	events := make([]event, len(packets))
	var size int64
	for i, p := range packets {
		id := strconv.Itoa(i)
		a := map[string]string{
			attr.Candid:    strconv.FormatInt(p.Candid, 10),
			attr.ObjectID:  p.Alert.ObjectID,
			attr.SchemaVsn: p.Alert.SchemaVsn,
		}
		attr.Kafka{Topic: opts.Night.Topic(), Partition: int32(i % 16), Offset: int64(i / 16), Timestamp: opts.Night.Time()}.Set(a)
		meta := maps.Clone(a)
		meta[functions.MetaRA] = strconv.FormatFloat(p.Alert.Candidate.RA, 'f', -1, 64)
		meta[functions.MetaDec] = strconv.FormatFloat(p.Alert.Candidate.Dec, 'f', -1, 64)
		meta[functions.MetaMessageID] = id
		objects[i] = object{Name: a[attr.KafkaTopic] + "_" + a[attr.Candid] + ".avro", Data: p.Data, Metadata: meta}
		if events[i].data, err = json.Marshal(map[string]any{
			"subscription": "projects/" + stack.DefaultProject + "/subscriptions/bench",
			"message":      map[string]any{"data": p.Data, "attributes": a, "messageId": id, "publishTime": opts.Night.Time().Add(time.Hour)},
		}); err != nil {
			return nil, nil, 0, err
		}
		if i >= opts.Alerts {
			size += int64(len(p.Data))
		}
	}
	return objects, events, size, nil
}

// deliver POSTs one push request to the function, as Pub/Sub does on the
// endpoint of terraform/pubsub.tf, and checks it is acknowledged. Like
// Pub/Sub, it sends a request again that is not answered within 30 seconds
// (one in a few thousand was not, in the runs of 2026-12-02), at most 3
// times.
func deliver(ctx context.Context, client *http.Client, url string, e event) error {
	var err error
	for range 3 {
		tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = deliverOnce(tctx, client, url, e)
		cancel()
		if err == nil || ctx.Err() != nil {
			return err
		}
	}
	return err
}

func deliverOnce(ctx context.Context, client *http.Client, url string, e event) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/projects/"+stack.DefaultProject+"/topics/ztf-alerts", bytes.NewReader(e.data))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("function answered %s: %s", resp.Status, msg)
	}
	return nil
}

// parallel runs do(0) to do(n-1) on the given number of goroutines and
// returns the first error.
func parallel(n, workers int, do func(i int) error) error {
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if err := do(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// objectRef is an object of the raw client's input: its data is the
// bytes [Off, Off+Len) of the data file.
type objectRef struct {
	Name     string
	Off, Len int
	Metadata map[string]string
}

// writeObjects writes the objects for readObjects: their data, one after
// the other, to path.data, and the rest as a gob to path.
func writeObjects(path string, objects []object) error {
	refs := make([]objectRef, len(objects))
	var data []byte
	for i, o := range objects {
		refs[i] = objectRef{Name: o.Name, Off: len(data), Len: len(o.Data), Metadata: o.Metadata}
		data = append(data, o.Data...)
	}
	if err := os.WriteFile(path+".data", data, 0o600); err != nil {
		return err
	}
	return writeGob(path, refs)
}

// readObjects reads what writeObjects wrote, with the data mapped into
// memory (read-only, its pages loaded now) rather than read onto the Go
// heap, and returns the function that unmaps it. The function receives
// its alerts and holds only those in flight; on the heap, the raw
// client's input (115 MB for 1500 alerts) would be a ballast that made its
// garbage collector run many times less often than the function's for the
// same allocations (GODEBUG=gctrace=1, 1500 alerts, 2026-12-02: 12 cycles
// in the raw client's whole life, most of them while it read its input,
// against about 40 in each pass of the function; with the input mapped,
// 33 and a live heap of 14 MB, the function's 17 MB).
func readObjects(path string) (objects []object, unmap func() error, err error) {
	var refs []objectRef
	if err := readGob(path, &refs); err != nil {
		return nil, nil, err
	}
	f, err := os.Open(path + ".data")
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	unmap = func() error { return nil }
	var data []byte
	if fi.Size() > 0 {
		if data, err = syscall.Mmap(int(f.Fd()), 0, int(fi.Size()), syscall.PROT_READ, syscall.MAP_PRIVATE|syscall.MAP_POPULATE); err != nil {
			return nil, nil, fmt.Errorf("mapping %s: %w", f.Name(), err)
		}
		unmap = func() error { return syscall.Munmap(data) }
	}
	objects = make([]object, len(refs))
	for i, r := range refs {
		if r.Off < 0 || r.Len < 0 || r.Off+r.Len > len(data) {
			return nil, nil, errors.Join(fmt.Errorf("%s: object %s beyond the data", path, r.Name), unmap())
		}
		objects[i] = object{Name: r.Name, Data: data[r.Off : r.Off+r.Len : r.Off+r.Len], Metadata: r.Metadata}
	}
	return objects, unmap, nil
}

func writeGob(path string, v any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := gob.NewEncoder(f).Encode(v); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func readGob(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return gob.NewDecoder(f).Decode(v)
}

// RunRawStore is the raw client of the function bench, in its own process
// ("ztfbridge-dev raw store"): the storage client (pointed at the server
// by STORAGE_EMULATOR_HOST) writing the objects of --input with
// --workers goroutines, as the function writes them.
func RunRawStore(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("raw store", flag.ContinueOnError)
	bucket := fs.String("bucket", "", "bucket to write to")
	input := fs.String("input", "", "the objects, as writeObjects writes them: `path` of the gob file; the data is in path.data")
	workers := fs.Int("workers", 16, "concurrent writers")
	warm := fs.Int("warm", 0, "say \"warm N\" on stdout once the first N objects are written")
	if err := config.Parse(fs, args); err != nil {
		return err
	}
	objects, unmap, err := readObjects(*input)
	if err != nil {
		return err
	}
	defer unmap()
	client, err := storage.NewClient(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	b := client.Bucket(*bucket)
	done, err := handshake(stdin, stdout)
	if err != nil {
		return err
	}
	write := func(objects []object) error {
		return parallel(len(objects), *workers, func(i int) error {
			o := objects[i]
			w := b.Object(o.Name).If(storage.Conditions{DoesNotExist: true}).NewWriter(ctx)
			w.ContentType = functions.ContentType
			w.Metadata = o.Metadata
			w.ChunkSize = 256 << 10
			if _, err := w.Write(o.Data); err != nil {
				w.Close()
				return err
			}
			return w.Close()
		})
	}
	*warm = min(max(*warm, 0), len(objects))
	if *warm > 0 {
		if err := write(objects[:*warm]); err != nil {
			return err
		}
		if _, err := fmt.Fprintf(stdout, "warm %d\n", *warm); err != nil {
			return err
		}
	}
	if err := write(objects[*warm:]); err != nil {
		return err
	}
	return done()
}
