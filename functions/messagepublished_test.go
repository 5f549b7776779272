package functions

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/ztfbridge/ztfbridge/internal/core/alert/alerttest"
)

// realEnvelope returns the messagePublished document of a real alert as
// Eventarc delivers it, marshaled with indent or not.
func realEnvelope(t testing.TB, indent bool) []byte {
	t.Helper()
	doc := map[string]any{
		"message": map[string]any{
			"data":        alerttest.Real(t, "4.")[0],
			"attributes":  map[string]string{"kafka.topic": "ztf_20240601_programid1", "data": "not the data"},
			"messageId":   "17",
			"publishTime": "2024-06-01T10:00:00.123Z",
		},
		"subscription": "projects/p/subscriptions/eventarc-sub",
	}
	var b []byte
	var err error
	if indent {
		b, err = json.MarshalIndent(doc, "", "\t")
	} else {
		b, err = json.Marshal(doc)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameAsJSON fails unless parseMessagePublished returns for b what
// json.Unmarshal does, error text included.
func sameAsJSON(t *testing.T, b []byte) {
	t.Helper()
	got, gotErr := parseMessagePublished(b, new([]byte))
	var want messagePublished
	wantErr := json.Unmarshal(b, &want)
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Fatalf("error %v, encoding/json's %v", gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nencoding/json %+v", got, want)
	}
}

func TestParseMessagePublished(t *testing.T) {
	const a = "QUJD" // "ABC"
	long := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("an alert of 299 bytes, /+?>~ ", 11)[:299]))
	tests := []struct {
		name string
		doc  string
		fast bool // the data is found without encoding/json's scan
	}{
		{"minimal", `{"message":{"data":"` + a + `"}}`, true},
		{"all fields", `{"message":{"data":"` + a + `","attributes":{"k":"v"},"messageId":"1","publishTime":"2024-06-01T10:00:00Z"},"subscription":"s"}`, true},
		{"fields before data", `{"subscription":"s","message":{"messageId":"1","attributes":{"k":"v"},"data":"` + a + `"}}`, true},
		{"white space", " \t\n{ \"message\" :\r\n { \"data\" : \"" + a + "\" } } \n", true},
		{"escaped slash", `{"message":{"data":"ab\/c"}}`, true},
		{"unicode escape", `{"message":{"data":"\u0051UJD"}}`, true},
		{"escaped line break", `{"message":{"data":"QU\nJD"}}`, true},
		{"escaped quote", `{"message":{"data":"QU\"JD"}}`, false},
		{"raw line break", "{\"message\":{\"data\":\"QU\nJD\"}}", false},
		{"raw tab", "{\"message\":{\"data\":\"QU\tJD\"}}", false},
		{"not base64", `{"message":{"data":"QUJD!"}}`, false},
		{"non-ASCII", `{"message":{"data":"QUJDé"}}`, false},
		{"bad padding", `{"message":{"data":"QUI"}}`, false},
		{"empty data", `{"message":{"data":""}}`, true},
		{"null data", `{"message":{"data":null}}`, false},
		{"number data", `{"message":{"data":12}}`, false},
		{"object data", `{"message":{"data":{"data":"` + a + `"}}}`, false},
		{"no data", `{"message":{"attributes":{"k":"v"}}}`, false},
		{"attribute named data", `{"message":{"attributes":{"data":"QUJE"},"data":"` + a + `"}}`, true},
		{"only an attribute named data", `{"message":{"attributes":{"data":"QUJE"}}}`, false},
		{"data in a nested object", `{"message":{"x":{"data":"QUJE"},"data":"` + a + `","y":[{"data":1}]}}`, true},
		{"data at the top", `{"data":"QUJE","message":{"data":"` + a + `"}}`, true},
		{"data in the subscription", `{"subscription":{"message":{"data":"QUJE"}},"message":{"data":"` + a + `"}}`, false},
		{"keys in capitals", `{"MESSAGE":{"Data":"` + a + `"}}`, true},
		{"escaped key", `{"message":{"\u0064ata":"` + a + `"}}`, false},
		{"folded key", `{"meſſage":{"data":"` + a + `"}}`, false},
		{"two data keys", `{"message":{"data":"QUJE","data":"` + a + `"}}`, false},
		{"two messages", `{"message":{"data":"QUJE"},"message":{"data":"` + a + `"}}`, false},
		{"message again without data", `{"message":{"data":"` + a + `"},"message":{"messageId":"2"}}`, true},
		{"message again null", `{"message":{"data":"` + a + `"},"message":null}`, true},
		{"message again a string", `{"message":{"data":"` + a + `"},"message":"x"}`, false},
		{"bad publish time", `{"message":{"data":"` + a + `","publishTime":"yesterday"}}`, false},
		{"attribute not a string", `{"message":{"data":"` + a + `","attributes":{"k":1}}}`, false},
		{"invalid UTF-8 attribute", "{\"message\":{\"data\":\"" + a + "\",\"attributes\":{\"k\":\"\xff\"}}}", true},
		{"escapes elsewhere", `{"message":{"data":"` + a + `","messageId":"a\"b\\"},"subscription":"\\\"}"}`, true},
		{"trailing comma", `{"message":{"data":"` + a + `",}}`, false},
		{"trailing bytes", `{"message":{"data":"` + a + `"}} x`, false},
		{"two documents", `{"message":{"data":"` + a + `"}}{}`, false},
		{"missing brace", `{"message":{"data":"` + a + `"}`, false},
		{"missing colon", `{"message":{"data" "` + a + `"}}`, false},
		{"unterminated string", `{"message":{"data":"` + a, false},
		{"bad literal", `{"message":{"data":"` + a + `","x":nul}}`, false},
		{"bad number", `{"message":{"data":"` + a + `","x":01}}`, false},
		{"too deep", `{"message":{"data":"` + a + `","x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}}`, false},
		{"empty object", `{}`, false},
		{"null", `null`, false},
		{"array", `[1,2,3]`, false},
		{"empty", ``, false},
		{"not JSON", `message`, false},
		// Data of 45 bytes and more is decoded in bulk (AVX2) up to what is
		// not base64, and encoding/base64 decodes the rest.
		{"long", `{"message":{"data":"` + long + `"}}`, true},
		{"long, not base64 inside", `{"message":{"data":"` + long[:100] + "!" + long[101:] + `"}}`, false},
		{"long, URL alphabet inside", `{"message":{"data":"` + long[:100] + "-" + long[101:] + `"}}`, false},
		{"long, padding inside", `{"message":{"data":"` + long[:100] + "==" + long[100:] + `"}}`, false},
		{"long, non-ASCII inside", `{"message":{"data":"` + long[:100] + "é" + long[102:] + `"}}`, false},
		{"long, bad padding", `{"message":{"data":"` + long[:len(long)-1] + `"}}`, false},
		{"long, padding bits set", `{"message":{"data":"` + long[:len(long)-2] + `R="}}`, true},
		{"long, escaped slash", `{"message":{"data":"` + strings.ReplaceAll(long, "/", `\/`) + `"}}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sameAsJSON(t, []byte(tt.doc))
			if _, fast := parseFast([]byte(tt.doc), new([]byte)); fast != tt.fast {
				t.Errorf("fast path taken: %v, want %v", fast, tt.fast)
			}
		})
	}
}

func TestParseMessagePublishedReal(t *testing.T) {
	for _, indent := range []bool{false, true} {
		b := realEnvelope(t, indent)
		sameAsJSON(t, b)
		d, fast := parseFast(b, new([]byte))
		if !fast {
			t.Fatalf("indent %v: the fast path refused a real envelope", indent)
		}
		if want := alerttest.Real(t, "4.")[0]; !reflect.DeepEqual(d.Message.Data, want) {
			t.Errorf("indent %v: data of %d bytes, want the packet's %d", indent, len(d.Message.Data), len(want))
		}
		escaped := strings.ReplaceAll(string(b), "/", `\/`)
		sameAsJSON(t, []byte(escaped))
	}
}

// FuzzMessageOf compares parseMessagePublished with json.Unmarshal on
// random documents and mutations of real and hand-made envelopes.
func FuzzMessageOf(f *testing.F) {
	f.Add(realEnvelope(f, false))
	f.Add(realEnvelope(f, true))
	data := base64.StdEncoding.EncodeToString([]byte("an alert of a few bytes"))
	long := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("a longer alert, decoded in bulk ", 4)))
	for _, doc := range []string{
		`{"message":{"data":"` + data + `","attributes":{"data":"x","k":"v"},"messageId":"1","publishTime":"2024-06-01T10:00:00Z"},"subscription":"s"}`,
		`{"Message":{"DATA":"` + strings.ReplaceAll(data, "/", `\/`) + `"},"message":null,"x":[{"data":1},"\"}"]}`,
		`{"message":{"data":"QU\u004aD","data":null}}`,
		`{"message":{"data":"` + long + `"}}`,
		`{"message":{"data":"QUJD"},"message":{"data":"QUJE"}}`,
		`null`, `{}`, `[]`, `"x"`,
	} {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sameAsJSON(t, b)
	})
}
