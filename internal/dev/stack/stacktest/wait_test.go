package stacktest_test

import (
	"net"
	"testing"
	"time"

	"github.com/ztfbridge/ztfbridge/internal/dev/stack/stacktest"
)

func TestPoll(t *testing.T) {
	tests := []struct {
		name      string
		timeout   time.Duration
		holdsFrom int // the call from which cond holds; 0 = never
		want      bool
		wantCalls int
	}{
		{"holds at once", time.Minute, 1, true, 1},
		{"holds on the third call", time.Minute, 3, true, 3},
		{"never holds, no time to wait", 0, 0, false, 1},
		{"holds too late", 0, 2, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			got := stacktest.Poll(tt.timeout, func() bool {
				calls++
				return tt.holdsFrom > 0 && calls >= tt.holdsFrom
			})
			if got != tt.want || calls != tt.wantCalls {
				t.Errorf("Poll = %v after %d calls, want %v after %d", got, calls, tt.want, tt.wantCalls)
			}
		})
	}
}

func TestFreeAddrAndListening(t *testing.T) {
	addr := stacktest.FreeAddr(t)
	if stacktest.Listening(addr) {
		t.Fatalf("something listens on the free address %s", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("FreeAddr %s cannot be listened on: %v", addr, err)
	}
	if !stacktest.Listening(addr) {
		t.Errorf("Listening(%s) = false while a listener is open", addr)
	}
	l.Close()
	if stacktest.Listening(addr) {
		t.Errorf("Listening(%s) = true after the listener closed", addr)
	}
}

func TestWaitListening(t *testing.T) {
	l, err := net.Listen("tcp", stacktest.FreeAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	stacktest.WaitListening(t, time.Second, l.Addr().String()) // fails the test if it does not see l
}
