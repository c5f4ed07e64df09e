package commands

import (
	"context"
	"time"

	"github.com/nfmm/nfmm/cms"
)

// AskedAt records in ctx when the user asked (the bot: when the envelope arrived). Reads of
// the cluster may then answer with an identical read that started after that moment instead of
// reading CMS again, so requests queued behind each other (20 users pressing Refresh at once)
// share one read; the data is never older than the request.
func AskedAt(ctx context.Context, t time.Time) context.Context {
	return cms.ReadsNotBefore(ctx, t)
}
