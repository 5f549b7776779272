package attr

import (
	"testing"
	"time"
)

func TestKafkaRoundTrip(t *testing.T) {
	want := Kafka{Topic: "ztf_20240715_programid1", Partition: 7, Offset: 123456789, Timestamp: time.UnixMilli(1721016000123).UTC()}
	m := map[string]string{}
	want.Set(m)
	got, err := ParseKafka(m)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("ParseKafka(Set(k)) = %+v, want %+v", got, want)
	}
}

func TestParseKafka(t *testing.T) {
	tests := []struct {
		name    string
		attrs   map[string]string
		wantErr bool
		want    Kafka
	}{
		{"absent", map[string]string{}, false, Kafka{}},
		{"topic only", map[string]string{KafkaTopic: "t"}, false, Kafka{Topic: "t"}},
		{"bad partition", map[string]string{KafkaTopic: "t", KafkaPartition: "x"}, true, Kafka{}},
		{"bad offset", map[string]string{KafkaTopic: "t", KafkaOffset: "1.5"}, true, Kafka{}},
		{"bad timestamp", map[string]string{KafkaTopic: "t", KafkaTimestamp: "now"}, true, Kafka{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKafka(tt.attrs)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
