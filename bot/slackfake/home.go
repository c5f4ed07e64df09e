package slackfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// AppHomeOpened sends an events_api envelope with an app_home_opened event, as Slack does when
// user opens the app's Home tab (tab "home") or its Messages tab ("messages"). The event
// carries the user's published Home view when there is one.
func (s *Server) AppHomeOpened(user, tab string) (Envelope, error) {
	if tab == "" {
		tab = "home"
	}
	s.mu.Lock()
	event := map[string]any{"type": "app_home_opened", "user": user, "channel": "D" + user,
		"tab": tab, "event_ts": s.newTSLocked()}
	for _, v := range s.st.views {
		if v.User == user && v.Type == "home" {
			event["view"] = map[string]any{"id": v.ID, "type": "home"}
		}
	}
	payload := map[string]any{
		"token": verificationToken, "team_id": TeamID, "api_app_id": AppID, "type": "event_callback",
		"event_id": "Ev" + randomHex(8), "event_time": s.nowLocked().Unix(), "event": event,
	}
	env := &envelopeState{Envelope: Envelope{ID: s.newEnvelopeID(), Type: "events_api"}}
	s.mu.Unlock()
	raw, err := json.Marshal(payload)
	if err != nil {
		return Envelope{}, fmt.Errorf("slackfake: app_home_opened payload: %w", err)
	}
	env.Payload = raw
	return s.send(env, 0), nil
}

// HomeView is user's published Home tab, if any.
func (s *Server) HomeView(user string) (View, bool) {
	s.mu.Lock()
	id := ""
	for _, v := range s.st.views {
		if v.User == user && v.Type == "home" {
			id = v.ID
		}
	}
	s.mu.Unlock()
	if id == "" {
		return View{}, false
	}
	return s.View(id)
}

// RateLimit is a Web API method's rate limit: at most PerMinute calls in any sliding minute;
// more answer HTTP 429 with Retry-After until the oldest call leaves the window, as Slack's
// tiers do (chat.update is Tier 3, about 50 a minute).
type RateLimit struct {
	PerMinute int
}

// SetRateLimit installs (PerMinute > 0) or removes a rate limit on method.
func (s *Server) SetRateLimit(method string, l RateLimit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l.PerMinute <= 0 {
		delete(s.st.limits, method)
		return
	}
	s.st.limits[method] = &limiter{per: l.PerMinute}
}

// limiter is a sliding one-minute window of accepted calls.
type limiter struct {
	per int
	at  []time.Time
}

// rateLimitedLocked answers a call over method's limit with 429 and Retry-After (whole seconds,
// at least 1); a call within it is counted.
func (s *Server) rateLimitedLocked(method string) (int, http.Header, map[string]any, bool) {
	l := s.st.limits[method]
	if l == nil {
		return 0, nil, nil, false
	}
	now := s.nowLocked()
	keep := l.at[:0]
	for _, t := range l.at {
		if now.Sub(t) < time.Minute {
			keep = append(keep, t)
		}
	}
	l.at = keep
	if len(l.at) < l.per {
		l.at = append(l.at, now)
		return 0, nil, nil, false
	}
	wait := l.at[0].Add(time.Minute).Sub(now)
	secs := max(int64((wait+time.Second-1)/time.Second), 1)
	return http.StatusTooManyRequests, http.Header{"Retry-After": {strconv.FormatInt(secs, 10)}}, slackErr("ratelimited"), true
}
