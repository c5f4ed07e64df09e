package slackfake

import (
	"maps"
	"slices"
)

// usergroupsUsersList answers usergroups.users.list (form-encoded, bot token) from the
// Options.UserGroups fixtures as changed by SetUserGroup. Like Slack it answers no_such_subteam
// for a group it does not know; disabled groups are not modelled, so include_disabled changes
// nothing.
func (s *Server) usergroupsUsersList(r *apiRequest) map[string]any {
	id := r.param("usergroup")
	if id == "" {
		return slackErr("invalid_arguments")
	}
	users, ok := s.st.usergroups[id]
	if !ok {
		return slackErr("no_such_subteam")
	}
	return map[string]any{"ok": true, "users": append([]string{}, users...)}
}

// SetUserGroup replaces the members of a user group (S… id), creating the group when it is new;
// nil members leaves the group existing and empty. The bot sees the change on its next
// usergroups.users.list call.
func (s *Server) SetUserGroup(id string, members []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.usergroups[id] = slices.Clone(members)
	s.changedLocked()
}

// DeleteUserGroup removes a user group: usergroups.users.list answers no_such_subteam for it.
func (s *Server) DeleteUserGroup(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.st.usergroups, id)
	s.changedLocked()
}

// UserGroups returns a copy of the current membership of every user group.
func (s *Server) UserGroups() map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]string, len(s.st.usergroups))
	for id, m := range s.st.usergroups {
		out[id] = slices.Clone(m)
	}
	return out
}

// cloneUserGroups copies the fixtures so later changes to the caller's map do not leak in.
func cloneUserGroups(in map[string][]string) map[string][]string {
	out := maps.Clone(in)
	if out == nil {
		return map[string][]string{}
	}
	for id, m := range out {
		out[id] = slices.Clone(m)
	}
	return out
}
