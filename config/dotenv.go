package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/joho/godotenv"
)

// LoadDotEnv sets the variables of the .env file at path that are not already in the
// environment (godotenv.Load semantics: the real environment wins). A missing file is not an
// error. warnings are for the caller to log: a file other users may read or write is reported
// because it holds secrets, and so is a value that looks like it expects $NAME expansion.
// Errors and warnings never quote the file's content.
func LoadDotEnv(path string) (warnings []string, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil {
		warnings = append(warnings, permWarnings(path, fi.Mode().Perm())...)
	}
	vars, err := parseDotEnv(data)
	if err != nil {
		// godotenv's message quotes the text near the error, which may be a token.
		return warnings, fmt.Errorf("%s: syntax error%s (check quoting)", path, nearLine(data))
	}
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		v := vars[k]
		if looksExpanded.MatchString(v) {
			warnings = append(warnings, fmt.Sprintf(
				"%s: %s contains $NAME; NFMM takes it literally (a .env file is not expanded like a shell script)", path, k))
		}
		if _, set := os.LookupEnv(k); !set {
			if err := os.Setenv(k, v); err != nil {
				return warnings, fmt.Errorf("%s: setting %s: %w", path, k, err)
			}
		}
	}
	return warnings, nil
}

// permWarnings reports a .env that other users may read (it holds secrets) or write (they
// could point NFMM at their own CMS or Slack).
func permWarnings(path string, perm fs.FileMode) []string {
	var out []string
	if perm&0o002 != 0 {
		out = append(out, fmt.Sprintf(
			"%s is writable by every user on this machine (mode %04o): anyone could change NFMM's configuration: chmod 600 %s",
			path, perm, path))
	}
	if perm&0o004 != 0 {
		out = append(out, fmt.Sprintf(
			"%s is readable by every user on this machine (mode %04o) and holds secrets: chmod 600 %s",
			path, perm, path))
	}
	return out
}

// looksExpanded matches what godotenv (and shells) would treat as a variable reference.
var looksExpanded = regexp.MustCompile(`\$\{?[A-Za-z_]`)

// dollar stands in for '$' while godotenv parses: godotenv always expands $NAME (to "" for a
// name the file does not define, so CMS_PASSWORD=abc$HOME became "abc"), and it has no option
// to turn that off. A private-use character is no quote, space, comment or escape to its
// parser, so every quoting rule stays godotenv's.
const dollar = "\uF8FF"

// parseDotEnv is godotenv.UnmarshalBytes without variable expansion: every '$' is literal.
func parseDotEnv(data []byte) (map[string]string, error) {
	if bytes.Contains(data, []byte(dollar)) {
		// The stand-in cannot round-trip; such a file is not a plausible .env.
		return nil, errors.New("unsupported character U+F8FF")
	}
	vars, err := godotenv.UnmarshalBytes(bytes.ReplaceAll(data, []byte("$"), []byte(dollar)))
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(vars))
	for k, v := range vars {
		out[k] = strings.ReplaceAll(v, dollar, "$")
	}
	return out, nil
}

// nearLine finds the first line that does not parse on its own: a hint, since a quoted value
// may span lines.
func nearLine(data []byte) string {
	for i, line := range bytes.Split(data, []byte("\n")) {
		if strings.TrimSpace(string(line)) == "" {
			continue
		}
		if _, err := parseDotEnv(line); err != nil {
			return fmt.Sprintf(" near line %d", i+1)
		}
	}
	return ""
}
