// Package ops is NFMM's operations endpoint: GET /healthz for probes and GET /metrics for
// Prometheus, plus the Metrics the rest of the program reports into. Only main imports it;
// it knows cms only to adapt cms.RequestStat to a metric.
package ops
