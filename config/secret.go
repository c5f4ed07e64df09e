package config

import "log/slog"

const redacted = "<secret>"

// String keeps the value out of fmt verbs (%s, %v) so that a stray log line cannot leak it.
func (s Secret) String() string { return redacted }

// GoString covers %#v, which would otherwise print the underlying string.
func (s Secret) GoString() string { return redacted }

// MarshalText also covers encoding/json (and YAML encoders that honour TextMarshaler).
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// MarshalJSON is explicit so that a JSON dump of Config never depends on TextMarshaler lookup rules.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// LogValue redacts the secret in log/slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// Reveal returns the credential itself; call it only where the value is handed to a client.
func (s Secret) Reveal() string { return string(s) }

// IsSet reports whether a value is present, without revealing it.
func (s Secret) IsSet() bool { return s != "" }
