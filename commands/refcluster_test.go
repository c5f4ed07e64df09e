package commands

import (
	"context"
	"errors"
	"testing"
)

// With several clusters a reference that matches nothing (or several) names the cluster it was
// looked up on, so the candidates' buttons act there.
func TestRefErrorNamesItsCluster(t *testing.T) {
	svc, _ := twoClusters(t, Policy{})
	for _, tt := range []struct{ channel, text, want string }{
		{"C0AMER", "call no-such-meeting-anywhere", "amer"},
		{"C0AMER", "call no-such-meeting-anywhere @emea", "emea"},
	} {
		_, err := svc.Run(context.Background(), Actor{UserID: "U1", ChannelID: tt.channel}, tt.text)
		var re *RefError
		if !errors.As(err, &re) || re.Cluster != tt.want {
			t.Errorf("%s in %s: %v (cluster %q), want a RefError of %s", tt.text, tt.channel, err, clusterOfRef(re), tt.want)
		}
	}
}

func clusterOfRef(re *RefError) string {
	if re == nil {
		return ""
	}
	return re.Cluster
}
