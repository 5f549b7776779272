package functions

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/asm/base64"

	"github.com/ztfbridge/ztfbridge/internal/core/message"
)

// messagePublished is the data of the CloudEvent
// google.cloud.pubsub.topic.v1.messagePublished, which Eventarc delivers
// for a Pub/Sub trigger, and the body of a Pub/Sub push request.
type messagePublished struct {
	Message struct {
		Data        []byte            `json:"data"` // base64 in JSON
		Attributes  map[string]string `json:"attributes"`
		MessageID   string            `json:"messageId"`
		PublishTime time.Time         `json:"publishTime"`
	} `json:"message"`
	Subscription string `json:"subscription"`
}

// maxBody bounds the body of a request: a Pub/Sub message holds at most
// 10 MB of data, which a push request carries in base64 (4/3 of it) next to
// its attributes. A longer body is answered 413 and never read.
const maxBody = 16 << 20

// ServeHTTP is the Cloud Function. It takes the two requests that deliver
// a Pub/Sub message to a Cloud Function (2nd gen): the push request of a
// Pub/Sub push subscription, which terraform/ sets up and the local
// emulator sends, and Eventarc's binary-mode CloudEvent of type
// google.cloud.pubsub.topic.v1.messagePublished (Ce-* headers). Both carry
// the same JSON body, {"message": {"data", "attributes", "messageId",
// "publishTime"}, "subscription"}, on any path. It stores the message (see
// Store) and answers 200 to acknowledge it, or 500 so that Pub/Sub delivers
// it again. A body that is not a Pub/Sub message is quarantined with the
// reason, like any message that is not an alert. What neither sender
// delivers is refused, and so redelivered until it is dead-lettered: a
// method other than POST (405), a structured-mode CloudEvent (415) and a
// body beyond 16 MB (413).
func (a *Archiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	code, err := a.receive(w, r)
	if err != nil {
		http.Error(w, err.Error(), code)
		return
	}
	w.WriteHeader(code)
}

// receive stores the message of r and returns the status to answer with.
func (a *Archiver) receive(w http.ResponseWriter, r *http.Request) (int, error) {
	if r.Method != http.MethodPost {
		return a.refuse(r, http.StatusMethodNotAllowed, fmt.Errorf("functions: method %s, want POST", r.Method))
	}
	if ct := strings.ToLower(r.Header.Get("Content-Type")); strings.HasPrefix(ct, "application/cloudevents") {
		return a.refuse(r, http.StatusUnsupportedMediaType, fmt.Errorf("functions: content type %s: a structured-mode CloudEvent, which neither Pub/Sub push nor Eventarc sends", ct))
	}
	bodyBuf, dataBuf := a.buffers.get(), a.buffers.get()
	defer a.buffers.put(bodyBuf)
	defer a.buffers.put(dataBuf)
	body, err := readBody(w, r, bodyBuf)
	if err != nil {
		code := http.StatusBadRequest
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			code = http.StatusRequestEntityTooLarge
		}
		return a.refuse(r, code, fmt.Errorf("functions: reading the request: %w", err))
	}
	m, err := messageOf(body, r.Header.Get("Ce-Id"), dataBuf)
	if err != nil {
		m = Message{ID: r.Header.Get("Ce-Id"), Data: body}
		_, err = a.quarantine(r.Context(), m, &message.Refusal{Reason: message.Undecodable, Detail: err.Error()})
	} else {
		_, err = a.Store(r.Context(), m)
	}
	if err != nil {
		return http.StatusInternalServerError, err
	}
	return http.StatusOK, nil
}

// refuse logs why r is refused and returns code and err.
func (a *Archiver) refuse(r *http.Request, code int, err error) (int, error) {
	a.log.WarnContext(r.Context(), "request refused; Pub/Sub will deliver it again", "status", code, "path", r.URL.Path, "err", err)
	return code, err
}

// readBody reads the body of r, at most maxBody bytes, into buf when the
// request says its length.
func readBody(w http.ResponseWriter, r *http.Request, buf *[]byte) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, maxBody)
	if r.ContentLength < 0 {
		return io.ReadAll(body)
	}
	if r.ContentLength > maxBody {
		return nil, &http.MaxBytesError{Limit: maxBody}
	}
	b := grow(buf, int(r.ContentLength))
	_, err := io.ReadFull(body, b)
	return b, err
}

// buffers recycles the buffers of ServeHTTP's request bodies and message
// data, about 110 and 80 KB an alert, which would otherwise be most of what
// the function allocates besides the storage client's upload buffer, and so
// make the garbage collector run twice as often.
type buffers struct{ pool sync.Pool }

// get returns a buffer for grow; put it back once nothing refers to it.
func (b *buffers) get() *[]byte {
	if p, ok := b.pool.Get().(*[]byte); ok {
		return p
	}
	return new([]byte)
}

func (b *buffers) put(p *[]byte) { b.pool.Put(p) }

// grow returns (*buf)[:n], after replacing *buf by a longer slice if it is
// shorter than n. The result is never nil.
func grow(buf *[]byte, n int) []byte {
	if *buf == nil || cap(*buf) < n {
		*buf = make([]byte, n)
	}
	return (*buf)[:n]
}

// messageOf reads the Pub/Sub message out of the body of a push request or
// of a messagePublished CloudEvent, whose id (ceID, empty for a push
// request) is the message id when the body has none. The message data may
// be in buf.
func messageOf(body []byte, ceID string, buf *[]byte) (Message, error) {
	d, err := parseMessagePublished(body, buf)
	if err != nil {
		return Message{}, fmt.Errorf("request (Ce-Id %q) does not carry a Pub/Sub message: %w", ceID, err)
	}
	id := d.Message.MessageID
	if id == "" {
		id = ceID // Eventarc sets the event id to the message id
	}
	return Message{ID: id, Data: d.Message.Data, Attributes: d.Message.Attributes, PublishTime: d.Message.PublishTime}, nil
}

// parseMessagePublished is json.Unmarshal of b into a messagePublished,
// without scanning the message data byte by byte: it returns the same
// value, or the same error, for every input.
//
// encoding/json validates and unquotes a string one byte at a time, which
// for the ~110 KB of base64 an alert takes most of a request's CPU. Here a
// walker finds the one message.data string (strings are skipped with
// bytes.IndexByte); when it holds only base64 characters it is decoded
// directly, and the document without it (data replaced by null) goes to
// encoding/json. Replacing a valid string by null changes neither the
// validity nor the other fields of the document, so the result is the
// same. The data is decoded into buf, grown if it is too short; the
// message data returned may be there. Anything else falls back to encoding/json for the data string
// (escapes) or the whole document: keys that are not plain ASCII (which
// encoding/json matches by Unicode case folding), several data keys, data
// that is not a string or not base64, and every document that fails.
func parseMessagePublished(b []byte, buf *[]byte) (messagePublished, error) {
	if d, ok := parseFast(b, buf); ok {
		return d, nil
	}
	var d messagePublished
	err := json.Unmarshal(b, &d)
	return d, err
}

// parseFast is parseMessagePublished's fast path. It reports false when
// the document must go to encoding/json whole.
func parseFast(b []byte, buf *[]byte) (messagePublished, bool) {
	var d messagePublished
	start, end, ok := dataSpan(b)
	if !ok {
		return d, false
	}
	data, ok := decodeData(b[start:end], buf)
	if !ok {
		return d, false
	}
	rest := make([]byte, 0, len(b)-(end-start)+len("null"))
	rest = append(append(append(rest, b[:start]...), "null"...), b[end:]...)
	if json.Unmarshal(rest, &d) != nil {
		return d, false
	}
	d.Message.Data = data
	return d, true
}

// decodeData decodes the JSON string s (with its quotes) as
// encoding/json decodes a string into a []byte. It reports false when s is
// not a valid string of base64. The data is decoded into buf, grown if it
// is too short, unless s has escapes.
func decodeData(s []byte, buf *[]byte) ([]byte, bool) {
	body := s[1 : len(s)-1]
	if bytes.IndexByte(body, '\\') >= 0 {
		var data []byte
		return data, json.Unmarshal(s, &data) == nil
	}
	// Base64 skips raw line breaks, which a JSON string may not hold; every
	// other byte that is not base64 fails the decoding. The decoder is
	// encoding/base64's with its bulk done in AVX2 (8x faster on a
	// 107 KB alert: 5 µs against 43 on the bench machine, 2026-12-04),
	// which hands what it cannot decode, from the first byte that is not
	// base64 and the padding on, to encoding/base64, so it accepts and
	// refuses exactly what encoding/base64 does (FuzzMessageOf).
	if bytes.IndexByte(body, '\n') >= 0 || bytes.IndexByte(body, '\r') >= 0 {
		return nil, false
	}
	data := grow(buf, base64.StdEncoding.DecodedLen(len(body)))
	n, err := base64.StdEncoding.Decode(data, body)
	if err != nil {
		return nil, false
	}
	return data[:n], true
}

// dataSpan returns where the string value of the only "data" key of the
// "message" objects of the document b starts and ends (its quotes
// included). It reports false when there is not exactly one, when it is
// not a string, or when b does not look like the JSON object it expects;
// it does not validate b, which encoding/json does with the rest.
func dataSpan(b []byte) (start, end int, ok bool) {
	w := walker{b: b}
	found := 0
	ok = w.object(func(key []byte) bool {
		if !bytes.EqualFold(key, []byte("message")) || w.peek() != '{' {
			return w.skipValue()
		}
		return w.object(func(key []byte) bool {
			if !bytes.EqualFold(key, []byte("data")) {
				return w.skipValue()
			}
			found++
			start = w.i
			if w.peek() != '"' || !w.skipValue() {
				return false
			}
			end = w.i
			return true
		})
	})
	return start, end, ok && found == 1
}

// walker moves through a JSON document without validating it.
type walker struct {
	b []byte
	i int
}

func (w *walker) skipSpace() {
	for w.i < len(w.b) {
		switch w.b[w.i] {
		case ' ', '\t', '\n', '\r':
			w.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, or 0 at the end.
func (w *walker) peek() byte {
	if w.skipSpace(); w.i < len(w.b) {
		return w.b[w.i]
	}
	return 0
}

// object walks the object at w, calling member with each key, the walker
// at the key's value, which member must move past. It reports false when
// member does or when a key is not plain ASCII (so that bytes.EqualFold
// matches it as encoding/json does) or the object is malformed.
func (w *walker) object(member func(key []byte) bool) bool {
	if w.peek() != '{' {
		return false
	}
	w.i++
	if w.peek() == '}' {
		w.i++
		return true
	}
	for {
		if w.peek() != '"' {
			return false
		}
		start := w.i
		if !w.skipString() {
			return false
		}
		key := w.b[start+1 : w.i-1]
		for _, c := range key {
			if c == '\\' || c >= 0x80 {
				return false
			}
		}
		if w.peek() != ':' {
			return false
		}
		w.i++
		w.skipSpace()
		if !member(key) {
			return false
		}
		switch w.peek() {
		case ',':
			w.i++
		case '}':
			w.i++
			return true
		default:
			return false
		}
	}
}

// skipString moves past the string that starts at w. A backslash escapes
// the byte after it, as it does in every valid string.
func (w *walker) skipString() bool {
	i, q := w.i+1, -1 // q: the next quote at or after i
	for {
		if q < i {
			n := bytes.IndexByte(w.b[i:], '"')
			if n < 0 {
				return false
			}
			q = i + n
		}
		e := bytes.IndexByte(w.b[i:q], '\\')
		if e < 0 {
			w.i = q + 1
			return true
		}
		i += e + 2
	}
}

// skipValue moves past the value at w: a string, an object or array with
// everything in it, or the bytes of a literal up to the next delimiter.
func (w *walker) skipValue() bool {
	depth := 0
	for w.i < len(w.b) {
		c := w.b[w.i]
		switch c {
		case '"':
			if !w.skipString() {
				return false
			}
		case '{', '[':
			depth++
			w.i++
		case '}', ']':
			if depth == 0 {
				return true
			}
			depth--
			w.i++
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return true
			}
			w.i++
		default:
			w.i++
		}
		if depth == 0 && (c == '"' || c == '}' || c == ']') {
			return true // the end of a string, object or array
		}
	}
	return depth == 0
}
