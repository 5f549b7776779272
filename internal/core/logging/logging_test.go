package logging

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
)

func TestCloudLoggingFields(t *testing.T) {
	tests := []struct {
		log          func(*slog.Logger)
		wantSeverity string
		wantMessage  string
	}{
		{func(l *slog.Logger) { l.Info("started", "consumers", 2) }, "INFO", "started"},
		{func(l *slog.Logger) { l.Warn("slow") }, "WARNING", "slow"},
		{func(l *slog.Logger) { l.Error("boom") }, "ERROR", "boom"},
		{func(l *slog.Logger) { l.Debug("hidden") }, "", ""},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		tt.log(New(&buf, slog.LevelInfo))
		if tt.wantSeverity == "" {
			if buf.Len() != 0 {
				t.Errorf("debug record logged at info level: %s", buf.String())
			}
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
			t.Fatalf("not JSON: %q: %v", buf.String(), err)
		}
		if rec["severity"] != tt.wantSeverity || rec["message"] != tt.wantMessage {
			t.Errorf("record %v: want severity %q message %q", rec, tt.wantSeverity, tt.wantMessage)
		}
	}
}
