package commands

// Error kinds every operation returns; each message is safe to show the user. The terminal maps
// *UsageError to exit 2 and every other error to exit 1.
//
//   - *UsageError{Msg, Usage}: unknown command ("did you mean …"), missing/extra argument,
//     invalid layout (lists the valid ones), invalid URI. No CMS request was sent.
//   - *RefError{Kind, Ref, Candidates}: unknown or ambiguous meeting/participant.
//   - *DeniedError{Op, Msg}: the policy refused; Msg says how to get access.
//   - *CMSError{Msg, Err}: CMS refused or could not be reached; Msg is user-safe, Err for logs.
//
// UserMessage(err) returns the user-safe text of any error (a generic sentence for unknown ones).
