package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/joho/godotenv"
)

// LoadDotEnv sets the variables of the .env file at path that are not already in the
// environment (godotenv.Load semantics: the real environment wins). A missing file is not an
// error. warnings are for the caller to log: a world-readable file is reported because it
// holds secrets. Errors never quote the file's content.
func LoadDotEnv(path string) (warnings []string, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o004 != 0 {
		warnings = append(warnings, fmt.Sprintf(
			"%s is readable by every user on this machine (mode %04o) and holds secrets: chmod 600 %s",
			path, fi.Mode().Perm(), path))
	}
	vars, err := godotenv.UnmarshalBytes(data)
	if err != nil {
		// godotenv's message quotes the text near the error, which may be a token.
		return warnings, fmt.Errorf("%s: syntax error%s (check quoting)", path, nearLine(data))
	}
	for k, v := range vars {
		if _, set := os.LookupEnv(k); !set {
			if err := os.Setenv(k, v); err != nil {
				return warnings, fmt.Errorf("%s: setting %s: %w", path, k, err)
			}
		}
	}
	return warnings, nil
}

// nearLine finds the first line that does not parse on its own: a hint, since a quoted value
// may span lines.
func nearLine(data []byte) string {
	for i, line := range bytes.Split(data, []byte("\n")) {
		if strings.TrimSpace(string(line)) == "" {
			continue
		}
		if _, err := godotenv.UnmarshalBytes(line); err != nil {
			return fmt.Sprintf(" near line %d", i+1)
		}
	}
	return ""
}
