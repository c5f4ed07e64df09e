package cms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
)

// Cause puts why a node could not be reached in a few words, and never an address.
func TestCause(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 443},
		Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"refused", &TransportError{Node: "cb2", Err: refused}, "connection refused"},
		{"503", &TransportError{Node: "cb2", Status: 503, Err: errors.New("Service Unavailable")}, "HTTP 503 Service Unavailable"},
		{"timeout", &TransportError{Node: "cb2", Err: fmt.Errorf("no answer within 5s: %w", context.DeadlineExceeded)}, "no answer in time"},
		{"dns", &TransportError{Node: "cb2", Err: &net.DNSError{Err: "no such host", Name: "cb2.internal", IsNotFound: true}}, "host name not found"},
		{"closed", &TransportError{Node: "cb2", Err: io.EOF}, "connection closed"},
		{"broken pipe", &TransportError{Node: "cb2", Err: &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.EPIPE)}}, "connection closed"},
		{"idle connection closed", &TransportError{Node: "cb2", Err: fmt.Errorf("Get \"https://cb2/api/v1/calls\": %w", errors.New("http: server closed idle connection"))}, "connection closed"},
		{"wrapped in a node error", NodeError{Node: "cb2", Err: &TransportError{Node: "cb2", Err: refused}}, "connection refused"},
		{"unknown", &TransportError{Node: "cb2", Err: errors.New("something odd")}, ""},
		{"not a transport error", &AuthError{Node: "cb2", Status: 401}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Cause(tt.err); got != tt.want {
				t.Errorf("Cause = %q, want %q", got, tt.want)
			}
		})
	}
}
