package commands

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/nfmm/nfmm/internal/names"
)

// Parse turns command text into a Command. It checks the grammar and the shape of every
// argument; it never talks to CMS. Empty text is help; a trailing word "public" sets Public.
func Parse(text string) (Command, error) { return parse(text, true) }

// parse is Parse; without clusterWords a last `@word` stays an argument (Service.Run reparses a
// free text so when the word names no cluster).
func parse(text string, clusterWords bool) (Command, error) {
	if !utf8.ValidString(text) {
		return Command{}, &UsageError{Code: CodeInvalidText, Msg: "The command must be valid UTF-8 text."}
	}
	words, err := tokenize(text)
	if err != nil {
		return Command{}, err
	}
	var c Command
	if n := len(words); n > 0 && strings.EqualFold(words[n-1], "public") {
		c.Public = true
		words = words[:n-1]
	}
	if n := len(words); n > 1 && clusterWords && (opOf(words[0]) == OpSchedule || opOf(words[0]) == OpAlerts) {
		if name, ok := clusterWord(words[n-1]); ok {
			op := opOf(words[0])
			return Command{}, usageErr(CodeInvalidCluster, usageOf(op), "%s covers every cluster: drop `@%s`.", op, name)
		}
	}
	if n := len(words); n > 1 && clusterWords && !clusterless[Op(strings.ToLower(words[0]))] {
		// `audit @olivia` names a person: only commands that act on a cluster take `@emea`.
		if name, ok := clusterWord(words[n-1]); ok {
			if prev, twice := clusterWord(words[n-2]); twice && n > 2 && !freeText[opOf(words[0])] {
				return Command{}, usageErr(CodeInvalidCluster, "", "Name one cluster: `@%s` or `@%s`, not both.", prev, name)
			}
			c.Cluster = name
			words = words[:n-1]
		}
	}
	if len(words) == 0 {
		c.Op = OpHelp
		return c, nil
	}
	name := strings.ToLower(words[0])
	o, ok := operationOf(Op(name))
	if !ok {
		return Command{}, unknownCommand(words[0])
	}
	c.Op = o.op
	parse := o.parse
	if parse == nil {
		parse = parseNone
	}
	if err := parse(&c, words[1:]); err != nil {
		return Command{}, err
	}
	return c, nil
}

// freeText operations end in text of the user's own, where `@someone` or `@domain` is at home:
// their last `@word` is the cluster only when it names one (Service.Run).
var freeText = map[Op]bool{OpFind: true, OpBanner: true}

// textsWord reports whether the last word of a free-text command is `@word` that names no
// cluster: `banner board questions to @helpdesk`, `find @fabrikam.example`. It is the text's.
func (s *Service) textsWord(text string) bool {
	words, err := tokenize(text)
	if n := len(words); n > 0 && strings.EqualFold(words[n-1], "public") {
		words = words[:n-1]
	}
	if n := len(words); err != nil || n < 2 || !freeText[opOf(words[0])] {
		return false
	}
	name, ok := clusterWord(words[len(words)-1])
	return ok && name != AllClusters && !slices.Contains(s.ClusterNames(), name)
}

// opOf is the operation a command's first word names ("" when none).
func opOf(word string) Op {
	if o, ok := operationOf(Op(strings.ToLower(word))); ok {
		return o.op
	}
	return ""
}

// clusterWord reads a last word `@emea` or `@all`: the cluster the command acts on.
func clusterWord(w string) (string, bool) {
	name, ok := strings.CutPrefix(w, "@")
	if !ok || !names.Valid(name) {
		return "", false
	}
	if strings.EqualFold(name, AllClusters) {
		return AllClusters, true
	}
	return name, true
}

func unknownCommand(word string) error {
	ops := operations()
	names := make([]string, len(ops))
	for i, o := range ops {
		names[i] = string(o.op)
	}
	msg := "Unknown command " + printable(word) + "."
	if best := suggest(strings.ToLower(word), names); best != "" {
		// The usage of the command the user most likely meant, not the whole help.
		return &UsageError{Code: CodeUnknownCommand, Msg: msg + " Did you mean `" + best + "`?", Usage: usageOf(Op(best))}
	}
	return &UsageError{Code: CodeUnknownCommand, Msg: msg + " Try `help`."}
}

// suggest returns the candidate closest to word (a prefix counts as one edit), or "" when
// none is within two edits.
func suggest(word string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		d := editDistance(word, c)
		if len(word) >= 2 && strings.HasPrefix(c, word) {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance; inputs are short command words.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 32 {
		return 99 // a long word is not a typo of a command
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// tokenize splits on white space; double quotes (straight or the curly ones phones type)
// group words.
func tokenize(text string) ([]string, error) {
	var (
		words   []string
		cur     strings.Builder
		inQuote bool
		started bool
	)
	for _, r := range text {
		switch {
		case r == '"' || r == '“' || r == '”':
			inQuote = !inQuote
			started = true
		case !inQuote && (r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u00a0'):
			if started {
				words = append(words, cur.String())
				cur.Reset()
				started = false
			}
		default:
			cur.WriteRune(r)
			started = true
		}
	}
	if inQuote {
		return nil, &UsageError{Code: CodeSyntax, Msg: "A quote is not closed."}
	}
	if started {
		words = append(words, cur.String())
	}
	return words, nil
}

func extra(op Op, args []string) error {
	return usageErr(CodeExtraArg, usageOf(op), "Too many arguments: %s is not expected.", printable(strings.Join(args, " ")))
}

func parseNone(c *Command, args []string) error {
	if len(args) > 0 {
		return extra(c.Op, args)
	}
	return nil
}

func parseHelp(c *Command, args []string) error {
	if len(args) > 1 {
		return extra(c.Op, args[1:])
	}
	if len(args) == 1 {
		topic := strings.ToLower(args[0])
		if _, ok := operationOf(Op(topic)); !ok {
			return unknownCommand(args[0])
		}
		c.Topic = topic
	}
	return nil
}

// parseCalls takes `--node <node>` anywhere (a meeting name never starts with "--") and the
// other words as the filter.
func parseCalls(c *Command, args []string) error {
	if len(args) == 1 && strings.EqualFold(args[0], "live") { // `calls live` is `watch`
		c.Op = OpWatch
		return nil
	}
	var words []string
	for i := 0; i < len(args); i++ {
		if !strings.EqualFold(args[i], "--node") {
			words = append(words, args[i])
			continue
		}
		if i+1 == len(args) || c.Node != "" {
			return usageErr(CodeMissingArg, usageOf(OpCalls), "--node takes one node name.")
		}
		i++
		c.Node = args[i]
		if err := checkNode(c.Node, nil); err != nil {
			return err
		}
	}
	c.Filter = strings.Join(words, " ")
	if c.Filter == "" {
		return nil
	}
	return checkText("filter", c.Filter, usageOf(OpCalls))
}

// parseCall takes every word as the meeting, so `call board review` works without quotes.
func parseCall(c *Command, args []string) error {
	c.Meeting = strings.Join(args, " ")
	return checkText("meeting", c.Meeting, usageOf(c.Op))
}

func parseParticipant(c *Command, args []string) error {
	if len(args) > 1 {
		return extra(c.Op, args[1:])
	}
	if len(args) == 1 {
		c.Participant = args[0]
	}
	return checkParticipantRef(c.Participant, usageOf(c.Op))
}

// parseAdd: the last word is the address, the words before it the meeting.
func parseAdd(c *Command, args []string) error {
	u := usageOf(OpAdd)
	switch len(args) {
	case 0:
		return checkText("meeting", "", u)
	case 1:
		if err := checkURI(args[0]); err == nil {
			return checkText("meeting", "", u)
		}
		return checkURI("")
	}
	c.Meeting = strings.Join(args[:len(args)-1], " ")
	c.URI = args[len(args)-1]
	if err := checkText("meeting", c.Meeting, u); err != nil {
		return err
	}
	return checkURI(c.URI)
}

// parsePresenter: the last word is the presenter (or "off"), the words before it the meeting.
func parsePresenter(c *Command, args []string) error {
	u := usageOf(OpPresenter)
	if len(args) < 2 {
		if len(args) == 0 {
			return checkText("meeting", "", u)
		}
		return usageErr(CodeMissingArg, u, "Who presents? Give a participant (leg id or part of the name), or `off`.")
	}
	c.Meeting = strings.Join(args[:len(args)-1], " ")
	last := args[len(args)-1]
	if strings.EqualFold(last, presenterOff) {
		c.Off = true
	} else {
		c.Participant = last
	}
	return checkPresenter(*c)
}

func parseLayout(c *Command, args []string) error {
	u := usageOf(OpLayout)
	if len(args) > 2 {
		return extra(c.Op, args[2:])
	}
	if len(args) > 0 {
		c.Participant = args[0]
	}
	if err := checkParticipantRef(c.Participant, u); err != nil {
		return err
	}
	l := ""
	if len(args) > 1 {
		l = args[1]
	}
	layout, err := canonicalLayout(l)
	c.Layout = layout
	return err
}

func parseMute(c *Command, args []string) error {
	if len(args) > 2 {
		return extra(c.Op, args[2:])
	}
	if len(args) > 0 {
		c.Participant = args[0]
	}
	c.Media = MediaAudio
	if len(args) == 2 {
		c.Media = Media(strings.ToLower(args[1]))
	}
	if err := checkParticipantRef(c.Participant, usageOf(c.Op)); err != nil {
		return err
	}
	return checkMedia(c.Op, c.Media)
}

func checkMedia(op Op, m Media) error {
	switch m {
	case MediaAudio, MediaVideo, MediaBoth:
		return nil
	}
	msg := printable(string(m)) + " is not audio, video or both."
	if best := suggest(string(m), []string{"audio", "video", "both"}); best != "" {
		msg += " Did you mean `" + best + "`?"
	}
	return &UsageError{Code: CodeInvalidMedia, Msg: msg, Usage: usageOf(op)}
}
